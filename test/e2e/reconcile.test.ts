/**
 * End to end, anti-entropy: the reconciler (real handler code) over the two-region pipeline (synthesized
 * pipe and workflow, real capture and replay, IoT emulators). Registry changes whose events never reach
 * capture — made before deployment, or dropped — are repaired by a reconcile pass and replicated.
 */
import { AddThingToThingGroupCommand, CreateThingCommand, CreateThingGroupCommand, UpdateThingCommand } from '@aws-sdk/client-iot';
import type { DriftSummary } from '../../lambda/reconcile/reconcile';
import type { RegionNode, ReplicationWorld } from '../support/pipeline/two-region';
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
  jest.restoreAllMocks();
  await world?.close();
});
beforeEach(async () => {
  await world.reset();
});

/** Lets the emulator deliver its (asynchronous) events, then drops them: capture never sees them. */
async function dropEvents(node: RegionNode): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  node.pendingEvents.length = 0;
}

const total = (d: DriftSummary, field: 'found' | 'repaired' | 'failed' | 'pending'): number =>
  Object.values(d).reduce((n, c) => n + (c?.[field] ?? 0), 0);

function expectConverged(): void {
  expect(secondary.emulator.snapshot()).toEqual(primary.emulator.snapshot());
  for (const node of [primary, secondary]) {
    expect(node.replayDeadLetters).toEqual([]);
    expect(node.captureDeadLetters).toEqual([]);
    expect(node.parked).toEqual([]);
  }
}

describe('reconciler, end to end', () => {
  test('entities created before deployment are imported and replicated by the stream; a second pass finds no drift', async () => {
    await primary.iot.send(new CreateThingGroupCommand({ thingGroupName: 'legacy' }));
    await primary.iot.send(new CreateThingCommand({ thingName: 'old-1', attributePayload: { attributes: { since: '2019' } } }));
    await primary.iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'legacy', thingName: 'old-1' }));
    await dropEvents(primary);

    const drift = await primary.reconcile();
    expect(total(drift, 'repaired')).toBe(3);
    expect(total(drift, 'failed')).toBe(0);
    await world.settle();

    expectConverged();
    expect(secondary.emulator.snapshot().things.map((t) => t.name)).toEqual(['old-1']);
    for (const node of [primary, secondary]) expect(total(await node.reconcile(), 'found')).toBe(0);
  });

  test('an update whose event was dropped before capture is journaled after the grace period and replicated, never reverted', async () => {
    await primary.iot.send(new CreateThingCommand({ thingName: 'pump', attributePayload: { attributes: { rpm: '100' } } }));
    await world.settle();
    expectConverged();

    await secondary.iot.send(new UpdateThingCommand({ thingName: 'pump', attributePayload: { attributes: { rpm: '250' }, merge: true } }));
    await dropEvents(secondary);

    // Within the grace period the change is left alone in both regions.
    expect((await secondary.reconcile()).thing).toMatchObject({ found: 1, pending: 1 });
    expect(total(await primary.reconcile(), 'found')).toBe(0);
    expect(secondary.emulator.snapshot().things[0].attributes).toEqual({ rpm: '250' });

    secondary.reconcileClockOffset = 15 * 60_000;
    expect((await secondary.reconcile()).thing).toMatchObject({ found: 1, repaired: 1 });
    await world.settle();

    expectConverged();
    expect(primary.emulator.snapshot().things[0].attributes).toEqual({ rpm: '250' });
    for (const node of [primary, secondary]) expect(total(await node.reconcile(), 'found')).toBe(0);
  });
});
