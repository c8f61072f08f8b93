import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { ReplaySettings } from './registry-replay-props';
import { replayBundleEnvironment } from './replay-functions';
import { HANDLER_ENV, HEARTBEAT_KEY_PREFIX } from '../../lambda/contract';
import type { IEchoLedger } from '../journal/echo-ledger';
import type { IReplicationJournal } from '../journal/replication-journal';
import { HandlerFunction } from '../private/handler-function';

/** How often each region writes its heartbeat into the journal. */
export const HEARTBEAT_INTERVAL = Duration.minutes(1);

/** What the heartbeat functions are wired to. */
export interface HeartbeatWiring {
  readonly journal: IReplicationJournal;
  readonly echoLedger: IEchoLedger;
  readonly settings: ReplaySettings;
}

/**
 * This region's heartbeat: a function an EventBridge rule invokes every minute, allowed to write one journal
 * item only, `heartbeat#<region>` (`dynamodb:LeadingKeys`).
 */
export function createHeartbeatWriter(scope: Construct, wiring: HeartbeatWiring): { function: lambda.Function; rule: events.Rule } {
  const { journal, settings } = wiring;
  const handler = new HandlerFunction(scope, 'HeartbeatFunction', {
    handler: 'writeHeartbeat',
    description: "Writes this region's replication heartbeat into the journal every minute (cdk-iot-dr)",
    timeout: Duration.seconds(10),
    memorySize: 128,
    logRetention: settings.logRetention,
    logEncryptionKey: settings.logEncryptionKey,
    environment: { [HANDLER_ENV.journalTableName]: journal.tableName },
  });
  handler.role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:PutItem'],
      resources: [journal.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`${HEARTBEAT_KEY_PREFIX}${Stack.of(scope).region}`] } },
    }),
  );
  journal.encryptionKey?.grantEncryptDecrypt(handler.role);
  const rule = new events.Rule(scope, 'HeartbeatSchedule', {
    description: "cdk-iot-dr: writes this region's replication heartbeat into the journal",
    schedule: events.Schedule.rate(HEARTBEAT_INTERVAL),
    targets: [new targets.LambdaFunction(handler.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
  });
  return { function: handler.function, rule };
}

/**
 * The function recording the arrival of the peer's heartbeats (the replication-lag metric). It calls
 * nothing: its role may write its own logs and traces only. The replay bundle reads the journal and echo
 * ledger names (and the account id) at load, so it gets them, without any permission on either.
 */
export function createHeartbeatReplayFunction(scope: Construct, wiring: HeartbeatWiring): lambda.Function {
  const { journal, echoLedger, settings } = wiring;
  return new HandlerFunction(scope, 'ReplayHeartbeatFunction', {
    handler: 'replayHeartbeat',
    description: "Records the arrival of the peer region's replication heartbeat as the replication-lag metric (cdk-iot-dr)",
    timeout: Duration.seconds(10),
    memorySize: 128,
    logRetention: settings.logRetention,
    logEncryptionKey: settings.logEncryptionKey,
    environment: {
      [HANDLER_ENV.journalTableName]: journal.tableName,
      [HANDLER_ENV.echoLedgerTableName]: echoLedger.tableName,
      [HANDLER_ENV.metricsNamespace]: settings.metricsNamespace,
      ...replayBundleEnvironment(scope, settings, Duration.seconds(10)),
    },
  }).function;
}
