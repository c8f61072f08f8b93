import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TelemetryForwarderProps } from './telemetry-forwarder-props';
import {
  ANALYTICS_EVENT_BUS_NAME,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT,
  HANDLER_ENV,
  PUT_EVENTS_MAX_ENTRIES,
  TELEMETRY_ENV,
  TELEMETRY_MAX_BACKOFF_SECONDS,
  TELEMETRY_METRICS,
  TELEMETRY_RULE_FIELDS,
  telemetryForwarderRoleName,
  telemetryHoldSeconds,
} from '../../lambda/contract';
import { HandlerFunction } from '../private/handler-function';
import { deadLetterDepth } from '../private/metrics';
import { checkDuration, checkInteger, checkMetricsNamespace, checkRegion, propError } from '../private/validate';

/** SQS's longest retention: the longest outage of the analytics bus the buffer rides out. */
const BUFFER_RETENTION = Duration.days(14);
/** Three attempts of a PutEvents request of at most 5 s each, with room to spare; the queue's visibility timeout is six times it. */
const FORWARDER_TIMEOUT = Duration.seconds(60);
const DEFAULT_BACKLOG_AGE_ALARM_THRESHOLD = Duration.minutes(5);
/** MQTT topics (and IoT rule topic filters) are at most 256 bytes of UTF-8. */
const MAX_TOPIC_FILTER_BYTES = 256;

/**
 * Forwards device telemetry from this region's IoT Core to the analytics event bus of the data-analytics
 * account, and holds it while the bus cannot take it: a broker that stays up is of little use if its data
 * cannot reach its destination. One per iot-services account and region (its role has a fixed name).
 *
 * An IoT topic rule (`SELECT *, topic() AS topic, timestamp() AS receivedAt, traceid() AS traceId FROM
 * '<topicFilter>'`) sends each message to an encrypted SQS buffer (TLS only, 14 days' retention); what the
 * rule cannot deliver goes to the dead-letter queue (its error action). A function drains the buffer in
 * batches of up to ten and puts them on the analytics bus with PutEvents, through the global endpoint
 * (`globalEndpointId`, SigV4a) or on this region's bus (SigV4), retrying only the entries that failed.
 *
 * What fails for a reason that may pass (throttling, 5xx, network, access not granted yet) stays in the
 * buffer, invisible for 30 s after the first failed receive, doubling up to 15 minutes: it flows at most
 * 15 minutes after the bus is back, and is dead-lettered (reason `HoldExpired`) only after `holdTime`.
 * What can never succeed (not JSON, over 256 KB, rejected by EventBridge) goes to the dead-letter queue at
 * once with its reason. Every event's detail carries a `messageId` that is the same on every delivery of
 * one MQTT message, so consumers drop duplicates by it and see each message exactly once in effect; a dead
 * letter redriven into the buffer keeps it.
 *
 * The function's role is named `telemetryForwarderRoleName(region)`, the role the analytics bus's policy
 * admits; it may put events on the analytics bus of this region (and of `peerRegion` with a global
 * endpoint), nothing else of that account.
 */
