/**
 * From a validated registry event to what capture writes: the entity's desired state, its journal
 * version, and the fingerprints that identify replay's own writes (echoes). Pure: no I/O, no clock.
 */
import { hashFingerprint, versionFingerprint } from '../shared/echo-ledger-store';
import { membershipState, thingGroupState, thingState, thingTypeState } from '../shared/entity-state';
import { stateHash, TOMBSTONE_HASH } from '../shared/hash';
import { tombstoneItem } from '../shared/journal-store';
import { type ItemKeys, memberKeys, thingGroupKeys, thingKeys, thingTypeKeys } from '../shared/keys';
import type { EntityKind, EntityState, JournalItem, ThingGroupState, ThingState } from '../shared/model';
import { makeVersion } from '../shared/version';
import type { RegistryEvent } from './registry-events';

export interface PlanContext {
  /** The region whose IoT Core published the event: the capture Lambda's own region. */
  readonly originRegion: string;
  /** Epoch milliseconds. */
  readonly now: number;
  readonly tombstoneTtlSeconds: number;
}

/** The event carries the entity's whole state (or its deletion): replace the item if newer. */
export interface ReplacePlan {
  readonly mode: 'replace';
  readonly item: JournalItem;
  /** Checked against the echo ledger before writing. */
  readonly fingerprints: readonly string[];
  /** A deleted thing or thing group takes its dependents with it (IoT sends no events for them). */
  readonly cascade: boolean;
  /**
   * The known-state record to write (see recordKnown in capture-handler.ts) when it is not the item's event
   * time and a `v#` fingerprint: device identities are read from IoT after the event, shadows carry their own
   * version. @default - at the item's event time, with the version of its `v#` fingerprint if any
   */
  readonly known?: { readonly at: number; readonly localVersion?: number };
  /**
   * When this region's registry was seen holding `item`'s state (Lambda clock, epoch ms): device identities
   * are read from IoT after their event. @default - the state comes from the event itself
   */
  readonly observedAt?: number;
}

interface MergeBase {
  readonly mode: 'merge';
  readonly keys: ItemKeys;
  readonly version: string;
  readonly eventTime: number;
  readonly eventId: string;
  readonly originRegion: string;
  readonly capturedAt: number;
}

/** THING_TYPE_ASSOCIATION: sets or clears `thingTypeName` on the thing's item. */
export interface ThingTypeAssociationMerge extends MergeBase {
  readonly kind: 'thing';
  readonly thingName: string;
  readonly thingTypeName: string;
  readonly associate: boolean;
}

/** THING_GROUP_HIERARCHY: sets or clears `parentGroupName` on the child group's item. */
export interface GroupHierarchyMerge extends MergeBase {
  readonly kind: 'thingGroup';
  readonly thingGroupName: string;
  readonly parentGroupName: string;
  readonly attach: boolean;
}

/** The event changes one field of an entity owned by another item: read, merge, write conditionally. */
export type MergePlan = ThingTypeAssociationMerge | GroupHierarchyMerge;

export type ChangePlan = ReplacePlan | MergePlan;

interface VersionFields {
  readonly version: string;
  readonly eventTime: number;
  readonly eventId: string;
  readonly originRegion: string;
}

