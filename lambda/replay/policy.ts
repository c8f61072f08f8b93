/**
 * Policy replay: makes this region's policy hold the journal's version documents, in the journal's order,
 * with the journal's default — CreatePolicy / CreatePolicyVersion / SetDefaultPolicyVersion /
 * DeletePolicyVersion — and deletes it (versions first) for a tombstone. Documents are journaled
 * region-neutral and written with this region's region and account (`localArns`).
 *
 * IoT numbers versions itself and keeps at most five, so "the same versions" means the same documents in
 * the same order: the longest prefix of the journal's documents already here in order is kept, every other
 * version goes, and the rest of the journal's documents are created after it.
 */
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  ListTargetsForPolicyCommand,
  type ListTargetsForPolicyCommandOutput,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iot';
import { DependencyNotReady } from '../shared/errors';
import { stateHash } from '../shared/hash';
import { neutralTarget } from '../shared/identity-adapter';
import { type ArnScope, canonicalDocument, localArns, neutralArns, policyState } from '../shared/identity-state';
import { isAlreadyExists, isNotFound } from '../shared/iot-errors';
import { policyKeys, policyTargetKey } from '../shared/keys';
import type { PolicyState } from '../shared/model';
import { log } from '../shared/telemetry';
import {
  assertNoPendingLocalChange,
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
import { identityError, MAX_POLICY_VERSIONS, policyStateOf, scopeOf } from './identity-common';


/** One version of the policy here: IoT's id, and its document canonical and region-neutral. */
export interface VersionHere {
  readonly versionId: string;
  readonly document: string;
  readonly isDefault: boolean;
}

/** The policy's versions here in creation order, or undefined when it does not exist. */
async function versionsHere(deps: ReplayDeps, policyName: string, scope: ArnScope): Promise<VersionHere[] | undefined> {
  try {
    const listed = await deps.iot.send(new ListPolicyVersionsCommand({ policyName }));
    const versions = await Promise.all(
      (listed.policyVersions ?? []).map(async (v) => {
        const versionId = v.versionId ?? '';
        const got = await deps.iot.send(new GetPolicyVersionCommand({ policyName, policyVersionId: versionId }));
        return { versionId, document: neutralArns(canonicalDocument(got.policyDocument ?? ''), scope), isDefault: v.isDefaultVersion === true };
      }),
    );
    return versions.sort((a, b) => Number(a.versionId) - Number(b.versionId));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const stateOfVersions = (policyName: string, versions: readonly VersionHere[], scope: ArnScope): PolicyState =>
  // policyState canonicalises and neutralises again: both are idempotent.
  policyState(policyName, versions, scope);

/** What to do to `here` so its documents become `desired`'s: a pure plan, tested on its own. */
export interface PolicyPlan {
  /** Versions here kept, in order: they hold `desired.documents[0..kept.length)`. */
  readonly kept: readonly VersionHere[];
  /** Versions here to delete (any but the current default, which goes last). */
  readonly removed: readonly VersionHere[];
  /** Documents (neutral) to create, in order, after the kept ones. */
  readonly created: readonly string[];
}

export function planPolicyVersions(here: readonly VersionHere[], desired: PolicyState): PolicyPlan {
  const kept: VersionHere[] = [];
  for (const version of here) {
    // Greedy in-order matching finds the longest prefix of the journal's documents here as a subsequence.
    if (kept.length < desired.documents.length && version.document === desired.documents[kept.length]) kept.push(version);
  }
  return {
    kept,
    removed: here.filter((v) => !kept.includes(v)),
    created: desired.documents.slice(kept.length),
  };
}

async function targetsOf(deps: ReplayDeps, policyName: string): Promise<string[]> {
  const targets: string[] = [];
  let marker: string | undefined;
  do {
    const page: ListTargetsForPolicyCommandOutput = await deps.iot.send(new ListTargetsForPolicyCommand({ policyName, marker, pageSize: 250 }));
    targets.push(...(page.targets ?? []));
    marker = page.nextMarker || undefined;
  } while (marker);
  return targets;
}

/** A policy still attached here cannot be deleted; the attachments' own tombstones detach it. */
function stillAttached(policyName: string, targets: readonly string[], key: string): DependencyNotReady {
  const first = neutralTarget(targets[0]);
  const shown = targets.slice(0, 5).join(', ') + (targets.length > 5 ? `, and ${targets.length - 5} more` : '');
  return new DependencyNotReady(
    `policy '${policyName}' is still attached in this region to ${shown}; waiting for those attachments' replays to detach it`,
    first ? policyTargetKey(policyName, first) : key,
  );
}

async function deletePolicy(deps: ReplayDeps, key: string, policyName: string, here: readonly VersionHere[], scope: ArnScope, expiresAt?: number): Promise<ReconcileOutcome> {
  const { iot } = deps;
  const what = `policy '${policyName}'`;
  // Checked before anything is deleted, so a refused delete leaves the policy as it was.
  const targets = await targetsOf(deps, policyName);
  if (targets.length > 0) throw stillAttached(policyName, targets, key);
  const startedAt = deps.now();
  const defaults = here.filter((v) => v.isDefault);
  for (const version of here.filter((v) => !v.isDefault)) {
    await ignoreNotFound(() => iot.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: version.versionId })));
  }
  if (defaults.length !== here.length) await recordWritten(deps, key, snapshotOf(stateOfVersions(policyName, defaults, scope)), startedAt);
  const deleteStartedAt = deps.now();
  try {
    await iot.send(new DeletePolicyCommand({ policyName }));
  } catch (err) {
    if (!isNotFound(err)) {
      if ((err as Error).name === 'DeleteConflictException') {
        const attached = await targetsOf(deps, policyName);
        if (attached.length > 0) throw stillAttached(policyName, attached, key);
      }
      throw identityError(err, what, key);
    }
  }
  await recordWritten(deps, key, TOMBSTONE, deleteStartedAt, expiresAt);
  return 'deleted';
}

