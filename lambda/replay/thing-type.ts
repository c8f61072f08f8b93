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
import { EchoGuard, type ReconcileOutcome, type ReconcileRequest, replayHandlerFor, keepsChanging, writeToDescribed } from './common';
import { sameNames, thingTypeStateOf } from './state';

/** Hash of the state a deprecation change leaves here; IoT's UPDATED event carries the whole type. */
const hashWithDeprecation = (state: ThingTypeState, deprecated: boolean): string => hashFingerprint(stateHash({ ...state, deprecated }));

async function reconcileThingType({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingTypeName] = names;
  const { iot, ledger } = deps;
  const key = item.sk;

  if (item.deleted) {
    const local = await describeThingType(iot, thingTypeName);
    if (!local) return 'unchanged';
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
      await guard.write(() => iot.send(new DeprecateThingTypeCommand({ thingTypeName, undoDeprecate: false })));
    }
    try {
      await guard.write(() => iot.send(new DeleteThingTypeCommand({ thingTypeName })));
    } catch (err) {
      if (isNotFound(err)) return 'deleted';
      if (isInvalidRequest(err)) {
        // Refused within five minutes of deprecation, or while things still use the type (their updates are coming).
        throw new DependencyNotReady(`thing type '${thingTypeName}' cannot be deleted yet: ${(err as Error).message}`, key);
      }
      throw err;
    }
    return 'deleted';
  }

  const desired = thingTypeStateOf(item, thingTypeName);
  for (let pass = 0; pass < 2; pass++) {
    const local = await describeThingType(iot, thingTypeName);
    if (!local) {
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
        );
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'thing type appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw err;
      }
      if (desired.deprecated) {
        await guard.write(() => iot.send(new DeprecateThingTypeCommand({ thingTypeName, undoDeprecate: false })));
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
    if (local.deprecated === desired.deprecated) return 'unchanged';

    // When the immutable fields differ, the echo carries the local ones: record both hashes.
    const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), hashWithDeprecation(local, desired.deprecated)]);
    await writeToDescribed(`thing type '${thingTypeName}'`, () =>
      guard.write(() => iot.send(new DeprecateThingTypeCommand({ thingTypeName, undoDeprecate: !desired.deprecated }))),
    );
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
