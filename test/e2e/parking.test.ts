/**
 * End to end, an outage of the peer's IoT control plane: its registry answers 503 for longer than any one
 * workflow execution's retry budget, then recovers. The synthesized workflow parks what it cannot apply,
 * the real parking consumer retries it on the parking clock (never wall-clock time), and both registries
 * converge with every dead-letter queue empty — no operator action.
 */
import { AddThingToThingGroupCommand, CreateThingCommand, CreateThingGroupCommand, CreateThingTypeCommand } from '@aws-sdk/client-iot';
import type { RegionNode, ReplicationWorld } from '../support/pipeline/two-region';
import { startWorld } from './support';

let world: ReplicationWorld;
let primary: RegionNode;
let secondary: RegionNode;

/** One replay attempt makes up to 3 SDK calls (the replay client's maxAttempts), and the workflow makes 5 attempts on a 5xx. */
const WORKFLOW_BUDGET_PER_THING = 5 * 3;

beforeAll(async () => {
  const started = await startWorld();
  world = started.world;
  primary = world.region(started.pair.primary);
  secondary = world.region(started.pair.secondary);
  process.env.IOT_DR_SILENT_METRICS = 'true';
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
}, 120_000);
afterAll(async () => {
  await world?.close();
});
beforeEach(async () => {
  await world.reset();
});

function expectConverged(): void {
  expect(secondary.emulator.snapshot()).toEqual(primary.emulator.snapshot());
  for (const node of [primary, secondary]) {
    expect(node.replayDeadLetters).toEqual([]);
    expect(node.captureDeadLetters).toEqual([]);
    expect(node.parked).toEqual([]);
  }
}

async function createPumps(node: RegionNode): Promise<void> {
  await node.iot.send(new CreateThingTypeCommand({ thingTypeName: 'Pump' }));
  await node.iot.send(new CreateThingGroupCommand({ thingGroupName: 'line-1' }));
  for (const n of [1, 2, 3]) {
    await node.iot.send(new CreateThingCommand({ thingName: `pump-${n}`, thingTypeName: 'Pump', attributePayload: { attributes: { n: String(n) } } }));
    await node.iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'line-1', thingName: `pump-${n}` }));
  }
}

describe('parking, end to end', () => {
  test("the peer's IoT failing with 503 beyond the workflow's retry budget: parked, retried, converged, no dead letter", async () => {
    // Three things' worth of workflow budget, and as much again for the parking retries to meet.
    const outage = 2 * 3 * WORKFLOW_BUDGET_PER_THING;
    secondary.emulator.failNext(outage, ['CreateThing']);
    await createPumps(primary);
    await world.settle();

    // The workflow gave up on the things (503) and on their memberships (the things are missing): all parked.
    const parkedKeys = secondary.parked.map((m) => JSON.parse(m.body) as { key: string; error: string });
    // A key may be parked twice when two stream records of it (say, a create and its type association,
    // captured in separate batches) both met the outage: parking re-reads the journal, so that is harmless.
    expect([...new Set(parkedKeys.map((p) => p.key))].sort()).toEqual([
      'member#line-1#pump-1',
      'member#line-1#pump-2',
      'member#line-1#pump-3',
      'thing#pump-1',
      'thing#pump-2',
      'thing#pump-3',
    ]);
    expect(new Set(parkedKeys.map((p) => p.error))).toEqual(new Set(['RegistryUnavailable', 'DependencyNotReady']));
    expect(secondary.emulator.snapshot().things).toEqual([]);
    expect(secondary.emulator.injectedOutages().pending).toBeGreaterThan(0);
    expect(secondary.replayDeadLetters).toEqual([]);

    const elapsed = await world.drainParking();

    expect(secondary.emulator.injectedOutages()).toEqual({ answered: outage, pending: 0 });
    expectConverged();
    expect(secondary.emulator.snapshot().memberships).toHaveLength(3);
    // Recovered on the parking clock well within the day items stay parked.
    expect(elapsed).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(24 * 60 * 60 * 1000);
  });

  test('an outage within the retry budget never reaches the parking queue', async () => {
    secondary.emulator.failNext(4, ['CreateThing']);
    await createPumps(primary);
    await world.settle();
    expect(secondary.parked).toEqual([]);
    expectConverged();
  });
});
