/**
 * Thing group replay: CreateThingGroup under its parent, UpdateThingGroup for description and attributes,
 * DeleteThingGroup for a tombstone. A group's parent is fixed at creation in IoT, so a different parent
 * means delete and recreate, after which the memberships the journal holds for the group are added back
 * (IoT drops them with the group and emits no membership event for that).
 */
import {
  AddThingToThingGroupCommand,
  CreateThingGroupCommand,
  DeleteThingGroupCommand,
  type IoTClient,
  UpdateThingGroupCommand,
  type UpdateThingGroupCommandInput,
} from '@aws-sdk/client-iot';
import { hashFingerprint, versionFingerprint } from '../shared/echo-ledger-store';
import { ConcurrentModification, DependencyNotReady } from '../shared/errors';
import { TOMBSTONE_HASH } from '../shared/hash';
import { isAlreadyExists, isInvalidRequest, isNotFound } from '../shared/iot-errors';
import { thingGroupKey, thingGroupKeys } from '../shared/keys';
import type { JournalItem, ThingGroupState } from '../shared/model';
import { mapLimit } from '../shared/journal-store';
import { describeThingGroup } from '../shared/registry-adapter';
import { log } from '../shared/telemetry';
import {
  appliedWhen,
  assertNoPendingLocalChange,
  EchoGuard,
  keepsChanging,
  type LocalSnapshot,
  type ReconcileOutcome,
  type ReconcileRequest,
  recordInStep,
  recordWritten,
  type ReplayDeps,
  replayHandlerFor,
  snapshotOf,
  TOMBSTONE,
  writeToDescribed,
} from './common';
import { liveMembershipsOfGroup } from './journal-queries';
import { sameAttributes, thingGroupStateOf } from './state';

/** Throws DependencyNotReady unless the group exists here. */
async function requireGroup(iot: IoTClient, thingGroupName: string, why: string): Promise<void> {
  if (!(await describeThingGroup(iot, thingGroupName))) {
    throw new DependencyNotReady(`${why}: thing group '${thingGroupName}' does not exist in this region yet`, thingGroupKey(thingGroupName));
  }
}

function createGroupCommand(desired: ThingGroupState): CreateThingGroupCommand {
  return new CreateThingGroupCommand({
    thingGroupName: desired.thingGroupName,
    parentGroupName: desired.parentGroupName,
    thingGroupProperties: {
      thingGroupDescription: desired.description,
      attributePayload: { attributes: { ...desired.attributes } },
    },
  });
}

function parentRefusal(err: unknown, desired: ThingGroupState): DependencyNotReady | undefined {
  if (desired.parentGroupName !== undefined && (isNotFound(err) || isInvalidRequest(err))) {
    return new DependencyNotReady(
      `parent group '${desired.parentGroupName}' of '${desired.thingGroupName}' was refused here: ${(err as Error).message}`,
      thingGroupKey(desired.parentGroupName),
    );
  }
  return undefined;
}

/**
 * Adds back the memberships the journal holds for a group this replay just (re)created — including ones
 * journaled from this region, since our delete dropped them too. Each add is its own echo (capture sees a
 * membership ADDED event). A thing that is not here yet is skipped: that membership's own replay waits for
 * it. Returns how many were added.
 */
async function restoreMemberships(deps: ReplayDeps, thingGroupName: string): Promise<number> {
  const members: JournalItem[] = await liveMembershipsOfGroup(deps.journal, thingGroupName);
  // In parallel, below AddThingToThingGroup's TPS quota, so a large group fits in the handler's timeout.
  const added = await mapLimit(members, RESTORE_CONCURRENCY, async (member) => {
    const thingName = member.sk.slice(`member#${thingGroupName}#`.length);
    const guard = new EchoGuard(deps.ledger, member.sk, [hashFingerprint(member.stateHash)]);
    try {
      await guard.write(() => deps.iot.send(new AddThingToThingGroupCommand({ thingGroupName, thingName })));
      return 1;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      log('INFO', 'membership not restored: thing not in this region yet', { key: member.sk });
      return 0;
    }
  });
  return added.reduce((a: number, b: number) => a + b, 0);
}

/** Concurrent membership restores per group. */
const RESTORE_CONCURRENCY = 10;

