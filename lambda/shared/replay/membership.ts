/**
 * Group membership replay: AddThingToThingGroup / RemoveThingFromThingGroup, after checking the thing's
 * current groups. A missing thing or group is either not replicated yet (retry) or deleted after the
 * membership was journaled (then the membership is dead and nothing is done).
 */
import {
  AddThingToThingGroupCommand,
  type IoTClient,
  ListThingGroupsForThingCommand,
  type ListThingGroupsForThingCommandOutput,
  RemoveThingFromThingGroupCommand,
} from '@aws-sdk/client-iot';
import { hashFingerprint } from '../echo-ledger';
import { DependencyNotReady } from '../errors';
import { TOMBSTONE_HASH } from '../hash';
import { isNotFound } from '../iot-errors';
import { memberKeys, thingGroupKeys, thingKeys } from '../keys';
import type { JournalItem } from '../model';
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
import { membershipStateOf } from './state';
import { describeThingGroup } from './thing-group';

/** The names of the groups a thing is directly in here, or undefined when the thing does not exist here. */
async function groupsOfThing(iot: IoTClient, thingName: string): Promise<Set<string> | undefined> {
  const groups = new Set<string>();
  let nextToken: string | undefined;
  try {
    do {
      const page: ListThingGroupsForThingCommandOutput = await iot.send(
        new ListThingGroupsForThingCommand({ thingName, nextToken, maxResults: 250 }),
      );
      for (const g of page.thingGroups ?? []) {
        if (g.groupName) groups.add(g.groupName);
      }
      nextToken = page.nextToken || undefined;
    } while (nextToken);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  return groups;
}

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

  const groups = await groupsOfThing(iot, thingName);

  if (item.deleted) {
    if (!groups?.has(thingGroupName)) return 'unchanged';
    const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash), hashFingerprint(TOMBSTONE_HASH)]);
    try {
      await guard.write(() => iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName, thingName })));
    } catch (err) {
      if (isNotFound(err)) return 'deleted';
      throw err;
    }
    return 'deleted';
  }

  membershipStateOf(item, thingGroupName, thingName);
  if (!groups) return missingParent(deps, item, thingKey, `thing '${thingName}'`);
  if (groups.has(thingGroupName)) return 'unchanged';
  // Checked before recording: a failed add must not leave an echo entry behind.
  if (!(await describeThingGroup(iot, thingGroupName))) return missingParent(deps, item, groupKey, `thing group '${thingGroupName}'`);

  const guard = new EchoGuard(ledger, key, [hashFingerprint(item.stateHash)]);
  try {
    await guard.write(() => iot.send(new AddThingToThingGroupCommand({ thingGroupName, thingName })));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    // One of them vanished since we looked; the guard cleared the entry. Decide as above.
    const thingGone = (await groupsOfThing(iot, thingName)) === undefined;
    return thingGone
      ? missingParent(deps, item, thingKey, `thing '${thingName}'`)
      : missingParent(deps, item, groupKey, `thing group '${thingGroupName}'`);
  }
  return 'created';
}

export const membershipReplayer: KindReplayer = {
  kind: 'member',
  partitionOf: ([thingGroupName, thingName]) => memberKeys(thingGroupName, thingName).pk,
  reconcile: reconcileMembership,
};

/** The replay-membership Lambda's handler over plain dependencies. */
export function createMembershipReplay(deps: ReplayDeps): ReplayHandler {
  return createReplayHandler(deps, membershipReplayer);
}
