/**
 * One rate limiter per region and IoT API, shared by every replay, parking and reconcile Lambda of the
 * region (and by the reconciler's many Distributed Map processors), so a bulk copy runs at the target
 * region's quota bound instead of provoking a throttling storm.
 *
 * Fixed windows in the echo ledger table: a paced call first takes a slot of the current window with one
 * conditional write, `ADD used :1` on `rate#<api>#<window>` if `used < :limit` (TTL a minute). A full window
 * means waiting for the next one (a sleep until its start, plus jitter so waiters do not all write at
 * once). The rate is `quota × utilization × factor` per second, where the adaptive factor (per API, per
 * container) halves when IoT answers with a throttle (at most once a second) and recovers additively each
 * second without one: quotas lower than the table says, or other callers of the same API, slow the pipeline
 * down instead of failing it.
 *
 * Windows are a quarter second (the window index is `floor(epoch ms / 250)`), each with its share of the
 * rate (fractions carried over, so 9/s is 2, 2, 2, 3 slots): fixed windows let up to two windows' worth
 * through around a window's edge, and IoT's token buckets hold about one second of quota, so a short
 * window keeps that edge far below the bucket.
 *
 * Cost: one DynamoDB write (1 WCU, on-demand) per paced call, plus one per window a waiter tries and finds
 * full (a failed conditional write is billed too). APIs not in the quota table are not paced and cost
 * nothing. When the table cannot be written (an outage, missing permissions), the limiter fails open: IoT's
 * own throttling, the SDK's retries and parking still hold.
 *
 * The factor is per container: a container that is throttled backs off at once, the others when they are
 * throttled in turn. Windows follow each Lambda's clock (NTP-synchronised, milliseconds apart).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_IOT_QUOTAS, DEFAULT_QUOTA_UTILIZATION, ECHO_ATTR, RATE_LIMIT_ENV, RATE_LIMIT_KEY_PREFIX } from '../contract';
import type { Environment } from './config';
import { isThrottle } from './errors';
import { log } from './telemetry';

/** Where windows are counted: takes one slot of `window` if fewer than `limit` are taken. */
export interface WindowCounter {
  /** `expiresAt`: epoch seconds after which the window's record may go. */
  tryTake(api: string, window: number, limit: number, expiresAt: number): Promise<boolean>;
}

/** Window items live a minute: long enough for any clock skew between Lambdas, short enough to cost no storage. */
export const RATE_WINDOW_TTL_SECONDS = 60;

/** A quarter second: see above. */
export const DEFAULT_WINDOW_MS = 250;

export const rateWindowKey = (api: string, window: number): string => `${RATE_LIMIT_KEY_PREFIX}${api}#${window}`;

/** The echo ledger table as the window counter (`rate#<api>#<window>` items, TTL `expiresAt`). */
export class LedgerWindowCounter implements WindowCounter {
  constructor(
    private readonly doc: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
  ) {}

  async tryTake(api: string, window: number, limit: number, expiresAt: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [ECHO_ATTR.partitionKey]: rateWindowKey(api, window) },
          UpdateExpression: 'ADD #used :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#used) OR #used < :limit',
          ExpressionAttributeNames: { '#used': 'used', '#ttl': ECHO_ATTR.ttl },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': expiresAt },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}

export interface RateLimiterOptions {
  /** TPS per API; APIs not listed are not paced. */
  readonly quotas: Readonly<Record<string, number>>;
  /** Share of each quota to use. @default DEFAULT_QUOTA_UTILIZATION */
  readonly utilization?: number;
  /** Window length. @default 250 ms (see above) */
  readonly windowMs?: number;
  /** Adaptive factor regained per second without a throttle. @default 0.1 (from half to full in 5 s) */
  readonly recoveryPerSecond?: number;
  /** Lowest adaptive factor. @default 1/16 */
  readonly minFactor?: number;
  /** Longest wait for a slot before giving up with a throttle (replay parks it). @default 30 s */
  readonly maxWaitMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** [0, 1), for the jitter. */
  readonly random?: () => number;
}

interface Adaptive {
  factor: number;
  /** When `factor` was last set, epoch ms. */
  at: number;
  /** When it was last halved. */
  halvedAt: number;
}

/** Thrown when no slot came free within `maxWaitMs`: shaped like IoT's throttle, so callers retry or park it. */
export class RateLimitWaitExceeded extends Error {
  readonly $metadata = { httpStatusCode: 429 };
  readonly $fault = 'client';
  /** Marks the limiter's own refusal: it is no answer from IoT, so it does not lower the factor. */
  readonly rateLimited = true;
  constructor(api: string, waitedMs: number) {
    super(`no ${api} slot of the shared IoT rate limit came free within ${waitedMs} ms`);
    this.name = 'ThrottlingException';
  }
}

export class RateLimiter {
  private readonly utilization: number;
  private readonly windowMs: number;
  private readonly recoveryPerSecond: number;
  private readonly minFactor: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly adaptive = new Map<string, Adaptive>();
  private failingOpenSince?: number;