async function reconcileThingGroup({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingGroupName] = names;
  const { iot, ledger } = deps;
  const key = item.sk;
  const snapshotHere = async (): Promise<LocalSnapshot> => {
    const d = await describeThingGroup(iot, thingGroupName);
    return snapshotOf(d?.state, d?.version);
  };
  const created: LocalSnapshot = { stateHash: item.stateHash, localVersion: 1 };

  if (item.deleted) {
    const local = await describeThingGroup(iot, thingGroupName);
    if (!local) {
      await recordInStep(deps, key, TOMBSTONE, item.expiresAt);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, snapshotOf(local.state, local.version));
    const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), hashFingerprint(TOMBSTONE_HASH)]);
    const startedAt = deps.now();
    try {
      await guard.write(
        () => iot.send(new DeleteThingGroupCommand({ thingGroupName, expectedVersion: local.version })),
        appliedWhen(snapshotHere, TOMBSTONE),
      );
    } catch (err) {
      if (isNotFound(err)) {
        await recordWritten(deps, key, TOMBSTONE, startedAt, item.expiresAt);
        return 'deleted';
      }
      if (isInvalidRequest(err)) {
        // IoT refuses to delete a group with child groups; the children's tombstones are on their way.
        throw new DependencyNotReady(`thing group '${thingGroupName}' cannot be deleted yet: ${(err as Error).message}`, key);
      }
      throw err;
    }
    await recordWritten(deps, key, TOMBSTONE, startedAt, item.expiresAt);
    return 'deleted';
  }

  const desired = thingGroupStateOf(item, thingGroupName);
  for (let pass = 0; pass < 2; pass++) {
    const local = await describeThingGroup(iot, thingGroupName);
    if (!local) {
      // A live known state with nothing here: a local delete capture has not journaled yet.
      await assertNoPendingLocalChange(deps, key, TOMBSTONE);
      if (desired.parentGroupName !== undefined) await requireGroup(iot, desired.parentGroupName, `parent of '${thingGroupName}'`);
      const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), versionFingerprint(1)]);
      const startedAt = deps.now();
      try {
        await guard.write(() => iot.send(createGroupCommand(desired)), appliedWhen(snapshotHere, created));
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'thing group appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw parentRefusal(err, desired) ?? err;
      }
      await recordWritten(deps, key, created, startedAt);
      // Memberships replayed before the group existed may have run out of retries.
      await restoreMemberships(deps, thingGroupName);
      return 'created';
    }

    const here = snapshotOf(local.state, local.version);
    if (local.state.parentGroupName !== desired.parentGroupName) {
      await assertNoPendingLocalChange(deps, key, here);
      if (desired.parentGroupName !== undefined) await requireGroup(iot, desired.parentGroupName, `new parent of '${thingGroupName}'`);
      // One record for the whole plan: the DELETED echo (capture must not cascade it) and the CREATED one.
      const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), hashFingerprint(TOMBSTONE_HASH), versionFingerprint(1)]);
      const startedAt = deps.now();
      try {
        await guard.write(
          () => iot.send(new DeleteThingGroupCommand({ thingGroupName, expectedVersion: local.version })),
          appliedWhen(snapshotHere, TOMBSTONE),
        );
      } catch (err) {
        if (isInvalidRequest(err)) {
          throw new DependencyNotReady(`thing group '${thingGroupName}' must move to another parent but still has child groups here`, key);
        }
        if (isNotFound(err)) {
          throw new ConcurrentModification(`thing group '${thingGroupName}' disappeared while replaying`, { cause: err });
        }
        throw err;
      }
      try {
        await guard.write(() => iot.send(createGroupCommand(desired)), appliedWhen(snapshotHere, created));
      } catch (err) {
        // Our delete applied, the create failed (or its answer was lost): record what our plan left here —
        // nothing, or the created group — so the retry is not mistaken for a local change.
        const left = await snapshotHere().catch(() => undefined);
        if (left && (left.stateHash === TOMBSTONE_HASH || (left.stateHash === created.stateHash && left.localVersion === 1))) {
          await recordWritten(deps, key, left, startedAt, item.expiresAt);
        }
        throw parentRefusal(err, desired) ?? err;
      }
      await recordWritten(deps, key, created, startedAt);
      const restored = await restoreMemberships(deps, thingGroupName);
      log('INFO', 'thing group recreated under a new parent', { key, from: local.state.parentGroupName, to: desired.parentGroupName, restored });
      return 'updated';
    }

    const descriptionDiffers = local.state.description !== desired.description;
    const attributesDiffer = !sameAttributes(local.state.attributes, desired.attributes);
    if (!descriptionDiffers && !attributesDiffer) {
      await recordInStep(deps, key, here);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, here);

    const update: UpdateThingGroupCommandInput = {
      thingGroupName,
      expectedVersion: local.version,
      thingGroupProperties: {
        // An empty description is how IoT clears one.
        ...(descriptionDiffers ? { thingGroupDescription: desired.description ?? '' } : {}),
        ...(attributesDiffer ? { attributePayload: { attributes: { ...desired.attributes }, merge: false } } : {}),
      },
    };
    const guard = new EchoGuard(ledger, key, [
      hashFingerprint(item.stateHash),
      ...(local.version !== undefined ? [versionFingerprint(local.version + 1)] : []),
    ]);
    const updated: LocalSnapshot = {
      stateHash: item.stateHash,
      ...(local.version !== undefined ? { localVersion: local.version + 1 } : {}),
    };
    const startedAt = deps.now();
    await writeToDescribed(`thing group '${thingGroupName}'`, () =>
      guard.write(() => iot.send(new UpdateThingGroupCommand(update)), appliedWhen(snapshotHere, updated)),
    );
    await recordWritten(deps, key, updated, startedAt);
    return 'updated';
  }
  throw keepsChanging(`thing group '${thingGroupName}'`);
}

/** The thing group replay handler over plain dependencies. */
export const createThingGroupReplay = replayHandlerFor({
  kind: 'thingGroup',
  partitionOf: ([thingGroupName]) => thingGroupKeys(thingGroupName).pk,
  reconcile: reconcileThingGroup,
});
