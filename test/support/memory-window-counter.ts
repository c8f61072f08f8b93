import type { WindowCounter } from '../../lambda/shared/rate-limiter';

/**
 * The rate limiter's windows in memory: one per region of a test world, shared by its replay and reconciler
 * clients like the echo ledger table in a deployment. dynalite takes ~15 ms per write and serialises writes
 * to one item, which would pace a benchmark far below IoT's quotas; LedgerWindowCounter itself is tested on
 * dynalite in test/lambda/shared/rate-limiter.test.ts.
 */
export class MemoryWindowCounter implements WindowCounter {
  readonly used = new Map<string, number>();

  async tryTake(api: string, window: number, limit: number): Promise<boolean> {
    const key = `${api}#${window}`;
    const used = this.used.get(key) ?? 0;
    if (used >= limit) return false;
    this.used.set(key, used + 1);
    return true;
  }
}
