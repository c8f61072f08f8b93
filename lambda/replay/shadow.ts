/**
 * Shadow replay (opt-in): UpdateThingShadow so this region's classic or named shadow has the journal's
 * desired and reported state — keys here that the journal lacks are sent as null, the shadow service's way
 * to remove them, at every depth, since an update merges — and DeleteThingShadow for a tombstone. A shadow
 * waits for its thing (DependencyNotReady) and is dead once the thing's tombstone is journaled.
 *
 * Every write carries a `clientToken` starting with REPLAY_CLIENT_TOKEN_PREFIX: capture skips the
 * documents it produces, which are replay's own echoes. Updates of an existing shadow carry its version, so
 * a device's update made since our read wins the race (ConflictException, retried) instead of being lost.
 */
import { createHash } from 'node:crypto';
import { DeleteThingShadowCommand, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { REPLAY_CLIENT_TOKEN_PREFIX } from '../contract';
import { ConcurrentModification } from '../shared/errors';
import { canonicalJson, stateHash } from '../shared/hash';
import { describeShadow } from '../shared/identity-adapter';
import { CLASSIC_SHADOW_NAME, shadowKeys, thingKey } from '../shared/keys';
import { describeThing } from '../shared/registry-adapter';
import {
  assertNoPendingLocalChange,
  type ReconcileOutcome,
  type ReconcileRequest,
  recordInStep,
  recordWritten,
  replayHandlerFor,
  snapshotOf,
  TOMBSTONE,
} from './common';
import { identityError, missingDependency, shadowStateOf, replayTombstone } from './identity-common';


type Doc = Readonly<Record<string, unknown>>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The update that turns the shadow section `here` into `wanted` (a shadow update merges objects key by key):
 * wanted values that differ, objects patched recursively, keys only here set to null. `null` for a whole
 * section removes it; undefined means nothing to change.
 */
export function shadowPatch(here: Doc | undefined, wanted: Doc | undefined): Record<string, unknown> | null | undefined {
  if (wanted === undefined) return here === undefined ? undefined : null;
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wanted)) {
    const current = here?.[k];
    if (isDoc(v) && isDoc(current)) {
      const sub = shadowPatch(current, v);
      if (sub !== undefined) patch[k] = sub;
    } else if (current === undefined || canonicalJson(current) !== canonicalJson(v)) {
      patch[k] = v;
    }
  }
  for (const k of Object.keys(here ?? {})) if (!(k in wanted)) patch[k] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** The client token of replay's writes for the journal version `version`: short, and the same on every retry. */
export const replayClientToken = (version: string): string =>
  `${REPLAY_CLIENT_TOKEN_PREFIX}-${createHash('sha256').update(version).digest('hex').slice(0, 16)}`;

/** Runs a data-plane write; a shadow changed since our read (ConflictException) is retried. */
async function shadowWrite(what: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if ((err as Error).name === 'ConflictException') {
      throw new ConcurrentModification(`${what} changed in this region while replaying`, { cause: err });
    }
    throw identityError(err, what);
  }
}

async function reconcileShadow({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingName, keyShadowName] = names;
  const shadowName = keyShadowName === CLASSIC_SHADOW_NAME ? undefined : keyShadowName;
  const { dataPlane } = deps.identity;
  const key = item.sk;
  const what = shadowName === undefined ? `classic shadow of '${thingName}'` : `shadow '${shadowName}' of '${thingName}'`;
  const named = shadowName !== undefined ? { shadowName } : {};

  const local = await describeShadow(dataPlane, thingName, shadowName);
  const here = local ? snapshotOf(local.state, local.version) : TOMBSTONE;

  if (item.deleted) {
    const remove = () => shadowWrite(what, () => dataPlane.send(new DeleteThingShadowCommand({ thingName, ...named })));
    return replayTombstone(deps, item, local ? here : undefined, remove);
  }

  const desired = shadowStateOf(item, thingName, shadowName);
  if (local && stateHash(local.state) === stateHash(desired)) {
    await recordInStep(deps, key, here);
    return 'unchanged';
  }
  // A shadow needs no registry thing in IoT, but replicating one for a thing this region lacks would resurrect it.
  if (!local && !(await describeThing(deps.iot, thingName))) return missingDependency(deps, item, thingKey(thingName), `thing '${thingName}'`);
  await assertNoPendingLocalChange(deps, key, here);
  const desiredPatch = shadowPatch(local?.state.desired, desired.desired);
  const reportedPatch = shadowPatch(local?.state.reported, desired.reported);
  const document = {
    state: { ...(desiredPatch !== undefined ? { desired: desiredPatch } : {}), ...(reportedPatch !== undefined ? { reported: reportedPatch } : {}) },
    clientToken: replayClientToken(item.version),
    ...(local?.version !== undefined ? { version: local.version } : {}),
  };
  const startedAt = deps.now();
  await shadowWrite(what, () => dataPlane.send(new UpdateThingShadowCommand({ thingName, ...named, payload: Buffer.from(JSON.stringify(document)) })));
  // By hash alone: a shadow's version after a delete and re-creation is IoT's to choose.
  await recordWritten(deps, key, { stateHash: stateHash(desired) }, startedAt);
  return local ? 'updated' : 'created';
}

/** The shadow replay handler over plain dependencies. */
export const createShadowReplay = replayHandlerFor({
  kind: 'shadow',
  partitionOf: ([thingName, shadowName]) => shadowKeys(thingName, shadowName === CLASSIC_SHADOW_NAME ? undefined : shadowName).pk,
  reconcile: reconcileShadow,
});
