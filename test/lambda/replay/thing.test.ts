import {
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  DeprecateThingTypeCommand,
  DescribeThingTypeCommand,
  DetachThingPrincipalCommand,
  ListThingPrincipalsCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { hashFingerprint, versionFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { TOMBSTONE_HASH, stateHash } from '../../../lambda/shared/hash';
import { principalKeys, thingKeys, thingTypeKeys } from '../../../lambda/shared/keys';
import type { JournalItem, ThingState } from '../../../lambda/shared/model';
import { createThingReplay } from '../../../lambda/replay/thing';
import {
  LOCAL,
  NOW,
  type ReplayTestContext,
  alreadyExists,
  captureOutput,
  emfLines,
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

const thingItem = (state: ThingState | undefined, o: { eventTime?: number; origin?: string; name?: string } = {}): JournalItem =>
  journalItem({ keys: thingKeys(o.name ?? 'sensor-1'), kind: 'thing', state, eventTime: o.eventTime, origin: o.origin });

const desired: ThingState = { thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: { model: 'x1', site: 'north' } };

beforeAll(startTables);
afterAll(stopTables);

let ctx: ReplayTestContext;
let output: () => Record<string, unknown>[];
beforeEach(async () => {
  ctx = await newContext();
  output = captureOutput();
  // A thing has no principals unless a test says so.
  ctx.iotMock.on(ListThingPrincipalsCommand).resolves({ principals: [] });
});
afterEach(() => jest.restoreAllMocks());

const activeType = () => ({ thingTypeName: 'Sensor', thingTypeMetadata: { deprecated: false } });

describe('thing replay', () => {
  test('creates a missing thing with its type and attributes, recording hash and version 1 first', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).rejects(notFound());
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(activeType());
    let ledgerAtWrite: string[] | undefined;
    ctx.iotMock.on(CreateThingCommand).callsFake(async () => {
      ledgerAtWrite = await ctx.ledgerEntry(item.sk);
      return { thingName: 'sensor-1' };
    });

    const result = await createThingReplay(ctx.deps)(taskFor(item));

    expect(result).toEqual({ key: 'thing#sensor-1', action: 'created', lagMs: 1500 });
    expect(ctx.iotMock.commandCalls(CreateThingCommand)[0].args[0].input).toEqual({
      thingName: 'sensor-1',
      thingTypeName: 'Sensor',
      attributePayload: { attributes: { model: 'x1', site: 'north' } },
    });
    const expected = [hashFingerprint(item.stateHash), versionFingerprint(1)].sort();
    expect(ledgerAtWrite).toEqual(expected);
    expect(await ctx.ledgerEntry(item.sk)).toEqual(expected);
  });

  test('emits one EMF line with Kind and Action, ItemsReplayed and ReplicationLag', async () => {
    const item = thingItem(desired, { eventTime: NOW - 4200 });
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: desired.attributes, version: 3 });

    await createThingReplay(ctx.deps)(taskFor(item));

    const emf = emfLines(output());
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Kind: 'thing', Action: 'unchanged', ItemsReplayed: 1, ReplicationLag: 4200 });
    expect(emf[0]._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: 'IotDrTest', Dimensions: [['Kind', 'Action'], []] }] });
  });

  test('unchanged: no IoT write and no ledger entry', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    // IoT may return attributes in another order; equality is by content.
    ctx.iotMock
      .on(DescribeThingCommand)
      .resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: { site: 'north', model: 'x1' }, version: 7 });

    const result = await createThingReplay(ctx.deps)(taskFor(item));

    expect(result.action).toBe('unchanged');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('updates only the attributes when only they differ (full replace, expectedVersion, ledger v+1)', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock
      .on(DescribeThingCommand)
      .resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: { model: 'x1', stale: 'yes' }, version: 4 });
    ctx.iotMock.on(UpdateThingCommand).resolves({});

    const result = await createThingReplay(ctx.deps)(taskFor(item));

    expect(result.action).toBe('updated');
    expect(ctx.iotMock.commandCalls(UpdateThingCommand)[0].args[0].input).toEqual({
      thingName: 'sensor-1',
      expectedVersion: 4,
      attributePayload: { attributes: { model: 'x1', site: 'north' }, merge: false },
    });
    // The type did not change, so it is neither checked nor sent.
    expect(ctx.iotMock.commandCalls(DescribeThingTypeCommand)).toHaveLength(0);
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash), versionFingerprint(5)].sort());
  });

  test('updates only the type when only it differs', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', thingTypeName: 'OldSensor', attributes: desired.attributes, version: 2 });
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(activeType());
    ctx.iotMock.on(UpdateThingCommand).resolves({});

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(ctx.iotMock.commandCalls(UpdateThingCommand)[0].args[0].input).toEqual({
      thingName: 'sensor-1',
      expectedVersion: 2,
      thingTypeName: 'Sensor',
    });
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash), versionFingerprint(3)].sort());
  });

  test('removes the type when the journal has none', async () => {
    const untyped: ThingState = { thingName: 'sensor-1', attributes: {} };
    const item = thingItem(untyped);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: {}, version: 9 });
    ctx.iotMock.on(UpdateThingCommand).resolves({});

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(ctx.iotMock.commandCalls(UpdateThingCommand)[0].args[0].input).toEqual({ thingName: 'sensor-1', expectedVersion: 9, removeThingType: true });
  });

  test('a deprecated type that stays associated is not a problem for an attribute update', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: {}, version: 1 });
    ctx.iotMock.on(UpdateThingCommand).resolves({});

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(ctx.iotMock.commandCalls(UpdateThingCommand)[0].args[0].input.thingTypeName).toBeUndefined();
  });

  test('deletes with the described version and records the tombstone hash', async () => {
    const item = thingItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', attributes: {}, version: 6 });
    ctx.iotMock.on(DeleteThingCommand).resolves({});

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
    expect(ctx.iotMock.commandCalls(DeleteThingCommand)[0].args[0].input).toEqual({ thingName: 'sensor-1', expectedVersion: 6 });
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(TOMBSTONE_HASH)]);
  });

  test('deleting a thing that is already gone succeeds without a write or a ledger entry', async () => {
    const item = thingItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).rejects(notFound());

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('a thing deleted between describe and delete counts as deleted', async () => {
    const item = thingItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', attributes: {}, version: 6 });
    ctx.iotMock.on(DeleteThingCommand).rejects(notFound());

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
  });

  test('a thing created between describe and create is reconciled as an update', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock
      .on(DescribeThingCommand)
      .rejectsOnce(notFound())
      .resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: { model: 'x0' }, version: 1 });
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(activeType());
    ctx.iotMock.on(CreateThingCommand).rejects(alreadyExists());
    ctx.iotMock.on(UpdateThingCommand).resolves({});

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(sentWrites(ctx.iotMock)).toEqual(['CreateThing', 'UpdateThing']);
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash), versionFingerprint(2)].sort());
  });

  test('creating a thing that already exists identically is a success', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock
      .on(DescribeThingCommand)
      .rejectsOnce(notFound())
      .resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: desired.attributes, version: 1 });
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(activeType());
    ctx.iotMock.on(CreateThingCommand).rejects(alreadyExists());

    const result = await createThingReplay(ctx.deps)(taskFor(item));
    expect(result.action).toBe('unchanged');
    // The rejected create left nothing behind for capture to mistake.
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('missing thing type → DependencyNotReady, before any write or ledger entry', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).rejects(notFound());
    ctx.iotMock.on(DescribeThingTypeCommand).rejects(notFound());

    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady', missing: 'thingType#Sensor' });
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('a type deprecated here cannot be associated → DependencyNotReady', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', attributes: desired.attributes, version: 1 });
    ctx.iotMock.on(DescribeThingTypeCommand).resolves({ thingTypeName: 'Sensor', thingTypeMetadata: { deprecated: true } });

    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady' });
    expect(sentWrites(ctx.iotMock)).toEqual([]);
  });

  test('a type deprecated here and in the journal (the thing took it before) is lifted for the write and restored', async () => {
    const typeState = { thingTypeName: 'Sensor', searchableAttributes: [], deprecated: true };
    const typeItem = journalItem({ keys: thingTypeKeys('Sensor'), kind: 'thingType', state: typeState });
    await ctx.putItem(typeItem);
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).rejects(notFound());
    ctx.iotMock.on(DescribeThingTypeCommand).resolves({ thingTypeName: 'Sensor', thingTypeMetadata: { deprecated: true } });
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});
    ctx.iotMock.on(CreateThingCommand).resolves({ thingName: 'sensor-1' });

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('created');
    expect(sentWrites(ctx.iotMock)).toEqual(['DeprecateThingType', 'CreateThing', 'DeprecateThingType']);
    expect(ctx.iotMock.commandCalls(DeprecateThingTypeCommand).map((c) => c.args[0].input)).toEqual([
      { thingTypeName: 'Sensor', undoDeprecate: true },
      { thingTypeName: 'Sensor' },
    ]);
    // Both type events this causes are recognised as replay's own.
    expect(await ctx.ledgerEntry(typeItem.sk)).toEqual(
      [hashFingerprint(stateHash({ ...typeState, deprecated: false })), hashFingerprint(typeItem.stateHash)].sort(),
    );
  });

  test('a lifted deprecation that cannot be restored fails loudly (TypeDeprecationNotRestored, not retried)', async () => {
    await ctx.putItem(journalItem({ keys: thingTypeKeys('Sensor'), kind: 'thingType', state: { thingTypeName: 'Sensor', searchableAttributes: [], deprecated: true } }));
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).rejects(notFound());
    ctx.iotMock.on(DescribeThingTypeCommand).resolves({ thingTypeName: 'Sensor', thingTypeMetadata: { deprecated: true } });
    ctx.iotMock.on(DeprecateThingTypeCommand).callsFake(async (input: { undoDeprecate?: boolean }) => {
      if (input.undoDeprecate) return {};
      throw throttled();
    });
    ctx.iotMock.on(CreateThingCommand).resolves({ thingName: 'sensor-1' });

    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'TypeDeprecationNotRestored' });
  });

  test('IoT refusing a deprecated type at write time (a race) → DependencyNotReady, ledger cleared', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).rejects(notFound());
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(activeType());
    ctx.iotMock.on(CreateThingCommand).rejects(invalidRequest('Thing type Sensor is deprecated and cannot be associated with things.'));

    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('throttling after the SDK retries → RegistryThrottled, and the unapplied fingerprints are cleared', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: {}, version: 2 });
    ctx.iotMock.on(UpdateThingCommand).rejects(throttled());

    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'RegistryThrottled' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('a throttled read → RegistryThrottled', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).rejects(throttled());
    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'RegistryThrottled' });
  });

  test('version conflict → ConcurrentModification; v+1 must not stay in the ledger (it is the local change)', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: {}, version: 2 });
    ctx.iotMock.on(UpdateThingCommand).rejects(versionConflict());

    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'ConcurrentModification' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('a version conflict on delete → ConcurrentModification', async () => {
    const item = thingItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', attributes: {}, version: 2 });
    ctx.iotMock.on(DeleteThingCommand).rejects(versionConflict());
    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'ConcurrentModification' });
  });

  test("an item whose origin is this region is skipped without touching IoT", async () => {
    const item = thingItem(desired, { origin: LOCAL });
    await ctx.putItem(item);

    const result = await createThingReplay(ctx.deps)(taskFor(item));
    expect(result.action).toBe('skipped-own-origin');
    expect(sentCommands(ctx.iotMock)).toEqual([]);
  });

  test('a stale stream record whose item was since replaced by a local change is skipped', async () => {
    const remote = thingItem({ ...desired, attributes: { model: 'old' } }, { eventTime: NOW - 9000 });
    const local = thingItem(desired, { origin: LOCAL, eventTime: NOW - 1000 });
    await ctx.putItem(local);

    expect((await createThingReplay(ctx.deps)(taskFor(remote))).action).toBe('skipped-own-origin');
    expect(sentCommands(ctx.iotMock)).toEqual([]);
  });

  test('an out-of-order (older) record applies the current item, not the stream image', async () => {
    const older = thingItem({ ...desired, attributes: { model: 'old' } }, { eventTime: NOW - 9000 });
    const current = thingItem(desired, { eventTime: NOW - 2000 });
    await ctx.putItem(current);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: { model: 'older' }, version: 3 });
    ctx.iotMock.on(UpdateThingCommand).resolves({});

    const result = await createThingReplay(ctx.deps)(taskFor(older));

    expect(result).toEqual({ key: 'thing#sensor-1', action: 'updated', lagMs: 2000 });
    expect(ctx.iotMock.commandCalls(UpdateThingCommand)[0].args[0].input.attributePayload).toEqual({ attributes: desired.attributes, merge: false });
  });

  test("an older record whose newer item is already applied reports 'superseded'", async () => {
    const older = thingItem({ ...desired, attributes: { model: 'old' } }, { eventTime: NOW - 9000 });
    const current = thingItem(desired, { eventTime: NOW - 2000 });
    await ctx.putItem(current);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', thingTypeName: 'Sensor', attributes: desired.attributes, version: 3 });

    expect((await createThingReplay(ctx.deps)(taskFor(older))).action).toBe('superseded');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
  });

  test('a tombstone that replaced a live item wins over the live record', async () => {
    const live = thingItem(desired, { eventTime: NOW - 9000 });
    const tombstone = thingItem(undefined, { eventTime: NOW - 3000 });
    await ctx.putItem(tombstone);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', attributes: {}, version: 1 });
    ctx.iotMock.on(DeleteThingCommand).resolves({});

    expect((await createThingReplay(ctx.deps)(taskFor(live))).action).toBe('deleted');
  });

  test('no journal item, a key of another kind, or a wrong partition → MalformedInput', async () => {
    const item = thingItem(desired);
    const replay = createThingReplay(ctx.deps);
    await expect(replay(taskFor(item))).rejects.toMatchObject({ name: 'MalformedInput' });
    await expect(replay({ ...taskFor(item), key: 'thingGroup#g', partition: 'thingGroup#g' })).rejects.toMatchObject({ name: 'MalformedInput' });
    await expect(replay({ ...taskFor(item), partition: 'thing#other' })).rejects.toMatchObject({ name: 'MalformedInput' });
    await expect(replay({ ...taskFor(item), key: 'bogus' })).rejects.toMatchObject({ name: 'MalformedInput' });
    expect(sentCommands(ctx.iotMock)).toEqual([]);
  });

  test('a live item whose state names another thing → MalformedInput', async () => {
    const item = thingItem({ ...desired, thingName: 'someone-else' });
    await ctx.putItem(item);
    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'MalformedInput' });
  });

  test('failures are logged with the key: WARN when retryable, ERROR otherwise', async () => {
    const item = thingItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).rejects(throttled());
    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toThrow();
    await expect(createThingReplay(ctx.deps)({ ...taskFor(item), key: 'thing#nope', partition: 'thing#nope' })).rejects.toThrow();
    const failures = output().filter((l) => l.message === 'replay failed');
    expect(failures.map((l) => [l.level, l.key])).toEqual([
      ['WARN', 'thing#sensor-1'],
      ['ERROR', 'thing#nope'],
    ]);
    expect(emfLines(output())).toHaveLength(0);
  });
});

