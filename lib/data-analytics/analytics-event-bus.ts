import { Aws, CfnOutput, Duration, type IResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type {
  AnalyticsEventBusProps,
  AnalyticsGlobalEndpointOptions,
  AnalyticsKinesisTargetOptions,
  AnalyticsRuleTarget,
  AnalyticsTargetOptions,
} from './analytics-event-bus-props';
import { ANALYTICS_EVENT_BUS_NAME, TELEMETRY_DETAIL_TYPE, TELEMETRY_EVENT_SOURCE, telemetryForwarderRoleName } from '../../lambda/contract/analytics';
import { acknowledgeFinding } from '../private/acknowledge';
import { deliveryTarget } from '../private/event-targets';
import { deadLetterDepth } from '../private/metrics';
import { checkDuration, checkInteger, checkRegion, propError } from '../private/validate';

const DEAD_LETTER_RETENTION = Duration.days(14);
const DEFAULT_ARCHIVE_RETENTION = Duration.days(30);
const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_MAX_EVENT_AGE = Duration.hours(24);
const DEFAULT_PARTITION_KEY_PATH = '$.detail.topic';
const DEFAULT_LATENCY_THRESHOLD = Duration.seconds(30);
const DEFAULT_LATENCY_EVALUATION_PERIODS = 5;
const EVENT_BUS_NAME = /^[.\-_A-Za-z0-9]{1,256}$/;
const ENDPOINT_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const TARGET_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const DEAD_LETTER_REASON =
  'This queue is itself a dead-letter queue: EventBridge sends it the events it could not deliver to the rule target ' +
  '(a rule DeadLetterConfig, which cdk-nag does not recognise as one; only SQS redrive policies are). ';

/**
 * The analytics event bus of the data-analytics account in one region: a custom EventBridge bus (the same
 * name in both regions) that admits the telemetry forwarders of the iot-services account, an archive of the
 * telemetry for replay, the rules delivering it to Kinesis data streams and Step Functions state machines
 * (each with a retry policy, a retained dead-letter queue and alarms), and — in the primary region only —
 * the EventBridge global endpoint with event replication and the Route 53 health check it fails over on.
 *
 * Deploy the secondary region's bus first: the primary's global endpoint names it.
 */
export class AnalyticsEventBus extends Construct {
  /** Stack output (logical id) holding the global endpoint's id, which the telemetry forwarders put with. */
  static readonly GLOBAL_ENDPOINT_ID_OUTPUT: string = 'GlobalEndpointId';
  /** Stack output (logical id) holding the global endpoint's URL. */
  static readonly GLOBAL_ENDPOINT_URL_OUTPUT: string = 'GlobalEndpointUrl';

  /**
   * The ARN of the analytics bus in `account` and `region`: what the forwarder (another account) and the
   * other region put to, computed rather than imported.
   *
   * @param partition @default - the deploying stack's partition (`AWS::Partition`)
   * @param eventBusName @default ANALYTICS_EVENT_BUS_NAME
   */
  static eventBusArnFor(account: string, region: string, partition?: string, eventBusName?: string): string {
    return `arn:${partition ?? Aws.PARTITION}:events:${region}:${account}:event-bus/${eventBusName ?? ANALYTICS_EVENT_BUS_NAME}`;
  }

  /**
   * The ARN of the telemetry forwarder's role in the iot-services `account` of `region` (its name is fixed
   * by `telemetryForwarderRoleName`).
   *
   * @param partition @default - the deploying stack's partition (`AWS::Partition`)
   */
  static forwarderRoleArnFor(account: string, region: string, partition?: string): string {
    return `arn:${partition ?? Aws.PARTITION}:iam::${account}:role/${telemetryForwarderRoleName(region)}`;
  }

  /** The bus. */
  readonly eventBus: events.EventBus;
  /** Name of the bus (the same in both regions). */
  readonly eventBusName: string;
  /** ARN of the bus. */
  readonly eventBusArn: string;
  /** ARN of the peer region's bus (same account, same name). */
  readonly peerEventBusArn: string;
  /** The archive of the telemetry events, for replay (`StartReplay` into this bus). */
  readonly archive: events.Archive;
  /** How long the archive keeps events. */
  readonly archiveRetention: Duration;
  /** The forwarder roles the bus policy admits (this region's and the peer region's). */
  readonly forwarderRoleArns: string[];
  /**
   * Fires when EventBridge in this region is slow to start deliveries (average `IngestionToInvocationStartLatency`
   * over `latencyThreshold`). Minutes without data count as healthy: a quiet bus is not a failing one.
   */
  readonly latencyAlarm: cloudwatch.Alarm;
  /**
   * With a customer managed key only: events EventBridge could not encrypt or decrypt (a key disabled, or a
   * key policy missing EventBridge). Retained, SSE-SQS, 14 days.
   */
  readonly busDeadLetterQueue?: sqs.Queue;
  /** With a customer managed key only: fires when the bus dead-letter queue holds a message. */
  readonly busDeadLetterAlarm?: cloudwatch.Alarm;
  /** The global endpoint (primary region only). */
  readonly globalEndpoint?: events.CfnEndpoint;
  /** Id of the global endpoint, which PutEvents takes as `EndpointId` (stack output `GlobalEndpointId`). */
  readonly endpointId?: string;
  /** URL of the global endpoint (stack output `GlobalEndpointUrl`). */
  readonly endpointUrl?: string;
  /** ARN of the global endpoint. */
  readonly endpointArn?: string;
  /** The Route 53 health check the global endpoint fails over on (primary region only). */
  readonly healthCheck?: route53.HealthCheck;
  /** ARN of the health check, as the endpoint's routing config names it. */
  readonly healthCheckArn?: string;
  /**
   * The alarm the health check watches: the same latency as `latencyAlarm`, but minutes without data treated
   * as `healthCheckMissingData` says. A routing signal: `addAlarmAction` leaves it alone.
   */
  readonly healthCheckAlarm?: cloudwatch.Alarm;
  /** The role EventBridge replicates events with (primary region, replication on). */
  readonly replicationRole?: iam.Role;

  private readonly targetList: AnalyticsRuleTarget[] = [];
  private readonly alarmActions: cloudwatch.IAlarmAction[] = [];
  private readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AnalyticsEventBusProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const region = stack.region;
    this.checkAccount(props.iotServicesAccount);
    checkRegion(this, 'peerRegion', props.peerRegion, 'us-east-1');
    if (!Token.isUnresolved(region) && !Token.isUnresolved(props.peerRegion) && props.peerRegion === region) {
      throw propError(this, `peerRegion must be the other region of the DR pair, not this stack's region '${region}'`);
    }
    this.eventBusName = props.eventBusName ?? ANALYTICS_EVENT_BUS_NAME;
    if (!Token.isUnresolved(this.eventBusName) && (!EVENT_BUS_NAME.test(this.eventBusName) || this.eventBusName === 'default')) {
      throw propError(this, `eventBusName must be 1 to 256 letters, digits, '.', '-' or '_' (not 'default'), got '${this.eventBusName}'`);
    }
    this.archiveRetention = props.archiveRetention ?? DEFAULT_ARCHIVE_RETENTION;
    checkDuration(this, 'archiveRetention', this.archiveRetention, Duration.days(1), Duration.days(3650));
    if (!this.archiveRetention.isUnresolved() && this.archiveRetention.toSeconds() % 86_400 !== 0) {
      throw propError(this, `archiveRetention must be whole days, got ${this.archiveRetention.toHumanString()}`);
    }
    const latencyThreshold = props.latencyThreshold ?? DEFAULT_LATENCY_THRESHOLD;
    checkDuration(this, 'latencyThreshold', latencyThreshold, Duration.seconds(1), Duration.hours(1));
    const evaluationPeriods = props.latencyEvaluationPeriods ?? DEFAULT_LATENCY_EVALUATION_PERIODS;
    checkInteger(this, 'latencyEvaluationPeriods', evaluationPeriods, 1, 60);
    if (props.globalEndpoint && Token.isUnresolved(region)) {
      throw propError(
        this,
        "globalEndpoint needs a stack with a concrete region (env: { region }): the endpoint's health check alarm and " +
          'its secondary region are fixed at synth time',
      );
    }

    // The bus's ARN computed from its name, for the policies the bus itself references (its key's, its queue's):
    // a GetAtt there would make the bus and them depend on each other.
    const busArnByName = AnalyticsEventBus.eventBusArnFor(stack.account, region, stack.partition, this.eventBusName);
    if (props.encryptionKey) {
      this.busDeadLetterQueue = this.deadLetterQueue('BusDeadLetterQueue');
      this.busDeadLetterQueue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisBusToDeadLetter',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [this.busDeadLetterQueue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': busArnByName } },
        }),
      );
    }
    this.eventBus = new events.EventBus(this, 'Bus', {
      eventBusName: this.eventBusName,
      description: 'cdk-iot-dr: telemetry from the IoT services account, put by its telemetry forwarders',
      kmsKey: props.encryptionKey,
      deadLetterQueue: this.busDeadLetterQueue,
    });
    this.eventBusArn = this.eventBus.eventBusArn;
    this.peerEventBusArn = AnalyticsEventBus.eventBusArnFor(stack.account, props.peerRegion, stack.partition, this.eventBusName);

    // The forwarder roles are named by a condition on the account principal, not as principals: EventBridge (like
    // IAM) rejects a principal that does not exist yet, and the iot-services account deploys on its own schedule.
    this.forwarderRoleArns = [region, props.peerRegion].map((r) => AnalyticsEventBus.forwarderRoleArnFor(props.iotServicesAccount, r, stack.partition));
    this.eventBus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowTelemetryForwarders',
        principals: [new iam.AccountPrincipal(props.iotServicesAccount)],
        actions: ['events:PutEvents'],
        resources: [this.eventBusArn],
        conditions: { ArnEquals: { 'aws:PrincipalArn': this.forwarderRoleArns } },
      }),
    );

    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.eventBus,
      description: `cdk-iot-dr: telemetry events of ${this.eventBusName}, kept ${this.archiveRetention.toDays()} days for replay`,
      eventPattern: { source: [TELEMETRY_EVENT_SOURCE] },
      retention: this.archiveRetention,
    });
    if (props.encryptionKey) this.encryptArchive(props.encryptionKey, busArnByName);

    this.latencyAlarm = this.metricIngestionLatency().createAlarm(this, 'LatencyAlarm', {
      alarmDescription:
        `cdk-iot-dr: EventBridge in ${region} has taken over ${latencyThreshold.toHumanString()} on average to start delivering events ` +
        `for ${evaluationPeriods} minutes; telemetry reaches its targets late.` +
        (props.globalEndpoint ? ' The global endpoint fails over to the peer region on the same signal (its own health check alarm).' : ''),
      threshold: latencyThreshold.toMilliseconds(),
      evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(this.latencyAlarm);
    if (this.busDeadLetterQueue) {
      this.busDeadLetterAlarm = deadLetterDepth(this.busDeadLetterQueue).createAlarm(this, 'BusDeadLetterAlarm', {
        alarmDescription:
          `cdk-iot-dr: the ${this.eventBusName} bus could not encrypt or decrypt events with its KMS key (disabled key or key policy); ` +
          'they wait in the bus dead-letter queue. Fix the key, then put them again.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.alarms.push(this.busDeadLetterAlarm);
    }

    if (props.globalEndpoint) {
      const endpoint = this.createGlobalEndpoint(props.globalEndpoint, props.peerRegion, latencyThreshold, evaluationPeriods);
      this.globalEndpoint = endpoint.endpoint;
      this.healthCheck = endpoint.healthCheck;
      this.healthCheckArn = endpoint.healthCheckArn;
      this.healthCheckAlarm = endpoint.alarm;
      this.replicationRole = endpoint.replicationRole;
      this.endpointId = this.globalEndpoint.attrEndpointId;
      this.endpointUrl = this.globalEndpoint.attrEndpointUrl;
      this.endpointArn = this.globalEndpoint.attrArn;
      const idOutput = new CfnOutput(this, AnalyticsEventBus.GLOBAL_ENDPOINT_ID_OUTPUT, {
        description: 'The analytics global endpoint: the EndpointId the telemetry forwarders put events with',
        value: this.endpointId,
      });
      idOutput.overrideLogicalId(AnalyticsEventBus.GLOBAL_ENDPOINT_ID_OUTPUT);
      const urlOutput = new CfnOutput(this, AnalyticsEventBus.GLOBAL_ENDPOINT_URL_OUTPUT, {
        description: 'The analytics global endpoint URL',
        value: this.endpointUrl,
      });
      urlOutput.overrideLogicalId(AnalyticsEventBus.GLOBAL_ENDPOINT_URL_OUTPUT);
    }

    if (props.alarmActions) this.addAlarmAction(...props.alarmActions);
    for (const stream of props.kinesisStreams ?? []) this.addKinesisTarget(stream);
    for (const machine of props.stateMachines ?? []) this.addStateMachineTarget(machine);
  }

  /** The targets added so far. */
  get targets(): AnalyticsRuleTarget[] {
    return [...this.targetList];
  }

  /**
   * Delivers the telemetry (or `options.eventPattern`) to a Kinesis data stream, partitioned by MQTT topic.
   * EventBridge gets a role of its own with `kinesis:PutRecord` on the stream (and `kms:GenerateDataKey` on
   * its key, if it has one) and a dead-letter queue.
   */
  addKinesisTarget(stream: kinesis.IStream, options: AnalyticsKinesisTargetOptions = {}): AnalyticsRuleTarget {
    const name = this.targetName(options, stream, 'Kinesis');
    this.checkSameEnvironment(name, stream);
    const partitionKeyPath = options.partitionKeyPath ?? DEFAULT_PARTITION_KEY_PATH;
    if (!Token.isUnresolved(partitionKeyPath) && !/^\$(\.[^.\s]+)+$/.test(partitionKeyPath)) {
      throw propError(this, `${name}: partitionKeyPath must be a JSON path such as '$.detail.topic', got '${partitionKeyPath}'`);
    }
    const role = this.deliveryRole(name);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kinesis:PutRecord'], resources: [stream.streamArn] }));
    if (stream.encryptionKey) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [stream.encryptionKey.keyArn] }));
    }
    return this.addTarget(name, stream.streamArn, role, options, `the Kinesis data stream ${stream.node.path}`, partitionKeyPath);
  }

  /**
   * Starts `stateMachine` with each telemetry event (or each event of `options.eventPattern`) as its input.
   * EventBridge gets a role of its own with `states:StartExecution` on the state machine and a dead-letter
   * queue. Standard and Express state machines alike (an Express one runs asynchronously).
   */
  addStateMachineTarget(stateMachine: sfn.IStateMachine, options: AnalyticsTargetOptions = {}): AnalyticsRuleTarget {
    const name = this.targetName(options, stateMachine, 'StateMachine');
    this.checkSameEnvironment(name, stateMachine);
    const role = this.deliveryRole(name);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }));
    return this.addTarget(name, stateMachine.stateMachineArn, role, options, `the state machine ${stateMachine.node.path}`);
  }

  /** Sends every alarm of this construct, except the health check's routing alarm, to `actions`. */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.alarmActions.push(...actions);
    for (const alarm of this.alarms) alarm.addAlarmAction(...actions);
  }

  /**
   * EventBridge's average time from ingestion to the start of the first delivery in this region
   * (`AWS/Events` `IngestionToInvocationStartLatency`, milliseconds, one-minute periods). Region-wide, like
   * AWS's own global endpoint health check: it measures EventBridge, not how fast a target consumes.
   */
  metricIngestionLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'IngestionToInvocationStartLatency',
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      ...props,
    });
  }

  /** Deliveries of `rule` (a rule on this bus) that failed permanently (sum; EventBridge reports non-zero values only). */
  metricFailedInvocations(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.ruleMetric('FailedInvocations', rule, props);
  }

  /** Events of `rule` (a rule on this bus) sent to its dead-letter queue (sum). */
  metricDeadLetterInvocations(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.ruleMetric('DeadLetterInvocations', rule, props);
  }

  /** Events of `rule` (a rule on this bus) that could not even be sent to its dead-letter queue (sum): lost. */
  metricInvocationsFailedToBeSentToDlq(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.ruleMetric('InvocationsFailedToBeSentToDlq', rule, props);
  }

  private ruleMetric(metricName: string, rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName,
      // Rules of a custom bus report under both dimensions.
      dimensionsMap: { EventBusName: this.eventBus.eventBusName, RuleName: rule.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(1),
      ...props,
    });
  }

  private checkAccount(account: string): void {
    if (!Token.isUnresolved(account) && !/^\d{12}$/.test(account)) {
      throw propError(this, `iotServicesAccount must be a 12-digit account id, got '${account}'`);
    }
  }

  /** EventBridge delivers to streams and state machines of its own account and region only (other accounts get buses). */
  private checkSameEnvironment(name: string, target: IResource): void {
    const stack = Stack.of(this);
    for (const [dimension, mine, theirs] of [
      ['account', stack.account, target.env.account],
      ['region', stack.region, target.env.region],
    ]) {
      if (!Token.isUnresolved(mine) && !Token.isUnresolved(theirs) && mine !== theirs) {
        throw propError(this, `${name}: the target is in ${dimension} '${theirs}', the bus in '${mine}'; a rule delivers to its own ${dimension} only`);
      }
    }
  }

  private targetName(options: AnalyticsTargetOptions, target: Construct, kind: string): string {
    const name = options.name ?? `${kind}${target.node.id.replace(/[^A-Za-z0-9]/g, '')}`;
    if (!TARGET_NAME.test(name)) {
      throw propError(this, `a target name must be 1 to 64 letters and digits, starting with a letter, got '${name}'`);
    }
    if (this.node.tryFindChild(`${name}Rule`)) {
      throw propError(this, `a target named '${name}' already exists on this bus: pass a distinct name in the target's options`);
    }
    return name;
  }

  private deliveryRole(name: string): iam.Role {
    return new iam.Role(this, `${name}Role`, {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `cdk-iot-dr: EventBridge delivers the ${this.eventBusName} bus's events to the ${name} target`,
    });
  }

  private addTarget(
    name: string,
    arn: string,
    role: iam.Role,
    options: AnalyticsTargetOptions,
    what: string,
    partitionKeyPath?: string,
  ): AnalyticsRuleTarget {
    const retryAttempts = options.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
    checkInteger(this, `${name}: retryAttempts`, retryAttempts, 0, 185);
    const maxEventAge = options.maxEventAge ?? DEFAULT_MAX_EVENT_AGE;
    checkDuration(this, `${name}: maxEventAge`, maxEventAge, Duration.minutes(1), Duration.hours(24));
    const deadLetterQueue = this.deadLetterQueue(`${name}DeadLetterQueue`);
    const rule = new events.Rule(this, `${name}Rule`, {
      eventBus: this.eventBus,
      description: `cdk-iot-dr: delivers telemetry of the ${this.eventBusName} bus to ${what}`.slice(0, 512),
      eventPattern: options.eventPattern ?? { source: [TELEMETRY_EVENT_SOURCE], detailType: [TELEMETRY_DETAIL_TYPE] },
    });
    rule.addTarget(deliveryTarget({ arn, role, deadLetterQueue, retryAttempts, maxEventAge, partitionKeyPath }));

    const deadLetterAlarm = deadLetterDepth(deadLetterQueue).createAlarm(this, `${name}DeadLetterAlarm`, {
      alarmDescription:
        `cdk-iot-dr: telemetry could not be delivered to ${what} within ${retryAttempts} retries or ${maxEventAge.toHumanString()}; ` +
        'it waits in the dead-letter queue (14 days). Fix the target, then redrive or replay from the archive.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const lost = new cloudwatch.MathExpression({
      expression: 'FILL(failed, 0) + FILL(undeliverable, 0)',
      usingMetrics: { failed: this.metricFailedInvocations(rule), undeliverable: this.metricInvocationsFailedToBeSentToDlq(rule) },
      period: Duration.minutes(1),
      label: 'Events lost',
    });
    const lostEventsAlarm = lost.createAlarm(this, `${name}LostEventsAlarm`, {
      alarmDescription:
        `cdk-iot-dr: EventBridge dropped telemetry meant for ${what}: the delivery failed and the event could not be dead-lettered ` +
        "(queue policy or queue deleted). Replay the window from the bus's archive once fixed.",
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [deadLetterAlarm, lostEventsAlarm]) {
      this.alarms.push(alarm);
      if (this.alarmActions.length > 0) alarm.addAlarmAction(...this.alarmActions);
    }
    const target: AnalyticsRuleTarget = { rule, role, deadLetterQueue, deadLetterAlarm, lostEventsAlarm };
    this.targetList.push(target);
    return target;
  }

  /**
   * Encrypts the archive with the bus's key. Set on the L1: the L2's `kmsKey` names the bus by GetAtt in the key
   * policy, a cycle (bus → key → bus) when the key lives in this stack.
   */
  private encryptArchive(key: kms.IKey, busArn: string): void {
    (this.archive.node.defaultChild as events.CfnArchive).kmsKeyIdentifier = key.keyArn;
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeArchiveOfTheAnalyticsBus',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncrypt*'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': busArn } },
      }),
    );
  }

  private deadLetterQueue(id: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      // Dead letters await an operator's redrive: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
      // SSE-SQS: EventBridge sends to it with no key policy to maintain (a customer managed key would need one).
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    acknowledgeFinding(queue, 'AwsSolutions-SQS3', DEAD_LETTER_REASON + 'A dead-letter queue needs no dead-letter queue of its own.');
    return queue;
  }

  private createGlobalEndpoint(options: AnalyticsGlobalEndpointOptions, peerRegion: string, threshold: Duration, evaluationPeriods: number) {
    const stack = Stack.of(this);
    const name = options.endpointName ?? this.eventBusName;
    if (!Token.isUnresolved(name) && !ENDPOINT_NAME.test(name)) {
      throw propError(
        this,
        `globalEndpoint.endpointName must be 1 to 64 letters, digits, '.', '-' or '_' (it defaults to the event bus name), got '${name}'`,
      );
    }
    const alarm = this.metricIngestionLatency().createAlarm(this, 'HealthCheckAlarm', {
      alarmDescription:
        `cdk-iot-dr: Route 53 health check of the ${name} global endpoint. In ALARM, the endpoint sends the forwarders' events to ` +
        `${peerRegion} instead of ${stack.region} (EventBridge's start-of-delivery latency over ${threshold.toHumanString()} for ${evaluationPeriods} minutes).`,
      threshold: threshold.toMilliseconds(),
      evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: options.healthCheckMissingData ?? cloudwatch.TreatMissingData.BREACHING,
    });
    const healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: route53.HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { region: stack.region, name: alarm.alarmName },
      insufficientDataHealthStatus: options.insufficientDataHealthStatus ?? route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
    });
    const healthCheckArn = stack.formatArn({
      service: 'route53',
      region: '',
      account: '',
      resource: 'healthcheck',
      resourceName: healthCheck.healthCheckId,
    });

    const replicate = options.replication ?? true;
    let replicationRole: iam.Role | undefined;
    if (replicate) {
      replicationRole = new iam.Role(this, 'ReplicationRole', {
        assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
        description: `cdk-iot-dr: EventBridge replicates the ${name} global endpoint's events between ${stack.region} and ${peerRegion}`,
      });
      replicationRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBusArn, this.peerEventBusArn] }),
      );
    }
    const endpoint = new events.CfnEndpoint(this, 'GlobalEndpoint', {
      name,
      description: `cdk-iot-dr: telemetry to ${stack.region}, failing over to ${peerRegion} on the health check`,
      eventBuses: [{ eventBusArn: this.eventBusArn }, { eventBusArn: this.peerEventBusArn }],
      routingConfig: { failoverConfig: { primary: { healthCheck: healthCheckArn }, secondary: { route: peerRegion } } },
      replicationConfig: { state: replicate ? 'ENABLED' : 'DISABLED' },
      roleArn: replicationRole?.roleArn,
    });
    if (replicationRole) endpoint.node.addDependency(replicationRole);
    return { endpoint, healthCheck, healthCheckArn, alarm, replicationRole };
  }
}
