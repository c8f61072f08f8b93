/**
 * Thing replay: make this region's thing match the journal's item — CreateThing, UpdateThing (only the
 * fields that differ, guarded by the described version) or DeleteThing.
 */
import {
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  DescribeThingTypeCommand,
  type IoTClient,
  UpdateThingCommand,
  type UpdateThingCommandInput,
} from '@aws-sdk/client-iot';
import { hashFingerprint, versionFingerprint } from '../echo-ledger';
import { ConcurrentModification, DependencyNotReady } from '../errors';
import { TOMBSTONE_HASH } from '../hash';
import { isAlreadyExists, isInvalidRequest, isNotFound, messageOf } from '../iot-errors';
import { thingKeys, thingTypeKey } from '../keys';
import type { ThingState } from '../model';
import { log } from '../telemetry';
import {
  EchoGuard,
  type KindReplayer,
  type ReconcileOutcome,
  type ReconcileRequest,
  type ReplayDeps,
  type ReplayHandler,
  createReplayHandler,
} from './common';
import { sameAttributes, thingStateOf } from './state';

/** A thing as this region's registry describes it. */
interface LocalThing {
  readonly thingTypeName?: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly version?: number;
}

async function describeThing(iot: IoTClient, thingName: string): Promise<LocalThing | undefined> {
  try {
    const res = await iot.send(new DescribeThingCommand({ thingName }));
    return { thingTypeName: res.thingTypeName || undefined, attributes: res.attributes ?? {}, version: res.version };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Throws DependencyNotReady unless the thing type exists here and accepts new things. A deprecated type
 * cannot be associated; its un-deprecation may still be on its way, so this is retried, not dead-lettered.
 */
export async function requireAssociableThingType(iot: IoTClient, thingTypeName: string): Promise<void> {
  let deprecated: boolean | undefined;
  try {
    const res = await iot.send(new DescribeThingTypeCommand({ thingTypeName }));
    deprecated = res.thingTypeMetadata?.deprecated;
  } catch (err) {
    if (isNotFound(err)) {
      throw new DependencyNotReady(`thing type '${thingTypeName}' does not exist in this region yet`, thingTypeKey(thingTypeName));
    }
    throw err;
  }
  if (deprecated) {
    throw new DependencyNotReady(`thing type '${thingTypeName}' is deprecated in this region`, thingTypeKey(thingTypeName));
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

async function reconcileThing({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingName] = names;
  const { iot, ledger } = deps;
  const key = item.sk;

  if (item.deleted) {
    const local = await describeThing(iot, thingName);
    if (!local) return 'unchanged';
    const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), hashFingerprint(TOMBSTONE_HASH)]);
    try {
      // expectedVersion: a local change made since our read must win the race, not be deleted unseen.
      await guard.write(() => iot.send(new DeleteThingCommand({ thingName, expectedVersion: local.version })));
    } catch (err) {
      if (isNotFound(err)) return 'deleted';
      if (isInvalidRequest(err) && /principal|certificate/.test(messageOf(err))) {
        throw new DependencyNotReady(`thing '${thingName}' still has principals attached here: ${(err as Error).message}`, key);
      }
      throw err;
    }
    return 'deleted';
  }

  const desired = thingStateOf(item, thingName);
  // Two passes: a thing created between our describe and our CreateThing is reconciled as an update.
  for (let pass = 0; pass < 2; pass++) {
    const local = await describeThing(iot, thingName);
    if (!local) {
      if (desired.thingTypeName !== undefined) await requireAssociableThingType(iot, desired.thingTypeName);
      const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), versionFingerprint(1)]);
      try {
        await guard.write(() =>
          iot.send(
            new CreateThingCommand({
              thingName,
              thingTypeName: desired.thingTypeName,
              attributePayload: { attributes: { ...desired.attributes } },
            }),
          ),
        );
        return 'created';
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'thing appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw typeRefusal(err, desired) ?? err;
      }
    }

    const typeDiffers = local.thingTypeName !== desired.thingTypeName;
    const attributesDiffer = !sameAttributes(local.attributes, desired.attributes);
    if (!typeDiffers && !attributesDiffer) return 'unchanged';
    // Only a type we are about to associate must be associable; an unchanged deprecated type is fine.
    if (typeDiffers && desired.thingTypeName !== undefined) await requireAssociableThingType(iot, desired.thingTypeName);

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
    try {
      await guard.write(() => iot.send(new UpdateThingCommand(update)));
    } catch (err) {
      if (isNotFound(err)) {
        // The thing vanished, or the type did after our check: the retry describes both again.
        throw new ConcurrentModification(`thing '${thingName}' or its type changed while replaying: ${(err as Error).message}`, { cause: err });
      }
      throw typeRefusal(err, desired) ?? err;
    }
    return 'updated';
  }
  throw new ConcurrentModification(`thing '${thingName}' keeps changing in this region while replaying`);
}

export const thingReplayer: KindReplayer = {
  kind: 'thing',
  partitionOf: ([thingName]) => thingKeys(thingName).pk,
  reconcile: reconcileThing,
};

/** The replay-thing Lambda's handler over plain dependencies. */
export function createThingReplay(deps: ReplayDeps): ReplayHandler {
  return createReplayHandler(deps, thingReplayer);
}