export class TelemetryForwarder extends Construct {
  /** The buffer the topic rule sends telemetry to, and the function drains. */
  readonly bufferQueue: sqs.Queue;
  /** Telemetry that was malformed, rejected by EventBridge, held for `holdTime`, or not delivered by the rule. */
  readonly deadLetterQueue: sqs.Queue;
  /** The forwarding function. */
  readonly function: lambda.Function;
  /** The function's role, named `telemetryForwarderRoleName(region)`. */
  readonly role: iam.IRole;
  /** The IoT topic rule. */
  readonly topicRule: iot.CfnTopicRule;
  /** The role the topic rule assumes to send to the queues. */
  readonly ruleRole: iam.Role;
  /** The analytics bus ARNs the function may put events on: this region's, and the peer region's with a global endpoint. */
  readonly eventBusArns: string[];
  /** The buffer's maxReceiveCount. */
  readonly maxReceiveCount: number;
  /** How long a message is held while its delivery keeps failing, before it is dead-lettered (from `maxReceiveCount`). */
  readonly holdTime: Duration;
  /** CloudWatch namespace of the function's metrics. */
  readonly metricsNamespace: string;
  /** Fires when telemetry waits longer than `backlogAgeAlarmThreshold` (in the buffer, or held back). */
  readonly backlogAgeAlarm: cloudwatch.Alarm;
  /** Fires when anything reaches the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** Fires when the function fails (crashes, times out): its messages wait for the visibility timeout. */
  readonly errorAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TelemetryForwarderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    checkTopicFilter(this, props.topicFilter, props.allowReservedTopics ?? false);
    if (!Token.isUnresolved(props.analyticsAccount) && !/^\d{12}$/.test(props.analyticsAccount)) {
      throw propError(this, `analyticsAccount must be a 12-digit AWS account id, got '${props.analyticsAccount}'`);
    }
    const busName = props.eventBusName ?? ANALYTICS_EVENT_BUS_NAME;
    if (!Token.isUnresolved(busName) && !/^[A-Za-z0-9._-]{1,256}$/.test(busName)) {
      throw propError(this, `eventBusName must be 1 to 256 letters, digits, '.', '-' or '_', got '${busName}'`);
    }
    if (props.peerRegion !== undefined) {
      checkRegion(this, 'peerRegion', props.peerRegion, 'us-east-1');
      if (!Token.isUnresolved(props.peerRegion) && props.peerRegion === stack.region) {
        throw propError(this, `peerRegion must be the other region of the pair, not this stack's region '${stack.region}'`);
      }
    }
    const endpointId = props.globalEndpointId;
    if (endpointId !== undefined) {
      if (!Token.isUnresolved(endpointId) && !/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(endpointId)) {
        throw propError(this, `globalEndpointId must be an EventBridge endpoint id such as 'abcde.veo', got '${endpointId}'`);
      }
      if (props.peerRegion === undefined) {
        throw propError(this, 'globalEndpointId needs peerRegion: the global endpoint may route events to the bus of either region');
      }
    }
    this.maxReceiveCount = props.maxReceiveCount ?? DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT;
    checkInteger(this, 'maxReceiveCount', this.maxReceiveCount, 2, 1000);
    this.holdTime = Duration.seconds(telemetryHoldSeconds(this.maxReceiveCount));
    const batchSize = props.batchSize ?? PUT_EVENTS_MAX_ENTRIES;
    checkInteger(this, 'batchSize', batchSize, 1, PUT_EVENTS_MAX_ENTRIES);
    const backlogThreshold = props.backlogAgeAlarmThreshold ?? DEFAULT_BACKLOG_AGE_ALARM_THRESHOLD;
    checkDuration(this, 'backlogAgeAlarmThreshold', backlogThreshold, Duration.minutes(1), BUFFER_RETENTION);
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    checkMetricsNamespace(this, 'metricsNamespace', this.metricsNamespace);

