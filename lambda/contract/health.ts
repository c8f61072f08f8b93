/**
 * Names and defaults the health constructs (`RegionalHealthApi`, `HealthCheckAggregator`), their handlers
 * (`lambda/health/`), the failover tooling (manual mode, `lambda/failover/`) and the drill share.
 *
 * Two layers of health:
 * - a regional health API in each workload account and region answers a `RegionalVerdict` (its checks);
 * - the aggregator in the shared-services account, one per region, calls its region's health APIs and
 *   answers Route 53 with an `AggregatedVerdict`: HTTP 200 and `"status":"HEALTHY"` or HTTP 503 and
 *   `"status":"UNHEALTHY"`, after applying the manual mode.
 */

/**
 * The failover manual mode an operator sets.
 * - `auto`: each region's health decides (the default);
 * - `force-primary`: the primary region reports healthy and the secondary unhealthy, whatever the checks say;
 * - `force-secondary`: the primary reports unhealthy and the secondary healthy, whatever the checks say.
 */
export const MANUAL_MODES = ['auto', 'force-primary', 'force-secondary'] as const;
export type ManualMode = (typeof MANUAL_MODES)[number];
export const DEFAULT_MANUAL_MODE: ManualMode = 'auto';

export function isManualMode(value: unknown): value is ManualMode {
  return typeof value === 'string' && (MANUAL_MODES as readonly string[]).includes(value);
}

/**
 * SSM parameter (String) holding the manual mode, in each aggregator's region of the shared-services
 * account. The operator command writes it in both regions (best effort) *and* acts on the Route 53 health
 * checks, so a failover works even when a region's aggregator is down. A missing parameter means `auto`.
 */
export const DEFAULT_MANUAL_MODE_PARAMETER_NAME = '/cdk-iot-dr/failover/mode';

/** Which failover role the aggregator's region plays (its Route 53 record's failover role). */
export const REGION_ROLES = ['primary', 'secondary'] as const;
export type RegionRole = (typeof REGION_ROLES)[number];

/**
 * The token Route 53's HTTPS_STR_MATCH health checks search for in the aggregator's answer. Route 53 reads
 * the first 5,120 bytes of the body; the aggregator writes `status` first. `"status":"UNHEALTHY"` does not
 * contain it.
 */
export const HEALTHY_SEARCH_STRING = '"status":"HEALTHY"';
export const HEALTH_STATUS = { healthy: 'HEALTHY', unhealthy: 'UNHEALTHY' } as const;

/** Path of the health resource on both APIs (the regional health API and the aggregator). */
export const HEALTH_PATH = '/health';

/**
 * Prefix of the IoT topic the iot-services check publishes its retained nonce to:
 * `<prefix>/<region>/probe`. The topic name carries no nonce, so one retained message per region exists.
 */
export const HEALTH_TOPIC_PREFIX = 'cdk-iot-dr/health';
export function healthTopic(region: string): string {
  return `${HEALTH_TOPIC_PREFIX}/${region}/probe`;
}

/**
 * Timing budget. Route 53 gives an HTTPS endpoint 4 s to connect and then 2 s to answer, so:
 * each regional check answers within DEFAULT_CHECK_TIMEOUT_MS; the aggregator gives each health API call
 * DEFAULT_HEALTH_API_TIMEOUT_MS (the checks run in parallel, plus API Gateway and a cold start); the
 * aggregator answers within DEFAULT_AGGREGATOR_TIMEOUT_MS (it also reads the manual mode in parallel).
 */
export const DEFAULT_CHECK_TIMEOUT_MS = 1000;
export const MIN_CHECK_TIMEOUT_MS = 100;
/** The default per-call budget less 300 ms for API Gateway's SigV4 check, the Lambda invoke and the answer. */
export const MAX_CHECK_TIMEOUT_MS = 1200;
export const DEFAULT_HEALTH_API_TIMEOUT_MS = 1500;
export const MIN_HEALTH_API_TIMEOUT_MS = 200;
export const MAX_HEALTH_API_TIMEOUT_MS = 1800;
/** Worst-case answer time of the aggregator on a cache miss: the health API calls plus signing and SSM. */
export const DEFAULT_AGGREGATOR_TIMEOUT_MS = 2000;
/** How long the aggregator reuses a verdict: Route 53's checkers call from many locations every 10 s. */
export const DEFAULT_VERDICT_CACHE_MS = 5000;
/** How long the aggregator reuses the manual mode it read from SSM. */
export const DEFAULT_MANUAL_MODE_CACHE_MS = 5000;

