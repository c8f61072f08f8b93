import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArnFactory } from './arns';
import { certificateRoutes } from './certificates';
import { CloudTrailRecorder, type CloudTrailEvent } from './cloudtrail';
import type { EmulatorContext } from './context';
import { dataPlaneRoutes } from './data-plane';
import { DataPlaneBus, type MqttMessage } from './data-plane-bus';
import { eventConfigurationRoutes } from './event-configurations';
import { RegistryEventBus, type RegistryEvent } from './events';
import { takeIdentitySnapshot, type IdentitySnapshot } from './identity-snapshot';
import { policyRoutes } from './policies';
import { principalRoutes } from './principals';
import { lambdaFunctionArn, lambdaRoutes, provisioningTemplateRoutes } from './provisioning';
import { ThrottleInjector, TokenBucketLimiter } from './quotas';
import { roleAliasRoutes } from './role-aliases';
import { Router } from './router';
import { seedState, type SeedInput, type SeedResult } from './seed';
import { handleRequest } from './server';
import { takeSnapshot, type RegistrySnapshot } from './snapshot';
import { RegistryState } from './state';
import { thingGroupRoutes } from './thing-groups';
import { thingTypeRoutes } from './thing-types';
import { thingRoutes } from './things';

export type { RegistryEvent } from './events';
export type { RegistrySnapshot } from './snapshot';
export type { CloudTrailEvent } from './cloudtrail';
export type { MqttMessage } from './data-plane-bus';
export type { IdentitySnapshot } from './identity-snapshot';
export type { SeedDevice, SeedInput, SeedResult } from './seed';
export { DEFAULT_TPS_QUOTAS } from './quotas';
export { DEFAULT_CALLER_ROLE, CALLER_SESSION_NAME } from './cloudtrail';
export { NORMALISED_ARN_PREFIX } from './identity-snapshot';

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
  /** Multiplies every TPS quota (defaults and `quotas` overrides), e.g. for a benchmark. @default 1 */
  readonly quotaScale?: number;
  /**
   * Lambda functions that exist in this region (names or ARNs), for the GetFunctionConfiguration
   * stand-in — e.g. the pre-provisioning hook a template names. See also `addLambdaFunction()`.
   */
  readonly lambdaFunctions?: readonly string[];
}

/**
 * One emulated region on one loopback port, serving three REST-JSON APIs side by side:
 * - the IoT control plane (`@aws-sdk/client-iot`): things, types, groups, event configurations,
 *   certificates and CA certificates, policies and their attachments, thing principals, provisioning
 *   templates, role aliases;
 * - the IoT data plane (`@aws-sdk/client-iot-data-plane`): shadows, Publish, retained messages;
 * - Lambda's GetFunctionConfiguration (`@aws-sdk/client-lambda`), backed by `lambdaFunctions`.
 * Point each SDK client at `endpoint`.
 *
 * Caller identity (CloudTrail): the role name is the SigV4 access key id of the request, parsed from
 * `Authorization: ... Credential=<AKID>/...` (`emulator-user` when unsigned). Give each caller's client
 * `credentials: { accessKeyId: 'replay-role', secretAccessKey: 'x' }` and its events carry
 * `userIdentity.arn = arn:aws:sts::<account>:assumed-role/replay-role/emulator-session` and
 * `sessionContext.sessionIssuer.arn = arn:aws:iam::<account>:role/replay-role`.
 */
