import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HEALTH_PATH } from '../../lambda/contract/health';
import { acknowledgeFinding } from '../private/acknowledge';
import { allowLogsToUseKey } from '../private/service-policies';
import { DEFAULT_LOG_RETENTION } from '../private/handler-function';

/** The stage both health APIs deploy to; part of their URLs and of the aggregator's Route 53 path. */
export const HEALTH_STAGE = 'v1';

/**
 * Throws unless `value` lies in [min, max], compared in milliseconds (`checkDuration` compares whole
 * seconds, too coarse for the health timeouts); names the prop and the range.
 */
export function checkMillis(scope: Construct, prop: string, value: Duration, min: Duration, max: Duration): void {
  if (value.isUnresolved()) return;
  const ms = value.toMilliseconds({ integral: false });
  if (ms < min.toMilliseconds() || ms > max.toMilliseconds()) {
    throw new Error(`${scope.node.path}: ${prop} must be between ${min.toMilliseconds()} ms and ${max.toMilliseconds()} ms, got ${ms} ms`);
  }
}

/** Throttling settings in range for API Gateway (a rate of requests per second and a burst). */
export function checkThrottling(scope: Construct, rate: number, burst: number): void {
  if (!Number.isFinite(rate) || rate < 1 || rate > 10_000) {
    throw new Error(`${scope.node.path}: throttlingRateLimit must be between 1 and 10000 requests per second, got ${rate}`);
  }
  if (!Number.isInteger(burst) || burst < 1 || burst > 5_000) {
    throw new Error(`${scope.node.path}: throttlingBurstLimit must be an integer between 1 and 5000, got ${burst}`);
  }
}

export interface HealthRestApiProps {
  readonly description: string;
  readonly handler: lambda.IFunction;
  readonly authorizationType: apigateway.AuthorizationType;
  readonly policy?: iam.PolicyDocument;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  /** API Gateway waits this long for the Lambda before answering 504. */
  readonly integrationTimeout: Duration;
  readonly logRetention?: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * A regional REST API with one resource, `GET /health`, proxied to a Lambda: access logs in a log group
 * of its own, stage throttling, X-Ray. REST rather than HTTP API: only REST APIs have resource policies
 * (the regional health APIs admit only the aggregators' roles) and stage-level throttling per method.
 */
export class HealthRestApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;
  readonly method: apigateway.Method;

  constructor(scope: Construct, id: string, props: HealthRestApiProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: props.logEncryptionKey,
    });
    if (props.logEncryptionKey) allowLogsToUseKey(this, props.logEncryptionKey);
    this.api = new apigateway.RestApi(this, 'Api', {
      description: props.description,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      policy: props.policy,
      // The account-wide API Gateway logging role is the account owner's to set, not a library's.
      cloudWatchRole: false,
      deployOptions: {
        stageName: HEALTH_STAGE,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        tracingEnabled: true,
      },
    });
    const validator = this.api.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });
    this.method = this.api.root.addResource(HEALTH_PATH.replace(/^\//, '')).addMethod(
      'GET',
      new apigateway.LambdaIntegration(props.handler, { proxy: true, allowTestInvoke: false, timeout: props.integrationTimeout }),
      { authorizationType: props.authorizationType, requestValidator: validator },
    );
    acknowledgeFinding(
      this.api.deploymentStage,
      'AwsSolutions-APIG6',
      'Access logs are on (a log group per API); execution logging needs the account-wide API Gateway CloudWatch role, ' +
        "which is the account owner's setting, not a library's.",
    );
    acknowledgeFinding(
      this.api.deploymentStage,
      'AwsSolutions-APIG3',
      'No WAF by default: the stage is throttled and the handler answers from a short cache; associate a web ACL with ' +
        '`api.deploymentStage.stageArn` to add one (e.g. allowing only the ROUTE53_HEALTHCHECKS address ranges).',
    );
  }

  /** `/<stage>/health`: the path Route 53 and the aggregator call. */
  get healthPath(): string {
    return `/${HEALTH_STAGE}${HEALTH_PATH}`;
  }

  /** `https://<id>.execute-api.<region>.amazonaws.com/<stage>/health`. */
  get healthUrl(): string {
    return this.api.urlForPath(HEALTH_PATH);
  }
}
