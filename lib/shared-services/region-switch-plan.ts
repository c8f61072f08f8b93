import { ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as arcregionswitch from 'aws-cdk-lib/aws-arcregionswitch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { IotRegionSwitchPlanProps, IotRegionSwitchStepsProps } from './region-switch-plan-props';
import { DEFAULT_RECORD_TTL_SECONDS } from './rto';
import { DEFAULT_METRICS_NAMESPACE } from '../../lambda/contract';
import { FAILOVER_ENV, FAILOVER_NOTICE_TOPIC } from '../../lambda/contract/failover';
import { DEFAULT_MANUAL_MODE_PARAMETER_NAME } from '../../lambda/contract/health';
import { HandlerFunction } from '../private/handler-function';
import { wildcardOnlyPolicy } from '../private/service-policies';
import { checkDuration, checkInteger, checkRegion, propError } from '../private/validate';

/** The steps of each workflow, in order: the payload `action` the step function runs. */
export const REGION_SWITCH_STEPS = [
  { name: 'CheckIotReadiness', action: 'check-readiness', description: 'Replication lag, parked replays and unrepaired drift in the region being activated are within bounds' },
  { name: 'SwitchIotHealthChecks', action: 'switch-mode', description: 'Forces the Route 53 health checks (and the manual mode, and active-region TXT) to the region being activated' },
  { name: 'PublishFailoverNotice', action: 'publish-notice', description: 'Publishes the failover notice on cdk-iot-dr/failover in both regions so devices reconnect now' },
] as const;

/**
 * The function running the library's ARC Region switch steps in one region of the shared-services account
 * (ARC runs the function of the region being activated, so each region needs one: place one in each
 * region's shared-services stack and give both ARNs to `IotRegionSwitchPlan`). Steps:
 * `check-readiness` reads the replication pipeline's metrics in its region and fails above the thresholds;
 * `switch-mode` forces the health checks to its region (secondary: force-secondary; primary: back to auto)
 * exactly like the operator command, writes the SSM mode parameter in both regions and UPSERTs the TXT
 * record; `publish-notice` publishes the failover notice in both regions.
 */
export class IotRegionSwitchSteps extends Construct {
  /** The step function. */
  readonly function: lambda.IFunction;
  /** Its role (what a readiness or publish role in the iot-services account must trust). */
  readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: IotRegionSwitchStepsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    checkRegion(this, 'primaryRegion', props.primaryRegion, 'us-west-2');
    checkRegion(this, 'secondaryRegion', props.secondaryRegion, 'us-east-1');
    if (props.primaryRegion === props.secondaryRegion) throw propError(this, `primaryRegion and secondaryRegion must differ, both are '${props.primaryRegion}'`);
    const maxLag = props.maxReplicationLag ?? Duration.minutes(5);
    checkDuration(this, 'maxReplicationLag', maxLag, Duration.seconds(1), Duration.days(1));
    const maxParked = props.maxParkedItems ?? 100;
    const maxDrift = props.maxDriftFailed ?? 0;
    checkInteger(this, 'maxParkedItems', maxParked, 0, 1_000_000);
    checkInteger(this, 'maxDriftFailed', maxDrift, 0, 1_000_000);
    const ttl = props.recordTtl ?? Duration.seconds(DEFAULT_RECORD_TTL_SECONDS);
    const modeParameterName = props.modeParameterName ?? DEFAULT_MANUAL_MODE_PARAMETER_NAME;
    if (!modeParameterName.startsWith('/')) throw propError(this, `modeParameterName must be a path starting with '/', got '${modeParameterName}'`);

    const noticeTargets = {
      [props.primaryRegion]: { endpoint: props.primaryIotDataEndpoint, ...(props.primaryPublishRoleArn ? { roleArn: props.primaryPublishRoleArn } : {}) },
      [props.secondaryRegion]: { endpoint: props.secondaryIotDataEndpoint, ...(props.secondaryPublishRoleArn ? { roleArn: props.secondaryPublishRoleArn } : {}) },
    };
    const readinessSources = {
      [stack.region]: {
        ...(props.readinessRoleArn ? { roleArn: props.readinessRoleArn } : {}),
        ...(props.parkingQueueName ? { parkingQueueName: props.parkingQueueName } : {}),
      },
    };
    const handler = new HandlerFunction(this, 'Steps', {
      handler: 'regionSwitchStep',
      description: 'Runs the cdk-iot-dr steps of the ARC Region switch plan (readiness, health checks, failover notice)',
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      environment: {
        [FAILOVER_ENV.primaryRegion]: props.primaryRegion,
        [FAILOVER_ENV.secondaryRegion]: props.secondaryRegion,
        [FAILOVER_ENV.healthCheckIds]: stack.toJsonString({ primary: props.primaryHealthCheckId, secondary: props.secondaryHealthCheckId }),
        [FAILOVER_ENV.hostedZoneId]: props.hostedZoneId,
        [FAILOVER_ENV.activeRegionRecordName]: props.activeRegionRecordName,
        [FAILOVER_ENV.recordTtlSeconds]: String(ttl.toSeconds()),
        [FAILOVER_ENV.modeParameterName]: modeParameterName,
        [FAILOVER_ENV.noticeTargets]: stack.toJsonString(noticeTargets),
        [FAILOVER_ENV.readinessSources]: stack.toJsonString(readinessSources),
        [FAILOVER_ENV.metricsNamespace]: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
        [FAILOVER_ENV.maxReplicationLagSeconds]: String(maxLag.toSeconds()),
        [FAILOVER_ENV.maxParkedItems]: String(maxParked),
        [FAILOVER_ENV.maxDriftFailed]: String(maxDrift),
      },
    });
    this.function = handler.function;
    this.role = handler.role;

    const role = handler.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['route53:UpdateHealthCheck', 'route53:GetHealthCheckStatus'],
        resources: [props.primaryHealthCheckId, props.secondaryHealthCheckId].map((hc) => `arn:${stack.partition}:route53:::healthcheck/${hc}`),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['route53:ChangeResourceRecordSets'],
        resources: [`arn:${stack.partition}:route53:::hostedzone/${props.hostedZoneId}`],
        conditions: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': [Token.isUnresolved(props.activeRegionRecordName) ? props.activeRegionRecordName : props.activeRegionRecordName.toLowerCase()],
            'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
        },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:PutParameter'],
        resources: [props.primaryRegion, props.secondaryRegion].map((region) =>
          stack.formatArn({ service: 'ssm', region, resource: 'parameter', resourceName: modeParameterName.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
        ),
      }),
    );
    const directPublish = [
      [props.primaryRegion, props.primaryPublishRoleArn],
      [props.secondaryRegion, props.secondaryPublishRoleArn],
    ].filter(([, r]) => r === undefined);
    if (directPublish.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['iot:Publish'],
          resources: directPublish.map(([region]) =>
            stack.formatArn({ service: 'iot', region, resource: 'topic', resourceName: FAILOVER_NOTICE_TOPIC, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          ),
        }),
      );
    }
    const assumed = [props.primaryPublishRoleArn, props.secondaryPublishRoleArn, props.readinessRoleArn].filter((r): r is string => r !== undefined);
    if (assumed.length > 0) role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...new Set(assumed)] }));
    if (!props.readinessRoleArn) {
      wildcardOnlyPolicy(
        this,
        'ReadinessMetricsPolicy',
        role,
        ['cloudwatch:GetMetricData'],
        'cloudwatch:GetMetricData supports no resource-level permissions; the step reads the replication pipeline metrics only.',
      );
    }
  }
}

