/**
 * End to end: concurrent changes of one entity in both regions while one region's capture lags behind
 * (an SQS backlog, retries). Replay must never overwrite a local change the journal has not seen: it waits
 * (LocalChangePending, retried) until capture journals the change, and both registries then converge on
 * the journal's winner. Without that check, the other region's older change overwrites the local one, the
 * local one then wins in the journal and is replayed back: the two regions end up swapped, silently.
 */
import {
  CreateThingCommand,
  CreateThingGroupCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  DeleteThingTypeCommand,
  DeprecateThingTypeCommand,
  UpdateThingCommand,
  UpdateThingGroupCommand,
} from '@aws-sdk/client-iot';
import type { JournalItem } from '../../lambda/shared/model';
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
  await world?.close();
});
beforeEach(async () => {
  await world.reset();
});

/** Lets the millisecond clock move on, so the second region's change is stamped strictly later. */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 5));

async function journalItem(node: RegionNode, key: string): Promise<JournalItem | undefined> {
  return node.journal.get(key, key);
}

async function expectConvergedOn(key: string, winnerOrigin: string): Promise<void> {
  expect(secondary.emulator.snapshot()).toEqual(primary.emulator.snapshot());
  for (const node of [primary, secondary]) {
    expect(node.replayDeadLetters).toEqual([]);
    expect(node.captureDeadLetters).toEqual([]);
  }
  const [inPrimary, inSecondary] = [await journalItem(primary, key), await journalItem(secondary, key)];
  expect(inSecondary).toEqual(inPrimary);
  expect(inPrimary?.originRegion).toBe(winnerOrigin);
}

describe('concurrent changes with one region\'s capture delayed', () => {
  test('concurrent thing updates: the later one wins in both registries', async () => {
    await primary.iot.send(new CreateThingCommand({ thingName: 't', attributePayload: { attributes: { v: '0' } } }));
    await world.settle();

    secondary.holdCapture(1);
    await primary.iot.send(new UpdateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'X' } } }));
    await nextMillisecond();
    await secondary.iot.send(new UpdateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'Y' } } }));
    await world.settle();

    await expectConvergedOn('thing#t', secondary.name);
    expect(primary.emulator.snapshot().things.find((t) => t.name === 't')?.attributes).toEqual({ v: 'Y' });
  });

  test('an earlier remote update waits for a later local delete: the thing is gone in both regions', async () => {
    await primary.iot.send(new CreateThingCommand({ thingName: 't', attributePayload: { attributes: { v: '0' } } }));
    await world.settle();

    secondary.holdCapture(1);
    await primary.iot.send(new UpdateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'X' } } }));
    await nextMillisecond();
    await secondary.iot.send(new DeleteThingCommand({ thingName: 't' }));
    await world.settle();

    await expectConvergedOn('thing#t', secondary.name);
    expect(primary.emulator.snapshot().things.map((t) => t.name)).toEqual([]);
  });

  test('concurrent thing group updates: the later one wins in both registries', async () => {
    await secondary.iot.send(new CreateThingGroupCommand({ thingGroupName: 'g', thingGroupProperties: { thingGroupDescription: 'zero' } }));
    await world.settle();

    primary.holdCapture(1);
    await secondary.iot.send(new UpdateThingGroupCommand({ thingGroupName: 'g', thingGroupProperties: { thingGroupDescription: 'X' } }));
    await nextMillisecond();
    await primary.iot.send(new UpdateThingGroupCommand({ thingGroupName: 'g', thingGroupProperties: { thingGroupDescription: 'Y' } }));
    await world.settle();

    await expectConvergedOn('thingGroup#g', primary.name);
    expect(secondary.emulator.snapshot().thingGroups.find((g) => g.name === 'g')?.description).toBe('Y');
  });

  test('thing types (no version numbers, compared by state hash): a local delete is not undone by an earlier remote deprecation', async () => {
    await primary.iot.send(new CreateThingTypeCommand({ thingTypeName: 'Pump' }));
    await world.settle();

    secondary.holdCapture(1);
    await primary.iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Pump' }));
    await nextMillisecond();
    await secondary.iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Pump' }));
    await secondary.iot.send(new DeleteThingTypeCommand({ thingTypeName: 'Pump' }));
    await world.settle();

    await expectConvergedOn('thingType#Pump', secondary.name);
    expect(primary.emulator.snapshot().thingTypes).toEqual([]);
  });

  test('a local change journaled first is overwritten by a later remote one, as the journal orders them', async () => {
    await primary.iot.send(new CreateThingCommand({ thingName: 't', attributePayload: { attributes: { v: '0' } } }));
    await world.settle();

    // The secondary's change is older: it loses in the journal, and replay then applies the winner over it.
    secondary.holdCapture(1);
    await secondary.iot.send(new UpdateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'Y' } } }));
    await nextMillisecond();
    await primary.iot.send(new UpdateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'X' } } }));
    await world.settle();

    await expectConvergedOn('thing#t', primary.name);
    expect(secondary.emulator.snapshot().things.find((t) => t.name === 't')?.attributes).toEqual({ v: 'X' });
  });
});
