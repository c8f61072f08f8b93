import type { Duration } from 'aws-cdk-lib';
import type * as route53 from 'aws-cdk-lib/aws-route53';

/** One region's endpoints behind the failover records. */
export interface FailoverRegionOptions {
  /** The region, e.g. 'us-west-2'. */
  readonly region: string;
  /**
   * Host name of the region's `HealthCheckAggregator` endpoint, the one Route 53 checks over HTTPS on port 443
   * (e.g. `abc123.execute-api.us-west-2.amazonaws.com`, or the aggregator's custom domain).
   */
  readonly aggregatorDomainName: string;
  /**
   * Path of the aggregator's health resource, including any API stage.
   * @default '/health' - the aggregator's HEALTH_PATH
   */
  readonly aggregatorPath?: string;
  /**
   * The region's IoT Core data endpoint in the iot-services account, the target of `iot.<domain>` there:
   * `aws iot describe-endpoint --endpoint-type iot:Data-ATS --region <region>` (run in the iot-services
   * account) prints it, e.g. `a1b2c3d4e5f6g7-ats.iot.us-west-2.amazonaws.com`. It is not known at synth time.
   * The region's `IotCustomDomain` (domain configuration `iot.<domain>`) makes IoT Core accept the custom name.
   */
  readonly iotDataEndpoint: string;
  /**
   * The regional API Gateway domain name of `api.<domain>` in this region (the command API's custom domain's
   * `regionalDomainName`, e.g. `d-abc123.execute-api.us-west-2.amazonaws.com`).
   * @default - no `api.<domain>` record
   */
  readonly apiDomainName?: string;
}

export interface FailoverRoutingProps {
  /** The public hosted zone of the domain, in this (shared-services) account. */
  readonly hostedZone: route53.IHostedZone;
  /**
   * The domain the records live under (`iot.<domainName>`, `api.<domainName>`, `active-region.<domainName>`).
   * @default - the hosted zone's name
   */
  readonly domainName?: string;
  /** The region serving devices while healthy (PRIMARY records). */
  readonly primary: FailoverRegionOptions;
  /** The region taking over (SECONDARY records). */
  readonly secondary: FailoverRegionOptions;
  /**
   * How often each Route 53 checker calls the aggregators: 10 or 30 seconds.
   * @default Duration.seconds(10) - Route 53's fast interval, a third of the detection time of 30 s
   */
  readonly healthCheckInterval?: Duration;
  /**
   * Consecutive failed checks before Route 53 considers a region unhealthy (and healthy again), 1 to 10.
   * @default 3 - Route 53's default: one lost check does not move devices
   */
  readonly failureThreshold?: number;
  /**
   * Text Route 53 looks for in the first 5,120 bytes of the aggregator's answer (HTTPS_STR_MATCH); an empty
   * string checks the status code only (HTTPS).
   * @default '"status":"HEALTHY"' - the aggregator writes it first, and only when every check passes
   */
  readonly searchString?: string;
  /**
   * TTL of the failover records and of the active-region TXT record.
   * @default Duration.seconds(10) - resolvers follow a flip within 10 s, at a query rate Route 53 prices lowly
   */
  readonly recordTtl?: Duration;
  /**
   * The longest the aggregator takes to answer one check (part of the detection time).
   * @default Duration.seconds(2) - the aggregator's own budget (DEFAULT_AGGREGATOR_TIMEOUT_MS), under Route 53's 2 s read timeout
   */
  readonly aggregatorTimeout?: Duration;
  /**
   * How often devices re-resolve `iot.<domain>` when no failover notice reaches them (the device helper's
   * `resolvePeriod`).
   * @default Duration.seconds(15) - the device helper's default
   */
  readonly deviceResolvePeriod?: Duration;
  /**
   * The recovery time objective: synth fails when the worst-case estimate exceeds it.
   * @default Duration.seconds(60)
   */
  readonly recoveryTimeObjective?: Duration;
  /**
   * Label of the device endpoint under the domain.
   * @default 'iot'
   */
  readonly iotSubdomain?: string;
  /**
   * Label of the command API under the domain.
   * @default 'api'
   */
  readonly apiSubdomain?: string;
}
