import { Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HealthApiEndpoint, HealthCheckAggregatorProps } from './health-check-aggregator-props';
import { HealthRestApi, checkMillis, checkThrottling } from './health-rest-api';
import {
  AGGREGATOR_ENV,
  DEFAULT_HEALTH_API_TIMEOUT_MS,
  DEFAULT_MANUAL_MODE_CACHE_MS,
  DEFAULT_MANUAL_MODE_PARAMETER_NAME,
  DEFAULT_VERDICT_CACHE_MS,
  HEALTH_PATH,
  HEALTHY_SEARCH_STRING,
  type HealthApiSpec,
  MAX_HEALTH_API_TIMEOUT_MS,
  MIN_HEALTH_API_TIMEOUT_MS,
} from '../../lambda/contract/health';
import { acknowledgeFinding, acknowledgeWildcardResource } from '../private/acknowledge';
import { HandlerFunction } from '../private/handler-function';
import { propError } from '../private/validate';
import { DrRegionRole } from '../topology';

const API_NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** `https://<api id>.execute-api.<region>.amazonaws.com[.cn]/<stage>/<path>` */
const EXECUTE_API_URL = /^https:\/\/([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^/?#]+)(\/[^?#]*)$/;
/** What the aggregator adds to the health API calls' budget: signing, the manual mode, the answer itself. */
const AGGREGATOR_OVERHEAD = Duration.millis(500);

/**
 * The endpoint Route 53's health checks call for one region, in the shared-services account (one per
 * region). `GET /v1/health` on a regional REST API calls the region's health APIs with SigV4 in parallel
 * (each within `healthApiTimeout`), applies the manual mode, and answers HTTP 200 with
 * `{"status":"HEALTHY",...}` when every check passes, HTTP 503 with `{"status":"UNHEALTHY","failing":[...]}`
 * naming the failing checks otherwise.
 *
 * The endpoint is public: Route 53 cannot sign requests. It is protected by what a caller can make it do —
 * the verdict is cached for `verdictCacheDuration` and concurrent callers share one evaluation, so each
 * function instance calls the health APIs at most once per period whatever the callers' rate — and by
 * the stage's throttling. Route 53 needs no more than HTTPS on port 443, `healthPath` and
 * `HealthCheckAggregator.HEALTHY_SEARCH_STRING` (HTTPS_STR_MATCH).
 */
export class HealthCheckAggregator extends Construct {
  /** The token Route 53's HTTPS_STR_MATCH health check searches for: `"status":"HEALTHY"`. */
  static readonly HEALTHY_SEARCH_STRING: string = HEALTHY_SEARCH_STRING;

  /** `cdk-iot-dr-health-aggregator-<region>`: the aggregator's role name unless `roleName` says otherwise. */
  static defaultRoleName(region: string): string {
    return `cdk-iot-dr-health-aggregator-${region}`;
  }

  /**
   * The ARN of the aggregator's role in `account` and `region` (with the default role name unless
   * `roleName` is given): what a `RegionalHealthApi` in another account lists in `callerRoleArns`.
   */
  static roleArnFor(account: string, region: string, roleName?: string): string {
    return `arn:${Aws.PARTITION}:iam::${account}:role/${roleName ?? HealthCheckAggregator.defaultRoleName(region)}`;
  }

  /** The REST API Route 53 calls. */
  readonly api: apigateway.RestApi;
  /** The aggregator function. */
  readonly function: lambda.Function;
  /** The function's role, named so other accounts' health APIs can admit it. */
  readonly role: iam.Role;
  /** Access logs of the API. */
  readonly accessLogs: logs.LogGroup;
  /** `https://<id>.execute-api.<region>.amazonaws.com/v1/health`. */
  readonly url: string;
  /** Host name Route 53 checks (`<id>.execute-api.<region>.amazonaws.com`), with SNI, on port 443. */
  readonly domainName: string;
  /** Path Route 53 checks: `/v1/health`. */
  readonly healthPath: string;
  /** The port Route 53 checks: 443. */
  readonly port: number = 443;
  /**
   * The longest the aggregator takes to answer when its cache is cold: the health API timeout plus its
   * own work. `FailoverRouting`'s `aggregatorTimeout`.
   */
  readonly timeout: Duration;
  /** How long a verdict is reused. */
  readonly verdictCacheDuration: Duration;
  /** The SSM parameter the aggregator reads the manual mode from. */
  readonly manualModeParameterName: string;
  /** Fires when the aggregator function fails (three minutes in a row): Route 53 then sees this region unhealthy. */
  readonly errorAlarm: cloudwatch.Alarm;
  /** Fires when the aggregator function is throttled: Route 53 counts those answers as failed checks. */
  readonly throttleAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: HealthCheckAggregatorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const healthApiTimeout = props.healthApiTimeout ?? Duration.millis(DEFAULT_HEALTH_API_TIMEOUT_MS);
    checkMillis(this, 'healthApiTimeout', healthApiTimeout, Duration.millis(MIN_HEALTH_API_TIMEOUT_MS), Duration.millis(MAX_HEALTH_API_TIMEOUT_MS));
    this.verdictCacheDuration = props.verdictCacheDuration ?? Duration.millis(DEFAULT_VERDICT_CACHE_MS);
    checkMillis(this, 'verdictCacheDuration', this.verdictCacheDuration, Duration.millis(0), Duration.seconds(60));
    const manualModeCache = props.manualModeCacheDuration ?? Duration.millis(DEFAULT_MANUAL_MODE_CACHE_MS);
    checkMillis(this, 'manualModeCacheDuration', manualModeCache, Duration.millis(0), Duration.seconds(60));
    const rate = props.throttlingRateLimit ?? 50;
    const burst = props.throttlingBurstLimit ?? 100;
    checkThrottling(this, rate, burst);
    this.manualModeParameterName = props.manualModeParameterName ?? DEFAULT_MANUAL_MODE_PARAMETER_NAME;
    if (!Token.isUnresolved(this.manualModeParameterName) && !/^\/[A-Za-z0-9_.\-/]{1,1010}$/.test(this.manualModeParameterName)) {
      throw propError(this, `manualModeParameterName must be a path such as '/cdk-iot-dr/failover/mode', got '${this.manualModeParameterName}'`);
    }
    const specs = this.checkHealthApis(props.healthApis);
    this.timeout = healthApiTimeout.plus(AGGREGATOR_OVERHEAD);

    const handler = new HandlerFunction(this, 'Aggregator', {
      handler: 'aggregateHealth',
      description: `Route 53 health endpoint of the ${props.regionRole} region: aggregates the regional health APIs (cdk-iot-dr)`,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      environment: {
        [AGGREGATOR_ENV.healthApis]: stack.toJsonString(specs),
        [AGGREGATOR_ENV.regionRole]: props.regionRole === DrRegionRole.PRIMARY ? 'primary' : 'secondary',
        [AGGREGATOR_ENV.healthApiTimeoutMs]: String(healthApiTimeout.toMilliseconds()),
        [AGGREGATOR_ENV.verdictCacheMs]: String(this.verdictCacheDuration.toMilliseconds()),
        [AGGREGATOR_ENV.manualModeParameterName]: this.manualModeParameterName,
        [AGGREGATOR_ENV.manualModeCacheMs]: String(manualModeCache.toMilliseconds()),
      },
    });
    this.function = handler.function;
    this.role = handler.role;
    // A fixed name: the health APIs in the workload accounts name this role before it exists.
    (this.role.node.defaultChild as iam.CfnRole).roleName = props.roleName ?? HealthCheckAggregator.defaultRoleName(stack.region);
    this.grantCalls(props.healthApis);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: this.manualModeParameterName.replace(/^\//, '') })],
      }),
    );

    const rest = new HealthRestApi(this, 'Api', {
      description: `cdk-iot-dr: Route 53 health endpoint of the ${props.regionRole} region (${stack.region})`,
      handler: this.function,
      authorizationType: apigateway.AuthorizationType.NONE,
      throttlingRateLimit: rate,
      throttlingBurstLimit: burst,
      integrationTimeout: Duration.seconds(10),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
    });
    this.api = rest.api;
    this.accessLogs = rest.accessLogs;
    this.url = rest.healthUrl;
    this.healthPath = rest.healthPath;
    this.domainName = `${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    const publicReason =
      'Route 53 health checkers cannot sign requests or send tokens: the endpoint is public by design. It reveals only ' +
      'health, answers from a short cache (one evaluation per period per instance, whatever the callers\' rate) and is throttled.';
    acknowledgeFinding(rest.method, 'AwsSolutions-APIG4', publicReason);
    acknowledgeFinding(rest.method, 'AwsSolutions-COG4', publicReason);

    this.errorAlarm = this.function.metricErrors({ period: Duration.minutes(1) }).createAlarm(this, 'ErrorAlarm', {
      alarmDescription:
        `cdk-iot-dr: the ${props.regionRole} region's health-check aggregator is failing; Route 53 sees the region as unhealthy ` +
        'while it does. Read its log group.',
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.throttleAlarm = this.function.metricThrottles({ period: Duration.minutes(1) }).createAlarm(this, 'ThrottleAlarm', {
      alarmDescription:
        `cdk-iot-dr: the ${props.regionRole} region's health-check aggregator is throttled (account concurrency); Route 53 counts ` +
        'throttled answers as failed checks.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Sends the aggregator's alarms to `actions`. */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.errorAlarm.addAlarmAction(...actions);
    this.throttleAlarm.addAlarmAction(...actions);
  }

  private checkHealthApis(apis: HealthApiEndpoint[]): HealthApiSpec[] {
    if (!apis || apis.length === 0) {
      throw propError(this, 'healthApis must name at least one regional health API (RegionalHealthApi.url of iot-services, ...)');
    }
    const region = Stack.of(this).region;
    const seen = new Set<string>();
    for (const api of apis) {
      if (!API_NAME.test(api.name)) {
        throw propError(this, `healthApis: a name must be 1 to 64 letters, digits, '.', '_' or '-', got '${api.name}'`);
      }
      if (seen.has(api.name)) throw propError(this, `healthApis: the name '${api.name}' is used twice; names must be unique`);
      seen.add(api.name);
      if (!Token.isUnresolved(api.account) && !/^\d{12}$/.test(api.account)) {
        throw propError(this, `healthApis: account of '${api.name}' must be a 12-digit account id, got '${api.account}'`);
      }
      if (Token.isUnresolved(api.url)) continue;
      if (!api.url.startsWith('https://')) {
        throw propError(this, `healthApis: url of '${api.name}' must start with https://, got '${api.url}'`);
      }
      const match = EXECUTE_API_URL.exec(api.url);
      if (match && !Token.isUnresolved(region) && match[2] !== region) {
        throw propError(
          this,
          `healthApis: '${api.name}' is in ${match[2]}, but this aggregator serves ${region}: each region's aggregator calls its own region's health APIs`,
        );
      }
    }
    return apis.map((api) => ({ name: api.name, url: api.url }));
  }

  /** `execute-api:Invoke` on exactly each API's health resource when its URL names it; else on GET in its account. */
  private grantCalls(apis: HealthApiEndpoint[]): void {
    const stack = Stack.of(this);
    const resources = apis.map((api) => {
      const match = Token.isUnresolved(api.url) ? null : EXECUTE_API_URL.exec(api.url);
      const resourceName = match ? `${match[1]}/${match[3]}/GET${match[4]}` : `*/*/GET${HEALTH_PATH}`;
      const arn = `arn:${stack.partition}:execute-api:${stack.region}:${api.account}:${resourceName}`;
      if (!match) {
        acknowledgeWildcardResource(
          this.role,
          arn,
          `The health API '${api.name}' is known by a URL resolved at deploy time (not an execute-api URL at synth time): ` +
            `GET ${HEALTH_PATH} of any API of account ${api.account} in this region; its resource policy admits only this role.`,
        );
      }
      return arn;
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [...new Set(resources)] }));
  }
}
