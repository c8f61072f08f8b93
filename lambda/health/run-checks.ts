/**
 * Runs health probes in parallel, each within its own timeout. A probe that throws, answers unhealthy or
 * does not answer in time is reported unhealthy with the reason in `detail`; nothing here keeps state
 * between calls.
 */
import type { CheckResult } from '../contract';

/** What a probe finds. A probe may also just resolve (healthy) or throw (unhealthy). */
export interface ProbeOutcome {
  readonly healthy: boolean;
  readonly detail?: string;
}

export interface Probe {
  readonly name: string;
  /** `signal` aborts when the probe's time is up, so it can cancel its request. */
  run(signal: AbortSignal): Promise<ProbeOutcome | void>;
}

/** Injected so tests can use fake timers and a virtual clock. */
export interface Clock {
  now(): number;
}

export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

const MAX_DETAIL_LENGTH = 300;

/** `Name: message`, short enough for a verdict Route 53 reads the first 5,120 bytes of. */
export function describeError(error: unknown): string {
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : typeof error === 'string' ? error : JSON.stringify(error);
  return truncate(text ?? 'unknown error');
}

export function truncate(text: string, max = MAX_DETAIL_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Runs one probe; always resolves, within `timeoutMs` (plus the event loop's own latency). */
export async function runProbe(probe: Probe, timeoutMs: number, clock: Clock = SYSTEM_CLOCK): Promise<CheckResult> {
  const started = clock.now();
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      resolve({ healthy: false, detail: `Timeout: no answer within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  const answered = (async (): Promise<ProbeOutcome> => {
    try {
      return (await probe.run(controller.signal)) ?? { healthy: true };
    } catch (error) {
      return { healthy: false, detail: describeError(error) };
    }
  })();
  try {
    const outcome = await Promise.race([answered, timedOut]);
    const result: CheckResult = { name: probe.name, healthy: outcome.healthy, ms: Math.max(0, Math.round(clock.now() - started)) };
    return outcome.detail === undefined ? result : { ...result, detail: truncate(outcome.detail) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every probe at once; results in the probes' order. */
export function runChecks(probes: readonly Probe[], timeoutMs: number, clock: Clock = SYSTEM_CLOCK): Promise<CheckResult[]> {
  return Promise.all(probes.map((probe) => runProbe(probe, timeoutMs, clock)));
}
