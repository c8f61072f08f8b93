/**
 * End to end, both directions: registry changes in one emulated region reach the other through the real
 * capture handler, the journal, the synthesized pipe filter and state machine, and the real replay
 * handlers — and nothing lands in a dead-letter queue that should not.
 */
import {
  AddThingToThingGroupCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  DeleteThingGroupCommand,
  DeprecateThingTypeCommand,
  RemoveThingFromThingGroupCommand,
  UpdateThingCommand,
  UpdateThingGroupCommand,
} from '@aws-sdk/client-iot';
import type { ReplicationWorld, RegionNode } from '../support/pipeline/two-region';
import { startWorld } from './support';

let world: ReplicationWorld;
let primary: RegionNode;
let secondary: RegionNode;

beforeAll(async () => {
  const started = await startWorld();
  world = started.world;
  primary = world.region(started.pair.primary);
  secondary = world.region(started.pair.secondary);
  process.env.IOT_DR_SILENT_METRICS = 'true';
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
}, 120_000);
afterAll(async () => {
  await world?.close();
});
beforeEach(async () => {
  await world.reset();
});

function expectConverged(): void {
  expect(secondary.emulator.snapshot()).toEqual(primary.emulator.snapshot());
  expect(primary.replayDeadLetters).toEqual([]);
  expect(secondary.replayDeadLetters).toEqual([]);
  expect(primary.captureDeadLetters).toEqual([]);
  expect(secondary.captureDeadLetters).toEqual([]);
}

async function seedFleet(node: RegionNode): Promise<void> {
  await node.iot.send(new CreateThingTypeCommand({ thingTypeName: 'Pump', thingTypeProperties: { thingTypeDescription: 'water pump', searchableAttributes: ['site'] } }));
  await node.iot.send(new CreateThingGroupCommand({ thingGroupName: 'plant', thingGroupProperties: { thingGroupDescription: 'the plant' } }));
  await node.iot.send(new CreateThingGroupCommand({ thingGroupName: 'line-1', parentGroupName: 'plant' }));
  for (const n of [1, 2, 3]) {
    await node.iot.send(new CreateThingCommand({ thingName: `pump-${n}`, thingTypeName: 'Pump', attributePayload: { attributes: { site: 'north', n: String(n) } } }));
    await node.iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'line-1', thingName: `pump-${n}` }));
  }
}

