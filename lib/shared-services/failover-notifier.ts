import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FailoverRouting } from './failover-routing';
import { FAILOVER_ENV, FAILOVER_NOTICE_TOPIC } from '../../lambda/contract/failover';
import { acknowledgeFinding } from '../private/acknowledge';
import { HandlerFunction } from '../private/handler-function';
import { deadLetterDepth } from '../private/metrics';
import { propError } from '../private/validate';

export interface FailoverNotifierProps {
  /** The failover records and health checks whose alarms this notifier follows. */
  readonly routing: FailoverRouting;
  /**
   * Role in the iot-services account of the primary region the notifier assumes to publish there (it needs
   * `iot:Publish` on `topic/cdk-iot-dr/failover` and must trust this notifier's role, `publishRole`).
   * @default - publish with the notifier's own role: IoT Core is in this account (iot:Publish is granted here)
   */
  readonly primaryPublishRoleArn?: string;
  /**
   * The same for the secondary region.
   * @default - publish with the notifier's own role: IoT Core is in this account
   */
  readonly secondaryPublishRoleArn?: string;
  /**
   * Whether the notifier also UPSERTs the TXT record `active-region.<domain>` when the primary's health
   * check changes state, so the record follows automatic failovers too (not only the operator command
   * and the region-switch plan).
   * @default true
   */
  readonly updateActiveRegionRecord?: boolean;
  /**
   * Key encrypting the alarm topic; its policy must let CloudWatch (`cloudwatch.amazonaws.com`) use it.
   * @default - a new customer managed key with rotation (the AWS managed SNS key cannot take CloudWatch alarms)
   */
  readonly topicEncryptionKey?: kms.IKey;
  /**
   * How many times Lambda retries a failed notification (asynchronous invocation) before it goes to the
   * dead-letter queue.
   * @default 2 - Lambda's maximum
   */
  readonly retryAttempts?: number;
  /**
   * Retention of the notifier's logs.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer managed key of the notifier's log group.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * Tells connected devices to reconnect as soon as Route 53 changes its mind. CloudWatch alarms on each
 * health check's `HealthCheckStatus` (AWS/Route53, which exists in us-east-1 only — so this construct must
 * be in a us-east-1 stack) go to an encrypted SNS topic; a Lambda publishes the failover notice
 * `{ activeRegion, reason, at }` on the MQTT topic `cdk-iot-dr/failover` (QoS 1) in both regions, best
 * effort: a region that fails is logged and the other is still tried. The primary's alarm moves devices
 * (ALARM → secondary, OK → primary) and rewrites the TXT record `active-region.<domain>`; the secondary's
 * alarm is information only.
 *
 * The notice is only a hint: health-check metrics have one-minute resolution, so it typically arrives
 * one to two minutes after the DNS switch began; the device helper's periodic re-resolve bounds the RTO.
 * Failed notifications are retried by Lambda, then kept in `deadLetterQueue`; `errorsAlarm` and
 * `deadLetterAlarm` watch them.
 */
export class FailoverNotifier extends Construct {
  /** The topic the health-check alarms publish to (add your own subscribers, e.g. the on-call). */
  readonly topic: sns.Topic;
  /** `HealthCheckStatus` < 1 of the primary region's health check. */
  readonly primaryHealthAlarm: cloudwatch.Alarm;
  /** `HealthCheckStatus` < 1 of the secondary region's health check. */
  readonly secondaryHealthAlarm: cloudwatch.Alarm;
  /** The function publishing the notice. */
  readonly function: lambda.IFunction;
  /** The notifier function's role: what the publish roles in the iot-services account must trust. */
  readonly publishRole: iam.IRole;
  /** Notifications that still failed after Lambda's retries. */
  readonly deadLetterQueue: sqs.Queue;
  /** The notifier function failed. */
  readonly errorsAlarm: cloudwatch.Alarm;
  /** A notification reached the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FailoverNotifierProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.region) || stack.region !== 'us-east-1') {
      throw propError(
        this,
        `FailoverNotifier must be in a stack of region us-east-1 (Route 53 publishes health-check metrics there only), ` +
          `but its stack ${stack.stackName} has region '${Token.isUnresolved(stack.region) ? '<unresolved: set env.region>' : stack.region}'`,
      );
    }
    const retryAttempts = props.retryAttempts ?? 2;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 2) {
      throw propError(this, `retryAttempts must be 0, 1 or 2 (Lambda's asynchronous retries), got ${retryAttempts}`);
    }
    const routing = props.routing;
    const updateRecord = props.updateActiveRegionRecord ?? true;

    const key =
      props.topicEncryptionKey ??
      new kms.Key(this, 'TopicKey', {
        description: 'cdk-iot-dr: encrypts the failover alarm topic',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    if (!props.topicEncryptionKey) {
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchAlarmsOfThisAccount',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'cdk-iot-dr failover', masterKey: key, enforceSSL: true });

    this.primaryHealthAlarm = this.healthAlarm('PrimaryHealthAlarm', routing.primaryHealthCheck, routing.primaryRegion, 'primary');
    this.secondaryHealthAlarm = this.healthAlarm('SecondaryHealthAlarm', routing.secondaryHealthCheck, routing.secondaryRegion, 'secondary');
    for (const alarm of [this.primaryHealthAlarm, this.secondaryHealthAlarm]) {
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      alarm.addOkAction(new actions.SnsAction(this.topic));
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFinding(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      "This queue is itself the notifier function's on-failure destination: it keeps notifications Lambda could not deliver after its retries.",
    );

    const targets = {
      [routing.primaryRegion]: { endpoint: routing.primary.iotDataEndpoint, ...(props.primaryPublishRoleArn ? { roleArn: props.primaryPublishRoleArn } : {}) },
      [routing.secondaryRegion]: { endpoint: routing.secondary.iotDataEndpoint, ...(props.secondaryPublishRoleArn ? { roleArn: props.secondaryPublishRoleArn } : {}) },
    };
    const handler = new HandlerFunction(this, 'Notifier', {
      handler: 'notifyFailover',
      description: 'Publishes the cdk-iot-dr failover notice in both regions when a Route 53 health check changes state',
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      environment: {
        [FAILOVER_ENV.primaryRegion]: routing.primaryRegion,
        [FAILOVER_ENV.secondaryRegion]: routing.secondaryRegion,
        [FAILOVER_ENV.healthCheckIds]: stack.toJsonString(routing.healthCheckIds),
        [FAILOVER_ENV.noticeTargets]: stack.toJsonString(targets),
        ...(updateRecord
          ? {
              [FAILOVER_ENV.hostedZoneId]: routing.hostedZone.hostedZoneId,
              [FAILOVER_ENV.activeRegionRecordName]: routing.activeRegionRecordName,
              [FAILOVER_ENV.recordTtlSeconds]: String(routing.recordTtl.toSeconds()),
            }
          : {}),
      },
    });
    if (updateRecord) routing.grantActiveRegionRecord(handler.role);
    this.function = handler.function;
    this.publishRole = handler.role;
    handler.function.configureAsyncInvoke({
      retryAttempts,
      // A notice older than this would move devices that DNS has long moved already.
      maxEventAge: Duration.minutes(15),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });
    this.topic.addSubscription(new subscriptions.LambdaSubscription(handler.function));

    const assumed = [props.primaryPublishRoleArn, props.secondaryPublishRoleArn].filter((r): r is string => r !== undefined);
    if (assumed.length > 0) handler.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: assumed }));
    const direct = [
      [routing.primaryRegion, props.primaryPublishRoleArn],
      [routing.secondaryRegion, props.secondaryPublishRoleArn],
    ].filter(([, role]) => role === undefined);
    if (direct.length > 0) {
      handler.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['iot:Publish'],
          resources: direct.map(([region]) =>
            stack.formatArn({ service: 'iot', region, resource: 'topic', resourceName: FAILOVER_NOTICE_TOPIC, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          ),
        }),
      );
    }

    this.errorsAlarm = handler.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }).createAlarm(this, 'ErrorsAlarm', {
      alarmDescription: 'cdk-iot-dr: the failover notifier failed (no region received a notice); Lambda retries it, see its logs',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm = deadLetterDepth(this.deadLetterQueue).createAlarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'cdk-iot-dr: a failover notice could not be published after retries; devices rely on their periodic DNS lookup',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Sends the notifier's own alarms (errors, dead letters) to `alarmActions`. */
  addAlarmAction(...alarmActions: cloudwatch.IAlarmAction[]): void {
    this.errorsAlarm.addAlarmAction(...alarmActions);
    this.deadLetterAlarm.addAlarmAction(...alarmActions);
  }

  private healthAlarm(id: string, healthCheck: route53.IHealthCheck, region: string, role: string): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription: `cdk-iot-dr: Route 53 considers the ${role} region ${region} unhealthy (its aggregator's checks fail)`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensionsMap: { HealthCheckId: healthCheck.healthCheckId },
        statistic: cloudwatch.Stats.MINIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // A disabled check (manual mode) publishes nothing: stay put rather than announce a recovery.
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
  }
}
