import {
  AddThingToThingGroupCommand,
  DescribeThingCommand,
  ListThingGroupsForThingCommand,
  RemoveThingFromThingGroupCommand,
} from '@aws-sdk/client-iot';
import { hashFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { memberKeys, thingGroupKeys, thingKeys } from '../../../lambda/shared/keys';
import type { JournalItem } from '../../../lambda/shared/model';
import { createMembershipReplay } from '../../../lambda/replay/membership';
import {
  LOCAL,
  NOW,
  type ReplayTestContext,
  captureOutput,
  journalItem,
  newContext,
  notFound,
  sentCommands,
  sentWrites,
  startTables,
  stopTables,
  taskFor,
  throttled,
} from './harness';

const member = (live: boolean, o: { eventTime?: number; origin?: string } = {}): JournalItem =>
  journalItem({
    keys: memberKeys('floor-1', 'lamp-1'),
    kind: 'member',
    state: live ? { thingGroupName: 'floor-1', thingName: 'lamp-1' } : undefined,
    eventTime: o.eventTime ?? NOW - 2000,
    origin: o.origin,
  });

beforeAll(startTables);
afterAll(stopTables);

let ctx: ReplayTestContext;
beforeEach(async () => {
  ctx = await newContext();
  captureOutput();
});
afterEach(() => jest.restoreAllMocks());

/** Stubs ListThingGroupsForThing with `groups` (undefined: the thing is not here), two per page. */
function thingInGroups(groups: string[] | undefined): void {
  ctx.iotMock.on(ListThingGroupsForThingCommand).callsFake(({ nextToken }: { nextToken?: string }) => {
    if (!groups) throw notFound('Thing lamp-1 cannot be found.');
    const start = nextToken ? Number(nextToken) : 0;
    const page = groups.slice(start, start + 2).map((g) => ({ groupName: g, groupArn: `arn:aws:iot:${LOCAL}:1:thinggroup/${g}` }));
    return { thingGroups: page, nextToken: start + 2 < groups.length ? String(start + 2) : undefined };
  });
}
/** The add is refused as not found; DescribeThing says whether the thing (else the group) is what is missing. */
function addRefused(thingExists: boolean): void {
  ctx.iotMock.on(AddThingToThingGroupCommand).rejects(notFound());
  if (thingExists) ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'lamp-1', version: 1, attributes: {} });
  else ctx.iotMock.on(DescribeThingCommand).rejects(notFound('Thing lamp-1 cannot be found.'));
}

