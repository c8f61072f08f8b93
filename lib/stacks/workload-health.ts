import { CfnOutput, Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledgeFinding } from '../private/acknowledge';
import { DEFAULT_LOG_RETENTION } from '../private/handler-function';
import { HealthCheckAggregator } from '../shared-services/health-check-aggregator';
import { RegionalHealthApi } from '../shared-services/regional-health-api';
import { HealthCheckTarget } from '../shared-services/regional-health-api-props';
import type { DrRegionRole, DrTopology } from '../topology';

/** The name of the stack output holding a workload stack's health API URL (what `failover.healthApiUrls` takes). */
export const HEALTH_API_URL_OUTPUT = 'HealthApiUrl';

export interface WorkloadHealthApiOptions {
  readonly topology: DrTopology;
  readonly regionRole: DrRegionRole;
  /** `failover.healthApiUrls.<role>.<field>`: where the output's value goes in the topology. */
  readonly topologyField: string;
  readonly checkIotCore?: boolean;
  readonly parkingQueue?: sqs.IQueue;
  readonly metricsNamespace?: string;
  readonly iotDataEndpoint?: string;
  readonly checks?: HealthCheckTarget[];
  readonly alarmActions?: cloudwatch.IAlarmAction[];
}

/**
 * A workload account's regional health API, callable by the shared-services account's aggregator of the same
 * region (its role name is fixed, so it is named before it exists), with the `HealthApiUrl` output the
 * topology's `failover.healthApiUrls` takes.
 */
export function addWorkloadHealthApi(stack: Stack, options: WorkloadHealthApiOptions): RegionalHealthApi {
  const region = options.topology.regionOf(options.regionRole);
  const api = new RegionalHealthApi(stack, 'HealthApi', {
    callerRoleArns: [HealthCheckAggregator.roleArnFor(options.topology.accounts.sharedServices, region)],
    checkIotCore: options.checkIotCore,
    parkingQueue: options.parkingQueue,
    metricsNamespace: options.metricsNamespace,
    iotDataEndpoint: options.iotDataEndpoint,
    checks: options.checks,
  });
  if (options.alarmActions) api.addAlarmAction(...options.alarmActions);
  new CfnOutput(stack, HEALTH_API_URL_OUTPUT, {
    description: `This region's health API, for the shared-services aggregator: the topology's failover.healthApiUrls.${options.topologyField}`,
    value: api.url,
  });
  return api;
}

/**
 * The data-analytics account's check: a function that answers healthy, so the verdict proves that this
 * account's API Gateway and Lambda answer in this region. The analytics bus itself is not part of the IoT
 * failover verdict: its global endpoint fails over on its own health check, and devices need not move
 * because EventBridge in one region is slow. Add checks of your own analytics services with
 * `RegionalHealthApi` in your own stacks.
 */
export function serviceAvailabilityCheck(stack: Stack, account: string): HealthCheckTarget {
  const logGroup = new logs.LogGroup(stack, 'ServiceAvailabilityCheckLogs', { retention: DEFAULT_LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });
  const role = new iam.Role(stack, 'ServiceAvailabilityCheckRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Runs the ${account} health API's service-availability check (writes its own log group only)`,
  });
  logGroup.grantWrite(role);
  const fn = new lambda.Function(stack, 'ServiceAvailabilityCheck', {
    description: `cdk-iot-dr: answers healthy, proving Lambda runs in the ${account} account in this region`,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ healthy: true });'),
    role,
    logGroup,
    timeout: Duration.seconds(3),
    memorySize: 128,
  });
  acknowledgeFinding(
    fn,
    'AwsSolutions-L1',
    'Pinned to Node.js 22 like every handler of the library, so a CDK upgrade never changes the runtime under tested code; ' +
      'Lambda supports Node.js 22 until 2027.',
  );
  return HealthCheckTarget.lambdaFunction(fn, 'lambda-service');
}