describe('deleting a thing that still has principals', () => {
  const CERT_A = 'a'.repeat(64);
  const CERT_B = 'b'.repeat(64);
  const CERT_C = 'c'.repeat(64);
  const arn = (id: string) => `arn:aws:iot:${LOCAL}:123456789012:cert/${id}`;
  const principalItem = (certificateId: string, live: boolean, eventTime: number): JournalItem =>
    journalItem({
      keys: principalKeys('sensor-1', certificateId),
      kind: 'principal',
      state: live ? { thingName: 'sensor-1', certificateId } : undefined,
      eventTime,
    });

  /** The thing's tombstone (at NOW - 1500) and a thing here with `principals` attached. */
  async function thingWith(principals: string[]): Promise<JournalItem> {
    const item = thingItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingCommand).resolves({ thingName: 'sensor-1', attributes: {}, version: 6 });
    ctx.iotMock.on(ListThingPrincipalsCommand).resolves({ principals });
    ctx.iotMock.on(DetachThingPrincipalCommand).resolves({});
    ctx.iotMock.on(DeleteThingCommand).resolves({});
    return item;
  }

  test('detaches principals the journal has no live item for, then deletes', async () => {
    const cognito = 'us-west-2:11111111-2222-3333-4444-555555555555';
    const item = await thingWith([arn(CERT_A), arn(CERT_B), cognito]);
    // CERT_A: never journaled; CERT_B: tombstoned; the Cognito identity: no journal kind at all.
    await ctx.putItem(principalItem(CERT_B, false, NOW - 1000));

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
    expect(sentWrites(ctx.iotMock)).toEqual(['DetachThingPrincipal', 'DetachThingPrincipal', 'DetachThingPrincipal', 'DeleteThing']);
    expect(ctx.iotMock.commandCalls(DetachThingPrincipalCommand).map((c) => c.args[0].input)).toEqual([
      { thingName: 'sensor-1', principal: arn(CERT_A) },
      { thingName: 'sensor-1', principal: arn(CERT_B) },
      { thingName: 'sensor-1', principal: cognito },
    ]);
    // The detached principals' known state is the tombstone: their own tombstones find the region in step.
    expect((await ctx.deps.ledger.knownState(principalKeys('sensor-1', CERT_A).sk))?.stateHash).toBe(TOMBSTONE_HASH);
  });

  test("a live principal item older than the thing's tombstone: the delete waits for its tombstone", async () => {
    const item = await thingWith([arn(CERT_A), arn(CERT_C)]);
    await ctx.putItem(principalItem(CERT_C, true, NOW - 9000));

    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady', missing: principalKeys('sensor-1', CERT_C).sk });
    expect(ctx.iotMock.commandCalls(DeleteThingCommand)).toHaveLength(0);
    expect(ctx.iotMock.commandCalls(DetachThingPrincipalCommand).map((c) => c.args[0].input.principal)).toEqual([arn(CERT_A)]);
  });

  test("a live principal item newer than the thing's tombstone (attached while the thing was deleted elsewhere): the tombstone wins", async () => {
    const item = await thingWith([arn(CERT_C)]);
    await ctx.putItem(principalItem(CERT_C, true, NOW - 500));

    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
    expect(sentWrites(ctx.iotMock)).toEqual(['DetachThingPrincipal', 'DeleteThing']);
    expect(output().some((l) => l.level === 'WARN' && String(l.message).includes("the thing's tombstone wins"))).toBe(true);
  });

  test('IoT refusing the delete while the detach propagates → DependencyNotReady (retried)', async () => {
    const item = await thingWith([arn(CERT_A)]);
    ctx.iotMock.on(DeleteThingCommand).rejects(invalidRequest('Cannot delete thing sensor-1: it has principals attached'));

    await expect(createThingReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady' });
  });

  test('a principal detached meanwhile (not found) is fine', async () => {
    const item = await thingWith([arn(CERT_A)]);
    ctx.iotMock.on(DetachThingPrincipalCommand).rejects(notFound());
    expect((await createThingReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
  });
});
