import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { AnalyticsEventBus } from '../data-analytics/analytics-event-bus';
import { createAlarmTopic } from '../private/alarm-topic';
import { drStackProps } from '../private/dr-stack';
import { DEFAULT_LOG_RETENTION } from '../private/handler-function';
import { logAndTrace } from '../private/state-machine-logging';
import type { RegionalHealthApi } from '../shared-services/regional-health-api';
import { DrRegionRole, type DrTopology } from '../topology';
import { addWorkloadHealthApi, serviceAvailabilityCheck } from './workload-health';

export interface DataAnalyticsStackProps extends DrStackProps {
  /**
   * Whether the stack creates the example consumers of the telemetry: a Kinesis data stream (one shard,
   * AWS managed encryption) and an Express state machine, each a target of the analytics bus.
   *
   * @default true - the reference architecture shows one of each; turn them off and add your own targets with
   * `analyticsBus.addKinesisTarget` / `addStateMachineTarget`
   */
  readonly exampleTargets?: boolean;
}

/**
 * The data-analytics account in one region: the analytics event bus (`AnalyticsEventBus`) admitting the
 * telemetry forwarders of the iot-services account, with its archive and — in the primary region — the
 * EventBridge global endpoint (output `GlobalEndpointId`, which the topology's `analytics.globalEndpointId`
 * takes); the example targets; an alarm topic (output `AlarmTopicArn`); and this region's health API (output
 * `HealthApiUrl`), which the shared-services aggregator of the region calls. The primary's stack must deploy
 * after the secondary's (its endpoint names the secondary's bus): `IotDrDeployment` adds that dependency.
 */
export class DataAnalyticsStack extends Stack {
  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
  /** The analytics event bus of this region (with the global endpoint in the primary region). */
  readonly analyticsBus: AnalyticsEventBus;
  /** The example Kinesis data stream target, unless `exampleTargets` is false. */
  readonly exampleStream?: kinesis.Stream;
  /** The example Express state machine target, unless `exampleTargets` is false. */
  readonly exampleStateMachine?: sfn.StateMachine;
  /** The topic every alarm of this stack notifies (output `AlarmTopicArn`). */
  readonly alarmTopic: sns.ITopic;
  /** This region's health API, callable by the shared-services aggregator of this region (output `HealthApiUrl`). */
  readonly healthApi: RegionalHealthApi;

  constructor(scope: Construct, id: string, props: DataAnalyticsStackProps) {
    const { exampleTargets, ...drProps } = props;
    super(scope, id, drStackProps(scope, id, drProps, 'dataAnalytics', 'data analytics'));
    this.topology = props.topology;
    this.regionRole = props.regionRole;
    const isPrimary = this.regionRole === DrRegionRole.PRIMARY;
    const roleName = isPrimary ? 'primary' : 'secondary';

    this.alarmTopic = createAlarmTopic(this, 'cdk-iot-dr analytics alarms', 'cdk-iot-dr: encrypts the alarm topic of the analytics bus');
    new CfnOutput(this, 'AlarmTopicArn', { description: "Every alarm of this region's analytics bus notifies this topic", value: this.alarmTopic.topicArn });
    const alarms = new cloudwatchActions.SnsAction(this.alarmTopic);

    this.analyticsBus = new AnalyticsEventBus(this, 'AnalyticsBus', {
      iotServicesAccount: this.topology.accounts.iotServices,
      peerRegion: this.topology.peerOf(this.regionRole),
      globalEndpoint: isPrimary ? {} : undefined,
      alarmActions: [alarms],
    });
    if (exampleTargets ?? true) {
      this.exampleStream = new kinesis.Stream(this, 'ExampleTelemetryStream', {
        shardCount: 1,
        retentionPeriod: Duration.hours(24),
        encryption: kinesis.StreamEncryption.MANAGED,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      this.analyticsBus.addKinesisTarget(this.exampleStream);
      this.exampleStateMachine = new sfn.StateMachine(this, 'ExampleTelemetryWorkflow', {
        stateMachineType: sfn.StateMachineType.EXPRESS,
        comment: 'cdk-iot-dr example: one execution per telemetry message; replace with your processing',
        definitionBody: sfn.DefinitionBody.fromChainable(
          new sfn.Pass(this, 'TelemetryReceived', {
            parameters: { 'topic.$': '$.detail.topic', 'messageId.$': '$.detail.messageId', 'region.$': '$.detail.region' },
          }),
        ),
        timeout: Duration.minutes(1),
      });
      logAndTrace(this, this.exampleStateMachine, {
        logGroupId: 'ExampleTelemetryWorkflowLogs',
        policyPrefix: 'ExampleTelemetryWorkflow',
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
        logRetention: DEFAULT_LOG_RETENTION,
        levelReason: 'unused: the example logs at ALL',
      });
      this.analyticsBus.addStateMachineTarget(this.exampleStateMachine);
    }

    this.healthApi = addWorkloadHealthApi(this, {
      topology: this.topology,
      regionRole: this.regionRole,
      topologyField: `${roleName}.dataAnalytics`,
      checks: [serviceAvailabilityCheck(this, 'data-analytics')],
      alarmActions: [alarms],
    });
  }
}
