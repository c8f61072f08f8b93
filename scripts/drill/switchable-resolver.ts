/**
 * DNS for local failovers: an authoritative answer that can be switched (Route 53 flipping the failover
 * record) behind an optional caching recursive resolver that honours the record TTL on a `DeviceClock`.
 */
import type { DeviceClock, EndpointResolver, ResolvedEndpoint } from '../../lib/device';

export interface SwitchableResolverOptions {
  /** TTL of the record, milliseconds; 0 (the default) means no cache. */
  readonly ttlMs?: number;
  /** Needed with a TTL. */
  readonly clock?: DeviceClock;
}

export class SwitchableResolver {
  /** Lookups answered (from the cache or not). */
  lookups = 0;
  #authoritative: ResolvedEndpoint;
  #cached?: { answer: ResolvedEndpoint; expiresAt: number };
  readonly #ttlMs: number;
  readonly #clock?: DeviceClock;

  constructor(answer: ResolvedEndpoint, options: SwitchableResolverOptions = {}) {
    this.#authoritative = answer;
    this.#ttlMs = options.ttlMs ?? 0;
    this.#clock = options.clock;
    if (this.#ttlMs > 0 && !this.#clock) throw new Error('a TTL needs a clock');
  }

  /** The authoritative answer now. */
  get authoritative(): ResolvedEndpoint {
    return this.#authoritative;
  }

  /** When the cached answer expires (clock time), if one is cached. */
  get cacheExpiresAt(): number | undefined {
    return this.#cached?.expiresAt;
  }

  /** Switches the authoritative answer; a cached answer keeps being served until it expires. */
  set(answer: ResolvedEndpoint): void {
    this.#authoritative = answer;
  }

  /** Makes the cache hold the current authoritative answer for a full TTL from now (another client just asked). */
  refreshCache(): void {
    if (this.#ttlMs > 0) this.#cached = { answer: this.#authoritative, expiresAt: this.#clock!.now() + this.#ttlMs };
  }

  /** The resolver to give the device helper. */
  readonly resolve: EndpointResolver = async () => {
    this.lookups++;
    if (this.#ttlMs <= 0) return this.#authoritative;
    const now = this.#clock!.now();
    if (!this.#cached || this.#cached.expiresAt <= now) this.#cached = { answer: this.#authoritative, expiresAt: now + this.#ttlMs };
    return this.#cached.answer;
  };
}
