import type { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/** How a user-supplied health check reaches the application service it checks. */
export enum HealthCheckTargetKind {
  /** Invoke a Lambda function; healthy when it answers `{ "healthy": true }` (or a 2xx `statusCode`). */
  LAMBDA = 'lambda',
  /** GET an HTTPS URL; healthy on a 2xx answer. */
  URL = 'url',
}

/**
 * A check of an application service the regional health API runs beside its own, e.g. the device API's
 * backend. Every check has a name, unique within one health API: it is the name the aggregator reports
 * when the check fails.
 */
export class HealthCheckTarget {
  /**
   * Invoke `fn` with `{}`: healthy when it answers `{ "healthy": true }`, or a 2xx `statusCode` without
   * `"healthy": false`; a function error, any other answer or no answer within the check timeout is unhealthy.
   * The health function may invoke exactly this function (`lambda:InvokeFunction` on its ARN).
   * (Not named `lambda`: a reserved word in Python.)
   */
  static lambdaFunction(fn: lambda.IFunction, name: string): HealthCheckTarget {
    return new HealthCheckTarget(HealthCheckTargetKind.LAMBDA, name, fn.functionArn, fn);
  }

  /** GET `url` (HTTPS): healthy on 2xx; redirects are not followed and count as unhealthy. */
  static url(url: string, name: string): HealthCheckTarget {
    return new HealthCheckTarget(HealthCheckTargetKind.URL, name, url);
  }

  /** How the check reaches its service. */
  readonly kind: HealthCheckTargetKind;
  /** Reported when the check fails. */
  readonly name: string;
  /** The function ARN or the URL. */
  readonly target: string;
  /** The function, for `LAMBDA` checks. */
  readonly function?: lambda.IFunction;

  private constructor(kind: HealthCheckTargetKind, name: string, target: string, fn?: lambda.IFunction) {
    this.kind = kind;
    this.name = name;
    this.target = target;
    this.function = fn;
  }
}

export interface RegionalHealthApiProps {
  /**
   * The roles allowed to call the API: the `HealthCheckAggregator` roles of this region (see
   * `HealthCheckAggregator.roleArnFor`). The API's resource policy allows exactly these ARNs and denies
   * every other principal, whatever its own IAM policies allow.
   */
  readonly callerRoleArns: string[];

  /**
   * Whether to prove IoT Core works end to end: a data-plane round trip over IAM (publish a retained
   * message with a fresh nonce on `cdk-iot-dr/health/<region>/probe`, read it back with
   * GetRetainedMessage — no device key anywhere) and a registry read (ListThings, one item); and to report
   * this region's replication readiness beside the verdict.
   *
   * @default false - only the iot-services account runs IoT Core; set it there
   */
  readonly checkIotCore?: boolean;

  /**
   * Checks of application services (a Lambda or an HTTPS URL each), run in parallel with the others.
   *
   * @default - none: command-control and data-analytics APIs name their services here
   */
  readonly checks?: HealthCheckTarget[];

  /**
   * How long each check may take before it counts as failed, 100 ms to 1.2 s. The checks run in parallel,
   * so this is also about how long the whole verdict takes; keep it at least 300 ms below the aggregator's
   * `healthApiTimeout` (API Gateway's SigV4 check, the invoke and the answer take the rest).
   *
   * @default Duration.seconds(1) - an IoT publish and read-back take tens of milliseconds in-region, and
   * the aggregator's 1.5 s per-call budget leaves room for API Gateway and a cold start
   */
  readonly checkTimeout?: Duration;

  /**
   * The replay parking queue of this region (`RegistryReplay.parkingQueue`): its depth is reported as
   * `readiness.parkedRecords`. Only with `checkIotCore`.
   *
   * @default - parked records are not reported
   */
  readonly parkingQueue?: sqs.IQueue;

  /**
   * CloudWatch namespace of the replication pipeline's metrics (replication lag, drift), read as readiness.
   *
   * @default 'IotDr' - the namespace the pipeline's handlers use unless told otherwise
   */
  readonly metricsNamespace?: string;

  /**
   * The IoT data-plane endpoint (`https://<prefix>-ats.iot.<region>.amazonaws.com`).
   *
   * @default - looked up with DescribeEndpoint (iot:Data-ATS) on the function's first call
   */
  readonly iotDataEndpoint?: string;

  /**
   * Steady-state requests per second the API's stage accepts.
   *
   * @default 10 - only the aggregators call it, each at most once per verdict cache period per instance
   */
  readonly throttlingRateLimit?: number;

  /**
   * Requests the stage accepts in a burst.
   *
   * @default 20 - twice the rate, for aggregator instances starting together
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Retention of the function's and the access logs' log groups.
   *
   * @default logs.RetentionDays.THREE_MONTHS - long enough to reconstruct a failover after the fact
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Customer managed KMS key for the log groups.
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}
