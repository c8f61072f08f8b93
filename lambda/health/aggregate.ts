/**
 * The aggregator's decision, as pure functions of plain data, and its verdict cache. The handler
 * (`aggregator.ts`) and the failover drill both use this module; its exports are a stable interface:
 *
 * - `aggregate(input)`: health API results + manual mode + this region's role → `AggregatedVerdict`;
 * - `applyManualMode(checksHealthy, mode, role)`: the manual-mode rule alone;
 * - `healthApiResult(name, status, body, ms)`: one health API's HTTP answer → a `HealthApiResult`;
 * - `httpStatusOf(verdict)` / `renderVerdict(verdict)`: the HTTP answer Route 53 sees (200/503, JSON body
 *   starting with the `HEALTHY_SEARCH_STRING` token when healthy);
 * - `VerdictCache`: reuses a verdict for `ttlMs` and coalesces concurrent callers onto one evaluation.
 */
import {
  AggregatedVerdict,
  CheckResult,
  DEFAULT_VERDICT_CACHE_MS,
  HEALTH_STATUS,
  ManualMode,
  RegionalVerdict,
  RegionRole,
} from '../contract';
import { Clock, SYSTEM_CLOCK, truncate } from './run-checks';

export { HEALTHY_SEARCH_STRING, MANUAL_MODES, REGION_ROLES } from '../contract';
export type { AggregatedVerdict, CheckResult, ManualMode, RegionRole } from '../contract';
export type { Clock } from './run-checks';

/** One health API's outcome: a check result plus the names of its own checks that failed. */
export interface HealthApiResult extends CheckResult {
  /** Names of the health API's checks that failed (from its verdict), when it answered one. */
  readonly failedChecks?: readonly string[];
}

export interface AggregateInput {
  /** This aggregator's region. */
  readonly region: string;
  /** The failover role of this aggregator's region. */
  readonly role: RegionRole;
  readonly mode: ManualMode;
  readonly results: readonly HealthApiResult[];
  /** When the evaluation ran. */
  readonly evaluatedAt: Date;
}

/** Reported as failing when no health API is configured: an aggregator that checks nothing is not healthy. */
export const NO_HEALTH_APIS = 'no-health-apis';

/**
 * The manual-mode rule: `auto` follows the checks; `force-primary` makes the primary healthy and the
 * secondary unhealthy; `force-secondary` the reverse. Forcing ignores the checks on purpose: the operator
 * decided.
 */
export function applyManualMode(checksHealthy: boolean, mode: ManualMode, role: RegionRole): boolean {
  switch (mode) {
    case 'force-primary':
      return role === 'primary';
    case 'force-secondary':
      return role === 'secondary';
    default:
      return checksHealthy;
  }
}

/** Combines the health API results and the manual mode into this region's verdict. */
export function aggregate(input: AggregateInput): AggregatedVerdict {
  const failedResults = input.results.filter((r) => !r.healthy);
  const failingChecks =
    input.results.length === 0
      ? [NO_HEALTH_APIS]
      : failedResults.flatMap((r) => (r.failedChecks && r.failedChecks.length > 0 ? r.failedChecks.map((c) => `${r.name}/${c}`) : [r.name]));
  const checksHealthy = failingChecks.length === 0;
  const healthy = applyManualMode(checksHealthy, input.mode, input.role);
  // When the mode overrides the checks, say so: the operator reading the answer sees why.
  const failing = healthy ? [] : checksHealthy ? [`manual-mode:${input.mode}`] : failingChecks;
  return {
    status: healthy ? HEALTH_STATUS.healthy : HEALTH_STATUS.unhealthy,
    healthy,
    region: input.region,
    role: input.role,
    mode: input.mode,
    failing,
    checks: input.results.map(({ failedChecks: _failed, ...result }) => result),
    evaluatedAt: input.evaluatedAt.toISOString(),
  };
}

