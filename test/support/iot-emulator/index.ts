import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArnFactory } from './arns';
import type { EmulatorContext } from './context';
import { eventConfigurationRoutes } from './event-configurations';
import { RegistryEventBus, type RegistryEvent } from './events';
import { principalRoutes } from './principals';
import { ThrottleInjector, TokenBucketLimiter } from './quotas';
import { Router } from './router';
import { handleRequest } from './server';
import { takeSnapshot, type RegistrySnapshot } from './snapshot';
import { RegistryState } from './state';
import { thingGroupRoutes } from './thing-groups';
import { thingTypeRoutes } from './thing-types';
import { thingRoutes } from './things';

export type { RegistryEvent } from './events';
export type { RegistrySnapshot } from './snapshot';
export { DEFAULT_TPS_QUOTAS } from './quotas';

export interface IotEmulatorOptions {
  /** @default 'us-west-2' — used in ARNs */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** Per-API TPS overrides of DEFAULT_TPS_QUOTAS; Infinity disables a limit. */
  readonly quotas?: Partial<Record<string, number>>;
  /**
   * Clock in epoch ms for event timestamps, creation/deprecation dates and the thing-type delete
   * cooldown. TPS quotas and throttle() always run on real time.
   * @default Date.now
   */
  readonly now?: () => number;
  /** @default 300000 — AWS requires a thing type to be deprecated 5 minutes before DeleteThingType */
  readonly thingTypeDeleteCooldownMs?: number;
}

export interface IotEmulator {
  /** `http://127.0.0.1:<port>`, for `new IoTClient({ endpoint })`. */
  readonly endpoint: string;
  readonly region: string;
  /** Registry events, only for types enabled via UpdateEventConfigurations or enableAllEvents(). */
  onEvent(listener: (event: RegistryEvent) => void): () => void;
  enableAllEvents(): void;
  /** Fault injection: every call (or only those APIs) answers 429 ThrottlingException for `forMs`. */
  throttle(forMs: number, apis?: string[]): void;
  /** Fault injection by call count: the next `calls` calls (or calls to those APIs) answer 429 ThrottlingException. */
  throttleNext(calls: number, apis?: string[]): void;
  /** Fault injection by call count: the next `calls` calls (or calls to those APIs) answer 503 ServiceUnavailableException. */
  failNext(calls: number, apis?: string[]): void;
  /** `failNext()` faults answered so far, and those still waiting for a call. */
  injectedOutages(): { readonly answered: number; readonly pending: number };
  /** `throttleNext()` faults answered so far, and those still waiting for a call. */
  injectedFaults(): { readonly answered: number; readonly pending: number };
  /** Sorted plain data of things, types, groups and memberships, to assert that two regions converged. */
  snapshot(): RegistrySnapshot;
  /** Calls per operation name, throttled calls included. */
  callCounts(): Record<string, number>;
  /** Empty registry, events disabled, counters and throttles cleared; listeners stay subscribed. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts an in-process AWS IoT registry on a free loopback port, for the real `@aws-sdk/client-iot`. */
export async function startIotEmulator(options: IotEmulatorOptions = {}): Promise<IotEmulator> {
  const region = options.region ?? 'us-west-2';
  const accountId = options.accountId ?? '123456789012';
  const now = options.now ?? Date.now;
  const state = new RegistryState();
  const events = new RegistryEventBus(now);
  const context: EmulatorContext = {
    region,
    accountId,
    arns: new ArnFactory(region, accountId),
    state,
    events,
    now,
    thingTypeDeleteCooldownMs: options.thingTypeDeleteCooldownMs ?? 300_000,
  };
  const pipeline = {
    router: new Router([
      ...thingRoutes(context),
      ...thingTypeRoutes(context),
      ...thingGroupRoutes(context),
      ...principalRoutes(context),
      ...eventConfigurationRoutes(context),
    ]),
    limiter: new TokenBucketLimiter(options.quotas),
    throttles: new ThrottleInjector(),
    outages: new ThrottleInjector(),
    callCounts: new Map<string, number>(),
  };

  const server = createServer((req, res) => {
    void handleRequest(pipeline, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    onEvent: (listener) => events.onEvent(listener),
    enableAllEvents: () => events.enableAll(),
    throttle: (forMs, apis) => pipeline.throttles.throttle(forMs, apis),
    throttleNext: (calls, apis) => pipeline.throttles.throttleNext(calls, apis),
    injectedFaults: () => ({ answered: pipeline.throttles.injected, pending: pipeline.throttles.pending }),
    failNext: (calls, apis) => pipeline.outages.throttleNext(calls, apis),
    injectedOutages: () => ({ answered: pipeline.outages.injected, pending: pipeline.outages.pending }),
    snapshot: () => takeSnapshot(state),
    callCounts: () => Object.fromEntries(pipeline.callCounts),
    reset: () => {
      state.clear();
      events.reset();
      pipeline.limiter.reset();
      pipeline.throttles.reset();
      pipeline.outages.reset();
      pipeline.callCounts.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        events.stop();
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this close() would wait for their idle timeout.
        server.closeAllConnections();
      }),
  };
}
