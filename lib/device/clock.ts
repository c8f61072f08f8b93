/**
 * The helper's notion of time. Every timer it sets (periodic lookup, backoff, notice follow-ups) goes
 * through a `DeviceClock`, so tests can shorten time and the drill can run it on a virtual clock.
 */
export interface DeviceClock {
  /** Milliseconds since an arbitrary epoch; only differences are used. */
  now(): number;
  /** Calls `callback` once after `delayMs`; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process's own timers. */
export const systemClock: DeviceClock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
