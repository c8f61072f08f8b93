/**
 * A writer's own change, journaled synchronously (the command API): the entity's current state as read from
 * this region's IoT right after the write, planned exactly like capture plans a CloudTrail call — versioned
 * by the moment of the read (`observedAt`, taken before it), so the registry event or CloudTrail event the
 * same write produces later (stamped earlier by IoT) is superseded by it, and any later change wins over it.
 *
 * Device identities go through capture's own read and plan (readIdentity / planIdentityCapture); things and
 * memberships, whose capture path is the registry event, are planned here with the same rules: a thing keeps
 * IoT's per-region version number (the known-state record replay checks), a deleted thing cascades to its
 * principals, shadows and memberships.
 */
import { membershipState } from '../shared/entity-state';
import { stateHash } from '../shared/hash';
import { tombstoneItem } from '../shared/journal-store';
import { type ItemKeys, memberKeys, thingKeys } from '../shared/keys';
import type { EntityKind, EntityState, JournalItem } from '../shared/model';
import { describeThing, groupsOfThing, type RegistryClient } from '../shared/registry-adapter';
import { makeVersion } from '../shared/version';
import type { IdentityEntity } from './cloudtrail-events';
import { type PlanContext, type ReplacePlan, tombstoneExpiry } from './desired-state';
import type { JournalWriter } from './journal-writer';

/** Everything a writer may journal: a thing, a membership, or a device identity (certificate, attachment, principal). */
export type ObservedEntity =
  | { readonly kind: 'thing'; readonly thingName: string }
  | { readonly kind: 'member'; readonly thingGroupName: string; readonly thingName: string }
  | IdentityEntity;

/** The registry state of a thing or membership as read: undefined when absent. */
export interface ObservedRegistryState {
  readonly state?: EntityState;
  /** IoT's per-region version number of a thing. */
  readonly localVersion?: number;
}

/** Reads a thing or a membership from this region's registry. */
export async function readRegistryState(
  iot: RegistryClient,
  entity: Extract<ObservedEntity, { kind: 'thing' | 'member' }>,
): Promise<ObservedRegistryState> {
  if (entity.kind === 'thing') {
    const described = await describeThing(iot, entity.thingName);
    return described ? { state: described.state, ...(described.version !== undefined ? { localVersion: described.version } : {}) } : {};
  }
  const groups = await groupsOfThing(iot, entity.thingName);
  return groups?.has(entity.thingGroupName) ? { state: membershipState(entity.thingGroupName, entity.thingName) } : {};
}

/**
 * The plan for a thing or membership read at `ctx.now` (the moment before the read). No echo fingerprints:
 * the writer knows the change is its own, not replay's.
 */
export function planObservedRegistryState(
  entity: Extract<ObservedEntity, { kind: 'thing' | 'member' }>,
  observed: ObservedRegistryState,
  eventId: string,
  ctx: PlanContext,
): ReplacePlan {
  const keys: ItemKeys = entity.kind === 'thing' ? thingKeys(entity.thingName) : memberKeys(entity.thingGroupName, entity.thingName);
  const kind: EntityKind = entity.kind;
  const localVersion = observed.state ? observed.localVersion : undefined;
  const v = {
    version: makeVersion({ eventTime: ctx.now, originRegion: ctx.originRegion, localVersion, eventId }),
    eventTime: ctx.now,
    eventId,
    originRegion: ctx.originRegion,
  };
  const known = { at: ctx.now, ...(localVersion !== undefined ? { localVersion } : {}) };
  if (!observed.state) {
    return {
      mode: 'replace',
      item: tombstoneItem({ ...keys, kind }, { ...v, capturedAt: ctx.now, expiresAt: tombstoneExpiry(ctx) }),
      fingerprints: [],
      // A deleted thing took its principals, shadows and memberships with it (no events for them).
      cascade: kind === 'thing',
      known,
      observedAt: ctx.now,
    };
  }
  const item: JournalItem = {
    pk: keys.pk,
    sk: keys.sk,
    ...(keys.ref !== undefined ? { ref: keys.ref } : {}),
    kind,
    ...v,
    deleted: false,
    state: observed.state,
    stateHash: stateHash(observed.state),
    capturedAt: ctx.now,
  };
  return { mode: 'replace', item, fingerprints: [], cascade: false, known, observedAt: ctx.now };
}

export interface ObservedJournalDeps {
  readonly writer: JournalWriter;
  readonly iot: RegistryClient;
  readonly region: string;
  readonly tombstoneTtlSeconds: number;
  readonly now: () => number;
}

/**
 * Reads `entity` from this region's IoT and journals its current state under `eventId` (derive it from the
 * writer's request, so a retry writes the same event again rather than another one).
 */
export async function journalObservedState(deps: ObservedJournalDeps, entity: ObservedEntity, eventId: string): Promise<ReplacePlan> {
  let plan: ReplacePlan;
  if (entity.kind === 'thing' || entity.kind === 'member') {
    const at = deps.now();
    const observed = await readRegistryState(deps.iot, entity);
    plan = planObservedRegistryState(entity, observed, eventId, { originRegion: deps.region, now: at, tombstoneTtlSeconds: deps.tombstoneTtlSeconds });
  } else {
    // Capture's own path for a CloudTrail call, with the writer's clock as the call's time.
    plan = await deps.writer.readIdentity({ outcome: 'entity', eventName: 'CommandApi', eventId, eventTime: 0, entity });
  }
  await deps.writer.replace(plan);
  return plan;
}