/**
 * Reads one health API's HTTP answer. Healthy only on HTTP 200 with a `RegionalVerdict` saying healthy;
 * a 503 verdict names its failing checks; anything else (403 from a resource policy, 5xx from API Gateway,
 * a body that is not a verdict) fails the API as a whole.
 */
export function healthApiResult(name: string, status: number, body: string, ms: number): HealthApiResult {
  const verdict = parseRegionalVerdict(body);
  if (verdict === undefined) {
    return { name, healthy: false, ms, detail: truncate(`HTTP ${status}: ${body.replace(/\s+/g, ' ').trim() || 'empty body'}`) };
  }
  const failed = verdict.checks.filter((c) => !c.healthy);
  if (status === 200 && verdict.healthy && failed.length === 0) {
    return { name, healthy: true, ms };
  }
  return {
    name,
    healthy: false,
    ms,
    detail: truncate(
      failed.length > 0 ? failed.map((c) => `${c.name}: ${c.detail ?? 'unhealthy'}`).join('; ') : `HTTP ${status}: verdict unhealthy`,
    ),
    ...(failed.length > 0 ? { failedChecks: failed.map((c) => c.name) } : {}),
  };
}

function parseRegionalVerdict(body: string): RegionalVerdict | undefined {
  try {
    const value = JSON.parse(body) as Partial<RegionalVerdict>;
    if (value && typeof value.healthy === 'boolean' && Array.isArray(value.checks)) {
      return value as RegionalVerdict;
    }
  } catch {
    // Not JSON: API Gateway's or a proxy's own answer.
  }
  return undefined;
}

/** 200 when healthy (Route 53 counts 2xx/3xx as healthy), 503 otherwise. */
export function httpStatusOf(verdict: AggregatedVerdict): 200 | 503 {
  return verdict.healthy ? 200 : 503;
}

/** The body Route 53 reads: compact JSON, `status` first so the search string is in the first bytes. */
export function renderVerdict(verdict: AggregatedVerdict): string {
  const { status, ...rest } = verdict;
  return JSON.stringify({ status, ...rest });
}

export interface VerdictCacheOptions {
  /** How long a verdict is reused, from the moment its evaluation started. */
  readonly ttlMs?: number;
  readonly clock?: Clock;
}

/**
 * Reuses the latest verdict for `ttlMs` and coalesces concurrent callers onto one in-flight evaluation, so
 * the health APIs see at most one evaluation per `ttlMs` per aggregator instance, whatever the callers'
 * rate. A failed evaluation is not cached (its callers all get the error; the next caller retries).
 */
export class VerdictCache<T> {
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private cached: { readonly value: T; readonly startedAt: number } | undefined;
  private inFlight: Promise<T> | undefined;
  private count = 0;

  constructor(options: VerdictCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_VERDICT_CACHE_MS;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    if (!Number.isFinite(this.ttlMs) || this.ttlMs < 0) {
      throw new Error(`VerdictCache: ttlMs must be a finite number >= 0, got ${this.ttlMs}`);
    }
  }

  /** How many evaluations this cache has started. */
  get evaluations(): number {
    return this.count;
  }

  /** The cached value while it is fresh. */
  peek(): T | undefined {
    return this.cached && this.clock.now() - this.cached.startedAt < this.ttlMs ? this.cached.value : undefined;
  }

  /** The fresh cached value, the in-flight evaluation, or a new evaluation of `evaluate`. */
  get(evaluate: () => Promise<T>): Promise<T> {
    const fresh = this.peek();
    if (fresh !== undefined) return Promise.resolve(fresh);
    if (this.inFlight) return this.inFlight;
    const startedAt = this.clock.now();
    this.count += 1;
    const evaluation = (async () => {
      try {
        const value = await evaluate();
        this.cached = { value, startedAt };
        return value;
      } finally {
        this.inFlight = undefined;
      }
    })();
    this.inFlight = evaluation;
    return evaluation;
  }

  /** Forgets the cached value (not an in-flight evaluation). */
  invalidate(): void {
    this.cached = undefined;
  }
}