/** Environment of the regional health handler. */
export const HEALTH_API_ENV = {
  /** JSON array of `HealthCheckSpec`. */
  checks: 'HEALTH_CHECKS',
  checkTimeoutMs: 'HEALTH_CHECK_TIMEOUT_MS',
  /** IoT data-plane endpoint (`https://<prefix>-ats.iot.<region>.amazonaws.com`); empty: resolved with DescribeEndpoint. */
  iotDataEndpoint: 'IOT_DATA_ENDPOINT',
  /** Namespace of the replication pipeline's metrics (readiness). */
  metricsNamespace: 'METRICS_NAMESPACE',
  /** URL of the replay parking queue (readiness: parked records); empty: not reported. */
  parkingQueueUrl: 'PARKING_QUEUE_URL',
} as const;

/** Environment of the aggregator handler. */
export const AGGREGATOR_ENV = {
  /** JSON array of `HealthApiSpec`. */
  healthApis: 'HEALTH_APIS',
  regionRole: 'REGION_ROLE',
  manualModeParameterName: 'MANUAL_MODE_PARAMETER_NAME',
  healthApiTimeoutMs: 'HEALTH_API_TIMEOUT_MS',
  verdictCacheMs: 'VERDICT_CACHE_MS',
  manualModeCacheMs: 'MANUAL_MODE_CACHE_MS',
} as const;

/** Kinds of check a regional health API runs. */
export const HEALTH_CHECK_KINDS = {
  /** IoT data plane: publish a retained nonce, read it back. */
  iotDataPlane: 'iot-data-plane',
  /** IoT registry: one ListThings page of one. */
  iotRegistry: 'iot-registry',
  /** A user Lambda that answers `{ healthy: true }`. */
  lambda: 'lambda',
  /** A user HTTPS URL that answers 2xx to GET. */
  url: 'url',
} as const;
export type HealthCheckKind = (typeof HEALTH_CHECK_KINDS)[keyof typeof HEALTH_CHECK_KINDS];

/** One check as the construct configures it (HEALTH_API_ENV.checks). */
export interface HealthCheckSpec {
  readonly kind: HealthCheckKind;
  /** Unique within one health API: the name reported when it fails. */
  readonly name: string;
  /** Function name or ARN (`lambda`), URL (`url`). */
  readonly target?: string;
}

/** One health API the aggregator calls (AGGREGATOR_ENV.healthApis). */
export interface HealthApiSpec {
  /** Reported when it fails, e.g. `iot-services`. */
  readonly name: string;
  /** The full URL of the health resource (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/health`). */
  readonly url: string;
}

/** One check's outcome. `detail` says why it failed (or a small fact when it passed). */
export interface CheckResult {
  readonly name: string;
  readonly healthy: boolean;
  /** How long the check took, milliseconds. */
  readonly ms: number;
  readonly detail?: string;
}

/** Information about the secondary's readiness, never part of the verdict. */
export interface Readiness {
  /** Largest replication lag seen over the last five minutes, milliseconds. */
  readonly replicationLagMs?: number;
  /** Messages waiting in the parking queue. */
  readonly parkedRecords?: number;
  /** Drift the reconciler found over the last day. */
  readonly lastDriftFound?: number;
  /** What could not be read, if anything. */
  readonly errors?: readonly string[];
}

/** What a regional health API answers (HTTP 200 when healthy, 503 otherwise). */
export interface RegionalVerdict {
  readonly healthy: boolean;
  readonly region: string;
  readonly checks: readonly CheckResult[];
  readonly readiness?: Readiness;
}

/** What the aggregator answers Route 53 (HTTP 200 when `status` is HEALTHY, 503 otherwise). */
export interface AggregatedVerdict {
  /** First key, so Route 53's search string is near the start of the body. */
  readonly status: (typeof HEALTH_STATUS)[keyof typeof HEALTH_STATUS];
  readonly healthy: boolean;
  readonly region: string;
  readonly role: RegionRole;
  readonly mode: ManualMode;
  /** Names of the failing checks, `<api>` or `<api>/<check>`; empty when healthy. */
  readonly failing: readonly string[];
  /** One result per health API, its own checks flattened into `detail` when it failed. */
  readonly checks: readonly CheckResult[];
  /** ISO 8601 time of the evaluation the answer comes from (cached answers keep it). */
  readonly evaluatedAt: string;
}
