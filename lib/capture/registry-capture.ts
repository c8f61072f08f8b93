import { Annotations, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ManagementEventsTrail, type RegistryCaptureProps } from './registry-capture-props';
import {
  CLOUDTRAIL_DETAIL_TYPE,
  CLOUDTRAIL_EVENT_SOURCE,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_TOMBSTONE_TTL_SECONDS,
  HANDLER_ENV,
  IDENTITY_EVENT_NAMES,
  METRIC_NAMES,
  REGISTRY_EVENT_TOPICS,
  REGISTRY_EVENT_TYPES,
  SHADOW_TOPICS,
} from '../../lambda/contract';
import { acknowledgeCustomResourceProvider, acknowledgeFinding, acknowledgeWildcardResource } from '../private/acknowledge';
import { HandlerFunction } from '../private/handler-function';
import { deadLetterDepth, handlerMetric } from '../private/metrics';
import { iotResourceArn } from '../private/iot';
import { checkDuration, checkMetricsNamespace } from '../private/validate';

/** The capture function's timeout; the queue's visibility timeout is six times this, as Lambda advises. */
const CAPTURE_TIMEOUT = Duration.seconds(30);
/** SQS's maximum retention: a message kept longer than any tombstone could resurrect what it deleted. */
const MAX_QUEUE_RETENTION = Duration.days(14);
/** Age of the oldest capture queue message that means capture is failing or behind. */
const CAPTURE_QUEUE_AGE_ALARM_SECONDS = 300;
const MAX_RECEIVE_COUNT = 5;
/** How long the created trail's log files are kept: capture reads the events from EventBridge, not from them. */
const TRAIL_LOG_RETENTION = Duration.days(90);
/** EventBridge's most patient retry policy: an event the queue refuses for a day goes to the dead-letter queue. */
const EVENT_RETRY_ATTEMPTS = 185;
const EVENT_MAX_AGE = Duration.hours(24);

/**
 * Capture: turns this region's registry events, device-identity API calls and (opt-in) shadow changes into
 * journal items.
 *
 * One IoT topic rule per registry event family (`SELECT *, topic() AS topic FROM '$aws/events/...'`)
 * sends events to an encrypted SQS queue; an EventBridge rule sends the CloudTrail management events of
 * the IoT calls that change device identities (certificates, CA certificates, policies, attachments,
 * principals, provisioning templates, role aliases) to the same queue; with `replicateShadows`, topic rules
 * on the shadow topics do too. The capture function drains it in batches of up to ten, reporting partial
 * failures. A message that fails five times moves to the dead-letter queue, as do messages a rule could not
 * deliver (its error action, EventBridge's dead-letter queue) and events the handler finds malformed.
 *
 * CloudTrail names the caller of every call, so the calls of the pipeline's own roles are recognised
 * exactly: give those roles to `recogniseOwnWrites` (IotRegistryReplication does it for its replay and
 * reconciler).
 */
export class RegistryCapture extends Construct {
  /** The queue the topic rules send registry events (and shadow messages) to, and the EventBridge rule CloudTrail events. */
  readonly queue: sqs.Queue;
  /** Events that could not be delivered, journaled or interpreted. */
  readonly deadLetterQueue: sqs.Queue;
  /** The capture function, draining `queue`. */
  readonly function: lambda.Function;
  /** The role IoT rules assume to send to the queues. */
  readonly ruleRole: iam.Role;
  /** One IoT topic rule per registry event family (things, thing types, type associations, groups, memberships, hierarchy). */
  readonly rules: iot.CfnTopicRule[];
  /** The EventBridge rule sending this region's device-identity CloudTrail events to the queue. */
  readonly identityEventsRule: events.Rule;
  /** The trail recording this region's management events, when `managementEventsTrail` is CREATE. */
  readonly trail?: cloudtrail.Trail;
  /** Where the created trail delivers its log files, when `managementEventsTrail` is CREATE. */
  readonly trailBucket?: s3.Bucket;
  /** One IoT topic rule per shadow topic (classic and named; updates and deletes), when `replicateShadows` is true. */
  readonly shadowRules: iot.CfnTopicRule[];
  /** Whether shadows are captured. */
  readonly replicatesShadows: boolean;
  /** Fires when anything reaches the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /**
   * Fires when the oldest registry event in the capture queue has waited 5 minutes for 5 minutes in a row:
   * capture is failing or not keeping up, and every change waits with it.
   */
  readonly queueAgeAlarm: cloudwatch.Alarm;
  /** CloudWatch namespace of the capture handler's metrics. */
  readonly metricsNamespace: string;

