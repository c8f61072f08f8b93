/**
 * The pre-bundled handlers: `scripts/bundle-handlers.mjs` builds one asset folder per bundle
 * (`assets/<bundle>/index.js` from `lambda/<bundle>/index.ts`), and each entry point below is an export of
 * that bundle's index. Replay is one bundle exporting a handler per entity kind, so the kinds share code
 * and the list is written once, here.
 */

export interface HandlerEntryPoint {
  /** Asset folder under `assets/`, and source folder under `lambda/`. */
  readonly bundle: string;
  /** Name of the function the bundle's `index.ts` exports. */
  readonly exportName: string;
}

export const HANDLERS = {
  capture: { bundle: 'capture', exportName: 'handler' },
  replayThing: { bundle: 'replay', exportName: 'replayThing' },
  replayThingType: { bundle: 'replay', exportName: 'replayThingType' },
  replayThingGroup: { bundle: 'replay', exportName: 'replayThingGroup' },
  replayMembership: { bundle: 'replay', exportName: 'replayMembership' },
  replayCertificate: { bundle: 'replay', exportName: 'replayCertificate' },
  replayCaCertificate: { bundle: 'replay', exportName: 'replayCaCertificate' },
  replayPolicy: { bundle: 'replay', exportName: 'replayPolicy' },
  replayPolicyTarget: { bundle: 'replay', exportName: 'replayPolicyTarget' },
  replayPrincipal: { bundle: 'replay', exportName: 'replayPrincipal' },
  replayProvisioningTemplate: { bundle: 'replay', exportName: 'replayProvisioningTemplate' },
  replayRoleAlias: { bundle: 'replay', exportName: 'replayRoleAlias' },
  replayShadow: { bundle: 'replay', exportName: 'replayShadow' },
  /** The parking queue's consumer: retries parked replays of any kind. */
  replayParked: { bundle: 'replay', exportName: 'replayParked' },
  /** The reconciler's item processor: one registry page or journal scan segment page per invocation. */
  reconcileItem: { bundle: 'reconcile', exportName: 'reconcileItem' },
  /** Writes this region's heartbeat item into the journal, every minute. */
  writeHeartbeat: { bundle: 'heartbeat', exportName: 'handler' },
  /** Records the arrival of the peer region's heartbeat: the replication-lag metric, no IoT call. */
  replayHeartbeat: { bundle: 'replay', exportName: 'replayHeartbeat' },
  /** A workload account's regional health API: IoT data-plane round trip, registry read, user checks, readiness. */
  regionalHealth: { bundle: 'health', exportName: 'regionalHealth' },
  /** The shared-services aggregator Route 53 calls: health APIs (SigV4) + manual mode, cached verdict. */
  aggregateHealth: { bundle: 'health', exportName: 'aggregateHealth' },
  /** Health-check alarm (SNS) → the failover notice on the MQTT topic in both regions. */
  notifyFailover: { bundle: 'failover', exportName: 'notifyFailover' },
  /** One step of the ARC Region switch plan: check-readiness, switch-mode or publish-notice. */
  regionSwitchStep: { bundle: 'failover', exportName: 'regionSwitchStep' },
  /** The command-and-control API: onboard, suspend, resume, decommission a device; its status in both regions. */
  commandApi: { bundle: 'command', exportName: 'handler' },
  /** Telemetry buffer (SQS) → PutEvents to the analytics bus's global endpoint, failed entries retried. */
  forwardTelemetry: { bundle: 'telemetry', exportName: 'handler' },
  /** Not a Lambda: the operator's failover-mode command, package bin `cdk-iot-dr-failover` (assets/failover-mode/index.js). */
  failoverModeCommand: { bundle: 'failover-mode', exportName: 'main' },
} as const satisfies Record<string, HandlerEntryPoint>;

export type HandlerId = keyof typeof HANDLERS;

/** The bundles `scripts/bundle-handlers.mjs` builds. */
export const HANDLER_BUNDLES: readonly string[] = [...new Set(Object.values(HANDLERS).map((h) => h.bundle))].sort();
