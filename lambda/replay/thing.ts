/**
 * Thing replay: make this region's thing match the journal's item — CreateThing, UpdateThing (only the
 * fields that differ, guarded by the described version) or DeleteThing (its principals detached first).
 */
import {
  CreateThingCommand,
  DeleteThingCommand,
  DeprecateThingTypeCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  UpdateThingCommand,
  type UpdateThingCommandInput,
} from '@aws-sdk/client-iot';
import { hashFingerprint, versionFingerprint } from '../shared/echo-ledger-store';
import { ConcurrentModification, DependencyNotReady } from '../shared/errors';
import { TOMBSTONE_HASH, stateHash } from '../shared/hash';
import { isAlreadyExists, isInvalidRequest, isNotFound, messageOf } from '../shared/iot-errors';
import { certificateIdOf, principalsOf } from '../shared/identity-adapter';
import { principalKey, thingKeys, thingTypeKey } from '../shared/keys';
import type { JournalItem, ThingState, ThingTypeState } from '../shared/model';
import { describeThing, describeThingType } from '../shared/registry-adapter';
import { log } from '../shared/telemetry';
import { compareVersions } from '../shared/version';
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
} from './common';
import { sameAttributes, thingStateOf } from './state';

/**
 * Whether this region's registry can associate `thingTypeName` with a thing now: 'ready', or 'deprecated'.
 * A missing type is DependencyNotReady: its replay is on its way.
 */
async function thingTypeStatus(iot: IoTClient, thingTypeName: string): Promise<'ready' | 'deprecated'> {
  const type = await describeThingType(iot, thingTypeName);
  if (!type) {
    throw new DependencyNotReady(`thing type '${thingTypeName}' does not exist in this region yet`, thingTypeKey(thingTypeName));
  }
  return type.deprecated ? 'deprecated' : 'ready';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `write` (which associates `thingTypeName` with a thing) once the type accepts associations here.
 *
 * IoT keeps things on a type deprecated after they took it, but accepts no new associations. When the
 * journal says the type is deprecated too, the thing legitimately holds it — it took the type before the
 * deprecation, e.g. in the other region while this one deprecated it concurrently — so the deprecation is
 * lifted for the write and restored after it, with both type events recorded as echoes. When only this
 * region has it deprecated, the journal's un-deprecation is on its way: DependencyNotReady.
 */
async function withAssociableThingType<T>(deps: ReplayDeps, thingTypeName: string, write: () => Promise<T>): Promise<T> {
  if ((await thingTypeStatus(deps.iot, thingTypeName)) === 'ready') return write();
  const typeKey = thingTypeKey(thingTypeName);
  const journaled = await deps.journal.get(typeKey, typeKey);
  const typeState = journaled && !journaled.deleted ? (journaled.state as ThingTypeState | undefined) : undefined;
  if (!journaled || !typeState?.deprecated) {
    throw new DependencyNotReady(`thing type '${thingTypeName}' is deprecated in this region only; its un-deprecation is on its way`, typeKey);
  }
  const typeFingerprints = [hashFingerprint(stateHash({ ...typeState, deprecated: false })), hashFingerprint(journaled.stateHash)];
  await deps.ledger.record(typeKey, typeFingerprints);
  await deps.iot.send(new DeprecateThingTypeCommand({ thingTypeName, undoDeprecate: true }));
  try {
    return await write();
  } finally {
    await restoreDeprecation(deps.iot, thingTypeName);
    await deps.ledger.confirm(typeKey, typeFingerprints);
  }
}

/** Deprecates the type again, retrying briefly: a type left un-deprecated must never pass silently. */
async function restoreDeprecation(iot: IoTClient, thingTypeName: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await iot.send(new DeprecateThingTypeCommand({ thingTypeName }));
      return;
    } catch (err) {
      if (attempt >= 4) {
        log('ERROR', 'could not restore the deprecation of a thing type lifted for a replay', { thingTypeName, error: err });
        throw new TypeDeprecationNotRestored(`thing type '${thingTypeName}' was un-deprecated to replay a thing and could not be deprecated again: ${(err as Error).message}`);
      }
      await sleep(100 * 2 ** attempt);
    }
  }
}

