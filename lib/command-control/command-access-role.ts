import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { commandAccessRoleName, commandFunctionRoleName, iamRoleArn, JOURNAL_REF_INDEX } from '../../lambda/contract';
import { DEFAULT_ECHO_LEDGER_TABLE_NAME, DEFAULT_JOURNAL_TABLE_NAME } from '../journal/defaults';
import type { IEchoLedger } from '../journal/echo-ledger';
import type { IReplicationJournal } from '../journal/replication-journal';
import { acknowledgeWildcardResource } from '../private/acknowledge';
import { iotResourceArn } from '../private/iot';
import { checkRegion, checkTableName, propError } from '../private/validate';
import { wildcardOnlyPolicy } from '../private/service-policies';

export interface CommandAccessRoleProps {
  /** The command-control account whose command functions (`CommandApi`) assume this role. */
  readonly commandControlAccount: string;
  /**
   * Regions whose command function may assume this role: the function of this region (its commands) and
   * the peer region's (it reads a device's status here).
   * @default - this stack's region only
   */
  readonly commandRegions?: string[];
  /**
   * The replication journal of this region, when it is in the same stack.
   * @default - the table named `journalTableName` in this region and account
   */
  readonly journal?: IReplicationJournal;
  /**
   * Name of the journal table, when `journal` is not given.
   * @default DEFAULT_JOURNAL_TABLE_NAME ('iot-dr-journal') - the name the platform stacks give it
   */
  readonly journalTableName?: string;
  /**
   * The echo ledger of this region, when it is in the same stack (the command API records the known state of
   * what it journals there, as capture does).
   * @default - the table named `echoLedgerTableName` in this region and account
   */
  readonly echoLedger?: IEchoLedger;
  /**
   * Name of the echo ledger table, when `echoLedger` is not given.
   * @default DEFAULT_ECHO_LEDGER_TABLE_NAME ('iot-dr-echo-ledger') - the name the platform stacks give it
   */
  readonly echoLedgerTableName?: string;
  /**
   * Customer managed keys of the journal and echo ledger tables named by `journalTableName` and
   * `echoLedgerTableName` (a `journal` or `echoLedger` object brings its own key).
   * @default - none: the tables use AWS managed keys, which need no grant
   */
  readonly tableEncryptionKeys?: kms.IKey[];
  /**
   * Also let the role read CloudWatch metrics (a device's status reports the replication lag and drift here).
   * @default true
   */
  readonly readMetrics?: boolean;
}

/** The IoT actions the commands call (onboard, suspend, resume, decommission, status) and capture's identity reads. */
const COMMAND_IOT_ACTIONS = [
  'iot:GetPolicy',
  'iot:DescribeThingGroup',
  'iot:DescribeThingType',
  'iot:DescribeThing',
  'iot:CreateThing',
  'iot:DeleteThing',
  'iot:DescribeCertificate',
  'iot:UpdateCertificate',
  'iot:DeleteCertificate',
  'iot:AttachPolicy',
  'iot:DetachPolicy',
  'iot:ListAttachedPolicies',
  'iot:AttachThingPrincipal',
  'iot:DetachThingPrincipal',
  'iot:ListThingPrincipals',
  'iot:AddThingToThingGroup',
  'iot:RemoveThingFromThingGroup',
  'iot:ListThingGroupsForThing',
];

/** IoT actions without resource-level permissions. */
const UNSCOPED_IOT_ACTIONS = ['iot:CreateKeysAndCertificate', 'iot:CreateCertificateFromCsr', 'iot:ListPrincipalThings'];

/**
 * The role the command-and-control account's command functions (`CommandApi`) assume in the iot-services
 * account of one region: the IoT calls of the commands on this account's things, certificates, policies,
 * groups and types of this region, the journal and echo ledger writes of synchronous journaling, and (for
 * status) `cloudwatch:GetMetricData`.
 *
 * Its name is fixed per region (`CommandAccessRole.roleNameFor(region)`), so the command-control stacks
 * compute its ARN (`roleArnFor`) without a cross-account reference. Its trust names the command-control
 * account, narrowed by an `aws:PrincipalArn` condition to exactly the command functions' roles (their names
 * are fixed too): IAM refuses a trust policy whose principal is a role that does not exist yet, and the two
 * accounts deploy independently. Place one in each region's iot-services stack.
 */
export class CommandAccessRole extends Construct {
  /** `cdk-iot-dr-command-access-<region>`. */
  static roleNameFor(region: string): string {
    return commandAccessRoleName(region);
  }

