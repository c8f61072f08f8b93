/**
 * Client-side pacing of IoT control-plane calls: one token bucket per API, so a reconciler run (many item
 * processors, each with its own pacer) stays under the account's TPS quotas instead of provoking a
 * throttling storm. Each processor gets `quota × utilization / concurrency` calls per second of each API.
 */
import type { IoTClient } from '@aws-sdk/client-iot';


interface Bucket {
  /** When the next call may be sent; reservations queue behind it. */
  nextFree: number;
}

export class Pacer {
  private readonly buckets = new Map<string, Bucket>();

  /** `rates`: calls per second per API; APIs not listed are not paced. */
  constructor(
    private readonly rates: Readonly<Record<string, number>>,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Rates for one of `concurrency` processors using `utilization` (0..1] of each quota. */
  static share(quotas: Readonly<Record<string, number>>, concurrency: number, utilization = 0.8): Record<string, number> {
    return Object.fromEntries(Object.entries(quotas).map(([api, tps]) => [api, (tps * utilization) / Math.max(1, concurrency)]));
  }

  /** Waits until a call of `api` fits the pace (no burst: calls are spaced 1/rate apart). */
  async take(api: string): Promise<void> {
    const rate = this.rates[api];
    if (!rate || !Number.isFinite(rate)) return;
    const interval = 1000 / rate;
    const now = this.clock();
    let bucket = this.buckets.get(api);
    if (!bucket) {
      bucket = { nextFree: now };
      this.buckets.set(api, bucket);
    }
    const at = Math.max(now, bucket.nextFree);
    bucket.nextFree = at + interval;
    if (at > now) await this.sleep(at - now);
  }
}

/** Adds the pacer to `iot`'s middleware: every command waits for its API's token before it is sent. */
export function paceClient<C extends Pick<IoTClient, 'middlewareStack'>>(iot: C, pacer: Pacer): C {
  iot.middlewareStack.add(
    (next, context) => async (args) => {
      const api = String((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');
      await pacer.take(api);
      return next(args);
    },
    { step: 'initialize', name: 'iotDrReconcilePacer' },
  );
  return iot;
}
