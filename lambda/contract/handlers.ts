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
  /** The parking queue's consumer: retries parked replays of any kind. */
  replayParked: { bundle: 'replay', exportName: 'replayParked' },
  /** The reconciler's item processor: one registry page or journal scan segment page per invocation. */
  reconcileItem: { bundle: 'reconcile', exportName: 'reconcileItem' },
  /** Writes this region's heartbeat item into the journal, every minute. */
  writeHeartbeat: { bundle: 'heartbeat', exportName: 'handler' },
  /** Records the arrival of the peer region's heartbeat: the replication-lag metric, no IoT call. */
  replayHeartbeat: { bundle: 'replay', exportName: 'replayHeartbeat' },
} as const satisfies Record<string, HandlerEntryPoint>;

export type HandlerId = keyof typeof HANDLERS;

/** The bundles `scripts/bundle-handlers.mjs` builds. */
export const HANDLER_BUNDLES: readonly string[] = [...new Set(Object.values(HANDLERS).map((h) => h.bundle))].sort();
