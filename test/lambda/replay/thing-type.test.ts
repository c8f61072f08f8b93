import {
  CreateThingTypeCommand,
  DeleteThingTypeCommand,
  DeprecateThingTypeCommand,
  DescribeThingTypeCommand,
} from '@aws-sdk/client-iot';
import { hashFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { TOMBSTONE_HASH, stateHash } from '../../../lambda/shared/hash';
import { thingTypeKeys } from '../../../lambda/shared/keys';
import type { JournalItem, ThingTypeState } from '../../../lambda/shared/model';
import { createThingTypeReplay } from '../../../lambda/replay/thing-type';
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
} from './harness';

const typeItem = (state: ThingTypeState | undefined, o: { eventTime?: number; origin?: string } = {}): JournalItem =>
  journalItem({ keys: thingTypeKeys('Sensor'), kind: 'thingType', state, eventTime: o.eventTime, origin: o.origin });

const desired: ThingTypeState = { thingTypeName: 'Sensor', description: 'field sensors', searchableAttributes: ['model', 'site'], deprecated: false };

/** DescribeThingType's answer for a type in `state`. */
const described = (state: ThingTypeState) => ({
  thingTypeName: state.thingTypeName,
  thingTypeProperties: { thingTypeDescription: state.description, searchableAttributes: [...state.searchableAttributes] },
  thingTypeMetadata: { deprecated: state.deprecated, creationDate: new Date(NOW - 86_400_000) },
});

beforeAll(startTables);
afterAll(stopTables);

let ctx: ReplayTestContext;
let output: () => Record<string, unknown>[];
beforeEach(async () => {
  ctx = await newContext();
  output = captureOutput();
});
afterEach(() => jest.restoreAllMocks());