    const busArn = (region: string) =>
      stack.formatArn({ service: 'events', region, account: props.analyticsAccount, resource: 'event-bus', resourceName: busName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.eventBusArns = endpointId !== undefined ? [busArn(stack.region), busArn(props.peerRegion!)] : [busArn(stack.region)];

    const encryption = props.queueEncryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      // Dead letters await an operator's redrive into the buffer: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
      encryption,
      encryptionMasterKey: props.queueEncryptionKey,
      enforceSSL: true,
      retentionPeriod: BUFFER_RETENTION,
    });
    this.bufferQueue = new sqs.Queue(this, 'Buffer', {
      encryption,
      encryptionMasterKey: props.queueEncryptionKey,
      enforceSSL: true,
      retentionPeriod: BUFFER_RETENTION,
      visibilityTimeout: Duration.seconds(FORWARDER_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });

    const handler = new HandlerFunction(this, 'Forwarder', {
      handler: 'forwardTelemetry',
      description: 'Forwards IoT telemetry from the buffer queue to the analytics event bus (cdk-iot-dr)',
      timeout: FORWARDER_TIMEOUT,
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      // The analytics bus's policy admits this role by name.
      roleName: telemetryForwarderRoleName(stack.region),
      environment: {
        [TELEMETRY_ENV.eventBusArn]: this.eventBusArns[0],
        ...(endpointId !== undefined ? { [TELEMETRY_ENV.endpointId]: endpointId } : {}),
        [TELEMETRY_ENV.endpointUrl]:
          endpointId !== undefined ? `https://${endpointId}.endpoint.events.${stack.urlSuffix}` : `https://events.${stack.region}.${stack.urlSuffix}`,
        [TELEMETRY_ENV.bufferQueueUrl]: this.bufferQueue.queueUrl,
        [HANDLER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        [HANDLER_ENV.maxReceiveCount]: String(this.maxReceiveCount),
        [HANDLER_ENV.metricsNamespace]: this.metricsNamespace,
      },
    });
    this.function = handler.function;
    this.role = handler.role;
    this.function.addEventSource(
      new SqsEventSource(this.bufferQueue, { batchSize, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true }),
    );
    handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: this.eventBusArns }));
    // Permanent failures and expired holds are dead-lettered by the function itself, with their reason.
    handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
    props.queueEncryptionKey?.grant(handler.role, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.ruleRole = new iam.Role(this, 'RuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'Lets the telemetry topic rule send to the telemetry buffer and its dead-letter queue (cdk-iot-dr)',
    });
    this.ruleRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.bufferQueue.queueArn, this.deadLetterQueue.queueArn] }),
    );
    props.queueEncryptionKey?.grant(this.ruleRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    const f = TELEMETRY_RULE_FIELDS;
    this.topicRule = new iot.CfnTopicRule(this, 'Rule', {
      topicRulePayload: {
        description: `cdk-iot-dr: forward telemetry on '${props.topicFilter}' to the analytics event bus`,
        sql: `SELECT *, topic() AS ${f.topic}, timestamp() AS ${f.receivedAt}, traceid() AS ${f.traceId} FROM '${props.topicFilter}'`,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        actions: [{ sqs: { queueUrl: this.bufferQueue.queueUrl, roleArn: this.ruleRole.roleArn, useBase64: false } }],
        errorAction: { sqs: { queueUrl: this.deadLetterQueue.queueUrl, roleArn: this.ruleRole.roleArn, useBase64: false } },
      },
    });

    this.backlogAgeAlarm = this.metricBacklogAge().createAlarm(this, 'BacklogAgeAlarm', {
      alarmDescription:
        `cdk-iot-dr: telemetry has waited over ${backlogThreshold.toHumanString()} to reach the analytics bus: the bus (or its global ` +
        'endpoint) is unreachable, refuses the forwarder, or the forwarder is failing; telemetry is held in the buffer and flows ' +
        `once the cause is fixed (dead-lettered after ${this.holdTime.toHumanString()})`,
      threshold: backlogThreshold.toSeconds(),
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm = deadLetterDepth(this.deadLetterQueue).createAlarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        'cdk-iot-dr: telemetry reached the forwarder dead-letter queue; read each message\'s reason, fix the cause and redrive it ' +
        'into the buffer (it keeps its messageId)',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.errorAlarm = this.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, 'ErrorAlarm', {
      alarmDescription: 'cdk-iot-dr: the telemetry forwarder function failed (read its log group); its messages wait in the buffer',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmActions?.length) this.addAlarmAction(...props.alarmActions);
  }

  /**
   * Age of the oldest telemetry not yet forwarded, in seconds: the larger of the buffer's
   * ApproximateAgeOfOldestMessage and the age of the oldest message the function held back. SQS stops
   * counting a message in its age metric once it has been received three times, so during an outage only
   * the function's figure keeps growing. Maximum over 15 minutes (the longest backoff), so every held
   * message is received at least once per period.
   */
  metricBacklogAge(): cloudwatch.MathExpression {
    const period = Duration.seconds(TELEMETRY_MAX_BACKOFF_SECONDS);
    return new cloudwatch.MathExpression({
      expression: 'MAX([bufferAge, heldAgeMs / 1000])',
      usingMetrics: {
        bufferAge: this.bufferQueue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period }),
        heldAgeMs: this.metricHandler(TELEMETRY_METRICS.heldMessageAge, cloudwatch.Stats.MAXIMUM, period),
      },
      label: 'Oldest telemetry not yet forwarded (s)',
      period,
    });
  }

  /** Messages put on the analytics bus (sum over the period, 5 minutes unless `props` says otherwise). */
  metricForwarded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricHandler(TELEMETRY_METRICS.forwarded, cloudwatch.Stats.SUM, Duration.minutes(5), props);
  }

  /** Messages held back in the buffer after a failure that may pass (sum over the period). */
  metricHeldBack(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricHandler(TELEMETRY_METRICS.heldBack, cloudwatch.Stats.SUM, Duration.minutes(5), props);
  }

  /** Messages waiting in the dead-letter queue (maximum over a minute). */
  metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return deadLetterDepth(this.deadLetterQueue, props);
  }

  /** Sends this construct's alarms to `actions` (an SNS topic, for instance). */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.backlogAgeAlarm.addAlarmAction(...actions);
    this.deadLetterAlarm.addAlarmAction(...actions);
    this.errorAlarm.addAlarmAction(...actions);
  }

  private metricHandler(metricName: string, statistic: string, period: Duration, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: this.metricsNamespace, metricName, statistic, period, ...props });
  }
}

/**
 * An IoT rule topic filter: MQTT levels, `+` and `#` only as whole levels and `#` only last, no `'` (it sits
 * inside the rule's SQL string), at most 256 bytes; reserved topics (`$...`) only when allowed.
 */
function checkTopicFilter(scope: Construct, filter: string, allowReserved: boolean): void {
  if (Token.isUnresolved(filter)) return;
  const fail = (why: string) => propError(scope, `topicFilter '${filter}' ${why}`);
  if (filter === '') throw propError(scope, "topicFilter must not be empty; use '#' for every topic");
  if (Buffer.byteLength(filter) > MAX_TOPIC_FILTER_BYTES) throw fail(`is over ${MAX_TOPIC_FILTER_BYTES} bytes`);
  if (/['\u0000]/.test(filter)) throw fail("must not contain ' or NUL characters");
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) throw fail("may use '#' only as its whole last level, e.g. 'dt/#'");
    if (level.includes('+') && level !== '+') throw fail("may use '+' only as a whole level, e.g. 'dt/+/telemetry'");
  });
  if (filter.startsWith('$') && !allowReserved) {
    throw fail("names a reserved topic (starting with '$', such as '$aws/...'); set allowReservedTopics if that is intended");
  }
}
