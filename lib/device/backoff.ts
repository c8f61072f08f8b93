/**
 * Reconnect delays: exponential, capped and fully jittered ("full jitter": a uniform draw between zero and
 * the exponential ceiling), so a fleet that lost its region does not reconnect in lockstep and hit the
 * other region's connect-rate quota at the same instant.
 */

/** Reconnect backoff, milliseconds. */
export interface BackoffOptions {
  /**
   * Ceiling of the first delay (after a drop, and before connecting to a new DNS answer).
   * @default 1000 - a fleet's reconnects to the new region are spread over a second
   */
  readonly initialDelay?: number;
  /**
   * Largest delay between two attempts at the same answer.
   * @default 60000 - a region that stays down is retried once a minute; a DNS change does not wait for it
   */
  readonly maxDelay?: number;
  /**
   * Growth of the ceiling per failed attempt.
   * @default 2
   */
  readonly multiplier?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialDelay: 1000, maxDelay: 60_000, multiplier: 2 };

/** Validated backoff with defaults applied; names the option and the allowed range when one is wrong. */
export function backoffWithDefaults(options: BackoffOptions = {}): Required<BackoffOptions> {
  const b = { ...DEFAULT_BACKOFF, ...options };
  if (!(Number.isFinite(b.initialDelay) && b.initialDelay >= 0)) {
    throw new Error(`backoff.initialDelay must be a number of milliseconds >= 0, got ${b.initialDelay}`);
  }
  if (!(Number.isFinite(b.maxDelay) && b.maxDelay >= b.initialDelay)) {
    throw new Error(`backoff.maxDelay must be >= backoff.initialDelay (${b.initialDelay} ms), got ${b.maxDelay}`);
  }
  if (!(Number.isFinite(b.multiplier) && b.multiplier >= 1)) {
    throw new Error(`backoff.multiplier must be >= 1, got ${b.multiplier}`);
  }
  return b;
}

/**
 * The delay before attempt number `attempt` (0 for the first): a uniform draw in
 * [0, min(maxDelay, initialDelay × multiplier^attempt)). `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, backoff: Required<BackoffOptions>, random: () => number): number {
  const ceiling = Math.min(backoff.maxDelay, backoff.initialDelay * Math.pow(backoff.multiplier, Math.max(0, attempt)));
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.min(Math.floor(draw * ceiling), backoff.maxDelay);
}