async function ignoreNotFound(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Brings an existing policy's versions to `desired`, within IoT's five versions at every step. */
async function updateVersions(deps: ReplayDeps, policyName: string, here: readonly VersionHere[], desired: PolicyState, scope: ArnScope): Promise<void> {
  const { iot } = deps;
  const what = `policy '${policyName}'`;
  const plan = planPolicyVersions(here, desired);
  const oldDefault = here.find((v) => v.isDefault);
  const defaultRemoved = oldDefault !== undefined && plan.removed.includes(oldDefault);
  // Non-default versions not in the journal go first, to make room.
  for (const version of plan.removed) {
    if (version === oldDefault) continue;
    await writeToDescribed(what, () => ignoreNotFound(() => iot.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: version.versionId }))));
  }
  const ids = plan.kept.map((v) => v.versionId);
  let oldDefaultHere = defaultRemoved;
  let defaultId = oldDefault?.versionId;
  const dropOldDefault = async (newDefault: string) => {
    if (!oldDefaultHere || !oldDefault) return;
    await iot.send(new SetDefaultPolicyVersionCommand({ policyName, policyVersionId: newDefault }));
    defaultId = newDefault;
    await ignoreNotFound(() => iot.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: oldDefault.versionId })));
    oldDefaultHere = false;
  };
  for (const document of plan.created) {
    // Only the old default, kept until another version can take its place, can fill the fifth slot.
    if (ids.length + (oldDefaultHere ? 1 : 0) >= MAX_POLICY_VERSIONS && ids.length > 0) await dropOldDefault(ids[ids.length - 1]);
    const created = await writeToDescribed(what, () =>
      iot.send(new CreatePolicyVersionCommand({ policyName, policyDocument: localArns(document, scope), setAsDefault: false })),
    );
    ids.push(created.policyVersionId ?? '');
  }
  const wantedDefault = ids[desired.defaultIndex];
  if (defaultId !== wantedDefault) {
    await writeToDescribed(what, () => iot.send(new SetDefaultPolicyVersionCommand({ policyName, policyVersionId: wantedDefault })));
    defaultId = wantedDefault;
  }
  if (oldDefaultHere && oldDefault) await ignoreNotFound(() => iot.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: oldDefault.versionId })));
}

async function reconcilePolicy({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [policyName] = names;
  const { iot } = deps;
  const key = item.sk;
  const scope = scopeOf(deps);
  const what = `policy '${policyName}'`;

  if (item.deleted) {
    const here = await versionsHere(deps, policyName, scope);
    if (!here) {
      await recordInStep(deps, key, TOMBSTONE, item.expiresAt);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, snapshotOf(stateOfVersions(policyName, here, scope)));
    return deletePolicy(deps, key, policyName, here, scope, item.expiresAt);
  }

  const desired = policyStateOf(item, policyName);
  const written: LocalSnapshot = { stateHash: stateHash(desired) };
  for (let pass = 0; pass < 2; pass++) {
    const here = await versionsHere(deps, policyName, scope);
    if (!here) {
      await assertNoPendingLocalChange(deps, key, TOMBSTONE);
      const startedAt = deps.now();
      let first: string | undefined;
      try {
        first = (await iot.send(new CreatePolicyCommand({ policyName, policyDocument: localArns(desired.documents[0], scope) }))).policyVersionId;
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'policy appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw identityError(err, what);
      }
      try {
        const ids = [first ?? '1'];
        for (const document of desired.documents.slice(1)) {
          const created = await iot.send(new CreatePolicyVersionCommand({ policyName, policyDocument: localArns(document, scope), setAsDefault: false }));
          ids.push(created.policyVersionId ?? '');
        }
        if (desired.defaultIndex !== 0) await iot.send(new SetDefaultPolicyVersionCommand({ policyName, policyVersionId: ids[desired.defaultIndex] }));
      } catch (err) {
        // The policy exists now, with part of its versions: the retry completes it as an update.
        await recordWritten(deps, key, snapshotOf(stateOfVersions(policyName, (await versionsHere(deps, policyName, scope)) ?? [], scope)), startedAt);
        throw identityError(err, what);
      }
      await recordWritten(deps, key, written, startedAt);
      return 'created';
    }

    const local = stateOfVersions(policyName, here, scope);
    const snapshot = snapshotOf(local);
    if (snapshot.stateHash === written.stateHash) {
      await recordInStep(deps, key, snapshot);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, snapshot);
    const startedAt = deps.now();
    try {
      await updateVersions(deps, policyName, here, desired, scope);
    } catch (err) {
      // Some versions may have changed: record what is here now, so the retry does not take it for a local change.
      const now = await versionsHere(deps, policyName, scope).catch(() => undefined);
      if (now) await recordWritten(deps, key, snapshotOf(stateOfVersions(policyName, now, scope)), startedAt);
      throw identityError(err, what);
    }
    await recordWritten(deps, key, written, startedAt);
    return 'updated';
  }
  throw keepsChanging(what);
}

/** The policy replay handler over plain dependencies. */
export const createPolicyReplay = replayHandlerFor({
  kind: 'policy',
  partitionOf: ([policyName]) => policyKeys(policyName).pk,
  reconcile: reconcilePolicy,
});
