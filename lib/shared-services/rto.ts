import { DEFAULT_AGGREGATOR_TIMEOUT_MS } from '../../lambda/contract/health';

/**
 * The recovery-time arithmetic `FailoverRouting` checks at synth time and the drill measures against.
 *
 * Worst case, from the moment the primary breaks to the moment a device is connected to the secondary:
 *
 *   detection = healthCheckInterval × failureThreshold + aggregatorTimeout
 *               (Route 53 needs `failureThreshold` consecutive failed checks; the last one may take as long
 *               as the aggregator's own timeout to answer)
 *   dnsSwitch = recordTtl
 *               (resolvers may keep serving the old answer for one TTL after Route 53 flips the record)
 *   reconnect = deviceResolvePeriod
 *               (a device that missed the failover notice notices the new answer at its next periodic
 *               lookup; the notice usually beats this, so this is the bound, not the typical figure)
 *   total     = detection + dnsSwitch + reconnect
 *
 * Defaults: (10 s × 3 + 2 s) + 10 s + 15 s = 57 s, within the 60 s default objective. The archived AWS
 * sample was 30 s × 3 + TTL + 60 s polling, well over two minutes.
 *
 * A free function is fine here: this module is not exported from `lib/index.ts`; the public (jsii) API is
 * `FailoverRouting.estimateRto` and `FailoverRouting.estimatedRto`.
 */

/** Inputs of the worst-case estimate, all in seconds. */
export interface RtoInputs {
  /** TTL of the failover records. */
  readonly recordTtlSeconds: number;
  /** Route 53 health-check request interval (10 or 30). */
  readonly healthCheckIntervalSeconds: number;
  /** Consecutive failed checks before Route 53 calls the endpoint unhealthy (1–10). */
  readonly failureThreshold: number;
  /** How long the aggregator may take to answer one check. */
  readonly aggregatorTimeoutSeconds: number;
  /** How often a device re-resolves the endpoint when no failover notice reached it. */
  readonly deviceResolvePeriodSeconds: number;
}

/** The worst-case breakdown, in seconds. */
export interface RtoEstimate {
  readonly detectionSeconds: number;
  readonly dnsSwitchSeconds: number;
  readonly reconnectSeconds: number;
  readonly totalSeconds: number;
}

/** Route 53's fast request interval. */
export const DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS = 10;
/** Route 53's own default: three consecutive failures, so one lost check does not fail over. */
export const DEFAULT_FAILURE_THRESHOLD = 3;
/** Low enough that resolvers follow the flip quickly, high enough not to hammer Route 53 with queries. */
export const DEFAULT_RECORD_TTL_SECONDS = 10;
/**
 * The aggregator's worst-case answer time (`DEFAULT_AGGREGATOR_TIMEOUT_MS` in lambda/contract/health.ts):
 * Route 53 gives an HTTPS endpoint 4 s to connect and 2 s more to answer, so it stays under 2 s.
 */
export const DEFAULT_AGGREGATOR_TIMEOUT_SECONDS = DEFAULT_AGGREGATOR_TIMEOUT_MS / 1000;
/** The device helper's periodic re-resolve period: short enough for the 60 s objective, one lookup per 15 s per device. */
export const DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS = 15;
/** The objective the defaults are chosen to meet. */
export const DEFAULT_RECOVERY_TIME_OBJECTIVE_SECONDS = 60;

/** The inputs `FailoverRouting` uses when no prop overrides them. */
export const DEFAULT_RTO_INPUTS: RtoInputs = {
  recordTtlSeconds: DEFAULT_RECORD_TTL_SECONDS,
  healthCheckIntervalSeconds: DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS,
  failureThreshold: DEFAULT_FAILURE_THRESHOLD,
  aggregatorTimeoutSeconds: DEFAULT_AGGREGATOR_TIMEOUT_SECONDS,
  deviceResolvePeriodSeconds: DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS,
};

/** Worst-case recovery time: see the module comment for the formula. */
export function estimateRto(inputs: RtoInputs): RtoEstimate {
  for (const [name, value] of Object.entries(inputs)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`estimateRto: ${name} must be a finite number >= 0, got ${value}`);
    }
  }
  const detectionSeconds = inputs.healthCheckIntervalSeconds * inputs.failureThreshold + inputs.aggregatorTimeoutSeconds;
  const dnsSwitchSeconds = inputs.recordTtlSeconds;
  const reconnectSeconds = inputs.deviceResolvePeriodSeconds;
  return {
    detectionSeconds,
    dnsSwitchSeconds,
    reconnectSeconds,
    totalSeconds: detectionSeconds + dnsSwitchSeconds + reconnectSeconds,
  };
}

/** One line for error messages and outputs: `detection 32 s (interval 10 s × threshold 3 + aggregator timeout 2 s) + DNS 10 s ... = 57 s`. */
export function describeRto(inputs: RtoInputs, estimate: RtoEstimate = estimateRto(inputs)): string {
  return (
    `detection ${estimate.detectionSeconds} s (interval ${inputs.healthCheckIntervalSeconds} s × threshold ` +
    `${inputs.failureThreshold} + aggregator timeout ${inputs.aggregatorTimeoutSeconds} s) + DNS ${estimate.dnsSwitchSeconds} s ` +
    `(record TTL) + reconnect ${estimate.reconnectSeconds} s (device re-resolve period) = ${estimate.totalSeconds} s`
  );
}
