/**
 * A virtual clock for the drill: time moves only when the drill advances it, timer by timer, so minutes of
 * failover run in a few seconds. After each timer the drill lets real I/O (sockets, child processes) settle
 * before time moves on, so a connection that takes milliseconds costs no virtual time.
 */
import type { DeviceClock } from '../../lib/device';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

export class VirtualClock implements DeviceClock {
  #now: number;
  #nextId = 0;
  readonly #timers = new Map<number, Timer>();

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = ++this.#nextId;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Runs every timer due up to `untilMs` in time order (ties: in the order set), calling `settle` after each. */
  async advanceTo(untilMs: number, settle: () => Promise<void>): Promise<void> {
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.at <= untilMs && (!next || timer.at < next.at || (timer.at === next.at && timer.id < next.id))) next = timer;
      }
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await settle();
    }
    this.#now = Math.max(this.#now, untilMs);
  }
}
