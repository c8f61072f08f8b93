import { ArnFormat, type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { ReplaySettings } from './registry-replay-props';
import type { OtherReplayPermission, ReplayKind } from './replay-kinds';
import { HANDLER_ENV, RATE_LIMIT_ENV } from '../../lambda/contract';
import type { IEchoLedger } from '../journal/echo-ledger';
import type { IReplicationJournal } from '../journal/replication-journal';
import { acknowledgeWildcardResource } from '../private/acknowledge';
import { HandlerFunction } from '../private/handler-function';
import { wildcardOnlyPolicy } from '../private/service-policies';
import { iotResourceArn } from '../private/iot';

/** SDK attempts per IoT call in the replay bundle (lambda/replay/config.ts): each may wait for the rate limiter. */
const IOT_ATTEMPTS = 3;

/**
 * The environment every function of the replay bundle needs (the bundle builds its dependencies at load):
 * the account, the raised quotas of the shared rate limiter, and how long a call may wait for its slot —
 * a share of `timeout` small enough that the SDK's attempts together leave half of it for the work.
 */
export function replayBundleEnvironment(scope: Construct, settings: Pick<ReplaySettings, 'iotQuotas'>, timeout: Duration): Record<string, string> {
  const maxWaitMs = Math.max(1000, Math.floor((timeout.toMilliseconds() / 2 / IOT_ATTEMPTS)));
  return {
    [HANDLER_ENV.accountId]: Stack.of(scope).account,
    [RATE_LIMIT_ENV.iotQuotas]: JSON.stringify(settings.iotQuotas),
    [RATE_LIMIT_ENV.maxWaitMs]: String(maxWaitMs),
  };
}

/**
 * Grants `permission` (see OtherReplayPermission) to the role of `handler`. IoT actions that take no resource
 * go into a policy of their own (`IotRegistrationPolicy`, created before the function), so the role's default
 * policy stays free of `Resource: *`, as with X-Ray's `TracingPolicy`.
 */
export function grantOtherPermission(handler: HandlerFunction, permission: OtherReplayPermission): void {
  const stack = Stack.of(handler);
  const role = handler.role;
  const actions = [...permission.actions];
  switch (permission.resource) {
    case 'anyIotResource': {
      const policy = wildcardOnlyPolicy(
        handler,
        'IotRegistrationPolicy',
        role,
        actions,
        `${actions.join(', ')} support no resource-level permissions: the certificate's ARN exists only after the call.`,
      );
      handler.function.node.addDependency(policy);
      return;
    }
    case 'lambdaFunction': {
      const arn = stack.formatArn({ service: 'lambda', resource: 'function', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [arn] }));
      acknowledgeWildcardResource(role, arn, "Checks that a replicated provisioning template's pre-provisioning hook is deployed here; its name comes from the other region.");
      return;
    }
    case 'passRoleToIot': {
      const arn = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions, resources: [arn], conditions: { StringEquals: { 'iam:PassedToService': 'iot.amazonaws.com' } } }),
      );
      acknowledgeWildcardResource(role, arn, 'Passes the role a replicated provisioning template or role alias names, to IoT only (iam:PassedToService).');
      return;
    }
  }
}

/** What a replay function is wired to. */
export interface ReplayFunctionWiring {
  readonly journal: IReplicationJournal;
  readonly echoLedger: IEchoLedger;
  readonly settings: ReplaySettings;
}

/**
 * The function replaying one kind of journal item, with a role allowed exactly its calls: read the
 * journal (and query it, for a kind that reads dependents), record in the echo ledger, and the IoT calls
 * of its kind on that kind's resources.
 */
export function createReplayFunction(scope: Construct, kind: ReplayKind, wiring: ReplayFunctionWiring): lambda.Function {
  const { journal, echoLedger, settings } = wiring;
  const handler = new HandlerFunction(scope, `${kind.stateName}Function`, {
    handler: kind.handler,
    description: `Replays journaled ${kind.description} into this region's IoT registry (cdk-iot-dr)`,
    timeout: settings.handlerTimeout,
    logRetention: settings.logRetention,
    logEncryptionKey: settings.logEncryptionKey,
    environment: {
      [HANDLER_ENV.journalTableName]: journal.tableName,
      [HANDLER_ENV.echoLedgerTableName]: echoLedger.tableName,
      [HANDLER_ENV.echoTtlSeconds]: String(settings.echoTtl.toSeconds()),
      [HANDLER_ENV.metricsNamespace]: settings.metricsNamespace,
      ...replayBundleEnvironment(scope, settings, settings.handlerTimeout),
    },
  });
  const role = handler.role;
  journal.grantReadItems(role, { query: kind.queriesJournal ?? false });
  // grantRecord's UpdateItem on the ledger covers the shared rate limiter's `rate#` windows too.
  echoLedger.grantRecord(role);
  for (const { resource, actions } of kind.permissions) {
    const arn = iotResourceArn(scope, resource);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [arn] }));
    acknowledgeWildcardResource(role, arn, `Replay recreates whichever ${resource} the other region journaled; names are not known at deploy time.`);
  }
  for (const permission of kind.otherPermissions ?? []) grantOtherPermission(handler, permission);
  return handler.function;
}