  /** `arn:<partition>:iam::<account>:role/cdk-iot-dr-command-access-<region>`. */
  static roleArnFor(account: string, region: string, partition: string = 'aws'): string {
    return iamRoleArn(account, commandAccessRoleName(region), partition);
  }

  /** The role. */
  readonly role: iam.Role;
  /** ARNs of the command function roles the trust admits. */
  readonly trustedRoleArns: string[];

  constructor(scope: Construct, id: string, props: CommandAccessRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!Token.isUnresolved(props.commandControlAccount) && !/^\d{12}$/.test(props.commandControlAccount)) {
      throw propError(this, `commandControlAccount must be a 12-digit account id, got '${props.commandControlAccount}'`);
    }
    if (Token.isUnresolved(stack.region)) throw propError(this, 'CommandAccessRole needs a stack with an explicit env.region (its name includes the region)');
    if (props.journal && props.journalTableName !== undefined) throw propError(this, 'give journal or journalTableName, not both');
    if (props.echoLedger && props.echoLedgerTableName !== undefined) throw propError(this, 'give echoLedger or echoLedgerTableName, not both');
    const regions = props.commandRegions ?? [stack.region];
    if (regions.length === 0) throw propError(this, 'commandRegions must name at least one region (this one)');
    for (const r of regions) checkRegion(this, 'commandRegions', r, 'us-east-1');
    if (new Set(regions).size !== regions.length) throw propError(this, `commandRegions lists a region twice: ${regions.join(', ')}`);

    this.trustedRoleArns = regions.map((r) => iamRoleArn(props.commandControlAccount, commandFunctionRoleName(r), stack.partition));
    this.role = new iam.Role(this, 'Role', {
      roleName: CommandAccessRole.roleNameFor(stack.region),
      assumedBy: new iam.AccountPrincipal(props.commandControlAccount).withConditions({ ArnEquals: { 'aws:PrincipalArn': this.trustedRoleArns } }),
      description: 'cdk-iot-dr: lets the command API functions onboard, suspend, resume and decommission devices here and journal those changes',
    });

    const resources = (['thing', 'cert', 'policy', 'thinggroup', 'thingtype'] as const).map((t) => iotResourceArn(this, t));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DeviceCommands', actions: COMMAND_IOT_ACTIONS, resources }));
    for (const arn of resources) {
      acknowledgeWildcardResource(this.role, arn, 'The command API acts on the devices its callers name; thing, certificate, policy, group and type names are not known at deploy time.');
    }
    wildcardOnlyPolicy(
      this,
      'CreateCertificates',
      this.role,
      UNSCOPED_IOT_ACTIONS,
      'iot:CreateKeysAndCertificate, iot:CreateCertificateFromCsr and iot:ListPrincipalThings support no resource-level permissions: onboarding creates a device certificate, decommissioning checks who else uses one.',
    );
    if (props.readMetrics ?? true) {
      wildcardOnlyPolicy(this, 'ReadMetrics', this.role, ['cloudwatch:GetMetricData'], 'cloudwatch:GetMetricData supports no resource-level permissions; device status reports the replication lag and drift.');
    }
    this.grantTables(props);
  }

  private grantTables(props: CommandAccessRoleProps): void {
    const stack = Stack.of(this);
    const journalName = props.journalTableName ?? DEFAULT_JOURNAL_TABLE_NAME;
    const ledgerName = props.echoLedgerTableName ?? DEFAULT_ECHO_LEDGER_TABLE_NAME;
    checkTableName(this, 'journalTableName', journalName);
    checkTableName(this, 'echoLedgerTableName', ledgerName);
    const tableArn = (name: string) => stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: name });
    const journalArn = props.journal?.tableArn ?? tableArn(journalName);
    const refIndexArn = props.journal?.refIndexArn ?? `${tableArn(journalName)}/index/${JOURNAL_REF_INDEX}`;
    const ledgerArn = props.echoLedger?.tableArn ?? tableArn(ledgerName);
    // Capture's calls exactly: conditional writes and cascades on the journal, known-state records and clears on the ledger.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'Journal', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], resources: [journalArn] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'JournalRefIndex', actions: ['dynamodb:Query'], resources: [refIndexArn] }));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'EchoLedger', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], resources: [ledgerArn] }),
    );
    const keys = [props.journal?.encryptionKey, props.echoLedger?.encryptionKey, ...(props.tableEncryptionKeys ?? [])].filter((k): k is kms.IKey => k !== undefined);
    for (const key of new Set(keys)) key.grantEncryptDecrypt(this.role);
  }
}