describe('thing type replay', () => {
  test('creates a missing type with its description and searchable attributes', async () => {
    const item = typeItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).rejects(notFound());
    ctx.iotMock.on(CreateThingTypeCommand).resolves({ thingTypeName: 'Sensor' });

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('created');
    expect(ctx.iotMock.commandCalls(CreateThingTypeCommand)[0].args[0].input).toEqual({
      thingTypeName: 'Sensor',
      thingTypeProperties: { thingTypeDescription: 'field sensors', searchableAttributes: ['model', 'site'] },
    });
    expect(sentWrites(ctx.iotMock)).toEqual(['CreateThingType']);
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash)]);
  });

  test('creates then deprecates a deprecated type; one ledger record covers both echoes', async () => {
    const deprecated = { ...desired, deprecated: true };
    const item = typeItem(deprecated);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).rejects(notFound());
    ctx.iotMock.on(CreateThingTypeCommand).resolves({ thingTypeName: 'Sensor' });
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('created');
    expect(sentWrites(ctx.iotMock)).toEqual(['CreateThingType', 'DeprecateThingType']);
    expect(ctx.iotMock.commandCalls(DeprecateThingTypeCommand)[0].args[0].input).toEqual({ thingTypeName: 'Sensor', undoDeprecate: false });
    // The CREATED event carries the type as not deprecated, the UPDATED one as deprecated.
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash), hashFingerprint(stateHash(desired))].sort());
  });

  test('unchanged: no write, no ledger entry (searchable attributes compared as a set)', async () => {
    const item = typeItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described({ ...desired, searchableAttributes: ['site', 'model'] }));

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('deprecation differs → DeprecateThingType only', async () => {
    const item = typeItem({ ...desired, deprecated: true });
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described(desired));
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(sentWrites(ctx.iotMock)).toEqual(['DeprecateThingType']);
    expect(ctx.iotMock.commandCalls(DeprecateThingTypeCommand)[0].args[0].input).toEqual({ thingTypeName: 'Sensor', undoDeprecate: false });
    expect(await ctx.ledgerEntry(item.sk)).toEqual([hashFingerprint(item.stateHash)]);
  });

  test('un-deprecates with undoDeprecate', async () => {
    const item = typeItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described({ ...desired, deprecated: true }));
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(ctx.iotMock.commandCalls(DeprecateThingTypeCommand)[0].args[0].input).toEqual({ thingTypeName: 'Sensor', undoDeprecate: true });
  });

  test('immutable description/searchable attributes that differ: WARN, left alone, unchanged', async () => {
    const item = typeItem(desired);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described({ ...desired, description: 'old words', searchableAttributes: ['model'] }));

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
    expect(output().filter((l) => l.level === 'WARN').map((l) => l.key)).toEqual(['thingType#Sensor']);
  });

  test('with immutable fields differing, a deprecation records the hash of the state it leaves here too', async () => {
    const item = typeItem({ ...desired, deprecated: true });
    await ctx.putItem(item);
    const local: ThingTypeState = { ...desired, description: 'old words' };
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described(local));
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(await ctx.ledgerEntry(item.sk)).toEqual(
      [hashFingerprint(item.stateHash), hashFingerprint(stateHash({ ...local, deprecated: true }))].sort(),
    );
  });

  test('tombstone of a live type: deprecate, then delete', async () => {
    const item = typeItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described(desired));
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});
    ctx.iotMock.on(DeleteThingTypeCommand).resolves({});

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
    expect(sentWrites(ctx.iotMock)).toEqual(['DeprecateThingType', 'DeleteThingType']);
    expect(await ctx.ledgerEntry(item.sk)).toEqual(
      [hashFingerprint(TOMBSTONE_HASH), hashFingerprint(stateHash({ ...desired, deprecated: true }))].sort(),
    );
  });

  test('tombstone of an already deprecated type: delete only', async () => {
    const item = typeItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described({ ...desired, deprecated: true }));
    ctx.iotMock.on(DeleteThingTypeCommand).resolves({});

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
    expect(sentWrites(ctx.iotMock)).toEqual(['DeleteThingType']);
  });

  test('delete refused in the 5-minute cooldown → DependencyNotReady; the deprecation echo stays recognisable', async () => {
    const item = typeItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described(desired));
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});
    ctx.iotMock.on(DeleteThingTypeCommand).rejects(invalidRequest('Thing type Sensor was deprecated less than 5 minutes ago; retry in 299 s.'));

    await expect(createThingTypeReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady' });
    expect(await ctx.ledgerEntry(item.sk)).toContain(hashFingerprint(stateHash({ ...desired, deprecated: true })));
  });

  test('delete refused while things still use the type → DependencyNotReady', async () => {
    const item = typeItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described({ ...desired, deprecated: true }));
    ctx.iotMock.on(DeleteThingTypeCommand).rejects(invalidRequest('Thing type Sensor cannot be deleted: 2 thing(s) are still associated with it.'));

    await expect(createThingTypeReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'DependencyNotReady', missing: 'thingType#Sensor' });
  });

  test('tombstone of a missing type: nothing to do', async () => {
    const item = typeItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).rejects(notFound());

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('unchanged');
    expect(sentWrites(ctx.iotMock)).toEqual([]);
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('a type deleted between describe and delete counts as deleted', async () => {
    const item = typeItem(undefined);
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described({ ...desired, deprecated: true }));
    ctx.iotMock.on(DeleteThingTypeCommand).rejects(notFound());

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('deleted');
  });

  test('a type created here meanwhile with other properties is reconciled as existing', async () => {
    const item = typeItem({ ...desired, deprecated: true });
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).rejectsOnce(notFound()).resolves(described({ ...desired, description: 'other' }));
    ctx.iotMock.on(CreateThingTypeCommand).rejects(alreadyExists());
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});

    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('updated');
    expect(sentWrites(ctx.iotMock)).toEqual(['CreateThingType', 'DeprecateThingType']);
  });

  test('throttled → RegistryThrottled, ledger cleared', async () => {
    const item = typeItem({ ...desired, deprecated: true });
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described(desired));
    ctx.iotMock.on(DeprecateThingTypeCommand).rejects(throttled());

    await expect(createThingTypeReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'RegistryThrottled' });
    expect(await ctx.ledgerEntry(item.sk)).toBeUndefined();
  });

  test('a type that vanished between describe and deprecate → ConcurrentModification', async () => {
    const item = typeItem({ ...desired, deprecated: true });
    await ctx.putItem(item);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described(desired));
    ctx.iotMock.on(DeprecateThingTypeCommand).rejects(notFound());

    await expect(createThingTypeReplay(ctx.deps)(taskFor(item))).rejects.toMatchObject({ name: 'ConcurrentModification' });
  });

  test('own origin is skipped', async () => {
    const item = typeItem(desired, { origin: LOCAL });
    await ctx.putItem(item);
    expect((await createThingTypeReplay(ctx.deps)(taskFor(item))).action).toBe('skipped-own-origin');
    expect(sentCommands(ctx.iotMock)).toEqual([]);
  });

  test('an older record converges to the current item (superseded when already applied)', async () => {
    const older = typeItem(desired, { eventTime: NOW - 60_000 });
    const current = typeItem({ ...desired, deprecated: true }, { eventTime: NOW - 1000 });
    await ctx.putItem(current);
    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described(desired));
    ctx.iotMock.on(DeprecateThingTypeCommand).resolves({});

    expect((await createThingTypeReplay(ctx.deps)(taskFor(older))).action).toBe('updated');

    ctx.iotMock.on(DescribeThingTypeCommand).resolves(described({ ...desired, deprecated: true }));
    expect((await createThingTypeReplay(ctx.deps)(taskFor(older))).action).toBe('superseded');
  });
});