  private readonly ownRoles: iam.IRole[] = [];

  constructor(scope: Construct, id: string, props: RegistryCaptureProps) {
    super(scope, id);
    this.replicatesShadows = props.replicateShadows ?? false;
    const tombstoneTtl = props.tombstoneTtl ?? Duration.seconds(DEFAULT_TOMBSTONE_TTL_SECONDS);
    checkDuration(this, 'tombstoneTtl', tombstoneTtl, Duration.days(1));
    if (!tombstoneTtl.isUnresolved() && tombstoneTtl.toSeconds() < MAX_QUEUE_RETENTION.toSeconds()) {
      Annotations.of(this).addWarningV2(
        'cdk-iot-dr:tombstoneShorterThanQueueRetention',
        `tombstoneTtl (${tombstoneTtl.toHumanString()}) is shorter than the dead-letter queue's retention (14 days): ` +
          'an event redriven after its tombstone expired would bring a deleted entity back.',
      );
    }
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    checkMetricsNamespace(this, 'metricsNamespace', this.metricsNamespace);

    const encryption = props.queueEncryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      // Dead letters await an operator's redrive: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
      encryption,
      encryptionMasterKey: props.queueEncryptionKey,
      enforceSSL: true,
      retentionPeriod: MAX_QUEUE_RETENTION,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption,
      encryptionMasterKey: props.queueEncryptionKey,
      enforceSSL: true,
      retentionPeriod: MAX_QUEUE_RETENTION,
      visibilityTimeout: Duration.seconds(CAPTURE_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    const handler = new HandlerFunction(this, 'Capture', {
      handler: 'capture',
      description: 'Journals this region\'s IoT registry events, device-identity changes and shadows (cdk-iot-dr)',
      timeout: CAPTURE_TIMEOUT,
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      environment: {
        [HANDLER_ENV.journalTableName]: props.journal.tableName,
        [HANDLER_ENV.echoLedgerTableName]: props.echoLedger.tableName,
        [HANDLER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        [HANDLER_ENV.tombstoneTtlSeconds]: String(tombstoneTtl.toSeconds()),
        [HANDLER_ENV.metricsNamespace]: this.metricsNamespace,
        [HANDLER_ENV.accountId]: Stack.of(this).account,
        // Lazy: the pipeline's replay and reconciler roles are created after capture (recogniseOwnWrites).
        [HANDLER_ENV.ownRoleArns]: Lazy.string({ produce: () => this.ownRoles.map((r) => r.roleArn).join(',') }),
        [HANDLER_ENV.shadowsEnabled]: String(this.replicatesShadows),
        [HANDLER_ENV.maxReceiveCount]: String(MAX_RECEIVE_COUNT),
      },
    });
    this.function = handler.function;
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );
    this.grantCapture(handler.role, props);

    this.ruleRole = new iam.Role(this, 'RuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets the registry-event topic rules send to the capture queues (cdk-iot-dr)',
    });
    this.ruleRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn, this.deadLetterQueue.queueArn],
      }),
    );
    props.queueEncryptionKey?.grant(this.ruleRole, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.rules = Object.entries(REGISTRY_EVENT_TOPICS).map(([family, topic]) => this.topicRule(family, topic));
    this.shadowRules = this.replicatesShadows
      ? Object.entries(SHADOW_TOPICS).map(([name, topic]) =>
          this.topicRule(`shadow${name[0].toUpperCase()}${name.slice(1)}`, topic, `capture ${name} shadow messages for replication`),
        )
      : [];

    const trail = props.managementEventsTrail ?? ManagementEventsTrail.CREATE;
    if (trail === ManagementEventsTrail.CREATE) {
      this.trailBucket = this.createTrailBucket();
      this.trail = new cloudtrail.Trail(this, 'Trail', {
        bucket: this.trailBucket,
        isMultiRegionTrail: false,
        includeGlobalServiceEvents: false,
        managementEvents: cloudtrail.ReadWriteType.WRITE_ONLY,
        enableFileValidation: true,
      });
    }
    this.node.addValidation({
      validate: () => {
        if (this.ownRoles.length === 0) {
          Annotations.of(this).addWarningV2(
            'cdk-iot-dr:noOwnWriters',
            "capture recognises no role's IoT calls as the pipeline's own: replay's device-identity writes would come back " +
              'from CloudTrail as local changes. Call recogniseOwnWrites() with the replay roles (IotRegistryReplication does).',
          );
        }
        return [];
      },
    });
    this.identityEventsRule = new events.Rule(this, 'IdentityEventsRule', {
      description: 'cdk-iot-dr: capture device-identity changes (CloudTrail management events of IoT) for replication',
      eventPattern: {
        source: [CLOUDTRAIL_EVENT_SOURCE],
        detailType: [CLOUDTRAIL_DETAIL_TYPE],
        detail: {
          eventSource: ['iot.amazonaws.com'],
          eventName: [...IDENTITY_EVENT_NAMES],
          errorCode: [{ exists: false }],
        },
      },
      targets: [
        new targets.SqsQueue(this.queue, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: EVENT_RETRY_ATTEMPTS,
          maxEventAge: EVENT_MAX_AGE,
        }),
      ],
    });

    if (props.enableRegistryEvents ?? true) {
      this.enableRegistryEvents();
    }

    this.deadLetterAlarm = this.metricDeadLetters().createAlarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'cdk-iot-dr: registry events could not be journaled; inspect the capture dead-letter queue and redrive',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.queueAgeAlarm = this.metricOldestEventAge().createAlarm(this, 'QueueAgeAlarm', {
      alarmDescription:
        `cdk-iot-dr: registry events have waited over ${CAPTURE_QUEUE_AGE_ALARM_SECONDS / 60} minutes in the capture queue: the capture ` +
        "function is failing (read its log group and errors) or throttled; changes reach the journal late until it drains",
      threshold: CAPTURE_QUEUE_AGE_ALARM_SECONDS,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Recognises the IoT calls of `roles` as the pipeline's own writes (echoes), never journaled: replay's
   * functions, its parking consumer, the reconciler. Their CloudTrail events name the role, so the match is
   * exact. May be called after construction (the roles usually are created after capture).
   */
  recogniseOwnWrites(...roles: iam.IRole[]): void {
    for (const role of roles) {
      if (!this.ownRoles.includes(role)) this.ownRoles.push(role);
    }
  }

  /** Age of the oldest registry event in the capture queue, in seconds (maximum over a minute). */
  metricOldestEventAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...props });
  }

  /** Messages waiting in the capture dead-letter queue (maximum over the period). */
  metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return deadLetterDepth(this.deadLetterQueue, props);
  }

  /**
   * Registry events the capture handler could not interpret and dead-lettered (sum over the period; the
   * dimensionless series the handler emits).
   */
  metricMalformedEvents(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(this.metricsNamespace, METRIC_NAMES.malformed, cloudwatch.Stats.SUM, { period: Duration.minutes(5), ...props });
  }

  /** Sends this construct's alarms to `actions` (an SNS topic, for instance). */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.deadLetterAlarm.addAlarmAction(...actions);
    this.queueAgeAlarm.addAlarmAction(...actions);
  }

  /** `SELECT *, topic() AS topic FROM '<topic>'` into the queue; what the queue refuses into the dead-letter queue. */
  private topicRule(family: string, topic: string, description = `capture ${family} registry events for replication`): iot.CfnTopicRule {
    return new iot.CfnTopicRule(this, `${family[0].toUpperCase()}${family.slice(1)}EventsRule`, {
      topicRulePayload: {
        description: `cdk-iot-dr: ${description}`,
        sql: `SELECT *, topic() AS topic FROM '${topic}'`,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        actions: [{ sqs: { queueUrl: this.queue.queueUrl, roleArn: this.ruleRole.roleArn, useBase64: false } }],
        errorAction: { sqs: { queueUrl: this.deadLetterQueue.queueUrl, roleArn: this.ruleRole.roleArn, useBase64: false } },
      },
    });
  }

  private grantCapture(role: iam.Role, props: RegistryCaptureProps): void {
    props.journal.grantCaptureWrite(role);
    props.echoLedger.grantCheckAndClear(role);
    // Malformed events go straight to the dead-letter queue; with a customer key, SendMessage needs the key too.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
    props.queueEncryptionKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    const things = iotResourceArn(this, 'thing');
    const groups = iotResourceArn(this, 'thinggroup');
    const types = iotResourceArn(this, 'thingtype');
    // Describe calls rebuild partial events; DescribeThingType and ListThingGroupsForThing settle two changes
    // of one thing type or membership that IoT stamped with the same millisecond.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iot:DescribeThing', 'iot:ListThingGroupsForThing'], resources: [things] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iot:DescribeThingGroup'], resources: [groups] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iot:DescribeThingType'], resources: [types] }));
    acknowledgeWildcardResource(role, things, 'Capture reads any thing named by a registry event; thing names are not known at deploy time.');
    acknowledgeWildcardResource(role, groups, 'Capture reads any thing group named by a registry event; group names are not known at deploy time.');
    acknowledgeWildcardResource(role, types, 'Capture reads any thing type named by a registry event; type names are not known at deploy time.');

    // After a CloudTrail event capture reads the entity's whole state (identity-adapter.ts), and on a tie again.
    const certs = iotResourceArn(this, 'cert');
    const caCerts = iotResourceArn(this, 'cacert');
    const policies = iotResourceArn(this, 'policy');
    const templates = iotResourceArn(this, 'provisioningtemplate');
    const aliases = iotResourceArn(this, 'rolealias');
    const read = (actions: string[], resources: string[]) => role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    read(['iot:DescribeCertificate'], [certs]);
    read(['iot:DescribeCACertificate'], [caCerts]);
    read(['iot:GetPolicy', 'iot:GetPolicyVersion', 'iot:ListPolicyVersions'], [policies]);
    // A policy's attachments are listed per target: certificates and thing groups.
    read(['iot:ListAttachedPolicies'], [certs, groups]);
    read(['iot:ListThingPrincipals'], [things]);
    read(['iot:DescribeProvisioningTemplate', 'iot:DescribeProvisioningTemplateVersion'], [templates]);
    read(['iot:DescribeRoleAlias'], [aliases]);
    if (this.replicatesShadows) read(['iot:GetThingShadow'], [things]);
    for (const [arn, what] of [
      [certs, 'certificate'],
      [caCerts, 'CA certificate'],
      [policies, 'policy'],
      [templates, 'provisioning template'],
      [aliases, 'role alias'],
    ] as const) {
      acknowledgeWildcardResource(role, arn, `Capture reads any ${what} a CloudTrail event names; names and ids are not known at deploy time.`);
    }
  }

  /**
   * The created trail's bucket: encrypted, TLS only, no public access, its server access logs in a bucket of
   * their own, log files expiring after TRAIL_LOG_RETENTION. Both kept when the stack is deleted (audit records).
   */
  private createTrailBucket(): s3.Bucket {
    const accessLogs = new s3.Bucket(this, 'TrailAccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: TRAIL_LOG_RETENTION }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeFinding(accessLogs, 'AwsSolutions-S1', 'This bucket holds the trail bucket\'s server access logs; logging it would recurse.');
    return new s3.Bucket(this, 'TrailBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      serverAccessLogsBucket: accessLogs,
      lifecycleRules: [{ expiration: TRAIL_LOG_RETENTION }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private enableRegistryEvents(): void {
    const call: cr.AwsSdkCall = {
      service: 'Iot',
      action: 'updateEventConfigurations',
      parameters: {
        eventConfigurations: Object.fromEntries(REGISTRY_EVENT_TYPES.map((t) => [t, { Enabled: true }])),
      },
      physicalResourceId: cr.PhysicalResourceId.of('iot-dr-registry-event-configurations'),
    };
    const resource = new cr.AwsCustomResource(this, 'RegistryEvents', {
      resourceType: 'Custom::IotDrRegistryEventConfigurations',
      onCreate: call,
      onUpdate: call,
      // No onDelete: the event types stay enabled (see enableRegistryEvents).
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['iot:UpdateEventConfigurations'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
    });
    acknowledgeFinding(
      resource,
      'AwsSolutions-IAM5[Resource::*]',
      'iot:UpdateEventConfigurations is an account-level setting with no resource-level permissions.',
    );
    acknowledgeCustomResourceProvider(this);
  }
}
