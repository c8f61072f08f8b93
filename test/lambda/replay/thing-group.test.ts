import {
  AddThingToThingGroupCommand,
  CreateThingGroupCommand,
  DeleteThingGroupCommand,
  DescribeThingGroupCommand,
  UpdateThingGroupCommand,
} from '@aws-sdk/client-iot';
import { hashFingerprint, versionFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { memberKeys, thingGroupKeys } from '../../../lambda/shared/keys';
import type { JournalItem, ThingGroupState } from '../../../lambda/shared/model';
import { createThingGroupReplay } from '../../../lambda/replay/thing-group';
import {
  LOCAL,
  NOW,
  type ReplayTestContext,
  alreadyExists,
  captureOutput,
  invalidRequest,
  journalItem,
  newContext,
  notFound,
  sentCommands,
  sentWrites,
  startTables,
  stopTables,
  taskFor,
  throttled,
  versionConflict,
} from './harness';

const groupItem = (state: ThingGroupState | undefined, o: { eventTime?: number; origin?: string; name?: string } = {}): JournalItem =>
  journalItem({ keys: thingGroupKeys(o.name ?? 'floor-1'), kind: 'thingGroup', state, eventTime: o.eventTime, origin: o.origin });

const memberItem = (group: string, thing: string, live: boolean, origin?: string): JournalItem =>
  journalItem({
    keys: memberKeys(group, thing),
    kind: 'member',
    state: live ? { thingGroupName: group, thingName: thing } : undefined,
    origin,
    eventTime: NOW - 5000,
  });

const desired: ThingGroupState = { thingGroupName: 'floor-1', parentGroupName: 'building-a', description: 'first floor', attributes: { level: '1' } };

interface LocalGroup {
  readonly parent?: string;
  readonly description?: string;
  readonly attributes?: Record<string, string>;
  readonly version: number;
}
const described = (name: string, g: LocalGroup) => ({
  thingGroupName: name,
  version: g.version,
  thingGroupProperties: { thingGroupDescription: g.description, attributePayload: { attributes: g.attributes ?? {} } },
  thingGroupMetadata: { parentGroupName: g.parent, creationDate: new Date(NOW - 86_400_000) },
});

beforeAll(startTables);
afterAll(stopTables);

let ctx: ReplayTestContext;
beforeEach(async () => {
  ctx = await newContext();
  captureOutput();
});
afterEach(() => jest.restoreAllMocks());

/** Stubs DescribeThingGroup per group name; a name missing from `groups` is not found. */
function groupsHere(groups: Record<string, LocalGroup | undefined>): void {
  ctx.iotMock.on(DescribeThingGroupCommand).callsFake(({ thingGroupName }: { thingGroupName: string }) => {
    const g = groups[thingGroupName];
    if (!g) throw notFound(`Thing group ${thingGroupName} cannot be found.`);
    return described(thingGroupName, g);
  });
}

describe('thing group replay', () => {
  test('creates a missing group under its existing parent; ledger hash + v#1', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'building-a': { version: 1 } });
    ctx.iotMock.on(CreateThingGroupCommand).resolves({ thingGroupName: 'floor-1' });

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('created');
    expect(ctx.iotMock.commandCalls(CreateThingGroupCommand)[0].args[0].input).toEqual({
      thingGroupName: 'floor-1',
      parentGroupName: 'building-a',
      thingGroupProperties: { thingGroupDescription: 'first floor', attributePayload: { attributes: { level: '1' } } },
    });
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash), versionFingerprint(1)].sort());
  });

  test('creating adds back the live memberships the journal holds for the group', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    const live = memberItem('floor-1', 'lamp-1', true);
    await ctx.putItem(live);
    await ctx.putItem(memberItem('floor-1', 'lamp-2', false));
    // Another group whose name starts the same must not leak in.
    await ctx.putItem(memberItem('floor-10', 'lamp-3', true));
    groupsHere({ 'building-a': { version: 1 } });
    ctx.iotMock.on(CreateThingGroupCommand).resolves({});
    ctx.iotMock.on(AddThingToThingGroupCommand).resolves({});

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('created');
    expect(ctx.iotMock.commandCalls(AddThingToThingGroupCommand).map((c) => c.args[0].input)).toEqual([
      { thingGroupName: 'floor-1', thingName: 'lamp-1' },
    ]);
    expect(await ctx.ledgerEntry(live.sk)).toEqual([hashFingerprint(live.stateHash)]);
  });

  test('missing parent → DependencyNotReady, before any write', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({});

    await expect(createThingGroupReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({
      name: 'DependencyNotReady',
      missing: 'thingGroup#building-a',
    });
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('parent deleted between check and create (IoT refuses) → DependencyNotReady', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'building-a': { version: 1 } });
    ctx.iotMock.on(CreateThingGroupCommand).rejects(notFound('Parent thing group building-a cannot be found.'));

    await expect(createThingGroupReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('unchanged: no write and no ledger entry', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-a', description: 'first floor', attributes: { level: '1' }, version: 4 } });

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('only the description differs → UpdateThingGroup with the description only, expectedVersion, ledger v+1', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-a', description: 'old', attributes: { level: '1' }, version: 4 } });
    ctx.iotMock.on(UpdateThingGroupCommand).resolves({ version: 5 });

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(ctx.iotMock.commandCalls(UpdateThingGroupCommand)[0].args[0].input).toEqual({
      thingGroupName: 'floor-1',
      expectedVersion: 4,
      thingGroupProperties: { thingGroupDescription: 'first floor' },
    });
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash), versionFingerprint(5)].sort());
  });

  test('only the attributes differ → full replace of attributes only', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-a', description: 'first floor', attributes: { level: '0', x: 'y' }, version: 2 } });
    ctx.iotMock.on(UpdateThingGroupCommand).resolves({ version: 3 });

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(ctx.iotMock.commandCalls(UpdateThingGroupCommand)[0].args[0].input.thingGroupProperties).toEqual({
      attributePayload: { attributes: { level: '1' }, merge: false },
    });
  });

  test('a removed description is cleared with an empty one', async () => {
    const item = groupItem({ ...desired, description: undefined });
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-a', description: 'old', attributes: { level: '1' }, version: 2 } });
    ctx.iotMock.on(UpdateThingGroupCommand).resolves({ version: 3 });

    await createThingGroupReplay(ctx.deps)(taskFor(item));
    expect(ctx.iotMock.commandCalls(UpdateThingGroupCommand)[0].args[0].input.thingGroupProperties).toEqual({ thingGroupDescription: '' });
  });

  test('a different parent → delete, create under the new parent, re-add the journal memberships', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    const lamp1 = memberItem('floor-1', 'lamp-1', true);
    const lamp2 = memberItem('floor-1', 'lamp-2', true, LOCAL);
    const lamp3 = memberItem('floor-1', 'lamp-3', true);
    for (const m of [lamp1, lamp2, lamp3, memberItem('floor-1', 'gone', false)]) await ctx.putItem(m);
    groupsHere({ 'building-a': { version: 1 }, 'floor-1': { parent: 'building-b', description: 'first floor', attributes: { level: '1' }, version: 7 } });
    ctx.iotMock.on(DeleteThingGroupCommand).resolves({});
    ctx.iotMock.on(CreateThingGroupCommand).resolves({});
    ctx.iotMock
      .on(AddThingToThingGroupCommand)
      .callsFake(({ thingName }: { thingName: string }) => {
        if (thingName === 'lamp-3') throw notFound('Thing lamp-3 cannot be found.');
        return {};
      });

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(sentWrites(ctx.iotMock)).toEqual([
      'DeleteThingGroup',
      'CreateThingGroup',
      'AddThingToThingGroup',
      'AddThingToThingGroup',
      'AddThingToThingGroup',
    ]);
    expect(ctx.iotMock.commandCalls(DeleteThingGroupCommand)[0].args[0].input).toEqual({ thingGroupName: 'floor-1', expectedVersion: 7 });
    expect(ctx.iotMock.commandCalls(CreateThingGroupCommand)[0].args[0].input.parentGroupName).toBe('building-a');
    // The DELETED echo must be recognised, or capture would tombstone the memberships with it.
    expect(await ctx.ledgerEntry(item.sk)).toEqual(
      [hashFingerprint(item.stateHash), hashFingerprint(TOMBSTONE_HASH), versionFingerprint(1)].sort(),
    );
    expect(await ctx.ledgerEntry(lamp1.sk)).toEqual([hashFingerprint(lamp1.stateHash)]);
    expect(await ctx.ledgerEntry(lamp2.sk)).toEqual([hashFingerprint(lamp2.stateHash)]);
    // A membership whose thing is not here was not added: no entry left behind.
    expect(await ctx.ledgerEntry(lamp3.sk)).toBeUndefined();
  });

  test('a different parent that is not here yet → DependencyNotReady before deleting anything', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-b', attributes: {}, version: 7 } });

    await expect(createThingGroupReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady' });
    expect(sentWrites(ctx.iotMock)).toEqual([]);
  });

  test('moving to the root (no parent) recreates without a parent', async () => {
    const item = groupItem({ ...desired, parentGroupName: undefined });
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-b', description: 'first floor', attributes: { level: '1' }, version: 1 } });
    ctx.iotMock.on(DeleteThingGroupCommand).resolves({});
    ctx.iotMock.on(CreateThingGroupCommand).resolves({});

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(ctx.iotMock.commandCalls(CreateThingGroupCommand)[0].args[0].input.parentGroupName).toBeUndefined();
  });

  test('a group that must move but has child groups here → DependencyNotReady, ledger cleared', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'building-a': { version: 1 }, 'floor-1': { parent: 'building-b', attributes: {}, version: 7 } });
    ctx.iotMock.on(DeleteThingGroupCommand).rejects(invalidRequest('Cannot delete thing group : floor-1 when there are still child groups attached to it.'));

    await expect(createThingGroupReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady' });
    expect(sentWrites(ctx.iotMock)).toEqual(['DeleteThingGroup']);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('tombstone → DeleteThingGroup with the described version, tombstone fingerprint', async () => {
    const item = groupItem(undefined);
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-a', attributes: {}, version: 3 } });
    ctx.iotMock.on(DeleteThingGroupCommand).resolves({});

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
    expect(ctx.iotMock.commandCalls(DeleteThingGroupCommand)[0].args[0].input).toEqual({ thingGroupName: 'floor-1', expectedVersion: 3 });
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(TOMBSTONE_HASH)]);
  });

  test('tombstone of a missing group: nothing to do', async () => {
    const item = groupItem(undefined);
    await ctx.putItem(item);
    groupsHere({});

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
  });

  test('tombstone of a group with child groups → DependencyNotReady (their tombstones are coming)', async () => {
    const item = groupItem(undefined);
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { attributes: {}, version: 3 } });
    ctx.iotMock.on(DeleteThingGroupCommand).rejects(invalidRequest('Cannot delete thing group : floor-1 when there are still child groups attached to it.'));

    await expect(createThingGroupReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady', missing: 'thingGroup#floor-1' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('a group created here meanwhile is reconciled as an update', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    let created = false;
    ctx.iotMock.on(DescribeThingGroupCommand).callsFake(({ thingGroupName }: { thingGroupName: string }) => {
      if (thingGroupName === 'building-a') return described('building-a', { version: 1 });
      if (!created) {
        created = true;
        throw notFound();
      }
      return described('floor-1', { parent: 'building-a', description: 'first floor', attributes: {}, version: 1 });
    });
    ctx.iotMock.on(CreateThingGroupCommand).rejects(alreadyExists());
    ctx.iotMock.on(UpdateThingGroupCommand).resolves({ version: 2 });

    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(sentWrites(ctx.iotMock)).toEqual(['CreateThingGroup', 'UpdateThingGroup']);
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash), versionFingerprint(2)].sort());
  });

  test('version conflict → ConcurrentModification, ledger cleared', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-a', description: 'old', attributes: { level: '1' }, version: 4 } });
    ctx.iotMock.on(UpdateThingGroupCommand).rejects(versionConflict());

    await expect(createThingGroupReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'ConcurrentModification' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('throttled → RegistryThrottled', async () => {
    const item = groupItem(desired);
    await ctx.putItem(item);
    groupsHere({ 'floor-1': { parent: 'building-a', description: 'old', attributes: { level: '1' }, version: 4 } });
    ctx.iotMock.on(UpdateThingGroupCommand).rejects(throttled());

    await expect(createThingGroupReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'RegistryThrottled' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('own origin is skipped', async () => {
    const item = groupItem(desired, { origin: LOCAL });
    await ctx.putItem(item);
    expect((await createThingGroupReplay(ctx.deps)(taskFor(item))).action).toBe('skipped-own-origin');
    expect(sentCommands(ctx.iotMock)).toEqual([]);
  });

  test('an older record converges to the current item', async () => {
    const older = groupItem({ ...desired, description: 'older' }, { eventTime: NOW - 60_000 });
    const current = groupItem(desired, { eventTime: NOW - 1000 });
    await ctx.putItem(current);
    groupsHere({ 'floor-1': { parent: 'building-a', description: 'older', attributes: { level: '1' }, version: 4 } });
    ctx.iotMock.on(UpdateThingGroupCommand).resolves({ version: 5 });

    expect((await createThingGroupReplay(ctx.deps)(taskFor(older))).action).toBe('updated');
    expect(ctx.iotMock.commandCalls(UpdateThingGroupCommand)[0].args[0].input.thingGroupProperties).toEqual({
      thingGroupDescription: 'first floor',
    });

    groupsHere({ 'floor-1': { parent: 'building-a', description: 'first floor', attributes: { level: '1' }, version: 5 } });
    expect((await createThingGroupReplay(ctx.deps)(taskFor(older))).action).toBe('superseded');
  });
});