/** Not retried by the workflow: it lands in the dead-letter queue so an operator deprecates the type. */
export class TypeDeprecationNotRestored extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TypeDeprecationNotRestored';
  }
}

/** Maps IoT's refusals to associate a type that is missing or deprecated (a race with our check). */
function typeRefusal(err: unknown, desired: ThingState): DependencyNotReady | undefined {
  const type = desired.thingTypeName;
  if (type === undefined) return undefined;
  if (isNotFound(err) || (isInvalidRequest(err) && /deprecat/.test(messageOf(err)))) {
    return new DependencyNotReady(`thing type '${type}' cannot be associated in this region yet: ${(err as Error).message}`, thingTypeKey(type));
  }
  return undefined;
}

/**
 * IoT deletes no thing with principals attached, so a thing's tombstone detaches them first
 * (DetachThingPrincipal is asynchronous: IoT may still refuse the delete for a few seconds, which is
 * DependencyNotReady, retried). Which principals the journal lets go:
 *
 * - no journal principal item (a principal that is no certificate, or one never journaled) or a tombstone:
 *   detached — the journal wants no such attachment;
 * - a live item older than the thing's tombstone: the journal disagrees only for a moment — capture
 *   tombstones a deleted thing's principals after journaling the thing's tombstone, and the CloudTrail
 *   detach events come minutes after the registry's delete event — so the delete waits (DependencyNotReady
 *   naming the principal) rather than undo an attachment the journal still holds;
 * - a live item newer than the tombstone: an attachment made in one region while the thing was deleted in
 *   the other. It survives the delete in the journal, yet no registry can hold it without its thing, and
 *   its own replay treats it as dead wherever the thing is gone; waiting would strand the delete for good
 *   (parked, then dead-lettered) and keep the thing alive here only. The thing's tombstone is the parent's
 *   current state, so it wins: detached, logged as a WARN.
 *
 * Each detached certificate principal's known state becomes the tombstone, so its own tombstone's replay
 * later finds the region in step.
 */