/**
 * An AWS ARC Region switch plan (active/passive) for IoT Core, which ARC has no execution block of its own
 * for. Its two activate workflows — activate the secondary (fail over) and activate the primary (fail
 * back; an active/passive plan has no deactivate workflow, failing back is activating the primary) — run
 * the library's steps in the region being activated, in order: check the region's readiness, force the
 * Route 53 health checks there (the operator command's logic), publish the failover notice. The health
 * alarms are the plan's application-health alarms. Practice runs and the measured recovery time come from
 * ARC. The execution role may only invoke the two step functions and read those alarms.
 */
export class IotRegionSwitchPlan extends Construct {
  /** The plan (L1: aws-cdk-lib has no L2 for ARC Region switch). */
  readonly plan: arcregionswitch.CfnPlan;
  /** The role ARC assumes to run the plan. */
  readonly executionRole: iam.Role;
  /** The plan's ARN. */
  readonly planArn: string;

  constructor(scope: Construct, id: string, props: IotRegionSwitchPlanProps) {
    super(scope, id);
    checkRegion(this, 'primaryRegion', props.primaryRegion, 'us-west-2');
    checkRegion(this, 'secondaryRegion', props.secondaryRegion, 'us-east-1');
    if (props.primaryRegion === props.secondaryRegion) throw propError(this, `primaryRegion and secondaryRegion must differ, both are '${props.primaryRegion}'`);
    const rto = props.recoveryTimeObjective ?? Duration.minutes(5);
    const timeout = props.stepTimeout ?? Duration.minutes(5);
    const retry = props.stepRetryInterval ?? Duration.minutes(1);
    checkDuration(this, 'recoveryTimeObjective', rto, Duration.minutes(1), Duration.days(1));
    checkDuration(this, 'stepTimeout', timeout, Duration.minutes(1), Duration.hours(12));
    checkDuration(this, 'stepRetryInterval', retry, Duration.minutes(1), Duration.hours(1));
    for (const [name, d] of [['recoveryTimeObjective', rto], ['stepTimeout', timeout], ['stepRetryInterval', retry]] as const) {
      if (d.toSeconds() % 60 !== 0) throw propError(this, `${name} must be whole minutes, got ${d.toHumanString()}`);
    }
    const name = props.planName ?? Names.uniqueResourceName(this, { maxLength: 32, separator: '-' }).replace(/[^a-zA-Z0-9-]/g, '');
    if (!Token.isUnresolved(name) && !/^[a-zA-Z0-9-]{1,32}$/.test(name)) {
      throw propError(this, `planName must be 1 to 32 letters, digits or hyphens, got '${name}'`);
    }

    const functions = [props.primaryStepFunctionArn, props.secondaryStepFunctionArn];
    const alarms = props.applicationHealthAlarms ?? [];
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('arc-region-switch.amazonaws.com'),
      description: 'Runs the cdk-iot-dr ARC Region switch plan: invokes its step functions, reads its health alarms',
    });
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction', 'lambda:GetFunction'], resources: functions }));
    if (alarms.length > 0) {
      this.executionRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], resources: alarms.map((a) => a.alarmArn) }),
      );
    }

    const steps = REGION_SWITCH_STEPS.map((s) => ({
      name: s.name,
      description: s.description,
      executionBlockType: 'CustomActionLambda',
      executionBlockConfiguration: {
        customActionLambdaConfig: {
          lambdas: functions.map((arn) => ({ arn, payload: JSON.stringify({ action: s.action }) })),
          regionToRun: 'activatingRegion',
          retryIntervalMinutes: retry.toMinutes(),
          timeoutMinutes: timeout.toMinutes(),
        },
      },
    }));
    const workflow = (region: string, what: string): arcregionswitch.CfnPlan.WorkflowProperty => ({
      workflowTargetAction: 'activate',
      workflowTargetRegion: region,
      workflowDescription: `${what}: moves IoT devices to ${region} (readiness, health checks, failover notice)`,
      steps,
    });

    this.plan = new arcregionswitch.CfnPlan(this, 'Resource', {
      name,
      description: 'cdk-iot-dr: moves IoT Core devices between the primary and the secondary region',
      recoveryApproach: 'activePassive',
      regions: [props.primaryRegion, props.secondaryRegion],
      primaryRegion: props.primaryRegion,
      executionRole: this.executionRole.roleArn,
      recoveryTimeObjectiveMinutes: rto.toMinutes(),
      workflows: [workflow(props.secondaryRegion, 'Fail over'), workflow(props.primaryRegion, 'Fail back')],
      ...(alarms.length > 0
        ? {
            associatedAlarms: Object.fromEntries(
              alarms.map((a, i) => [`ApplicationHealth${i + 1}`, { alarmType: 'applicationHealth', resourceIdentifier: a.alarmArn }]),
            ),
          }
        : {}),
    });
    this.plan.node.addDependency(this.executionRole);
    this.planArn = this.plan.attrArn;
  }
}
