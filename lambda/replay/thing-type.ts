/**
 * Thing type replay: CreateThingType, DeprecateThingType (either way), and deprecate-then-DeleteThingType
 * for a tombstone.
 *
 * A thing type's description and searchable attributes are fixed when it is created: IoT has no documented
 * in-place change for them (CloudFormation marks both "Update requires: Replacement"), and replacing a type
 * means deprecating it, waiting five minutes and moving every thing off it — a destructive migration replay
 * must not start on its own. So when they differ from the journal, replay logs a WARN and leaves them.
 */
import { CreateThingTypeCommand, DeleteThingTypeCommand, DeprecateThingTypeCommand } from '@aws-sdk/client-iot';
import { hashFingerprint } from '../shared/echo-ledger-store';
import { DependencyNotReady } from '../shared/errors';
import { TOMBSTONE_HASH, stateHash } from '../shared/hash';
import { isAlreadyExists, isInvalidRequest, isNotFound } from '../shared/iot-errors';
import { thingTypeKeys } from '../shared/keys';
import type { ThingTypeState } from '../shared/model';
import { describeThingType } from '../shared/registry-adapter';
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
  replayHandlerFor,
  snapshotOf,
  TOMBSTONE,
  writeToDescribed,
} from './common';
import { sameNames, thingTypeStateOf } from './state';

/** Hash of the state a deprecation change leaves here; IoT's UPDATED event carries the whole type. */
const hashWithDeprecation = (state: ThingTypeState, deprecated: boolean): string => hashFingerprint(stateHash({ ...state, deprecated }));

async function reconcileThingType({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingTypeName] = names;
  const { iot, ledger } = deps;
  const key = item.sk;
  // Thing types have no version number: known states compare by state hash.
  const snapshotHere = async (): Promise<LocalSnapshot> => snapshotOf(await describeThingType(iot, thingTypeName));

  if (item.deleted) {
    const local = await describeThingType(iot, thingTypeName);
    if (!local) {
      await recordInStep(deps, key, TOMBSTONE, item.expiresAt);
      return 'unchanged';
    }
    // A type this replay deprecated on an earlier attempt is in the state that attempt recorded.
    await assertNoPendingLocalChange(deps, key, snapshotOf(local));
    const startedAt = deps.now();
    // One plan, one ledger record: the deprecation's UPDATED echo and the DELETED echo.
    // Keep the entry if DeleteThingType is refused: an earlier attempt may have deprecated the type, and that
    // echo must still be recognised, or it would come back as a live type and overwrite the tombstone.
    const guard = new EchoGuard(
      ledger,
      key,
      [hashFingerprint(item.stateHash), hashFingerprint(TOMBSTONE_HASH), hashWithDeprecation(local, true)],
      { forgetWhenRejected: false },
    );
    if (!local.deprecated) {
      const deprecated = { stateHash: stateHash({ ...local, deprecated: true }) };
      await guard.write(() => iot.send(new DeprecateThingTypeCommand({ thingTypeName, undoDeprecate: false })), appliedWhen(snapshotHere, deprecated));
      // Until the delete goes through (IoT refuses it for five minutes), the region holds our deprecation.
      await recordWritten(deps, key, deprecated, startedAt);
    }
    const deleteStartedAt = deps.now();
    try {
      await guard.write(() => iot.send(new DeleteThingTypeCommand({ thingTypeName })), appliedWhen(snapshotHere, TOMBSTONE));
    } catch (err) {
      if (isNotFound(err)) {
        await recordWritten(deps, key, TOMBSTONE, deleteStartedAt, item.expiresAt);
        return 'deleted';
      }
      if (isInvalidRequest(err)) {
        // Refused within five minutes of deprecation, or while things still use the type (their updates are coming).
        throw new DependencyNotReady(`thing type '${thingTypeName}' cannot be deleted yet: ${(err as Error).message}`, key);
      }
      throw err;
    }
    await recordWritten(deps, key, TOMBSTONE, deleteStartedAt, item.expiresAt);
    return 'deleted';
  }

  const desired = thingTypeStateOf(item, thingTypeName);
  for (let pass = 0; pass < 2; pass++) {
    const local = await describeThingType(iot, thingTypeName);
    if (!local) {
      // A live known state with nothing here: a local delete capture has not journaled yet.
      await assertNoPendingLocalChange(deps, key, TOMBSTONE);
      const startedAt = deps.now();
      const live = { stateHash: stateHash({ ...desired, deprecated: false }) };
      // CreateThingType makes a live type (its CREATED event hashes as not deprecated); deprecate after.
      const guard = new EchoGuard(ledger, key, [
        hashFingerprint(item.stateHash),
        ...(desired.deprecated ? [hashWithDeprecation(desired, false)] : []),
      ]);
      try {
        await guard.write(() =>
          iot.send(
            new CreateThingTypeCommand({
              thingTypeName,
              thingTypeProperties: { thingTypeDescription: desired.description, searchableAttributes: [...desired.searchableAttributes] },
            }),
          ),
          appliedWhen(snapshotHere, live),
        );
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'thing type appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw err;
      }
      await recordWritten(deps, key, live, startedAt);
      if (desired.deprecated) {
        await guard.write(() => iot.send(new DeprecateThingTypeCommand({ thingTypeName, undoDeprecate: false })));
        await recordWritten(deps, key, { stateHash: item.stateHash }, deps.now());
      }
      return 'created';
    }

    if (local.description !== desired.description || !sameNames(local.searchableAttributes, desired.searchableAttributes)) {
      log('WARN', 'thing type description or searchable attributes differ from the journal; IoT cannot change them in place', {
        key,
        local: { description: local.description, searchableAttributes: local.searchableAttributes },
        desired: { description: desired.description, searchableAttributes: desired.searchableAttributes },
      });
    }
    const here = snapshotOf(local);
    if (local.deprecated === desired.deprecated) {
      await recordInStep(deps, key, here);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, here);
    const changed = { stateHash: stateHash({ ...local, deprecated: desired.deprecated }) };
    const startedAt = deps.now();

    // When the immutable fields differ, the echo carries the local ones: record both hashes.
    const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), hashWithDeprecation(local, desired.deprecated)]);
    await writeToDescribed(`thing type '${thingTypeName}'`, () =>
      guard.write(() => iot.send(new DeprecateThingTypeCommand({ thingTypeName, undoDeprecate: !desired.deprecated })), appliedWhen(snapshotHere, changed)),
    );
    await recordWritten(deps, key, changed, startedAt);
    return 'updated';
  }
  throw keepsChanging(`thing type '${thingTypeName}'`);
}

/** The thing type replay handler over plain dependencies. */
export const createThingTypeReplay = replayHandlerFor({
  kind: 'thingType',
  partitionOf: ([thingTypeName]) => thingTypeKeys(thingTypeName).pk,
  reconcile: reconcileThingType,
});
