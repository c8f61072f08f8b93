/**
 * The aggregator Route 53 calls: its region's health APIs in parallel (SigV4, each within its timeout),
 * the manual mode beside them, one `AggregatedVerdict` — reused for a few seconds and shared by every
 * caller that arrives while it is being evaluated, so the callers' rate never reaches the health APIs.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { AggregatedVerdict, HEALTH_STATUS, HealthApiSpec, ManualMode, RegionRole } from '../contract';
import { aggregate, healthApiResult, HealthApiResult, httpStatusOf, renderVerdict, VerdictCache } from './aggregate';
import { Clock, describeError, runChecks, SYSTEM_CLOCK } from './run-checks';
import type { HttpAnswer } from '../shared/signed-request';

export interface AggregatorOptions {
  readonly region: string;
  readonly role: RegionRole;
  readonly healthApis: readonly HealthApiSpec[];
  readonly healthApiTimeoutMs: number;
  readonly verdictCacheMs: number;
  /** Calls one health API (signed); `signal` aborts at the timeout. */
  readonly callHealthApi: (api: HealthApiSpec, signal: AbortSignal) => Promise<HttpAnswer>;
  /** The current manual mode (cached by the caller). */
  readonly manualMode: () => Promise<ManualMode>;
  readonly clock?: Clock;
  /** Where each evaluated verdict is logged (one JSON line). @default console.log */
  readonly log?: (line: string) => void;
}

export interface Aggregator {
  /** The verdict, cached and coalesced. */
  verdict(): Promise<AggregatedVerdict>;
  /** API Gateway proxy integration: 200 + JSON when healthy, 503 + JSON naming the failing checks otherwise. */
  handler(): Promise<APIGatewayProxyResult>;
  readonly cache: VerdictCache<AggregatedVerdict>;
}

export function createAggregator(options: AggregatorOptions): Aggregator {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const cache = new VerdictCache<AggregatedVerdict>({ ttlMs: options.verdictCacheMs, clock });

  const evaluate = async (): Promise<AggregatedVerdict> => {
    const evaluatedAt = new Date(clock.now());
    // What each answered API said beyond healthy/unhealthy: the names of its failing checks.
    const answered = new Map<string, HealthApiResult>();
    const probes = options.healthApis.map((api) => ({
      name: api.name,
      async run(signal: AbortSignal) {
        const answer = await options.callHealthApi(api, signal);
        const result = healthApiResult(api.name, answer.status, answer.body, 0);
        answered.set(api.name, result);
        return { healthy: result.healthy, ...(result.detail !== undefined ? { detail: result.detail } : {}) };
      },
    }));
    const [checks, mode] = await Promise.all([runChecks(probes, options.healthApiTimeoutMs, clock), options.manualMode()]);
    const results: HealthApiResult[] = checks.map((check) => {
      const full = answered.get(check.name);
      // Only when this result is that answer (not a timeout that the answer arrived after).
      return full?.failedChecks && full.detail === check.detail ? { ...check, failedChecks: full.failedChecks } : check;
    });
    const verdict = aggregate({ region: options.region, role: options.role, mode, results, evaluatedAt });
    (options.log ?? console.log)(JSON.stringify({ message: 'verdict', ...verdict }));
    return verdict;
  };

  const verdict = (): Promise<AggregatedVerdict> => cache.get(evaluate);

  return {
    cache,
    verdict,
    async handler() {
      let answer: AggregatedVerdict;
      try {
        answer = await verdict();
      } catch (error) {
        // Not expected (probes never throw); still an answer Route 53 understands.
        answer = {
          status: HEALTH_STATUS.unhealthy,
          healthy: false,
          region: options.region,
          role: options.role,
          mode: 'auto',
          failing: ['aggregator'],
          checks: [{ name: 'aggregator', healthy: false, ms: 0, detail: describeError(error) }],
          evaluatedAt: new Date(clock.now()).toISOString(),
        };
      }
      return {
        statusCode: httpStatusOf(answer),
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        body: renderVerdict(answer),
      };
    },
  };
}
