import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HealthRestApi, checkMillis, checkThrottling } from './health-rest-api';
import { HealthCheckTargetKind, type RegionalHealthApiProps } from './regional-health-api-props';
import { DEFAULT_METRICS_NAMESPACE } from '../../lambda/contract';
import {
  DEFAULT_CHECK_TIMEOUT_MS,
  HEALTH_API_ENV,
  HEALTH_CHECK_KINDS,
  type HealthCheckSpec,
  MAX_CHECK_TIMEOUT_MS,
  MIN_CHECK_TIMEOUT_MS,
  healthTopic,
} from '../../lambda/contract/health';
import { acknowledgeFinding } from '../private/acknowledge';
import { HandlerFunction } from '../private/handler-function';
import { wildcardOnlyPolicy } from '../private/service-policies';
import { checkMetricsNamespace, propError } from '../private/validate';

/** Names of the built-in checks, as the aggregator reports them (`<api>/<check>`). */
const IOT_DATA_PLANE_CHECK = 'iot-data-plane';
const IOT_REGISTRY_CHECK = 'iot-registry';

const CHECK_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * A workload account's regional health API (iot-services, command-control, data-analytics; one per
 * account and region): `GET /v1/health` on a regional REST API with IAM auth, whose resource policy admits
 * only the aggregators' roles. Its function runs every check in parallel with fresh state on each call and
 * answers `{ healthy, region, checks: [{ name, healthy, ms, detail? }], readiness? }`, HTTP 200 or 503.
 *
 * With `checkIotCore`: an IoT data-plane round trip over IAM (a retained message with a fresh nonce,
 * read back), a registry read, and readiness figures (replication lag, parked records, drift found)
 * reported as information beside the verdict.
 */
export class RegionalHealthApi extends Construct {
  /** The REST API. */
  readonly api: apigateway.RestApi;
  /** The function that runs the checks. */
  readonly function: lambda.Function;
  /** The function's role. */
  readonly role: iam.Role;
  /** Access logs of the API. */
  readonly accessLogs: logs.LogGroup;
  /** `https://<id>.execute-api.<region>.amazonaws.com/v1/health`: what the aggregator calls. */
  readonly url: string;
  /** How long each check may take. */
  readonly checkTimeout: Duration;
  /** Names of the checks the API runs, in order. */
  readonly checkNames: string[];
  /** Fires when the health function fails (errors, not unhealthy verdicts) three minutes in a row. */
  readonly errorAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RegionalHealthApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.checkTimeout = props.checkTimeout ?? Duration.millis(DEFAULT_CHECK_TIMEOUT_MS);
    checkMillis(this, 'checkTimeout', this.checkTimeout, Duration.millis(MIN_CHECK_TIMEOUT_MS), Duration.millis(MAX_CHECK_TIMEOUT_MS));
    const rate = props.throttlingRateLimit ?? 10;
    const burst = props.throttlingBurstLimit ?? 20;
    checkThrottling(this, rate, burst);
    const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    checkMetricsNamespace(this, 'metricsNamespace', metricsNamespace);
    this.checkCallers(props.callerRoleArns);
    if (props.parkingQueue && !props.checkIotCore) {
      throw propError(this, 'parkingQueue is only read with checkIotCore: true (readiness is reported by the iot-services health API)');
    }

    const specs = this.checkSpecs(props);
    this.checkNames = specs.map((s) => s.name);

    const handler = new HandlerFunction(this, 'Health', {
      handler: 'regionalHealth',
      description: 'Regional health checks for Route 53 failover (cdk-iot-dr)',
      // The checks run in parallel within the check timeout; the rest is a cold start.
      timeout: Duration.seconds(Math.ceil(this.checkTimeout.toMilliseconds() / 1000) + 5),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      environment: {
        [HEALTH_API_ENV.checks]: stack.toJsonString(specs),
        [HEALTH_API_ENV.checkTimeoutMs]: String(this.checkTimeout.toMilliseconds()),
        [HEALTH_API_ENV.metricsNamespace]: metricsNamespace,
        ...(props.iotDataEndpoint ? { [HEALTH_API_ENV.iotDataEndpoint]: props.iotDataEndpoint } : {}),
        ...(props.parkingQueue ? { [HEALTH_API_ENV.parkingQueueUrl]: props.parkingQueue.queueUrl } : {}),
      },
    });
    this.function = handler.function;
    this.role = handler.role;
    this.grantChecks(props);

    const rest = new HealthRestApi(this, 'Api', {
      description: `cdk-iot-dr: regional health of ${stack.account} in ${stack.region} (callable only by the health-check aggregators)`,
      handler: this.function,
      authorizationType: apigateway.AuthorizationType.IAM,
      policy: RegionalHealthApi.resourcePolicy(props.callerRoleArns),
      throttlingRateLimit: rate,
      throttlingBurstLimit: burst,
      integrationTimeout: Duration.seconds(29),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
    });
    this.api = rest.api;
    this.accessLogs = rest.accessLogs;
    this.url = rest.healthUrl;
    acknowledgeFinding(
      rest.method,
      'AwsSolutions-COG4',
      'The callers are IAM roles (the health-check aggregators), not users: the method uses IAM auth (SigV4) and the ' +
        'resource policy admits only those roles.',
    );