export function planChange(event: RegistryEvent, ctx: PlanContext): ChangePlan {
  // IoT's versionNumber only exists for things and groups, and only orders changes within this region.
  const localVersion = event.family === 'thing' || event.family === 'thingGroup' ? event.versionNumber : undefined;
  const v: VersionFields = {
    version: makeVersion({ eventTime: event.eventTime, originRegion: ctx.originRegion, localVersion, eventId: event.eventId }),
    eventTime: event.eventTime,
    eventId: event.eventId,
    originRegion: ctx.originRegion,
  };
  const tombstone = (keys: ItemKeys, kind: EntityKind, cascade: boolean): ReplacePlan => ({
    mode: 'replace',
    item: tombstoneItem({ ...keys, kind }, { ...v, capturedAt: ctx.now, expiresAt: tombstoneExpiry(ctx) }),
    fingerprints: [hashFingerprint(TOMBSTONE_HASH)],
    cascade,
  });
  const live = (keys: ItemKeys, kind: EntityKind, state: EntityState): ReplacePlan => {
    const item = liveItem(keys, kind, state, v, ctx.now);
    return {
      mode: 'replace',
      item,
      // A version number is exact (replay records the version its own write produced); hashes elsewhere.
      fingerprints: [localVersion !== undefined ? versionFingerprint(localVersion) : hashFingerprint(item.stateHash)],
      cascade: false,
    };
  };

  switch (event.family) {
    case 'thing': {
      const keys = thingKeys(event.thingName);
      if (event.operation === 'DELETED') return tombstone(keys, 'thing', true);
      return live(keys, 'thing', thingState(event));
    }
    case 'thingType': {
      const keys = thingTypeKeys(event.thingTypeName);
      if (event.operation === 'DELETED') return tombstone(keys, 'thingType', false);
      return live(keys, 'thingType', thingTypeState(event));
    }
    case 'thingGroup': {
      const keys = thingGroupKeys(event.thingGroupName);
      if (event.operation === 'DELETED') return tombstone(keys, 'thingGroup', true);
      return live(keys, 'thingGroup', thingGroupState(event));
    }
    case 'thingGroupMembership': {
      const keys = memberKeys(event.thingGroupName, event.thingName);
      if (event.operation === 'REMOVED') return tombstone(keys, 'member', false);
      return live(keys, 'member', membershipState(event.thingGroupName, event.thingName));
    }
    case 'thingTypeAssociation':
      return {
        mode: 'merge',
        kind: 'thing',
        keys: thingKeys(event.thingName),
        ...v,
        capturedAt: ctx.now,
        thingName: event.thingName,
        thingTypeName: event.thingTypeName,
        associate: event.operation === 'CREATED',
      };
    case 'thingGroupHierarchy':
      return {
        mode: 'merge',
        kind: 'thingGroup',
        keys: thingGroupKeys(event.childGroupName),
        ...v,
        capturedAt: ctx.now,
        thingGroupName: event.childGroupName,
        parentGroupName: event.parentGroupName,
        attach: event.operation === 'ADDED',
      };
  }
}

/**
 * Applies a partial event to the entity's current state. A removal only clears the field when it still
 * names the removed type or parent: a later association with another one must not be undone by it.
 */
export function mergeState(plan: MergePlan, base: EntityState): EntityState {
  if (plan.kind === 'thing') {
    const { thingTypeName, ...rest } = base as ThingState;
    if (plan.associate) return thingState({ ...rest, thingName: plan.thingName, thingTypeName: plan.thingTypeName });
    return thingState({ ...rest, thingName: plan.thingName, thingTypeName: thingTypeName === plan.thingTypeName ? undefined : thingTypeName });
  }
  const { parentGroupName, ...rest } = base as ThingGroupState;
  if (plan.attach) return thingGroupState({ ...rest, thingGroupName: plan.thingGroupName, parentGroupName: plan.parentGroupName });
  return thingGroupState({
    ...rest,
    thingGroupName: plan.thingGroupName,
    parentGroupName: parentGroupName === plan.parentGroupName ? undefined : parentGroupName,
  });
}

/** The journal item a merge writes: the merged state under the partial event's own version. */
export function mergedItem(plan: MergePlan, state: EntityState): JournalItem {
  return liveItem(plan.keys, plan.kind, state, plan, plan.capturedAt);
}

/** A merge has no version number of its own; the merged state's hash is what replay would have recorded. */
export function mergeFingerprints(item: JournalItem): string[] {
  return [hashFingerprint(item.stateHash)];
}

export function tombstoneExpiry(ctx: Pick<PlanContext, 'now' | 'tombstoneTtlSeconds'>): number {
  return Math.floor(ctx.now / 1000) + ctx.tombstoneTtlSeconds;
}

function liveItem(keys: ItemKeys, kind: EntityKind, state: EntityState, v: VersionFields, capturedAt: number): JournalItem {
  return {
    pk: keys.pk,
    sk: keys.sk,
    ...(keys.ref !== undefined ? { ref: keys.ref } : {}),
    kind,
    version: v.version,
    eventTime: v.eventTime,
    eventId: v.eventId,
    originRegion: v.originRegion,
    deleted: false,
    state,
    stateHash: stateHash(state),
    capturedAt,
  };
}
