import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * The EventBridge global endpoint, created by the PRIMARY region's `AnalyticsEventBus` only: it routes the
 * forwarders' PutEvents to this region's bus while this region's health check is healthy, to the peer
 * region's bus otherwise.
 */
export interface AnalyticsGlobalEndpointOptions {
  /**
   * Name of the global endpoint: 1 to 64 letters, digits, '.', '-' or '_'.
   *
   * @default - the event bus name (`cdk-iot-dr-telemetry`): endpoint and bus names are separate namespaces,
   * and the forwarder finds the endpoint by its id (output `GlobalEndpointId`), not its name
   */
  readonly endpointName?: string;

  /**
   * Whether EventBridge replicates every event put through the endpoint to the other region's bus.
   *
   * @default true - AWS recommends it: the secondary's targets process the same events all along, so
   * a failover finds them proven, and events keep reaching the primary's bus while it recovers
   */
  readonly replication?: boolean;

  /**
   * What the health check's alarm makes of minutes without a latency data point.
   *
   * @default cloudwatch.TreatMissingData.BREACHING - AWS's template for global endpoint health checks: a
   * region whose EventBridge stops reporting is the failure to route around. Choose `MISSING` or
   * `NOT_BREACHING` if telemetry arrives only now and then (an idle primary would otherwise fail over)
   */
  readonly healthCheckMissingData?: cloudwatch.TreatMissingData;

  /**
   * The health check's status while its alarm is in INSUFFICIENT_DATA (just created, or CloudWatch itself
   * cannot evaluate it).
   *
   * @default route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS - a gap in CloudWatch's own
   * evaluation neither fails over nor fails back; a new health check starts healthy
   */
  readonly insufficientDataHealthStatus?: route53.InsufficientDataHealthStatusEnum;
}

/** How a target receives the bus's events; shared by every kind of target. */
export interface AnalyticsTargetOptions {
  /**
   * Name of the target inside the construct (construct ids of its rule, dead-letter queue, role and
   * alarms). Letters and digits, unique per bus.
   *
   * @default - the target resource's construct id (the stream's or state machine's)
   */
  readonly name?: string;

  /**
   * Which events of the bus the target receives.
   *
   * @default - every telemetry event: `source` `cdk-iot-dr.telemetry` and `detail-type` `IoT telemetry message`
   * (what the telemetry forwarder puts)
   */
  readonly eventPattern?: events.EventPattern;

  /**
   * How many times EventBridge retries a failed delivery (with exponential back-off) before it sends the
   * event to the target's dead-letter queue. 0 to 185.
   *
   * @default 185 - EventBridge's maximum: a throttled or briefly unavailable stream or state machine is
   * retried until `maxEventAge`, not dead-lettered after a few seconds
   */
  readonly retryAttempts?: number;

  /**
   * How long EventBridge keeps retrying an event before it sends it to the dead-letter queue. 1 minute to
   * 24 hours.
   *
   * @default Duration.hours(24) - EventBridge's maximum: a target outage of up to a day loses nothing and
   * needs no redrive
   */
  readonly maxEventAge?: Duration;
}

/** A Kinesis Data Streams target. */
export interface AnalyticsKinesisTargetOptions extends AnalyticsTargetOptions {
  /**
   * JSON path, in the event, of the record's partition key.
   *
   * @default '$.detail.topic' - the MQTT topic the telemetry came from (it names the device), so a device's
   * records stay ordered in one shard
   */
  readonly partitionKeyPath?: string;
}

/** What one target of the bus is made of. */
export interface AnalyticsRuleTarget {
  /** The rule on the analytics bus that delivers to the target. */
  readonly rule: events.Rule;
  /** The role EventBridge assumes to deliver (Kinesis `PutRecord`, or Step Functions `StartExecution`). */
  readonly role: iam.Role;
  /** Events EventBridge could not deliver within the retry policy (retained, SSE-SQS, 14 days). */
  readonly deadLetterQueue: sqs.Queue;
  /** Fires when the dead-letter queue holds a message. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** Fires when EventBridge dropped an event: a permanent failure it could not even dead-letter. */
  readonly lostEventsAlarm: cloudwatch.Alarm;
}

export interface AnalyticsEventBusProps {
  /**
   * The iot-services account whose telemetry forwarders put events on this bus (12 digits). Only the
   * forwarder roles of this region and `peerRegion` in that account are admitted.
   */
  readonly iotServicesAccount: string;

  /**
   * The other region of the DR pair. Its forwarder is admitted too: through the global endpoint (and when
   * it fails over) either region's forwarder may put on either region's bus. The primary's global endpoint
   * uses it as its secondary region.
   */
  readonly peerRegion: string;

  /**
   * Name of the bus, the same in both regions (a global endpoint requires it).
   *
   * @default ANALYTICS_EVENT_BUS_NAME (`cdk-iot-dr-telemetry`) - fixed, so the other region and the
   * iot-services account compute its ARN instead of importing it
   */
  readonly eventBusName?: string;

  /**
   * How long the archive keeps the telemetry events for replay. Whole days, 1 to 3650.
   *
   * @default Duration.days(30) - twice the dead-letter queues' 14 days: a consumer bug found within a month
   * can be fixed and its events replayed; archives are billed by the GB, so not forever
   */
  readonly archiveRetention?: Duration;

  /**
   * Customer managed KMS key (in this region) encrypting the bus's events and rules, and the archive. The
   * key policy gets statements letting EventBridge use it for this bus and this archive; a bus dead-letter
   * queue then receives events EventBridge could not decrypt or encrypt.
   *
   * @default - an AWS owned key: free, rotated by AWS, no key policy to maintain; the events are
   * telemetry, not secrets
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Creates the EventBridge global endpoint with its Route 53 health check. Give it to the PRIMARY
   * region's bus only; the secondary's bus needs none.
   *
   * @default - no global endpoint (the secondary region)
   */
  readonly globalEndpoint?: AnalyticsGlobalEndpointOptions;

  /**
   * Average time from ingestion to the start of delivery (EventBridge's `IngestionToInvocationStartLatency`
   * in this region) above which the latency alarm fires and, in the primary, the health check fails.
   *
   * @default Duration.seconds(30) - AWS's template for global endpoint health checks
   */
  readonly latencyThreshold?: Duration;

  /**
   * Consecutive one-minute periods over `latencyThreshold` before the alarm fires. 1 to 60.
   *
   * @default 5 - AWS's template: five minutes of slow delivery, not a blip, triggers a failover
   */
  readonly latencyEvaluationPeriods?: number;

  /**
   * Kinesis data streams receiving every telemetry event (defaults of `addKinesisTarget`).
   *
   * @default - none; add with `addKinesisTarget`
   */
  readonly kinesisStreams?: kinesis.IStream[];

  /**
   * State machines started with every telemetry event (defaults of `addStateMachineTarget`).
   *
   * @default - none; add with `addStateMachineTarget`
   */
  readonly stateMachines?: sfn.IStateMachine[];

  /**
   * Actions of every alarm this construct creates (SNS topics, for instance), targets added later included.
   *
   * @default - none; add with `addAlarmAction`
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
}