  constructor(
    private readonly counter: WindowCounter,
    private readonly options: RateLimiterOptions,
  ) {
    this.utilization = options.utilization ?? DEFAULT_QUOTA_UTILIZATION;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.recoveryPerSecond = options.recoveryPerSecond ?? 0.1;
    this.minFactor = options.minFactor ?? 1 / 16;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    if (!(this.utilization > 0 && this.utilization <= 1)) throw new Error(`rate limiter: utilization must be in (0, 1], got ${this.utilization}`);
  }

  /** Whether calls of `api` are paced. */
  paces(api: string): boolean {
    const quota = this.options.quotas[api];
    return quota !== undefined && Number.isFinite(quota) && quota > 0;
  }

  /** The adaptive factor of `api` now, in [minFactor, 1]. */
  factorOf(api: string): number {
    const a = this.adaptive.get(api);
    if (!a) return 1;
    return Math.min(1, a.factor + (this.recoveryPerSecond * Math.max(0, this.now() - a.at)) / 1000);
  }

  /** Calls per second of `api` now, or undefined when it is not paced. */
  rateOf(api: string): number | undefined {
    if (!this.paces(api)) return undefined;
    return this.options.quotas[api] * this.utilization * this.factorOf(api);
  }

  /**
   * Slots of `window` for `api`: the window's share of the rate, fractions carried from window to window (so
   * the slots of consecutive windows add up to the rate, and a rate below one per window leaves some empty).
   */
  limitOf(api: string, window: number = Math.floor(this.now() / this.windowMs)): number | undefined {
    const rate = this.rateOf(api);
    if (rate === undefined) return undefined;
    const perWindow = (rate * this.windowMs) / 1000;
    return Math.floor((window + 1) * perWindow) - Math.floor(window * perWindow);
  }

  /** IoT answered a call of `api` with a throttle: halve the factor (once a second, however many calls saw it). */
  onThrottle(api: string): void {
    if (!this.paces(api)) return;
    const now = this.now();
    const a = this.adaptive.get(api);
    // Calls in flight together see the same overload: one halving per second, like one per round trip in TCP.
    if (a && now - a.halvedAt < 1000) return;
    const factor = Math.max(this.minFactor, this.factorOf(api) / 2);
    this.adaptive.set(api, { factor, at: now, halvedAt: now });
    log('WARN', 'IoT throttled a paced call; slowing down', { api, factor, callsPerSecond: this.rateOf(api) });
  }

  /** Waits for a slot of `api` in the shared window (returns at once when `api` is not paced). */
  async take(api: string): Promise<void> {
    if (!this.paces(api)) return;
    const started = this.now();
    for (;;) {
      const now = this.now();
      const window = Math.floor(now / this.windowMs);
      const limit = this.limitOf(api, window)!;
      if (limit > 0) {
        let taken: boolean;
        try {
          const expiresAt = Math.ceil(((window + 1) * this.windowMs) / 1000) + RATE_WINDOW_TTL_SECONDS;
          taken = await this.counter.tryTake(api, window, limit, expiresAt);
          this.failingOpenSince = undefined;
        } catch (err) {
          this.failOpen(api, err);
          return;
        }
        if (taken) return;
      }
      const waited = this.now() - started;
      if (waited >= this.maxWaitMs) throw new RateLimitWaitExceeded(api, waited);
      // Next window's start, then a jitter within its first quarter: waiters spread out instead of racing.
      const nextWindow = (window + 1) * this.windowMs;
      await this.sleep(Math.max(0, nextWindow - this.now()) + Math.floor(this.random() * (this.windowMs / 4)));
    }
  }

