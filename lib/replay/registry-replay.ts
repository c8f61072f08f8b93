import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RETRYABLE_ERRORS } from '../../lambda/shared/errors';
import { HANDLER_ENV, JOURNAL_ATTR } from '../../lambda/shared/model';
import { DEFAULT_METRICS_NAMESPACE, METRIC_NAMES } from '../../lambda/shared/telemetry';
import { EchoLedger, type EchoLedgerProps } from './echo-ledger';
import type { IReplicationJournal } from './replication-journal';
import { acknowledgeFinding, acknowledgeWildcardResource } from '../private/acknowledge';
import { DEFAULT_LOG_RETENTION, HandlerFunction } from '../private/handler-function';
import { type IotRegistryResource, iotResourceArn } from '../private/iot';
import { checkDuration, checkInteger, checkMetricsNamespace, propError } from '../private/validate';

/** Names of the replay state machine's states; stable, so tests and runbooks can refer to them. */
export const REPLAY_STATE_NAMES = {
  /** Map over the batch of stream records the pipe delivers. */
  replayEachRecord: 'ReplayEachRecord',
  /** Choice on the journal key's kind prefix. */
  routeByEntityKind: 'RouteByEntityKind',
  replayThing: 'ReplayThing',
  replayThingType: 'ReplayThingType',
  replayThingGroup: 'ReplayThingGroup',
  replayMembership: 'ReplayMembership',
  /** Pass state describing a key of no known kind as an `UnknownEntityKind` error. */
  markUnknownEntityKind: 'MarkUnknownEntityKind',
  /** SQS SendMessage of the failed item to the replay dead-letter queue. */
  sendToDeadLetterQueue: 'SendToDeadLetterQueue',
  /** Ends an iteration whose item was dead-lettered, so the rest of the batch is unaffected. */
  deadLettered: 'DeadLettered',
} as const;

/** States that write to the replay dead-letter queue (an end-to-end test overrides these with local handlers). */
export const REPLAY_DEAD_LETTER_STATE_NAMES: readonly string[] = [REPLAY_STATE_NAMES.sendToDeadLetterQueue];

/** Error name in dead-letter messages for journal keys no replay handler understands. */
export const UNKNOWN_ENTITY_KIND_ERROR = 'UnknownEntityKind';

/** Express workflows stop after five minutes; each item's retries must fit with room to spare. */
const EXPRESS_LIMIT = Duration.minutes(5);

/** A Retry rule, kept as data so the worst case can be computed from exactly what is deployed. */
interface RetryPolicy {
  readonly errors: string[];
  readonly interval: Duration;
  readonly backoffRate: number;
  readonly maxAttempts: number;
  readonly maxDelay: Duration;
}

/** The parent, type or thing is not in this region yet: wait for capture-and-replay to bring it. */
const DEPENDENCY_RETRY: RetryPolicy = {
  errors: [RETRYABLE_ERRORS.dependencyNotReady],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  maxDelay: Duration.seconds(20),
};

/** Throttling, a concurrent local change, an IoT 5xx, or Lambda's own transient errors: retry soon. */
const TRANSIENT_RETRY: RetryPolicy = {
  errors: [
    RETRYABLE_ERRORS.throttled,
    RETRYABLE_ERRORS.conflict,
    RETRYABLE_ERRORS.unavailable,
    'Lambda.TooManyRequestsException',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
  ],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 4,
  maxDelay: Duration.seconds(10),
};

/** A failed SendMessage to the dead-letter queue. */
const DEAD_LETTER_RETRY: RetryPolicy = {
  errors: [sfn.Errors.TASKS_FAILED],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 2,
  maxDelay: Duration.seconds(2),
};

/** Upper bound of the waits of one retrier: FULL jitter draws each wait from [0, min(maxDelay, interval × rate^n)]. */
function maxWaitSeconds(p: RetryPolicy): number {
  let total = 0;
  for (let n = 0; n < p.maxAttempts; n++) {
    total += Math.min(p.maxDelay.toSeconds(), p.interval.toSeconds() * p.backoffRate ** n);
  }
  return total;
}

/**
 * Worst case for one record, in seconds: every attempt of the replay task runs to the handler timeout and
 * every retrier is exhausted with its longest waits, then the dead-letter send is retried too (each
 * SendMessage attempt bounded at 5 s). With the defaults: 11 attempts × 15 s + (70 s + 15 s) waits +
 * 3 × 5 s + 3 s = 268 s, under Express's 300 s. Records of a batch run in parallel (Map concurrency equals
 * the batch size), so this is also the bound for the execution.
 */