describe('registry replication, end to end', () => {
  test('a fleet created in the primary appears in the secondary, whole', async () => {
    await seedFleet(primary);
    await world.settle();
    expectConverged();
    const snap = secondary.emulator.snapshot();
    expect(snap.things.map((t) => t.name)).toEqual(['pump-1', 'pump-2', 'pump-3']);
    expect(snap.memberships).toHaveLength(3);
  });

  test('updates, type deprecation and deletes replicate; only what differs is changed', async () => {
    await seedFleet(primary);
    await world.settle();
    const before = secondary.emulator.callCounts();
    await primary.iot.send(new UpdateThingCommand({ thingName: 'pump-2', attributePayload: { attributes: { site: 'south' }, merge: true } }));
    await primary.iot.send(new UpdateThingGroupCommand({ thingGroupName: 'plant', thingGroupProperties: { thingGroupDescription: 'renamed' } }));
    await primary.iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName: 'line-1', thingName: 'pump-3' }));
    await primary.iot.send(new DeleteThingCommand({ thingName: 'pump-1' }));
    await world.settle();
    expectConverged();
    const after = secondary.emulator.callCounts();
    expect((after.UpdateThing ?? 0) - (before.UpdateThing ?? 0)).toBe(1);
    expect((after.CreateThing ?? 0) - (before.CreateThing ?? 0)).toBe(0);

    await primary.iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Pump' }));
    await world.settle();
    expectConverged();
    expect(secondary.emulator.snapshot().thingTypes[0]).toMatchObject({ name: 'Pump', deprecated: true });
  });

  test('duplicated and reordered registry events converge', async () => {
    await seedFleet(primary);
    await primary.iot.send(new UpdateThingCommand({ thingName: 'pump-1', attributePayload: { attributes: { n: 'one' }, merge: true } }));
    await primary.iot.send(new UpdateThingCommand({ thingName: 'pump-1', attributePayload: { attributes: { n: 'uno' }, merge: true } }));
    await world.settle({ duplicateEvents: true, shuffle: true });
    expectConverged();
    expect(secondary.emulator.snapshot().things.find((t) => t.name === 'pump-1')?.attributes.n).toBe('uno');
  });

  test('delete then recreate of the same name converges on the recreated entity', async () => {
    await seedFleet(primary);
    await world.settle();
    await primary.iot.send(new DeleteThingCommand({ thingName: 'pump-2' }));
    await primary.iot.send(new CreateThingCommand({ thingName: 'pump-2', attributePayload: { attributes: { reborn: 'yes' } } }));
    await primary.iot.send(new DeleteThingGroupCommand({ thingGroupName: 'line-1' }));
    await primary.iot.send(new CreateThingGroupCommand({ thingGroupName: 'line-1', parentGroupName: 'plant' }));
    await world.settle({ shuffle: true });
    expectConverged();
    const snap = secondary.emulator.snapshot();
    expect(snap.things.find((t) => t.name === 'pump-2')).toMatchObject({ attributes: { reborn: 'yes' } });
    // Deleting the group dropped its memberships without events: they must not come back.
    expect(snap.memberships).toEqual([]);
  });

  test('a membership that reaches the secondary before its group waits for it (DependencyNotReady, retried)', async () => {
    await primary.iot.send(new CreateThingGroupCommand({ thingGroupName: 'late' }));
    await primary.iot.send(new CreateThingCommand({ thingName: 'early' }));
    await primary.iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'late', thingName: 'early' }));
    await world.settle({ shuffle: true, holdBack: 0.5 });
    expectConverged();
    expect(secondary.emulator.snapshot().memberships).toEqual([['late', 'early']]);
  });

  test('a throttling storm in the secondary is ridden out with backoff, nothing dead-lettered', async () => {
    // Faults by call count, not by time: the next 10 writes and describes in the secondary answer 429,
    // fewer than one item's budget (3 SDK attempts x 5 workflow attempts), more than SDK retries absorb.
    await world.reset();
    await seedFleet(primary);
    await world.settle();
    secondary.emulator.throttleNext(10, ['DescribeThing', 'CreateThing']);
    for (const n of [4, 5, 6, 7, 8]) {
      await primary.iot.send(new CreateThingCommand({ thingName: `pump-${n}`, attributePayload: { attributes: { n: String(n) } } }));
    }
    await world.settle();
    expectConverged();
    // Every injected fault met a call, and the replay still converged: the retries happened and carried it.
    expect(secondary.emulator.injectedFaults()).toEqual({ answered: 10, pending: 0 });
    expect(secondary.emulator.snapshot().things.map((t) => t.name)).toEqual(['pump-1', 'pump-2', 'pump-3', 'pump-4', 'pump-5', 'pump-6', 'pump-7', 'pump-8']);
  });

  test('a journal item without originRegion reaches the replay dead-letter queue with its key, not silence', async () => {
    const { originRegion: _dropped, ...orphan } = {
      pk: 'thing#orphan',
      sk: 'thing#orphan',
      kind: 'thing' as const,
      version: '000001700000000000#nowhere#000000000001#e-orphan',
      eventTime: Date.now(),
      eventId: 'e-orphan',
      originRegion: 'nowhere',
      deleted: false,
      state: { thingName: 'orphan', attributes: {} },
      stateHash: 'h-orphan',
      capturedAt: Date.now(),
    };
    await primary.journal.putIfNewer(orphan as never);
    await world.settle();
    // Both regions' pipes pass it (no origin to filter on) and both replays refuse it.
    for (const node of [primary, secondary]) {
      expect(node.replayDeadLetters.map((l) => [l.key, l.error])).toEqual([['thing#orphan', 'MalformedInput']]);
    }
    expect(secondary.emulator.snapshot().things).toEqual([]);
  });

  test('a malformed registry event goes to the capture dead-letter queue; the others replicate', async () => {
    await primary.iot.send(new CreateThingCommand({ thingName: 'good-1' }));
    primary.pendingEvents.push({ topic: '$aws/events/thing/broken/created', payload: { eventType: 'THING_EVENT', operation: 'CREATED', thingName: 42 } });
    await primary.iot.send(new CreateThingCommand({ thingName: 'good-2' }));
    await world.settle();
    expect(primary.captureDeadLetters).toHaveLength(1);
    expect(primary.captureDeadLetters[0]).toMatchObject({ reason: 'MalformedEvent' });
    expect(secondary.emulator.snapshot()).toEqual(primary.emulator.snapshot());
    expect(secondary.emulator.snapshot().things.map((t) => t.name)).toEqual(['good-1', 'good-2']);
  });

  test('a change made in the secondary during an outage flows back to the primary without looping', async () => {
    await seedFleet(primary);
    await world.settle();
    const before = { primary: primary.replayResults.length, secondary: secondary.replayResults.length };

    await secondary.iot.send(new CreateThingCommand({ thingName: 'outage-device', thingTypeName: 'Pump', attributePayload: { attributes: { site: 'dr' } } }));
    await secondary.iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'line-1', thingName: 'outage-device' }));
    await secondary.iot.send(new UpdateThingCommand({ thingName: 'pump-1', attributePayload: { attributes: { site: 'moved' }, merge: true } }));
    await world.settle();
    expectConverged();
    expect(primary.emulator.snapshot().things.find((t) => t.name === 'outage-device')).toBeDefined();

    // No loop: each change crossed once (3 journal items into the primary), and echoes were not re-journaled.
    // Capture may journal one change twice (a thing's CREATED and its type association, delivered in two
    // batches): the second replay of that key finds the primary already there and changes nothing.
    const replays = () => [...primary.replayResults.slice(before.primary), ...secondary.replayResults.slice(before.secondary)];
    const changed = replays().filter((r) => r.action !== 'unchanged' && r.action !== 'superseded');
    expect(changed.map((r) => r.key).sort()).toEqual(['member#line-1#outage-device', 'thing#outage-device', 'thing#pump-1']);
    expect(secondary.replayResults.slice(before.secondary)).toEqual([]);
    expect(new Set(replays().map((r) => r.key))).toEqual(new Set(changed.map((r) => r.key)));
    const settled = replays().length;
    await world.settle();
    expect(replays()).toHaveLength(settled);
  });

  test('a thing re-created in the secondary after a replayed delete replicates back (its version restarts at 1)', async () => {
    await primary.iot.send(new CreateThingCommand({ thingName: 'phoenix', attributePayload: { attributes: { life: '1' } } }));
    await world.settle();
    await primary.iot.send(new DeleteThingCommand({ thingName: 'phoenix' }));
    await world.settle();
    // Well after the replayed create's write window, the name comes back in the secondary.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await secondary.iot.send(new CreateThingCommand({ thingName: 'phoenix', attributePayload: { attributes: { life: '2' } } }));
    await world.settle();
    expectConverged();
    expect(primary.emulator.snapshot().things).toEqual([{ name: 'phoenix', type: null, attributes: { life: '2' } }]);
  });

  test('an echo arriving after a newer change does not overwrite it (the echo trap)', async () => {
    await primary.iot.send(new CreateThingCommand({ thingName: 'trap', attributePayload: { attributes: { v: '1' } } }));
    await world.settle();
    // The secondary applies v=2, and before its echo is captured the primary moves on to v=3.
    await primary.iot.send(new UpdateThingCommand({ thingName: 'trap', attributePayload: { attributes: { v: '2' } } }));
    await world.settle({ holdBack: 0.7 });
    await primary.iot.send(new UpdateThingCommand({ thingName: 'trap', attributePayload: { attributes: { v: '3' } } }));
    await world.settle({ shuffle: true });
    expectConverged();
    expect(secondary.emulator.snapshot().things[0].attributes).toEqual({ v: '3' });
  });
});
