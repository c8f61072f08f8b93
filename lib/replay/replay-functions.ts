import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { ReplaySettings } from './registry-replay-props';
import type { ReplayKind } from './replay-kinds';
import { HANDLER_ENV } from '../../lambda/contract';
import type { IEchoLedger } from '../journal/echo-ledger';
import type { IReplicationJournal } from '../journal/replication-journal';
import { acknowledgeWildcardResource } from '../private/acknowledge';
import { HandlerFunction } from '../private/handler-function';
import { iotResourceArn } from '../private/iot';

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
    },
  });
  const role = handler.role;
  journal.grantReadItems(role, { query: kind.queriesJournal ?? false });
  echoLedger.grantRecord(role);
  for (const { resource, actions } of kind.permissions) {
    const arn = iotResourceArn(scope, resource);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [arn] }));
    acknowledgeWildcardResource(role, arn, `Replay recreates whichever ${resource} the other region journaled; names are not known at deploy time.`);
  }
  return handler.function;
}