describe('membership replay', () => {
  test('adds a missing membership, recording its hash first, without listing the thing\'s groups', async () => {
    const item = member(true);
    await ctx.putItem(item);
    let ledgerAtWrite: string[] | undefined;
    ctx.iotMock.on(AddThingToThingGroupCommand).callsFake(async () => {
      ledgerAtWrite = await ctx.ledgerEntry(item.sk);
      return {};
    });

    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('created');
    expect(ctx.iotMock.commandCalls(AddThingToThingGroupCommand)[0].args[0].input).toEqual({ thingGroupName: 'floor-1', thingName: 'lamp-1' });
    expect(ledgerAtWrite).toEqual([hashFingerprint(item.stateHash)]);
    expect(ctx.iotMock.commandCalls(ListThingGroupsForThingCommand)).toHaveLength(0);
  });

  test('an existing membership: the add is written anyway (IoT takes it as a no-op, without an event)', async () => {
    const item = member(true);
    await ctx.putItem(item);
    ctx.iotMock.on(AddThingToThingGroupCommand).resolves({});

    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('created');
    expect(sentWrites(ctx.iotMock)).toEqual(['AddThingToThingGroup']);
    expect(ctx.iotMock.commandCalls(ListThingGroupsForThingCommand)).toHaveLength(0);
  });

  test('tombstone → RemoveThingFromThingGroup, tombstone fingerprint', async () => {
    const item = member(false);
    await ctx.putItem(item);
    thingInGroups(['floor-1']);
    ctx.iotMock.on(RemoveThingFromThingGroupCommand).resolves({});

    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
    expect(ctx.iotMock.commandCalls(RemoveThingFromThingGroupCommand)[0].args[0].input).toEqual({ thingGroupName: 'floor-1', thingName: 'lamp-1' });
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(TOMBSTONE_HASH)]);
  });

  test('tombstone of a membership that is not there (or whose thing is gone): nothing to do', async () => {
    const item = member(false);
    await ctx.putItem(item);
    thingInGroups(['other']);
    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    thingInGroups(undefined);
    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('a removal that finds the membership already gone is a success', async () => {
    const item = member(false);
    await ctx.putItem(item);
    thingInGroups(['floor-1']);
    ctx.iotMock.on(RemoveThingFromThingGroupCommand).rejects(notFound());
    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
  });

  test('thing not here, its journal item live → DependencyNotReady', async () => {
    const item = member(true);
    await ctx.putItem(item);
    await ctx.putItem(journalItem({ keys: thingKeys('lamp-1'), kind: 'thing', state: { thingName: 'lamp-1', attributes: {} } }));
    addRefused(false);

    await expect(createMembershipReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady', missing: 'thing#lamp-1' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('thing not here and not in the journal yet → DependencyNotReady', async () => {
    const item = member(true);
    await ctx.putItem(item);
    addRefused(false);
    await expect(createMembershipReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady' });
  });

  test('thing tombstoned after the membership → the membership is dead: unchanged, the refused add leaves no ledger entry', async () => {
    const item = member(true, { eventTime: NOW - 5000 });
    await ctx.putItem(item);
    await ctx.putItem(journalItem({ keys: thingKeys('lamp-1'), kind: 'thing', eventTime: NOW - 3000 }));
    addRefused(false);

    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('group tombstoned after the membership → dead', async () => {
    const item = member(true, { eventTime: NOW - 5000 });
    await ctx.putItem(item);
    await ctx.putItem(journalItem({ keys: thingGroupKeys('floor-1'), kind: 'thingGroup', eventTime: NOW - 3000 }));
    addRefused(true);

    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('group tombstone OLDER than the membership (added in the other region while the group was deleted here) → still dead', async () => {
    const item = member(true, { eventTime: NOW - 3000 });
    await ctx.putItem(item);
    await ctx.putItem(journalItem({ keys: thingGroupKeys('floor-1'), kind: 'thingGroup', eventTime: NOW - 5000 }));
    addRefused(true);

    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('group journaled alive but not here yet → DependencyNotReady', async () => {
    const item = member(true, { eventTime: NOW - 3000 });
    await ctx.putItem(item);
    await ctx.putItem(journalItem({ keys: thingGroupKeys('floor-1'), kind: 'thingGroup', state: { thingGroupName: 'floor-1', attributes: {} }, eventTime: NOW - 5000 }));
    addRefused(true);

    await expect(createMembershipReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady', missing: 'thingGroup#floor-1' });
  });

  test('a group not here (not journaled either) → decided by the journal, ledger cleared', async () => {
    const item = member(true);
    await ctx.putItem(item);
    addRefused(true);

    await expect(createMembershipReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady', missing: 'thingGroup#floor-1' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('throttled add → RegistryThrottled, ledger cleared', async () => {
    const item = member(true);
    await ctx.putItem(item);
    ctx.iotMock.on(AddThingToThingGroupCommand).rejects(throttled());

    await expect(createMembershipReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'RegistryThrottled' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('throttled listing (of a tombstone\'s membership) → RegistryThrottled', async () => {
    const item = member(false);
    await ctx.putItem(item);
    ctx.iotMock.on(ListThingGroupsForThingCommand).rejects(throttled());
    await expect(createMembershipReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'RegistryThrottled' });
  });

  test('own origin is skipped', async () => {
    const item = member(true, { origin: LOCAL });
    await ctx.putItem(item);
    expect((await createMembershipReplay(ctx.deps)(taskFor(item))).action).toBe('skipped-own-origin');
    expect(sentCommands(ctx.iotMock)).toEqual([]);
  });

  test('a live record replaced by a tombstone converges to removal; a stale add of a removed one is superseded', async () => {
    const live = member(true, { eventTime: NOW - 9000 });
    const tombstone = member(false, { eventTime: NOW - 1000 });
    await ctx.putItem(tombstone);
    thingInGroups(['floor-1']);
    ctx.iotMock.on(RemoveThingFromThingGroupCommand).resolves({});

    expect((await createMembershipReplay(ctx.deps)(taskFor(live))).action).toBe('deleted');
    thingInGroups([]);
    expect((await createMembershipReplay(ctx.deps)(taskFor(live))).action).toBe('superseded');
    expect(sentWrites(ctx.iotMock)).toEqual(['RemoveThingFromThingGroup']);
  });

  test('a membership key in the wrong partition → MalformedInput', async () => {
    const item = member(true);
    await expect(createMembershipReplay(ctx.deps)({ ...taskFor(item), partition: 'thing#lamp-1' })).rejects.toMatchObject({
      name: 'MalformedInput',
    });
  });
});
