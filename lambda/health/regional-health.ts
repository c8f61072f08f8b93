/**
 * A regional health API's answer: every configured check in parallel, each within the check timeout, and
 * (when configured) the readiness figures beside them. Probes are built per call, so nothing a previous
 * invocation saw can make this one healthy.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { HealthCheckSpec, Readiness, RegionalVerdict } from '../contract';
import { Clock, describeError, Probe, runChecks, SYSTEM_CLOCK } from './run-checks';

export interface RegionalHealthOptions {
  readonly region: string;
  readonly checks: readonly HealthCheckSpec[];
  readonly checkTimeoutMs: number;
  /** Builds a fresh probe for one configured check. */
  readonly probeFor: (spec: HealthCheckSpec) => Probe;
  /** Readiness figures; absent when this API reports none. Bounded by the check timeout too. */
  readonly readiness?: (signal: AbortSignal) => Promise<Readiness>;
  readonly clock?: Clock;
  /** Where unhealthy verdicts are logged (one JSON line). @default console.warn */
  readonly log?: (line: string) => void;
}

export interface RegionalHealth {
  evaluate(): Promise<RegionalVerdict>;
  /** API Gateway proxy integration: 200 when healthy, 503 otherwise, the verdict as JSON. */
  handler(): Promise<APIGatewayProxyResult>;
}

export function createRegionalHealth(options: RegionalHealthOptions): RegionalHealth {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const evaluate = async (): Promise<RegionalVerdict> => {
    const [checks, readiness] = await Promise.all([
      runChecks(options.checks.map(options.probeFor), options.checkTimeoutMs, clock),
      options.readiness ? readReadinessWithin(options.readiness, options.checkTimeoutMs) : Promise.resolve(undefined),
    ]);
    return {
      healthy: checks.length > 0 && checks.every((c) => c.healthy),
      region: options.region,
      checks,
      ...(readiness ? { readiness } : {}),
    };
  };
  return {
    evaluate,
    async handler() {
      const verdict = await evaluate();
      if (!verdict.healthy) (options.log ?? console.warn)(JSON.stringify({ message: 'unhealthy', ...verdict }));
      return {
        statusCode: verdict.healthy ? 200 : 503,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        body: JSON.stringify(verdict),
      };
    },
  };
}

async function readReadinessWithin(read: (signal: AbortSignal) => Promise<Readiness>, timeoutMs: number): Promise<Readiness> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ errors: [`readiness: no answer within ${timeoutMs} ms`] });
    }, timeoutMs);
  });
  try {
    return await Promise.race([read(controller.signal).catch((error: unknown) => ({ errors: [`readiness: ${describeError(error)}`] })), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
