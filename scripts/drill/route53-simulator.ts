/**
 * Route 53's side of the drill on the virtual clock: one health checker per region calling that region's
 * aggregator every `interval`, the aggregator's own logic (lambda/health/aggregate.ts: verdict, manual mode,
 * verdict cache, the HTTP answer Route 53 reads), the failure threshold in both directions, and the failover
 * record pair (PRIMARY while healthy, else SECONDARY; both unhealthy: PRIMARY, as Route 53 does).
 */
import { DEFAULT_HEALTH_API_TIMEOUT_MS, type AggregatedVerdict, type ManualMode, type RegionalVerdict, type RegionRole } from '../../lambda/contract';
import {
  aggregate,
  healthApiResult,
  HEALTHY_SEARCH_STRING,
  httpStatusOf,
  renderVerdict,
  VerdictCache,
  type HealthApiResult,
} from '../../lambda/health/aggregate';
import type { VirtualClock } from './virtual-clock';

/** The health APIs an aggregator calls in its region (one per workload account). */
const HEALTH_APIS = ['iot-services', 'command-control', 'data-analytics'] as const;
/** Route 53 reads the first 5,120 bytes of the body for the search string. */
const ROUTE53_BODY_BYTES = 5120;

export interface SimulatedRegion {
  readonly name: string;
  readonly role: RegionRole;
  /** Whether the region's services answer their health APIs. */
  up: boolean;
}

export interface Route53SimulatorOptions {
  readonly clock: VirtualClock;
  readonly primary: SimulatedRegion;
  readonly secondary: SimulatedRegion;
  readonly intervalMs: number;
  readonly failureThreshold: number;
  /** How long each aggregator answer takes (the drill uses the aggregator's whole budget: the worst case). */
  readonly answerMs: number;
  readonly verdictCacheMs: number;
  readonly mode?: () => ManualMode;
  /** Called when the failover records start answering with another region. */
  readonly onActiveChange: (active: SimulatedRegion, reason: string) => void;
  readonly log: (line: string) => void;
}

interface RegionHealth {
  healthy: boolean;
  consecutive: number;
  readonly cache: VerdictCache<AggregatedVerdict>;
}

export class Route53Simulator {
  readonly #o: Route53SimulatorOptions;
  readonly #health = new Map<string, RegionHealth>();
  #active: SimulatedRegion;
  /** Checks started, per region. */
  checks = 0;

  constructor(options: Route53SimulatorOptions) {
    this.#o = options;
    for (const region of [options.primary, options.secondary]) {
      this.#health.set(region.name, { healthy: true, consecutive: 0, cache: new VerdictCache({ ttlMs: options.verdictCacheMs, clock: options.clock }) });
    }
    this.#active = options.primary;
  }

  get active(): SimulatedRegion {
    return this.#active;
  }

  /** Route 53's view of a region. */
  healthy(region: SimulatedRegion): boolean {
    return this.#health.get(region.name)!.healthy;
  }

  /** Starts the checkers: the first round at `firstCheckAt`, then every interval. */
  start(firstCheckAt: number): void {
    const round = (): void => {
      this.#o.clock.setTimeout(round, this.#o.intervalMs);
      for (const region of [this.#o.primary, this.#o.secondary]) void this.#check(region);
    };
    this.#o.clock.setTimeout(round, firstCheckAt - this.#o.clock.now());
  }

  async #check(region: SimulatedRegion): Promise<void> {
    this.checks++;
    const health = this.#health.get(region.name)!;
    const verdict = await health.cache.get(() => this.#evaluate(region));
    const body = renderVerdict(verdict);
    const passed = httpStatusOf(verdict) === 200 && body.slice(0, ROUTE53_BODY_BYTES).includes(HEALTHY_SEARCH_STRING);
    if (passed === health.healthy) {
      health.consecutive = 0;
      return;
    }
    health.consecutive++;
    const what = passed ? 'passed' : `failed (${verdict.failing.join(', ')})`;
    this.#o.log(`Route 53: check of ${region.name} ${what}, ${health.consecutive} of ${this.#o.failureThreshold} in a row`);
    if (health.consecutive < this.#o.failureThreshold) return;
    health.healthy = passed;
    health.consecutive = 0;
    this.#o.log(`Route 53: ${region.name} is now ${passed ? 'HEALTHY' : 'UNHEALTHY'}`);
    const active = this.healthy(this.#o.primary) || !this.healthy(this.#o.secondary) ? this.#o.primary : this.#o.secondary;
    if (active !== this.#active) {
      this.#active = active;
      this.#o.onActiveChange(active, `${region.name} ${passed ? 'healthy' : 'unhealthy'}`);
    }
  }

  /** One aggregator evaluation: the region's state when it starts, its answer `answerMs` later. */
  #evaluate(region: SimulatedRegion): Promise<AggregatedVerdict> {
    const up = region.up;
    const evaluatedAt = new Date(this.#o.clock.now());
    const results: HealthApiResult[] = HEALTH_APIS.map((api) => {
      if (!up) {
        return { name: api, healthy: false, ms: DEFAULT_HEALTH_API_TIMEOUT_MS, detail: `Timeout: no answer within ${DEFAULT_HEALTH_API_TIMEOUT_MS} ms` };
      }
      const answer: RegionalVerdict = { healthy: true, region: region.name, checks: [{ name: api, healthy: true, ms: 40 }] };
      return healthApiResult(api, 200, JSON.stringify(answer), 40);
    });
    const verdict = aggregate({ region: region.name, role: region.role, mode: this.#o.mode?.() ?? 'auto', results, evaluatedAt });
    return new Promise((resolve) => this.#o.clock.setTimeout(() => resolve(verdict), this.#o.answerMs));
  }
}