export function replayWorstCaseSeconds(handlerTimeout: Duration): number {
  const attempts = 1 + DEPENDENCY_RETRY.maxAttempts + TRANSIENT_RETRY.maxAttempts;
  const deadLetter = (1 + DEAD_LETTER_RETRY.maxAttempts) * 5 + maxWaitSeconds(DEAD_LETTER_RETRY);
  return attempts * handlerTimeout.toSeconds() + maxWaitSeconds(DEPENDENCY_RETRY) + maxWaitSeconds(TRANSIENT_RETRY) + deadLetter;
}

function retryProps(p: RetryPolicy): sfn.RetryProps {
  return { ...p, jitterStrategy: sfn.JitterType.FULL };
}

/** One replay kind: which journal keys it handles, its handler, and the IoT calls it may make. */
interface ReplayKind {
  readonly stateName: string;
  readonly keyPattern: string;
  readonly handler: 'replay-thing' | 'replay-thing-type' | 'replay-thing-group' | 'replay-membership';
  readonly description: string;
  readonly permissions: ReadonlyArray<{ readonly resource: IotRegistryResource; readonly actions: readonly string[] }>;
  /** Whether the handler queries the journal (a recreated group reads its journaled memberships). */
  readonly queriesJournal?: boolean;
}

const REPLAY_KINDS: readonly ReplayKind[] = [
  {
    stateName: REPLAY_STATE_NAMES.replayThing,
    keyPattern: 'thing#*',
    handler: 'replay-thing',
    description: 'things',
    permissions: [
      { resource: 'thing', actions: ['iot:DescribeThing', 'iot:CreateThing', 'iot:UpdateThing', 'iot:DeleteThing'] },
      // DeprecateThingType: a thing that took its type before the type was deprecated is written with the
      // deprecation lifted for the write (IoT accepts no new association with a deprecated type).
      { resource: 'thingtype', actions: ['iot:DescribeThingType', 'iot:DeprecateThingType'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayThingType,
    keyPattern: 'thingType#*',
    handler: 'replay-thing-type',
    description: 'thing types',
    permissions: [
      {
        resource: 'thingtype',
        actions: ['iot:DescribeThingType', 'iot:CreateThingType', 'iot:DeprecateThingType', 'iot:DeleteThingType'],
      },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayThingGroup,
    keyPattern: 'thingGroup#*',
    handler: 'replay-thing-group',
    description: 'thing groups',
    queriesJournal: true,
    permissions: [
      {
        resource: 'thinggroup',
        actions: [
          'iot:DescribeThingGroup',
          'iot:CreateThingGroup',
          'iot:UpdateThingGroup',
          'iot:DeleteThingGroup',
          'iot:AddThingToThingGroup',
        ],
      },
      // Restoring a recreated group's memberships adds things to it.
      { resource: 'thing', actions: ['iot:AddThingToThingGroup'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayMembership,
    keyPattern: 'member#*',
    handler: 'replay-membership',
    description: 'thing group memberships',
    permissions: [
      {
        resource: 'thing',
        actions: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:ListThingGroupsForThing'],
      },
      {
        resource: 'thinggroup',
        actions: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:DescribeThingGroup'],
      },
    ],
  },
];

export interface RegistryReplayProps {
  /** The journal whose stream (in this region) replay consumes. */
  readonly journal: IReplicationJournal;

  /**
   * An echo ledger table to use instead of creating one (key `key`, TTL `expiresAt`). Not with `echoLedgerProps`.
   *
   * @default - a new `EchoLedger`
   */
  readonly existingEchoLedger?: dynamodb.ITableV2;

  /**
   * Settings for the echo ledger this construct creates. Not with `existingEchoLedger`.
   *
   * @default - see `EchoLedgerProps`
   */
  readonly echoLedgerProps?: EchoLedgerProps;

  /**
   * How long a replayed change counts as replay's own when its registry event comes back to capture.
   *
   * @default Duration.hours(1) - registry events arrive within seconds; an hour absorbs capture backlogs
   */
  readonly echoTtl?: Duration;

  /**
   * CloudWatch namespace of the replay handlers' metrics.
   *
   * @default 'IotDr'
   */
  readonly metricsNamespace?: string;

  /**
   * Most stream records per state machine execution; also the Map's concurrency, so a batch runs in one
   * wave and the retry budget holds for the whole execution.
   *
   * @default 10
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
   * @default 10
   */
  readonly maxRetryAttempts?: number;

  /**
   * Timeout of each replay function. Together with the Retry rules it must fit within the Express
   * workflow's five minutes (see `replayWorstCaseSeconds`).
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
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * Customer managed KMS key for the replay dead-letter queue.
   *
   * @default - SQS managed encryption (SSE-SQS)
   */
  readonly queueEncryptionKey?: kms.IKey;

  /**
   * Retention of the functions', the state machine's and the pipe's log groups.
   *
   * @default logs.RetentionDays.THREE_MONTHS - long enough to reconstruct a failover after the fact
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Replay: makes this region's registry match what the other region journaled.
 *
 * An EventBridge Pipe reads this region's journal stream (from the trim horizon) and keeps only inserts and
 * modifications written by another region — the journal's own `originRegion`, since current global tables
 * mark nothing, and TTL deletions have no new image. Each batch starts a synchronous Express execution
 * that maps over the records, routes each by its key's kind to a replay function, retries typed
 * errors with exponential backoff and full jitter, and sends anything that still fails to a dead-letter
 * queue with the key and the error. Replay functions record what they applied in the echo ledger.
 */
export class RegistryReplay extends Construct {
  readonly echoLedger: dynamodb.ITableV2;
  readonly deadLetterQueue: sqs.Queue;
  readonly stateMachine: sfn.StateMachine;
  readonly pipe: pipes.CfnPipe;
  readonly pipeRole: iam.Role;
  /** Replay functions by state name. */
  readonly functions: Record<string, lambda.Function>;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly replicationLagAlarm: cloudwatch.Alarm;
  readonly dashboard?: cloudwatch.Dashboard;
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: RegistryReplayProps) {
    super(scope, id);
    if (props.existingEchoLedger && props.echoLedgerProps) {
      throw propError(this, 'give either existingEchoLedger or echoLedgerProps, not both');
    }
    const echoTtl = props.echoTtl ?? Duration.hours(1);
    checkDuration(this, 'echoTtl', echoTtl, Duration.minutes(1), Duration.days(1));
    const batchSize = props.batchSize ?? 10;
    // Step Functions runs at most 40 inline Map iterations at once; beyond that a batch runs in waves.
    checkInteger(this, 'batchSize', batchSize, 1, 40);
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(1);
    checkDuration(this, 'maxBatchingWindow', maxBatchingWindow, Duration.seconds(0), Duration.seconds(300));
    const maxRetryAttempts = props.maxRetryAttempts ?? 10;
    checkInteger(this, 'maxRetryAttempts', maxRetryAttempts, 0, 10000);
    const handlerTimeout = props.handlerTimeout ?? Duration.seconds(15);
    checkDuration(this, 'handlerTimeout', handlerTimeout, Duration.seconds(3));
    const worstCase = replayWorstCaseSeconds(handlerTimeout);
    if (worstCase >= EXPRESS_LIMIT.toSeconds()) {
      throw propError(
        this,
        `handlerTimeout ${handlerTimeout.toHumanString()} lets one record's retries take up to ${worstCase} s, ` +
          `beyond the Express workflow limit of ${EXPRESS_LIMIT.toSeconds()} s; use a shorter handlerTimeout`,
      );
    }
    const lagThreshold = props.replicationLagThreshold ?? Duration.minutes(5);
    checkDuration(this, 'replicationLagThreshold', lagThreshold, Duration.seconds(10));
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    checkMetricsNamespace(this, 'metricsNamespace', this.metricsNamespace);
    const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;

    this.echoLedger = props.existingEchoLedger ?? new EchoLedger(this, 'EchoLedger', props.echoLedgerProps).table;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: props.queueEncryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED,
      encryptionMasterKey: props.queueEncryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFinding(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the replay pipe and state machine; nothing consumes it automatically.',
    );

    this.functions = {};
    const sendToDeadLetterQueue = this.deadLetterSteps();
    const route = new sfn.Choice(this, REPLAY_STATE_NAMES.routeByEntityKind);
    for (const kind of REPLAY_KINDS) {
      const fn = this.replayFunction(kind, props.journal, echoTtl, handlerTimeout, logRetention);
      this.functions[kind.stateName] = fn;
      const invoke = new tasks.LambdaInvoke(this, kind.stateName, {
        lambdaFunction: fn,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      })
        .addRetry(retryProps(DEPENDENCY_RETRY))
        .addRetry(retryProps(TRANSIENT_RETRY))
        .addCatch(sendToDeadLetterQueue, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      route.when(sfn.Condition.stringMatches('$.key', kind.keyPattern), invoke);
    }
    route.otherwise(
      new sfn.Pass(this, REPLAY_STATE_NAMES.markUnknownEntityKind, {
        parameters: {
          Error: UNKNOWN_ENTITY_KIND_ERROR,
          Cause: sfn.JsonPath.format('No replay handler for journal key {}', sfn.JsonPath.stringAt('$.key')),
        },
        resultPath: '$.error',
      }).next(sendToDeadLetterQueue),
    );

    const record = '$$.Map.Item.Value.dynamodb';
    const eachRecord = new sfn.Map(this, REPLAY_STATE_NAMES.replayEachRecord, {
      itemsPath: sfn.JsonPath.entirePayload,
      maxConcurrency: batchSize,
      // Builds the ReplayTaskInput of lambda/shared/model.ts from the stream record's keys and new image.
      itemSelector: {
        key: sfn.JsonPath.stringAt(`${record}.Keys.${JOURNAL_ATTR.sortKey}.S`),
        partition: sfn.JsonPath.stringAt(`${record}.Keys.${JOURNAL_ATTR.partitionKey}.S`),
        version: sfn.JsonPath.stringAt(`${record}.NewImage.${JOURNAL_ATTR.version}.S`),
        originRegion: sfn.JsonPath.stringAt(`${record}.NewImage.${JOURNAL_ATTR.originRegion}.S`),
        eventTime: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt(`${record}.NewImage.${JOURNAL_ATTR.eventTime}.N`)),
      },
    });
    eachRecord.itemProcessor(route);

    const workflowLogs = new logs.LogGroup(this, 'WorkflowLogs', { retention: logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(eachRecord),
      timeout: EXPRESS_LIMIT,
      tracingEnabled: true,
      logs: { destination: workflowLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: 'cdk-iot-dr: replays journal stream records from the other region into this region\'s IoT registry',
    });
    for (const fn of Object.values(this.functions)) {
      // Invoke permissions cover the function and its versions/aliases (`<arn>:*`); only $LATEST is invoked.
      acknowledgeWildcardResource(
        this.stateMachine.role,
        `${fn.functionArn}:*`,
        'Granted by LambdaInvoke for the function\'s versions and aliases; the role may invoke only this replay function.',
      );
    }
    acknowledgeFinding(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Log delivery (logs:CreateLogDelivery and friends) and X-Ray (xray:PutTraceSegments) support no resource-level permissions.',
    );

    this.pipeRole = new iam.Role(this, 'PipeRole', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Reads the journal stream and starts replay executions (cdk-iot-dr)',
    });
    this.pipe = this.createPipe(props.journal, batchSize, maxBatchingWindow, maxRetryAttempts, logRetention);

    this.deadLetterAlarm = this.metricDeadLetters().createAlarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'cdk-iot-dr: journal items could not be replayed into this region; inspect the replay dead-letter queue',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.replicationLagAlarm = this.metricReplicationLag({ statistic: cloudwatch.Stats.p(99) }).createAlarm(
      this,
      'ReplicationLagAlarm',
      {
        alarmDescription: `cdk-iot-dr: p99 replication lag into this region exceeds ${lagThreshold.toHumanString()}`,
        threshold: lagThreshold.toMilliseconds(),
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    if (props.dashboard) {
      this.dashboard = this.createDashboard();
    }
  }

  /**
   * Time from the source event to its replay here, in milliseconds, as the replay handlers report it
   * (the dimensionless series; pass `dimensionsMap` for one of the handlers' dimension sets).
   */
  metricReplicationLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: METRIC_NAMES.replicationLag,
      statistic: cloudwatch.Stats.p(99),
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Items replayed (the dimensionless series; pass `dimensionsMap` to narrow it). */
  metricItemsReplayed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: METRIC_NAMES.replayed,
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Messages waiting in the replay dead-letter queue (maximum over the period). */
  metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Replay executions that failed as a whole (the pipe then retries the batch). */
  metricFailedExecutions(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1), ...props });
  }

  /** Sends this construct's alarms to `actions` (an SNS topic, for instance). */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.deadLetterAlarm.addAlarmAction(...actions);
    this.replicationLagAlarm.addAlarmAction(...actions);
  }

  /** The dead-letter send shared by every Catch and by unknown kinds, then a successful end. */
  private deadLetterSteps(): sfn.TaskStateBase {
    const send = new tasks.SqsSendMessage(this, REPLAY_STATE_NAMES.sendToDeadLetterQueue, {
      queue: this.deadLetterQueue,
      messageBody: sfn.TaskInput.fromObject({
        key: sfn.JsonPath.stringAt('$.key'),
        partition: sfn.JsonPath.stringAt('$.partition'),
        version: sfn.JsonPath.stringAt('$.version'),
        error: sfn.JsonPath.stringAt('$.error.Error'),
        cause: sfn.JsonPath.stringAt('$.error.Cause'),
      }),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(5)),
    }).addRetry(retryProps(DEAD_LETTER_RETRY));
    send.next(new sfn.Succeed(this, REPLAY_STATE_NAMES.deadLettered));
    return send;
  }

  private replayFunction(
    kind: ReplayKind,
    journal: IReplicationJournal,
    echoTtl: Duration,
    timeout: Duration,
    logRetention: logs.RetentionDays,
  ): lambda.Function {
    const handler = new HandlerFunction(this, `${kind.stateName}Function`, {
      handler: kind.handler,
      description: `Replays journaled ${kind.description} into this region's IoT registry (cdk-iot-dr)`,
      timeout,
      logRetention,
      environment: {
        [HANDLER_ENV.journalTableName]: journal.tableName,
        [HANDLER_ENV.echoLedgerTableName]: this.echoLedger.tableName,
        [HANDLER_ENV.echoTtlSeconds]: String(echoTtl.toSeconds()),
        [HANDLER_ENV.metricsNamespace]: this.metricsNamespace,
      },
    });
    const role = handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: kind.queriesJournal ? ['dynamodb:GetItem', 'dynamodb:Query'] : ['dynamodb:GetItem'], resources: [journal.tableArn] }),
    );
    // EchoLedger.record reads the entity's entry and updates it; forget removes fingerprints with an update.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [this.echoLedger.tableArn] }),
    );
    for (const { resource, actions } of kind.permissions) {
      const arn = iotResourceArn(this, resource);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources: [arn] }));
      acknowledgeWildcardResource(
        role,
        arn,
        `Replay recreates whichever ${resource} the other region journaled; names are not known at deploy time.`,
      );
    }
    journal.encryptionKey?.grantDecrypt(role);
    this.echoLedger.encryptionKey?.grantEncryptDecrypt(role);
    return handler.function;
  }

  private createPipe(
    journal: IReplicationJournal,
    batchSize: number,
    maxBatchingWindow: Duration,
    maxRetryAttempts: number,
    logRetention: logs.RetentionDays,
  ): pipes.CfnPipe {
    const stack = Stack.of(this);
    this.pipeRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [journal.streamArn],
      }),
    );
    this.pipeRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['states:StartSyncExecution'], resources: [this.stateMachine.stateMachineArn] }),
    );
    this.pipeRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    journal.encryptionKey?.grantDecrypt(this.pipeRole);
    this.deadLetterQueue.encryptionMasterKey?.grant(this.pipeRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    const pipeLogs = new logs.LogGroup(this, 'PipeLogs', { retention: logRetention, removalPolicy: RemovalPolicy.RETAIN });
    pipeLogs.grantWrite(this.pipeRole);

    // Only changes another region wrote: this region's own items were captured here and are already
    // applied. REMOVE (TTL expiry of tombstones) has no new image, so it never matches.
    const filter = {
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { [JOURNAL_ATTR.originRegion]: { S: [{ 'anything-but': [stack.region] }] } } },
    };
    const pipe = new pipes.CfnPipe(this, 'Pipe', {
      description: 'cdk-iot-dr: journal stream to the replay state machine',
      roleArn: this.pipeRole.roleArn,
      source: journal.streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize,
          maximumBatchingWindowInSeconds: maxBatchingWindow.toSeconds(),
          maximumRetryAttempts: maxRetryAttempts,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: [{ pattern: stack.toJsonString(filter) }] },
      },
      target: this.stateMachine.stateMachineArn,
      targetParameters: { stepFunctionStateMachineParameters: { invocationType: 'REQUEST_RESPONSE' } },
      logConfiguration: { level: 'ERROR', cloudwatchLogsLogDestination: { logGroupArn: pipeLogs.logGroupArn } },
    });
    // The role's policy must exist before the pipe validates its source and target.
    pipe.node.addDependency(this.pipeRole);
    return pipe;
  }

  private createDashboard(): cloudwatch.Dashboard {
    return new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Replication lag (ms)',
            left: [this.metricReplicationLag({ statistic: cloudwatch.Stats.p(50), label: 'p50' }), this.metricReplicationLag({ label: 'p99' })],
            width: 12,
          }),
          new cloudwatch.GraphWidget({ title: 'Items replayed', left: [this.metricItemsReplayed()], width: 12 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Replay dead letters', left: [this.metricDeadLetters()], width: 12 }),
          new cloudwatch.GraphWidget({ title: 'Failed replay executions', left: [this.metricFailedExecutions()], width: 12 }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Replay alarms', alarms: [this.deadLetterAlarm, this.replicationLagAlarm], width: 24 })],
      ],
    });
  }
}
