import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

export interface TelemetryForwarderProps {
  /**
   * MQTT topic filter of the telemetry to forward, e.g. `dt/+/telemetry/#`: `+` and `#` only as whole
   * levels, `#` only last, no `'`, at most 256 bytes. Reserved topics (`$aws/...`, anything starting with
   * `$`) need `allowReservedTopics`.
   */
  readonly topicFilter: string;

  /**
   * Whether `topicFilter` may name a reserved topic (starting with `$`, such as `$aws/events/...`).
   *
   * @default false - reserved topics carry AWS's own events (registry events, lifecycle, jobs), rarely
   * telemetry; forwarding them by mistake would flood the analytics bus
   */
  readonly allowReservedTopics?: boolean;

  /** The data-analytics account (12 digits) whose event bus receives the telemetry. */
  readonly analyticsAccount: string;

  /**
   * The other region of the pair, whose analytics bus the global endpoint fails over to. Required with
   * `globalEndpointId`: the function may put events on the bus of either region.
   *
   * @default - none; without a global endpoint only this region's bus is used
   */
  readonly peerRegion?: string;

  /**
   * Name of the analytics event bus (the same in both regions).
   *
   * @default ANALYTICS_EVENT_BUS_NAME (`cdk-iot-dr-telemetry`) - the name AnalyticsEventBus creates
   */
  readonly eventBusName?: string;

  /**
   * Id of the analytics global endpoint (`abcde.veo`, AnalyticsEventBus's `GlobalEndpointId` output). With
   * it, PutEvents goes to `https://<id>.endpoint.events.<suffix>` with `EndpointId`, signed with SigV4a for
   * every region, and EventBridge routes each event to the healthy region's bus.
   *
   * @default - none (phase one): PutEvents goes to this region's analytics bus through the regional endpoint,
   * signed with SigV4; an outage of that bus holds telemetry in the buffer until it recovers
   */
  readonly globalEndpointId?: string;

  /**
   * Customer managed key of the buffer and dead-letter queues. The topic rule's role and the function's
   * role are granted what they need of it (kms:GenerateDataKey and kms:Decrypt).
   *
   * @default - SQS-managed server-side encryption (SSE-SQS): encrypted at rest with no key policy to manage,
   * and IoT's SQS action needs no KMS permission
   */
  readonly queueEncryptionKey?: kms.IKey;

  /**
   * How many times a message is received before it is dead-lettered, 2 to 1000. Each failed receive makes it
   * invisible for 30 s, doubling up to 15 minutes, so the count sets how long a message is held while the bus
   * is unreachable (`holdTime`): 10 → 1 h 15 min, 100 → 23 h 45 min, 1000 → 10 days 8 h 45 min.
   *
   * @default 1000 - SQS's maximum: a message is held about 10 days, close to the buffer's 14-day retention,
   * before it is dead-lettered (with the reason `HoldExpired`)
   */
  readonly maxReceiveCount?: number;

  /**
   * Messages per function invocation, 1 to 10 (PutEvents takes 10 entries per request).
   *
   * @default 10 - one PutEvents request per invocation
   */
  readonly batchSize?: number;

  /**
   * Age of the oldest telemetry still waiting to be forwarded (in the buffer, or held back after failures)
   * that raises `backlogAgeAlarm`. 1 minute to 14 days.
   *
   * @default Duration.minutes(5) - telemetry normally flows in seconds; five minutes late means the bus or the
   * function is failing, and analytics see stale data
   */
  readonly backlogAgeAlarmThreshold?: Duration;

  /**
   * Actions of every alarm of the construct (an SNS topic, for instance); more can be added with
   * `addAlarmAction`.
   *
   * @default - none
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * CloudWatch namespace of the function's metrics.
   *
   * @default DEFAULT_METRICS_NAMESPACE (`IotDr`) - the namespace of every metric of the library
   */
  readonly metricsNamespace?: string;

  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.THREE_MONTHS - the library's default for handler logs
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Customer managed key of the function's log group (its policy is opened to CloudWatch Logs).
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}
