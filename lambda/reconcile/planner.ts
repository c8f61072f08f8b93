/**
 * The reconciler's rules, as a pure function: given what one region's registry holds for an entity, what
 * this region's pipeline last knew of it (the echo ledger's `known#<key>`), the journal's winner and when the
 * reconciler first saw the region differ, decide what to do. No I/O here; reconcile.ts carries the plan out.
 *
 * | region vs journal                          | known state                  | action                                  |
 * | ------------------------------------------ | ---------------------------- | --------------------------------------- |
 * | same state (or absent and a tombstone)     | any                          | `in-sync` (record the known state)      |
 * | present, no journal item                   | any                          | `import` (version older than any event) |
 * | absent, no journal item                    | any                          | `in-sync` (nothing to do)               |
 * | present, journal differs                   | none recorded                | `import`, then the winner is replayed   |
 * | absent, journal live                       | none, or not a local delete  | `replay` (the region never deleted it)  |
 * | differs                                    | region is at the known state | `replay` the winner                     |
| differs, the winner is this region's own   | any                          | as below: the region changed again      |
 * | differs                                    | region moved past it         | `wait` during the grace period, then `journal-local` |
 *
 * "Never revert a local change": a region that moved past the state its pipeline knew holds a change the
 * journal has not seen (its capture was lost or is still in flight). It is left alone; once the same local
 * state has been seen for `graceMs`, it is journaled as this region's change (see reconcile.ts for its version).
 */
import { TOMBSTONE_HASH } from '../shared/hash';
import type { KnownState } from '../shared/echo-ledger-store';

/** The entity as found in the region: its state hash (TOMBSTONE_HASH when absent) and IoT's version number. */
export interface LocalView {
  readonly stateHash: string;
  readonly localVersion?: number;
}

/** The journal's winner for the entity, as far as the planner needs it. */
export interface JournalView {
  readonly stateHash: string;
  readonly deleted: boolean;
  readonly originRegion: string;
}

/** When the reconciler first saw the region at a state the journal does not know (the drift marker). */
export interface DriftMarker {
  readonly stateHash: string;
  readonly firstSeen: number;
}

export interface PlanInput {
  readonly region: string;
  readonly local: LocalView;
  readonly known?: KnownState;
  readonly journal?: JournalView;
  readonly marker?: DriftMarker;
  /** Epoch ms. */
  readonly now: number;
  /** How long a local change must stay unchanged before the reconciler journals it. */
  readonly graceMs: number;
}

export type PlanAction =
  /** Region and journal agree. */
  | { readonly action: 'in-sync' }
  /** Journal the region's state with an import version (older than any real event). */
  | { readonly action: 'import' }
  /** Apply the journal's winner to the region with the kind's replay. */
  | { readonly action: 'replay' }
  /** A local change the journal has not seen: remember when it was first seen (`mark`) or keep waiting. */
  | { readonly action: 'wait'; readonly firstSeen: number; readonly mark: boolean }
  /** A local change stable for the grace period: journal it as this region's change, first seen at `firstSeen`. */
  | { readonly action: 'journal-local'; readonly firstSeen: number };

/** Whether the region is still at the known state: by version number when both have one, by hash otherwise. */
export function atKnownState(local: LocalView, known: KnownState): boolean {
  if (local.localVersion !== undefined && known.localVersion !== undefined) return local.localVersion === known.localVersion;
  return local.stateHash === known.stateHash;
}

export function planEntity(input: PlanInput): PlanAction {
  const { local, known, journal } = input;
  const present = local.stateHash !== TOMBSTONE_HASH;
  if (!journal) {
    return present ? { action: 'import' } : { action: 'in-sync' };
  }
  if (journal.stateHash === local.stateHash) return { action: 'in-sync' };
  // Replay never writes items of its own region's origin: the journal's winner is this region's own state,
  // so the region has since changed again without the journal seeing it.
  const ownOrigin = journal.originRegion === input.region;
  if (!known && !ownOrigin) {
    // Nothing says the region moved: an entity that predates replication. Its state is imported (it only
    // wins over other imports), then the journal's winner applies, as replay itself would do.
    return present ? { action: 'import' } : { action: 'replay' };
  }
  if (known && !ownOrigin && atKnownState(local, known)) return { action: 'replay' };
  const marker = input.marker;
  if (!marker || marker.stateHash !== local.stateHash) {
    return { action: 'wait', firstSeen: input.now, mark: true };
  }
  if (input.now - marker.firstSeen < input.graceMs) return { action: 'wait', firstSeen: marker.firstSeen, mark: false };
  return { action: 'journal-local', firstSeen: marker.firstSeen };
}