export interface IotEmulator {
  /** `http://127.0.0.1:<port>`, for `new IoTClient({ endpoint })` (and the data-plane and Lambda clients). */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
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
  /**
   * Sorted plain data of certificates, CA certificates, policies, policy targets, thing principals,
   * provisioning templates, role aliases and shadows, with this region's ARN prefix normalised to
   * `arn:aws:iot:{region}:{account}:` (Lambda ARNs likewise), so two regions compare equal.
   */
  identitySnapshot(): IdentitySnapshot;
  /**
   * Data-plane messages: the reserved shadow topics AWS publishes to on UpdateThingShadow
   * (`.../update/accepted`, `.../update/delta`, `.../update/documents`) and DeleteThingShadow
   * (`.../delete/accepted`), and every HTTP Publish. Not gated by event configurations; delivered
   * asynchronously like registry events.
   */
  onMessage(listener: (message: MqttMessage) => void): () => void;
  /**
   * CloudTrail management events, as EventBridge delivers them, for each successful write call of the
   * certificate, CA, policy, attachment, thing-principal, provisioning-template and role-alias APIs.
   * Failed calls emit nothing; read-only calls (Describe/Get/List) emit nothing, as EventBridge does
   * not deliver them. The registry APIs (CreateThing, ...) are not recorded here although CloudTrail
   * would: their changes reach listeners as registry events. Delivered asynchronously.
   */
  onCloudTrail(listener: (event: CloudTrailEvent) => void): () => void;
  /** Fault injection: the next `events` CloudTrail events are lost (CloudTrail delivery is best effort). */
  dropCloudTrailNext(events: number): void;
  /** Makes a Lambda function (name or ARN; qualifiers ignored) exist in this region. */
  addLambdaFunction(nameOrArn: string): void;
  /**
   * Writes devices (thing + certificate as principal + policies on the certificate + static group
   * memberships) straight into state: no HTTP, quotas, call counts, registry events or CloudTrail.
   * For benchmarks that need N devices fast; idempotent. Use `x509.ts` (with a shared `keyPair`) for PEMs.
   */
  seed(input: SeedInput): SeedResult;
  /** Calls per operation name, throttled calls included. */
  callCounts(): Record<string, number>;
  /** Calls per operation answered 429 because its TPS quota was exceeded (injected faults not included). */
  quotaThrottles(): Record<string, number>;
  /** Multiplies every TPS quota from now on (a benchmark's untimed check-up after its timed run). */
  scaleQuotas(factor: number): void;
  /**
   * Empty registry (identities, shadows and retained messages included), events disabled, counters,
   * throttles and CloudTrail drops cleared, queued deliveries dropped; listeners stay subscribed and
   * Lambda functions stay defined.
   */
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
  const messages = new DataPlaneBus();
  const cloudTrail = new CloudTrailRecorder(region, accountId, now);
  const lambdaFunctions = new Set((options.lambdaFunctions ?? []).map((f) => lambdaFunctionArn({ region, accountId }, f)));
  const context: EmulatorContext = {
    region,
    accountId,
    arns: new ArnFactory(region, accountId),
    state,
    events,
    now,
    thingTypeDeleteCooldownMs: options.thingTypeDeleteCooldownMs ?? 300_000,
    messages,
    lambdaFunctions,
  };
  const pipeline = {
    router: new Router([
      ...thingRoutes(context),
      ...thingTypeRoutes(context),
      ...thingGroupRoutes(context),
      ...principalRoutes(context),
      ...eventConfigurationRoutes(context),
      ...certificateRoutes(context),
      ...policyRoutes(context),
      ...provisioningTemplateRoutes(context),
      ...roleAliasRoutes(context),
      ...dataPlaneRoutes(context),
      ...lambdaRoutes(context),
    ]),
    limiter: new TokenBucketLimiter(options.quotas, undefined, options.quotaScale),
    throttles: new ThrottleInjector(),
    outages: new ThrottleInjector(),
    callCounts: new Map<string, number>(),
    quotaThrottles: new Map<string, number>(),
    cloudTrail,
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
    accountId,
    onEvent: (listener) => events.onEvent(listener),
    enableAllEvents: () => events.enableAll(),
    throttle: (forMs, apis) => pipeline.throttles.throttle(forMs, apis),
    throttleNext: (calls, apis) => pipeline.throttles.throttleNext(calls, apis),
    injectedFaults: () => ({ answered: pipeline.throttles.injected, pending: pipeline.throttles.pending }),
    failNext: (calls, apis) => pipeline.outages.throttleNext(calls, apis),
    injectedOutages: () => ({ answered: pipeline.outages.injected, pending: pipeline.outages.pending }),
    snapshot: () => takeSnapshot(state),
    identitySnapshot: () => takeIdentitySnapshot(state, context.arns),
    onMessage: (listener) => messages.onMessage(listener),
    onCloudTrail: (listener) => cloudTrail.onCloudTrail(listener),
    dropCloudTrailNext: (count) => cloudTrail.dropNext(count),
    addLambdaFunction: (nameOrArn) => {
      lambdaFunctions.add(lambdaFunctionArn({ region, accountId }, nameOrArn));
    },
    seed: (input) => seedState(context, input),
    callCounts: () => Object.fromEntries(pipeline.callCounts),
    quotaThrottles: () => Object.fromEntries(pipeline.quotaThrottles),
    scaleQuotas: (factor) => pipeline.limiter.scale(factor),
    reset: () => {
      state.clear();
      events.reset();
      messages.reset();
      cloudTrail.reset();
      pipeline.limiter.reset();
      pipeline.throttles.reset();
      pipeline.outages.reset();
      pipeline.callCounts.clear();
      pipeline.quotaThrottles.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        events.stop();
        messages.stop();
        cloudTrail.stop();
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; without this close() would wait for their idle timeout.
        server.closeAllConnections();
      }),
  };
}
