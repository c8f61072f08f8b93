/**
 * Group membership replay: AddThingToThingGroup (written first, as it is idempotent) /
 * RemoveThingFromThingGroup (after checking the thing's current groups). A missing thing or group is either not replicated yet (retry) or deleted after the
 * membership was journaled (then the membership is dead and nothing is done).
 */
import { AddThingToThingGroupCommand, RemoveThingFromThingGroupCommand } from '@aws-sdk/client-iot';
import { hashFingerprint } from '../shared/echo-ledger-store';
import { DependencyNotReady } from '../shared/errors';
import { TOMBSTONE_HASH } from '../shared/hash';
import { isNotFound } from '../shared/iot-errors';
import { memberKeys, thingGroupKeys, thingKeys } from '../shared/keys';
import type { JournalItem } from '../shared/model';
import { describeThing, groupsOfThing } from '../shared/registry-adapter';
import { log } from '../shared/telemetry';
import { EchoGuard, mayCreateBlind, type ReconcileOutcome, type ReconcileRequest, type ReplayDeps, recordWritten, replayHandlerFor } from './common';

/*
 * No known-state check here (see assertNoPendingLocalChange in common.ts): a membership's absence is
 * ambiguous — deleting a thing or group drops its memberships without any event, so "absent here while
 * the pipeline knew it present" is as often a cascade capture never sees as a local removal. Memberships
 * carry no version either. A concurrent add/remove of one membership in both regions is still ordered by
 * the journal; the anti-entropy reconciler is what repairs one overwritten before its capture.
 */
import { membershipStateOf } from './state';

/**
 * A membership whose thing or group is missing here: dead while the journal holds a tombstone for that
 * parent — whatever its version: a membership added in one region while its group was deleted in the other
 * is newer than the delete, yet no IoT registry can hold a membership of a deleted group. Otherwise the
 * parent is still on its way.
 */
async function missingParent(deps: ReplayDeps, item: JournalItem, parentKey: string, what: string): Promise<ReconcileOutcome> {
  const parent = await deps.journal.get(parentKey, parentKey);
  if (parent?.deleted) {
    log('INFO', 'membership is dead: its parent is deleted', { key: item.sk, parent: parentKey, parentVersion: parent.version });
    return 'unchanged';
  }
  throw new DependencyNotReady(`${what} of membership ${item.sk} does not exist in this region yet`, parentKey);
}

async function reconcileMembership({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingGroupName, thingName] = names;
  const { iot, ledger } = deps;
  const key = item.sk;
  const groupKey = thingGroupKeys(thingGroupName).sk;
  const thingKey = thingKeys(thingName).sk;

  if (item.deleted) {
    const groups = await groupsOfThing(iot, thingName);
    if (!groups?.has(thingGroupName)) return 'unchanged';
    const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), hashFingerprint(TOMBSTONE_HASH)]);
    try {
      await guard.write(
        () => iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName, thingName })),
        async () => !(await groupsOfThing(iot, thingName))?.has(thingGroupName),
      );
    } catch (err) {
      if (isNotFound(err)) return 'deleted';
      throw err;
    }
    return 'deleted';
  }

  membershipStateOf(item, thingGroupName, thingName);
  // Write first: AddThingToThingGroup is idempotent (an existing membership raises no event), and it tells
  // when the thing or the group is missing; listing the thing's groups first would cost a call of
  // ListThingGroupsForThing (10 TPS) per membership of a bulk copy. A refused add clears its echo entry.
  // Only a membership this region's pipeline already knows present is listed first, so a duplicate is a
  // no-op that says so (the known state is a hint here, not a concurrency check: see above).
  if (!(await mayCreateBlind(deps, key)) && (await groupsOfThing(iot, thingName))?.has(thingGroupName)) return 'unchanged';
  const startedAt = deps.now();
  const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash)]);
  try {
    await guard.write(
      () => iot.send(new AddThingToThingGroupCommand({ thingGroupName, thingName })),
      async () => (await groupsOfThing(iot, thingName))?.has(thingGroupName) === true,
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
    // The thing or the group is missing (the guard cleared the entry): DescribeThing (350 TPS) tells which.
    const thingGone = (await describeThing(iot, thingName)) === undefined;
    return thingGone
      ? missingParent(deps, item, thingKey, `thing '${thingName}'`)
      : missingParent(deps, item, groupKey, `thing group '${thingGroupName}'`);
  }
  await recordWritten(deps, key, { stateHash: item.stateHash }, startedAt);
  return 'created';
}

/** The membership replay handler over plain dependencies. */
export const createMembershipReplay = replayHandlerFor({
  kind: 'member',
  partitionOf: ([thingGroupName, thingName]) => memberKeys(thingGroupName, thingName).pk,
  reconcile: reconcileMembership,
});
