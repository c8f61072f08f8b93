import { Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { DEFAULT_JOURNAL_TABLE_NAME } from './defaults';
import { JournalBase } from './journal-base';
import type { ReplicaJournalAttributes } from './replication-journal';
import { JOURNAL_REF_INDEX } from '../../lambda/contract';
import { acknowledgeCustomResourceProvider } from '../private/acknowledge';
import { checkRegion, checkTableName, propError } from '../private/validate';

/** A replica of a journal owned elsewhere; see `ReplicationJournal.fromReplica`. */
export class ReplicaJournal extends JournalBase {
  readonly table: dynamodb.ITableV2;
  readonly tableName: string;
  readonly tableArn: string;
  readonly refIndexArn: string;
  readonly streamArn: string;
  readonly owningRegion: string;
  readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, attrs: ReplicaJournalAttributes) {
    super(scope, id);
    const stack = Stack.of(this);
    const tableName = attrs.tableName ?? DEFAULT_JOURNAL_TABLE_NAME;
    checkTableName(this, 'tableName', tableName);
    checkRegion(this, 'owningRegion', attrs.owningRegion, 'us-west-2');
    if (!Token.isUnresolved(stack.region) && attrs.owningRegion === stack.region) {
      throw propError(
        this,
        `owningRegion '${attrs.owningRegion}' is this stack's own region: create the journal here with new ReplicationJournal instead of importing a replica`,
      );
    }

    this.tableName = tableName;
    this.tableArn = stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName });
    this.refIndexArn = `${this.tableArn}/index/${JOURNAL_REF_INDEX}`;
    this.owningRegion = attrs.owningRegion;
    this.encryptionKey = attrs.encryptionKey;

    const describe: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'describeTable',
      parameters: { TableName: tableName },
      // The whole response can exceed the 4 KB custom resource limit (replicas, indexes): keep one field.
      outputPaths: ['Table.LatestStreamArn'],
      physicalResourceId: cr.PhysicalResourceId.fromResponse('Table.LatestStreamArn'),
    };
    const lookup = new cr.AwsCustomResource(this, 'StreamArnLookup', {
      resourceType: 'Custom::IotDrReplicaStreamArn',
      onCreate: describe,
      onUpdate: describe,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: [this.tableArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    this.streamArn = lookup.getResponseField('Table.LatestStreamArn');
    acknowledgeCustomResourceProvider(this);

    this.table = dynamodb.TableV2.fromTableAttributes(this, 'Table', {
      tableName,
      tableStreamArn: this.streamArn,
      encryptionKey: attrs.encryptionKey,
      globalIndexes: [JOURNAL_REF_INDEX],
    });
  }



}
