/**
 * The benchmark's way of running the two regions — deliveries overlapping, dynalite in a child process, no
 * output copies, quotas raised for the check-up — must still be a faithful pipeline: the same convergence,
 * nothing lost, nothing dead-lettered. Speed is the benchmark's business (`npm run bench`), not asserted here.
 */
import {
  AddThingToThingGroupCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  RemoveThingFromThingGroupCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { runBulkCopy } from '../../bench/bulk-copy';
import type { RegionNode, ReplicationWorld } from '../support/pipeline/two-region';
import { startWorld } from './support';

beforeAll(() => {
  process.env.IOT_DR_SILENT_METRICS = 'true';
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

describe('overlapping deliveries (the benchmark harness)', () => {
  let world: ReplicationWorld;
  let primary: RegionNode;
  let secondary: RegionNode;

  beforeAll(async () => {
    const started = await startWorld({ overlapDeliveries: true, journalInOwnProcess: true, recordOutputs: false });
    world = started.world;
    primary = world.region(started.pair.primary);
    secondary = world.region(started.pair.secondary);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
  });

  function expectConverged(): void {
    expect(secondary.emulator.snapshot()).toEqual(primary.emulator.snapshot());
    for (const node of [primary, secondary]) {
      expect(node.replayDeadLetters).toEqual([]);
      expect(node.captureDeadLetters).toEqual([]);
    }
  }

  test('changes in both regions, delivered twice and shuffled, converge; nothing is kept in outputs', async () => {
    await primary.iot.send(new CreateThingGroupCommand({ thingGroupName: 'plant' }));
    for (let n = 0; n < 12; n++) {
      await primary.iot.send(new CreateThingCommand({ thingName: `pump-${n}`, attributePayload: { attributes: { n: String(n) } } }));
      await primary.iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'plant', thingName: `pump-${n}` }));
    }
    await world.settle({ duplicateEvents: true, shuffle: true });
    expectConverged();

    await secondary.iot.send(new UpdateThingCommand({ thingName: 'pump-3', attributePayload: { attributes: { n: 'three' } } }));
    await secondary.iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName: 'plant', thingName: 'pump-4' }));
    await primary.iot.send(new DeleteThingCommand({ thingName: 'pump-5' }));
    await world.settle({ duplicateEvents: true, shuffle: true });
    expectConverged();
    const things = primary.emulator.snapshot().things;
    expect(things.find((t) => t.name === 'pump-3')?.attributes).toEqual({ n: 'three' });
    expect(things.map((t) => t.name)).not.toContain('pump-5');
    expect(primary.emulator.snapshot().memberships.map(([, thing]) => thing)).not.toContain('pump-4');
    expect(primary.outputs).toEqual([]);
    expect(secondary.outputs).toEqual([]);
  });

  test('scaleQuotas raises the emulators\' quotas from then on', async () => {
    await world.reset();
    world.scaleQuotas(10);
    try {
      // DescribeCertificate's 10/s becomes 100/s in both regions: a burst of 30 is answered, none throttled.
      for (const node of [primary, secondary]) {
        const answers = await Promise.allSettled(Array.from({ length: 30 }, () => node.iot.send(new DescribeCertificateCommand({ certificateId: 'c'.repeat(64) }))));
        expect(answers.map((a) => (a.status === 'rejected' ? (a.reason as Error).name : 'found'))).toEqual(Array(30).fill('ResourceNotFoundException'));
        expect(node.emulator.quotaThrottles()).toEqual({});
      }
    } finally {
      world.scaleQuotas(0.1);
    }
  });
});

test('a small bulk copy through the benchmark: every device whole in the secondary, none lost, dead-lettered or left drifting', async () => {
  const result = await runBulkCopy({ devices: 24, quotaScale: 5 });
  expect(result).toMatchObject({ devices: 24, quotaScale: 5, lost: 0, dlq: 0, driftAfter: 0, quotaBoundDevicesPerSecond: 50, slowestApi: 'RegisterCertificateWithoutCA' });
  expect(result.seconds).toBeGreaterThan(0);
}, 180_000);
