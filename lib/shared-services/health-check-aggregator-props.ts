import type { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { DrRegionRole } from '../topology';

/** One regional health API the aggregator calls. */
export interface HealthApiEndpoint {
  /** Reported when the API or one of its checks fails, e.g. `iot-services`. Letters, digits, '.', '_', '-'. */
  readonly name: string;

  /**
   * The URL of its health resource (`RegionalHealthApi.url`):
   * `https://<id>.execute-api.<region>.amazonaws.com/v1/health`, in the aggregator's region.
   */
  readonly url: string;

  /** The account that owns the API: the aggregator's role may invoke health resources in this account only. */
  readonly account: string;
}

export interface HealthCheckAggregatorProps {
  /** The failover role of this aggregator's region: how the manual mode applies to it. */
  readonly regionRole: DrRegionRole;

  /** This region's health APIs (iot-services, command-control, data-analytics), called in parallel. */
  readonly healthApis: HealthApiEndpoint[];

  /**
   * How long the aggregator waits for each health API.
   *
   * @default Duration.millis(1500) - Route 53 waits 2 s for an answer once connected; this leaves room for
   * signing, the manual-mode read and the answer itself
   */
  readonly healthApiTimeout?: Duration;

  /**
   * How long a verdict is reused. Route 53's checkers (about 16 locations) call every 10 s; every caller
   * within this period gets the same verdict, and concurrent callers share one evaluation.
   *
   * @default Duration.seconds(5) - at most one evaluation per 5 s per aggregator instance, adding at most 5 s
   * to the detection time
   */
  readonly verdictCacheDuration?: Duration;

  /**
   * The SSM parameter (String) holding the manual mode (`auto`, `force-primary`, `force-secondary`) in this
   * region. The aggregator only reads it; the operator command writes it. A missing parameter means `auto`.
   *
   * @default '/cdk-iot-dr/failover/mode' - the name the operator command writes
   */
  readonly manualModeParameterName?: string;

  /**
   * How long the manual mode read from SSM is reused.
   *
   * @default Duration.seconds(5) - a mode change reaches the answer within 5 s (the operator command also
   * switches the Route 53 health checks directly)
   */
  readonly manualModeCacheDuration?: Duration;

  /**
   * Steady-state requests per second the endpoint accepts. Throttled requests are answered 429, which
   * Route 53 counts as a failed check: keep this well above Route 53's own rate (about 2 per second per
   * health check at a 10 s interval).
   *
   * @default 50 - 25 times Route 53's rate, while capping what an abusive caller can cost
   */
  readonly throttlingRateLimit?: number;

  /**
   * Requests the endpoint accepts in a burst.
   *
   * @default 100 - twice the rate
   */
  readonly throttlingBurstLimit?: number;

  /**
   * Name of the aggregator's role, which the regional health APIs' resource policies name.
   *
   * @default - `HealthCheckAggregator.defaultRoleName(region)`: `cdk-iot-dr-health-aggregator-<region>`,
   * so other accounts' stacks can name it before it exists
   */
  readonly roleName?: string;

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