async function detachDeadPrincipals(deps: ReplayDeps, item: JournalItem, thingName: string): Promise<void> {
  const principals = (await principalsOf(deps.iot, thingName)) ?? [];
  for (const principal of principals) {
    const certificateId = certificateIdOf(principal);
    const principalItemKey = certificateId !== undefined ? principalKey(thingName, certificateId) : undefined;
    const journaled = principalItemKey !== undefined ? await deps.journal.get(item.pk, principalItemKey) : undefined;
    if (journaled && !journaled.deleted) {
      if (compareVersions(journaled.version, item.version) < 0) {
        throw new DependencyNotReady(
          `thing '${thingName}' still has principal ${principalItemKey} attached, which the journal holds live (older than the thing's tombstone: its tombstone is on its way)`,
          principalItemKey ?? item.sk,
        );
      }
      log('WARN', "detaching a principal attached after its thing's delete in the other region: the thing's tombstone wins", {
        key: item.sk,
        principal: principalItemKey,
        principalVersion: journaled.version,
      });
    }
    const startedAt = deps.now();
    try {
      await deps.iot.send(new DetachThingPrincipalCommand({ thingName, principal }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (principalItemKey !== undefined) await recordWritten(deps, principalItemKey, { stateHash: TOMBSTONE_HASH }, startedAt, item.expiresAt);
  }
}

async function reconcileThing({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingName] = names;
  const { iot, ledger } = deps;
  const key = item.sk;
  const snapshotHere = async (): Promise<LocalSnapshot> => {
    const d = await describeThing(iot, thingName);
    return snapshotOf(d?.state, d?.version);
  };
  const TOMBSTONE: LocalSnapshot = { stateHash: TOMBSTONE_HASH };

  if (item.deleted) {
    const local = await describeThing(iot, thingName);
    if (!local) {
      await recordInStep(deps, key, TOMBSTONE, item.expiresAt);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, snapshotOf(local.state, local.version));
    await detachDeadPrincipals(deps, item, thingName);
    const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), hashFingerprint(TOMBSTONE_HASH)]);
    const startedAt = deps.now();
    try {
      // expectedVersion: a local change made since our read must win the race, not be deleted unseen.
      await guard.write(() => iot.send(new DeleteThingCommand({ thingName, expectedVersion: local.version })), appliedWhen(snapshotHere, TOMBSTONE));
    } catch (err) {
      if (isNotFound(err)) {
        await recordWritten(deps, key, TOMBSTONE, startedAt, item.expiresAt);
        return 'deleted';
      }
      if (isInvalidRequest(err) && /principal|certificate/.test(messageOf(err))) {
        throw new DependencyNotReady(`thing '${thingName}' still has principals attached here: ${(err as Error).message}`, key);
      }
      throw err;
    }
    await recordWritten(deps, key, TOMBSTONE, startedAt, item.expiresAt);
    return 'deleted';
  }

  const desired = thingStateOf(item, thingName);
  // Two passes: a thing created between our describe and our CreateThing is reconciled as an update.
  for (let pass = 0; pass < 2; pass++) {
    const local = await describeThing(iot, thingName);
    if (!local) {
      // A live known state with nothing here: a local delete capture has not journaled yet.
      await assertNoPendingLocalChange(deps, key, TOMBSTONE);
      const created: LocalSnapshot = { stateHash: item.stateHash, localVersion: 1 };
      const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), versionFingerprint(1)]);
      const startedAt = deps.now();
      const create = () =>
        guard.write(
          () =>
            iot.send(
              new CreateThingCommand({
                thingName,
                thingTypeName: desired.thingTypeName,
                attributePayload: { attributes: { ...desired.attributes } },
              }),
            ),
          appliedWhen(snapshotHere, created),
        );
      try {
        await (desired.thingTypeName !== undefined ? withAssociableThingType(deps, desired.thingTypeName, create) : create());
        await recordWritten(deps, key, created, startedAt);
        return 'created';
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'thing appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw typeRefusal(err, desired) ?? err;
      }
    }

    const typeDiffers = local.state.thingTypeName !== desired.thingTypeName;
    const attributesDiffer = !sameAttributes(local.state.attributes, desired.attributes);
    const here = snapshotOf(local.state, local.version);
    if (!typeDiffers && !attributesDiffer) {
      await recordInStep(deps, key, here);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, here);

    const update: UpdateThingCommandInput = {
      thingName,
      expectedVersion: local.version,
      ...(typeDiffers ? (desired.thingTypeName !== undefined ? { thingTypeName: desired.thingTypeName } : { removeThingType: true }) : {}),
      // merge: false replaces the whole attribute map, so attributes removed at the origin go here too.
      ...(attributesDiffer ? { attributePayload: { attributes: { ...desired.attributes }, merge: false } } : {}),
    };
    // A type change also raises a THING_TYPE_ASSOCIATION event; capture hashes the whole merged thing state
    // for it, which is item.stateHash, so the hash fingerprint covers that echo too.
    const guard = new EchoGuard(ledger, key, [
      hashFingerprint(item.stateHash),
      ...(local.version !== undefined ? [versionFingerprint(local.version + 1)] : []),
    ]);
    const updated: LocalSnapshot = {
      stateHash: item.stateHash,
      ...(local.version !== undefined ? { localVersion: local.version + 1 } : {}),
    };
    const startedAt = deps.now();
    const apply = () => guard.write(() => iot.send(new UpdateThingCommand(update)), appliedWhen(snapshotHere, updated));
    try {
      // Only a type we are about to associate must accept associations; an unchanged deprecated type is fine.
      await (typeDiffers && desired.thingTypeName !== undefined ? withAssociableThingType(deps, desired.thingTypeName, apply) : apply());
    } catch (err) {
      if (isNotFound(err)) {
        // The thing vanished, or the type did after our check: the retry describes both again.
        throw new ConcurrentModification(`thing '${thingName}' or its type changed while replaying: ${(err as Error).message}`, { cause: err });
      }
      throw typeRefusal(err, desired) ?? err;
    }
    await recordWritten(deps, key, updated, startedAt);
    return 'updated';
  }
  throw keepsChanging(`thing '${thingName}'`);
}

/** The thing replay handler over plain dependencies. */
export const createThingReplay = replayHandlerFor({
  kind: 'thing',
  partitionOf: ([thingName]) => thingKeys(thingName).pk,
  reconcile: reconcileThing,
});