    this.errorAlarm = this.function.metricErrors({ period: Duration.minutes(1) }).createAlarm(this, 'ErrorAlarm', {
      alarmDescription:
        'cdk-iot-dr: the regional health function is failing (not an unhealthy verdict: the function itself); the aggregator ' +
        'reports this API as unhealthy until it recovers. Read its log group.',
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Allow `execute-api:Invoke` on `GET /health` to exactly the callers; deny every other principal, so no
   * identity policy in this account can open the API to anyone else.
   */
  private static resourcePolicy(callerRoleArns: string[]): iam.PolicyDocument {
    const resource = 'execute-api:/*/GET/health';
    return new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AllowHealthCheckAggregators',
          principals: callerRoleArns.map((arn) => new iam.ArnPrincipal(arn)),
          actions: ['execute-api:Invoke'],
          resources: [resource],
        }),
        new iam.PolicyStatement({
          sid: 'DenyEveryoneElse',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
          conditions: { StringNotEquals: { 'aws:PrincipalArn': callerRoleArns } },
        }),
      ],
    });
  }

  /** Sends the error alarm to `actions`. */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.errorAlarm.addAlarmAction(...actions);
  }

  private checkCallers(arns: string[]): void {
    if (!arns || arns.length === 0) {
      throw propError(this, 'callerRoleArns must name at least one role (the HealthCheckAggregator roles of this region)');
    }
    for (const arn of arns) {
      if (Token.isUnresolved(arn)) continue;
      if (arn.includes('*') || !ROLE_ARN.test(arn)) {
        throw propError(this, `callerRoleArns must be IAM role ARNs (arn:aws:iam::<12 digits>:role/<name>, no wildcard), got '${arn}'`);
      }
    }
  }

  private checkSpecs(props: RegionalHealthApiProps): HealthCheckSpec[] {
    const specs: HealthCheckSpec[] = [];
    if (props.checkIotCore) {
      specs.push({ kind: HEALTH_CHECK_KINDS.iotDataPlane, name: IOT_DATA_PLANE_CHECK });
      specs.push({ kind: HEALTH_CHECK_KINDS.iotRegistry, name: IOT_REGISTRY_CHECK });
    }
    for (const check of props.checks ?? []) {
      if (!CHECK_NAME.test(check.name)) {
        throw propError(this, `checks: a check name must be 1 to 64 letters, digits, '.', '_' or '-', got '${check.name}'`);
      }
      if (check.kind === HealthCheckTargetKind.URL && !Token.isUnresolved(check.target) && !/^https:\/\/[^\s/]+/.test(check.target)) {
        throw propError(this, `checks: the URL of check '${check.name}' must start with https://, got '${check.target}'`);
      }
      specs.push({ kind: check.kind === HealthCheckTargetKind.LAMBDA ? HEALTH_CHECK_KINDS.lambda : HEALTH_CHECK_KINDS.url, name: check.name, target: check.target });
    }
    if (specs.length === 0) {
      throw propError(this, 'nothing to check: set checkIotCore: true (iot-services) or give at least one entry in checks');
    }
    const seen = new Set<string>();
    for (const spec of specs) {
      if (seen.has(spec.name)) throw propError(this, `checks: the name '${spec.name}' is used twice; names must be unique (built-in: ${IOT_DATA_PLANE_CHECK}, ${IOT_REGISTRY_CHECK})`);
      seen.add(spec.name);
    }
    return specs;
  }

  private grantChecks(props: RegionalHealthApiProps): void {
    const stack = Stack.of(this);
    if (props.checkIotCore) {
      const topicArn = stack.formatArn({ service: 'iot', resource: 'topic', resourceName: healthTopic(stack.region) });
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['iot:Publish', 'iot:RetainPublish', 'iot:GetRetainedMessage'], resources: [topicArn] }),
      );
      wildcardOnlyPolicy(
        this,
        'ReadPolicy',
        this.role,
        ['iot:ListThings', 'iot:DescribeEndpoint', 'cloudwatch:GetMetricData'],
        'iot:ListThings, iot:DescribeEndpoint and cloudwatch:GetMetricData support no resource-level permissions: ' +
          'the registry read, the data-plane endpoint lookup and the readiness metrics.',
      );
      props.parkingQueue?.grant(this.role, 'sqs:GetQueueAttributes');
    }
    for (const check of props.checks ?? []) {
      if (check.function) {
        // Exactly the function, not its versions and aliases (`grantInvoke` would add `<arn>:*`).
        this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [check.function.functionArn] }));
      }
    }
  }
}
