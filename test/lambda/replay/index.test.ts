/**
 * The replay bundle: its exports are the contract's entry points, and its handlers, run for real against
 * the IoT registry emulator and dynalite, give convergence in any order, the delete-and-recreate of a
 * moved group, the thing type cooldown, throttling — and keep the echo contract with capture: every
 * registry event replay causes here must be recognised by capture as replay's own.
 */
import { IoTClient } from '@aws-sdk/client-iot';
import { parseRegistryEvent } from '../../../lambda/capture/registry-events';
import { mergeFingerprints, mergedItem, mergeState, planChange } from '../../../lambda/capture/desired-state';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { HANDLERS, RETRYABLE_ERRORS } from '../../../lambda/contract';
import { JournalStore } from '../../../lambda/shared/journal-store';
import { memberKeys, parseKey, thingGroupKeys, thingKeys, thingTypeKeys } from '../../../lambda/shared/keys';
import type { EntityKind, JournalItem, ReplayTaskInput, ReplayTaskResult } from '../../../lambda/shared/model';
import type { ReplayDeps, ReplayHandler } from '../../../lambda/replay/common';
import { createMembershipReplay } from '../../../lambda/replay/membership';
import { createThingReplay } from '../../../lambda/replay/thing';
import { createThingGroupReplay } from '../../../lambda/replay/thing-group';
import { createThingTypeReplay } from '../../../lambda/replay/thing-type';
import { type IotEmulator, type RegistryEvent, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { invokeBundle } from '../bundle-runner';
import { LOCAL, NOW, captureOutput, journalItem, taskFor } from './harness';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { identityDeps, TEST_ACCOUNT_ID } from '../../support/identity-deps';

let clock = NOW;
let emulator: IotEmulator;
let tables: JournalTables;
let counter = 0;
let deps: ReplayDeps;
let events: RegistryEvent[];
let handlers: Record<string, ReplayHandler>;

beforeAll(async () => {
  emulator = await startIotEmulator({ region: LOCAL, now: () => clock });
  emulator.onEvent((e) => events.push(e));
  tables = await startJournalTables({ region: LOCAL });
});
afterAll(async () => {
  await emulator.close();
  await tables.close();
});

beforeEach(async () => {
  captureOutput();
  clock = NOW;
  emulator.reset();
  emulator.enableAllEvents();
  events = [];
  const names = await tables.createTables(`e2e${++counter}`);
  deps = {
    iot: new IoTClient({ endpoint: emulator.endpoint, region: LOCAL, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 }),
    journal: new JournalStore(tables.doc, names.journalTable),
    ledger: new EchoLedgerStore(tables.doc, names.ledgerTable, { now: () => clock }),
    region: LOCAL,
    now: () => clock,
    metricsNamespace: 'IotDrTest',
    identity: identityDeps(LOCAL, emulator.endpoint),
  };
  handlers = {
    thing: createThingReplay(deps),
    thingType: createThingTypeReplay(deps),
    thingGroup: createThingGroupReplay(deps),
    member: createMembershipReplay(deps),
  };
});
afterEach(() => {
  deps.iot.destroy();
  jest.restoreAllMocks();
});

const put = (item: JournalItem) => tables.doc.send(new PutCommand({ TableName: deps.journal.tableName, Item: item }));

/** Invokes the handler for each task's kind; what fails with a retryable error goes round again, as Step Functions would retry it. */
async function drive(tasks: ReplayTaskInput[], rounds = 6): Promise<{ results: ReplayTaskResult[]; retried: string[] }> {
  const results: ReplayTaskResult[] = [];
  const retried: string[] = [];
  let pending = tasks;
  for (let round = 0; round < rounds && pending.length > 0; round++) {
    const next: ReplayTaskInput[] = [];
    for (const task of pending) {
      try {
        results.push(await handlers[parseKey(task.key).kind as EntityKind](task));
      } catch (err) {
        if (!(Object.values(RETRYABLE_ERRORS) as string[]).includes((err as Error).name)) throw err;
        retried.push(`${task.key}:${(err as Error).name}`);
        next.push(task);
      }
    }
    pending = next;
  }
  if (pending.length > 0) throw new Error(`never converged: ${pending.map((t) => t.key).join(', ')}`);
  return { results, retried };
}

/** Runs every registry event the emulator published through capture's own planning and the ledger. */
async function nonEchoes(): Promise<string[]> {
  await new Promise((r) => setImmediate(r));
  const missed: string[] = [];
  for (const e of events) {
    const plan = planChange(parseRegistryEvent(JSON.stringify({ ...e.payload, topic: e.topic })), {
      originRegion: LOCAL,
      now: clock,
      tombstoneTtlSeconds: 86400,
    });
    let key: string;
    let fingerprints: readonly string[];
    if (plan.mode === 'replace') {
      key = plan.item.sk;
      fingerprints = plan.fingerprints;
    } else {
      key = plan.keys.sk;
      const current = await deps.journal.get(plan.keys.pk, plan.keys.sk);
      fingerprints = mergeFingerprints(mergedItem(plan, mergeState(plan, current!.state!)));
    }
    if (!(await deps.ledger.isEcho(key, fingerprints, Number(e.payload.timestamp)))) missed.push(e.topic);
  }
  return missed;
}

const thingTypeItem = journalItem({
  keys: thingTypeKeys('Lamp'),
  kind: 'thingType',
  state: { thingTypeName: 'Lamp', description: 'ceiling lamps', searchableAttributes: ['room'], deprecated: false },
});
const buildingItem = journalItem({ keys: thingGroupKeys('building-a'), kind: 'thingGroup', state: { thingGroupName: 'building-a', attributes: {} } });
const floorItem = journalItem({
  keys: thingGroupKeys('floor-1'),
  kind: 'thingGroup',
  state: { thingGroupName: 'floor-1', parentGroupName: 'building-a', description: 'first floor', attributes: { level: '1' } },
});
const lampItem = journalItem({
  keys: thingKeys('lamp-1'),
  kind: 'thing',
  state: { thingName: 'lamp-1', thingTypeName: 'Lamp', attributes: { room: '101' } },
});
const memberItem = journalItem({ keys: memberKeys('floor-1', 'lamp-1'), kind: 'member', state: { thingGroupName: 'floor-1', thingName: 'lamp-1' } });

const expectedRegistry = {
  things: [{ name: 'lamp-1', type: 'Lamp', attributes: { room: '101' } }],
  thingTypes: [{ name: 'Lamp', description: 'ceiling lamps', searchableAttributes: ['room'], deprecated: false }],
  thingGroups: [
    { name: 'building-a', parent: null, description: null, attributes: {} },
    { name: 'floor-1', parent: 'building-a', description: 'first floor', attributes: { level: '1' } },
  ],
  memberships: [['floor-1', 'lamp-1']],
};

describe('replay against the IoT emulator', () => {
  test('converges from dependents-first order, and every event it causes is an echo to capture', async () => {
    const items = [memberItem, lampItem, floorItem, buildingItem, thingTypeItem];
    for (const item of items) await put(item);

    const { retried } = await drive(items.map(taskFor));

    expect(emulator.snapshot()).toEqual(expectedRegistry);
    expect(retried).toEqual(expect.arrayContaining(['member#floor-1#lamp-1:DependencyNotReady', 'thing#lamp-1:DependencyNotReady']));
    expect(events.length).toBeGreaterThan(0);
    expect(await nonEchoes()).toEqual([]);

    // Replaying everything again (duplicates) changes nothing and causes no events.
    const before = events.length;
    const again = await drive(items.map(taskFor));
    expect(new Set(again.results.map((r) => r.action))).toEqual(new Set(['unchanged']));
    await new Promise((r) => setImmediate(r));
    expect(events.length).toBe(before);

    // The check is not vacuous: without the ledger entry, the thing's events would be journaled as local changes.
    await deps.ledger.clear('thing#lamp-1', clock);
    expect(await nonEchoes()).toEqual(expect.arrayContaining([expect.stringContaining('/thing/lamp-1/')]));
  });

  test('a group moved to another parent is recreated there with its memberships, all echoes', async () => {
    for (const item of [thingTypeItem, buildingItem, floorItem, lampItem, memberItem]) await put(item);
    await drive([thingTypeItem, buildingItem, floorItem, lampItem, memberItem].map(taskFor));

    clock += 60_000;
    const buildingB = journalItem({ keys: thingGroupKeys('building-b'), kind: 'thingGroup', state: { thingGroupName: 'building-b', attributes: {} }, eventTime: clock - 2000 });
    const moved = journalItem({
      keys: thingGroupKeys('floor-1'),
      kind: 'thingGroup',
      state: { thingGroupName: 'floor-1', parentGroupName: 'building-b', description: 'first floor', attributes: { level: '1' } },
      eventTime: clock - 1000,
    });
    await put(buildingB);
    await put(moved);
    events = [];

    const { results } = await drive([moved, buildingB].map(taskFor));

    expect(results.find((r) => r.key === 'thingGroup#floor-1')?.action).toBe('updated');
    expect(emulator.snapshot().thingGroups.find((g) => g.name === 'floor-1')?.parent).toBe('building-b');
    expect(emulator.snapshot().memberships).toEqual([['floor-1', 'lamp-1']]);
    expect(await nonEchoes()).toEqual([]);
  });

  test('a thing type tombstone waits out the 5-minute deprecation cooldown', async () => {
    await put(thingTypeItem);
    await drive([taskFor(thingTypeItem)]);

    clock += 1000;
    const tombstone = journalItem({ keys: thingTypeKeys('Lamp'), kind: 'thingType', eventTime: clock - 500 });
    await put(tombstone);
    events = [];
    await expect(handlers.thingType(taskFor(tombstone))).rejects.toMatchObject({ name: 'DependencyNotReady' });
    expect(emulator.snapshot().thingTypes[0].deprecated).toBe(true);

    clock += 5 * 60_000;
    expect((await handlers.thingType(taskFor(tombstone))).action).toBe('deleted');
    expect(emulator.snapshot().thingTypes).toEqual([]);
    expect(await nonEchoes()).toEqual([]);
  });

  test('a tombstoned thing takes its journaled membership with it; the late membership record is dead', async () => {
    for (const item of [thingTypeItem, buildingItem, floorItem, lampItem, memberItem]) await put(item);
    await drive([thingTypeItem, buildingItem, floorItem, lampItem, memberItem].map(taskFor));

    clock += 10_000;
    const thingGone = journalItem({ keys: thingKeys('lamp-1'), kind: 'thing', eventTime: clock - 1000 });
    await put(thingGone);
    expect((await handlers.thing(taskFor(thingGone))).action).toBe('deleted');
    // A duplicate of the old membership record arrives after the thing's tombstone was applied.
    expect((await handlers.member(taskFor(memberItem))).action).toBe('unchanged');
    expect(emulator.snapshot().memberships).toEqual([]);
  });

  test('throttling by IoT surfaces as RegistryThrottled', async () => {
    await put(lampItem);
    emulator.throttle(60_000, ['DescribeThing']);
    await expect(handlers.thing(taskFor(lampItem))).rejects.toMatchObject({ name: 'RegistryThrottled' });
  });
});

describe('the replay bundle', () => {
  // The asset the constructs deploy, as `npm run bundle` builds it: its SDK is tree-shaken, so run it for real.
  test('the built assets/replay/index.js replays a thing type and a thing into this region', async () => {
    const names = await tables.createTables(`bundle${++counter}`);
    for (const item of [thingTypeItem, lampItem]) {
      await tables.doc.send(new PutCommand({ TableName: names.journalTable, Item: item }));
    }
    const outcomes = await invokeBundle(
      HANDLERS.replayThing.bundle,
      [
        { exportName: HANDLERS.replayThingType.exportName, event: taskFor(thingTypeItem) },
        { exportName: HANDLERS.replayThing.exportName, event: taskFor(lampItem) },
        { exportName: HANDLERS.replayThing.exportName, event: taskFor(thingTypeItem) },
      ],
      {
        ...process.env,
        AWS_REGION: LOCAL,
        AWS_ENDPOINT_URL_IOT: emulator.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: tables.endpoint,
        JOURNAL_TABLE_NAME: names.journalTable,
        ECHO_LEDGER_TABLE_NAME: names.ledgerTable,
        ACCOUNT_ID: TEST_ACCOUNT_ID,
      },
    );
    expect(outcomes).toEqual([
      { result: expect.objectContaining({ key: thingTypeItem.sk, action: 'created' }) },
      { result: expect.objectContaining({ key: lampItem.sk, action: 'created' }) },
      { error: expect.objectContaining({ name: 'MalformedInput' }) },
    ]);
    expect(emulator.snapshot().things).toEqual(expectedRegistry.things);
  });
});