  private failOpen(api: string, err: unknown): void {
    const now = this.now();
    // One warning a minute while the table cannot be written, not one per call.
    if (this.failingOpenSince === undefined || now - this.failingOpenSince > 60_000) {
      this.failingOpenSince = now;
      log('WARN', 'rate limiter window could not be written; calls go unpaced', { api, error: err });
    }
  }
}

/** The middleware stack of an SDK v3 client (IoT, IoT data plane). */
interface ClientWithMiddleware {
  readonly middlewareStack: {
    addRelativeTo(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { relation: 'before' | 'after'; toMiddleware: string; name: string; override?: boolean },
    ): void;
  };
}

/**
 * Paces every call of `client` through `limiter`: once per attempt, inside the SDK's retry loop and just
 * before signing (so a long wait never ages a signature), and feeds IoT's throttle answers to its adaptive
 * factor. The SDK's retries of a throttled call take a slot each, as each is a call IoT counts.
 */
export function rateLimitClient<C>(client: C, limiter: RateLimiter): C {
  (client as unknown as ClientWithMiddleware).middlewareStack.addRelativeTo(
    (next, context) => async (args) => {
      const api = String(context.commandName ?? '').replace(/Command$/, '');
      await limiter.take(api);
      try {
        return await next(args);
      } catch (err) {
        if (isThrottle(err) && !(err as { rateLimited?: boolean }).rateLimited) limiter.onThrottle(api);
        throw err;
      }
    },
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'iotDrRateLimit', override: true },
  );
  return client;
}

export interface RateLimitConfig {
  readonly quotas: Readonly<Record<string, number>>;
  readonly utilization: number;
  /** @default 30 s (RateLimiterOptions.maxWaitMs) */
  readonly maxWaitMs?: number;
}

/** The quota table with IOT_QUOTAS' overrides, and the utilization; errors name the handler and variable. */
export function readRateLimitConfig(environment: Environment, handler: string): RateLimitConfig {
  const raw = environment[RATE_LIMIT_ENV.iotQuotas] || '{}';
  let overrides: unknown;
  try {
    overrides = JSON.parse(raw);
  } catch {
    overrides = undefined;
  }
  const valid =
    typeof overrides === 'object' &&
    overrides !== null &&
    !Array.isArray(overrides) &&
    Object.values(overrides).every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0);
  if (!valid) throw new Error(`${handler} Lambda: ${RATE_LIMIT_ENV.iotQuotas} must be a JSON object of IoT API name to a positive TPS, got '${raw}'`);
  const rawUtilization = environment[RATE_LIMIT_ENV.utilization];
  const utilization = rawUtilization ? Number(rawUtilization) : DEFAULT_QUOTA_UTILIZATION;
  if (!(utilization > 0 && utilization <= 1)) {
    throw new Error(`${handler} Lambda: ${RATE_LIMIT_ENV.utilization} must be a number in (0, 1], got '${rawUtilization}'`);
  }
  const rawMaxWait = environment[RATE_LIMIT_ENV.maxWaitMs];
  const maxWaitMs = rawMaxWait ? Number(rawMaxWait) : undefined;
  if (maxWaitMs !== undefined && !(Number.isSafeInteger(maxWaitMs) && maxWaitMs > 0)) {
    throw new Error(`${handler} Lambda: ${RATE_LIMIT_ENV.maxWaitMs} must be a positive whole number of milliseconds, got '${rawMaxWait}'`);
  }
  return { quotas: { ...DEFAULT_IOT_QUOTAS, ...(overrides as Record<string, number>) }, utilization, ...(maxWaitMs !== undefined ? { maxWaitMs } : {}) };
}

/** The region's shared limiter on the echo ledger table, configured from the environment. */
export function rateLimiterFromEnv(environment: Environment, handler: string, doc: Pick<DynamoDBDocumentClient, 'send'>, ledgerTableName: string): RateLimiter {
  const config = readRateLimitConfig(environment, handler);
  return new RateLimiter(new LedgerWindowCounter(doc, ledgerTableName), config);
}
