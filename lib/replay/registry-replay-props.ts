import { Duration, Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { EXPRESS_LIMIT, replayWorstCaseSeconds } from './retry-policies';
import { DEFAULT_ECHO_TTL_SECONDS, DEFAULT_METRICS_NAMESPACE, DEFAULT_PARKING_RETENTION_SECONDS } from '../../lambda/contract';
import type { IEchoLedger } from '../journal/echo-ledger';
import type { IReplicationJournal } from '../journal/replication-journal';
import type { PipelineStageOptions } from '../pipeline-stage-options';
import { DEFAULT_LOG_RETENTION } from '../private/handler-function';
import { checkDuration, checkInteger, checkIotQuotas, checkMetricsNamespace, propError } from '../private/validate';

/** Replay settings: everything but the journal and echo ledger it is wired to. */
export interface RegistryReplayOptions extends PipelineStageOptions {
  /**
   * How long a replayed change counts as replay's own when its registry event comes back to capture.
   *
   * @default Duration.hours(1) - registry events arrive within seconds; an hour absorbs capture backlogs
   */
  readonly echoTtl?: Duration;

  /**
   * Most stream records per state machine execution; also the Map's concurrency, so a batch runs in one
   * wave and the retry budget holds for the whole execution. Between 1 and 40 (Step Functions' inline Map
   * concurrency).
   *
   * @default 10 - a burst of changes replays in seconds without throttling IoT's slower APIs
   */
  readonly batchSize?: number;

  /**
   * How long the pipe waits to fill a batch.
   *
   * @default Duration.seconds(1) - replication lag matters more than the number of executions
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * How often the pipe retries a batch whose execution failed (it halves the batch each time to isolate a
   * bad record) before sending the batch's description to the dead-letter queue. Between 0 and 10000;
   * retrying forever (-1) is not offered, as one bad record would then stall its shard for a day.
   *
   * @default 10 - enough halvings to isolate one bad record in a batch of 40, with retries to spare
   */
  readonly maxRetryAttempts?: number;

  /**
   * Timeout of each replay function. Together with the Retry rules it must fit within the Express
   * workflow's five minutes (the construct checks the worst case at synth).
   *
   * @default Duration.seconds(15) - enough for a few IoT calls after the SDK's own throttling retries
   */
  readonly handlerTimeout?: Duration;

  /**
   * The replication lag (p99 over a minute) that raises the lag alarm.
   *
   * @default Duration.minutes(5) - a change older than that has exhausted the workflow's whole retry budget
   */
  readonly replicationLagThreshold?: Duration;

  /**
   * Whether to create a CloudWatch dashboard with lag, throughput, failures and dead letters.
   *
   * @default false - dashboards cost money each month; the alarms cover what needs attention
   */
  readonly dashboard?: boolean;

  /**
   * How long a replay that keeps failing for a reason that may pass (throttling, IoT 5xx, timeouts, network
   * errors, a dependency or a local change not there yet) stays parked and retried with growing delays
   * before it goes to the dead-letter queue as `ParkingExpired`. Between 1 day and 14 days.
   *
   * @default Duration.hours(24) - outlasts a regional IoT outage of hours; a tombstone (kept `tombstoneTtl`,
   * 14 days by default) must outlive it, as every retry re-reads the journal item by key
   */
  readonly parkingRetention?: Duration;

  /**
   * A fixed name for the parking queue, so tools in other accounts can read its metrics by name (the ARC
   * Region switch steps check the parked items of the region they activate).
   * @default - a name CloudFormation generates
   */
  readonly parkingQueueName?: string;

  /**
   * What the replay state machine logs.
   *
   * @default sfn.LogLevel.ERROR - failed executions and states are what an operator needs; `ALL` logs every
   * state transition of every batch
   */
  readonly workflowLogLevel?: sfn.LogLevel;

  /**
   * Whether the state machine's log lines include execution data (the states' input and output).
   *
   * @default false - execution data holds registry states (attributes, later certificates); turn it on
   * only while debugging, and prefer a `logEncryptionKey` then
   */
  readonly includeExecutionData?: boolean;

  /**
   * Whether shadow items (`shadow#...`) are replayed: a `ReplayShadow` route and function in the workflow.
   * Set it as on capture (`RegistryCaptureOptions.replicateShadows`) in both regions.
   *
   * @default false - shadows are device state, often rebuilt by the devices themselves after a failover, and
   * every shadow change would be a replay here
   */
  readonly replicateShadows?: boolean;

  /**
   * This account's raised AWS IoT TPS quotas, per API name (e.g. `{ RegisterCertificateWithoutCA: 50 }`).
   * Replay, parking and the reconciler of a region share one rate limiter sized from these quotas.
   * @default - the AWS default quotas of the region (DEFAULT_IOT_QUOTAS), which are what most accounts have
   */
  readonly iotQuotas?: { [api: string]: number };
}

export interface RegistryReplayProps extends RegistryReplayOptions {
  /** The journal whose stream (in this region) replay consumes. */
  readonly journal: IReplicationJournal;

  /** The echo ledger replay records what it applied in; this region's capture reads it. */
  readonly echoLedger: IEchoLedger;
}

/** `RegistryReplayOptions` with every default applied and every value checked. */
export interface ReplaySettings {
  readonly echoTtl: Duration;
  readonly metricsNamespace: string;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly maxRetryAttempts: number;
  readonly handlerTimeout: Duration;
  readonly replicationLagThreshold: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly parkingRetention: Duration;
  readonly parkingQueueName?: string;
  readonly workflowLogLevel: sfn.LogLevel;
  readonly includeExecutionData: boolean;
  readonly logEncryptionKey?: kms.IKey;
  readonly replicateShadows: boolean;
  readonly iotQuotas: Readonly<Record<string, number>>;
}

/** Applies the defaults and checks every setting; errors name the construct path, the prop and its range. */
export function replaySettings(scope: IConstruct, props: RegistryReplayOptions): ReplaySettings {
  const echoTtl = props.echoTtl ?? Duration.seconds(DEFAULT_ECHO_TTL_SECONDS);
  checkDuration(scope, 'echoTtl', echoTtl, Duration.minutes(1), Duration.days(1));
  const batchSize = props.batchSize ?? 10;
  // Step Functions runs at most 40 inline Map iterations at once; beyond that a batch runs in waves.
  checkInteger(scope, 'batchSize', batchSize, 1, 40);
  const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
  checkDuration(scope, 'maxBatchingWindow', maxBatchingWindow, Duration.seconds(0), Duration.seconds(300));
  const maxRetryAttempts = props.maxRetryAttempts ?? 10;
  checkInteger(scope, 'maxRetryAttempts', maxRetryAttempts, 0, 10000);
  const handlerTimeout = props.handlerTimeout ?? Duration.seconds(15);
  checkDuration(scope, 'handlerTimeout', handlerTimeout, Duration.seconds(3));
  const worstCase = replayWorstCaseSeconds(handlerTimeout);
  if (worstCase >= EXPRESS_LIMIT.toSeconds()) {
    throw propError(
      scope,
      `handlerTimeout ${handlerTimeout.toHumanString()} lets one record's retries take up to ${worstCase} s, ` +
        `beyond the Express workflow limit of ${EXPRESS_LIMIT.toSeconds()} s; use a shorter handlerTimeout`,
    );
  }
  const replicationLagThreshold = props.replicationLagThreshold ?? Duration.minutes(5);
  checkDuration(scope, 'replicationLagThreshold', replicationLagThreshold, Duration.seconds(10));
  const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
  checkMetricsNamespace(scope, 'metricsNamespace', metricsNamespace);
  const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;
  const parkingRetention = props.parkingRetention ?? Duration.seconds(DEFAULT_PARKING_RETENTION_SECONDS);
  checkDuration(scope, 'parkingRetention', parkingRetention, Duration.days(1), Duration.days(14));
  return {
    echoTtl,
    metricsNamespace,
    batchSize,
    maxBatchingWindow,
    maxRetryAttempts,
    handlerTimeout,
    replicationLagThreshold,
    logRetention,
    parkingRetention,
    ...(props.parkingQueueName !== undefined ? { parkingQueueName: checkQueueName(scope, 'parkingQueueName', props.parkingQueueName) } : {}),
    workflowLogLevel: props.workflowLogLevel ?? sfn.LogLevel.ERROR,
    includeExecutionData: props.includeExecutionData ?? false,
    logEncryptionKey: props.logEncryptionKey,
    replicateShadows: props.replicateShadows ?? false,
    iotQuotas: checkIotQuotas(scope, props.iotQuotas ?? {}),
  };
}

/** An SQS standard queue name: 1–80 letters, digits, hyphens and underscores (tokens pass unchecked). */
function checkQueueName(scope: IConstruct, prop: string, name: string): string {
  if (!Token.isUnresolved(name) && !/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw propError(scope, `${prop} must be 1-80 letters, digits, hyphens or underscores, got '${name}'`);
  }
  return name;
}
