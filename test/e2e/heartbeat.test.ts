/**
 * End to end, the heartbeat: each region's heartbeat item travels through the journal, the other region's
 * synthesized pipe filter and state machine, and the real heartbeat handler, which turns its arrival into a
 * replication-lag value — with nobody changing the registry. A stalled pipe yields no lag data at all, and
 * the synthesized alarms treat missing data as breaching, so the stall raises them.
 */
import { CreateThingCommand } from '@aws-sdk/client-iot';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DrTopology, IotDrDeployment } from '../../lib';
import { REPLAY_DEAD_LETTER_STATE_NAMES, REPLAY_PARKING_STATE_NAMES, REPLAY_STATE_NAMES } from '../../lib/replay/state-names';
import type { RegionNode, ReplicationWorld } from '../support/pipeline/two-region';
import { REPLAY_STATES, startWorld } from './support';

let world: ReplicationWorld;
let primary: RegionNode;
let secondary: RegionNode;

beforeAll(async () => {
  const started = await startWorld({
    stateNames: {
      replayStates: REPLAY_STATES,
      heartbeat: REPLAY_STATE_NAMES.replayHeartbeat,
      deadLetterStates: REPLAY_DEAD_LETTER_STATE_NAMES,
      parkingStates: REPLAY_PARKING_STATE_NAMES,
    },
  });
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

function expectNoLetters(): void {
  for (const node of world.regions) {
    expect(node.replayDeadLetters).toEqual([]);
    expect(node.parked).toEqual([]);
    expect(node.captureDeadLetters).toEqual([]);
  }
}

describe('heartbeat', () => {
  it("reaches the other region and yields a lag value there, never its own region's, never IoT", async () => {
    const before = Date.now();
    await primary.writeHeartbeat();
    await secondary.writeHeartbeat();
    await world.settle();
    const after = Date.now();

    expect(secondary.heartbeatResults).toEqual([{ key: `heartbeat#${primary.name}`, action: 'heartbeat', lagMs: expect.any(Number) }]);
    expect(primary.heartbeatResults).toEqual([{ key: `heartbeat#${secondary.name}`, action: 'heartbeat', lagMs: expect.any(Number) }]);
    for (const node of [primary, secondary]) {
      expect(node.heartbeatResults[0].lagMs).toBeGreaterThanOrEqual(0);
      expect(node.heartbeatResults[0].lagMs).toBeLessThanOrEqual(after - before);
      // No replay handler ran, no registry changed.
      expect(node.replayResults).toEqual([]);
      expect(node.emulator.snapshot().things).toEqual([]);
    }
    expectNoLetters();
  });

  it('is overwritten in place, and every arrival is measured', async () => {
    for (let i = 0; i < 3; i++) {
      await primary.writeHeartbeat();
      await world.settle();
    }
    expect(secondary.heartbeatResults.map((r) => r.key)).toEqual(Array(3).fill(`heartbeat#${primary.name}`));
    const item = await secondary.journal.get(`heartbeat#${primary.name}`, `heartbeat#${primary.name}`);
    expect(item).toMatchObject({ kind: 'heartbeat', originRegion: primary.name });
    expectNoLetters();
  });

  it('flows alongside registry changes in one batch', async () => {
    await primary.iot.send(new CreateThingCommand({ thingName: 'beating' }));
    await primary.writeHeartbeat();
    await world.settle();
    expect(secondary.heartbeatResults).toHaveLength(1);
    expect(secondary.emulator.snapshot().things.map((t) => t.name)).toEqual(['beating']);
    expectNoLetters();
  });

  describe('with the secondary pipe stalled', () => {
    it('yields no lag data while stalled, which the synthesized alarms treat as breaching; the backlog arrives on resume', async () => {
      secondary.stallPipe();
      for (let i = 0; i < 3; i++) {
        await primary.writeHeartbeat();
        await world.settle();
      }
      // The heartbeat reached the secondary's journal (global table replication works) but not its replay.
      expect(await secondary.journal.get(`heartbeat#${primary.name}`, `heartbeat#${primary.name}`)).toMatchObject({ originRegion: primary.name });
      expect(secondary.heartbeatResults).toEqual([]);
      expect(secondary.stalledStream.length).toBeGreaterThanOrEqual(3);
      // The primary still measures the secondary's heartbeat: only the stalled direction goes silent.
      await secondary.writeHeartbeat();
      await world.settle();
      expect(primary.heartbeatResults).toHaveLength(1);

      // No data is exactly what CloudWatch would see; the deployed alarms make that an alarm.
      const deployment = new IotDrDeployment(new App(), 'IotDr', { topology: DrTopology.DEFAULT });
      const alarms = Object.values(Template.fromStack(deployment.iotServices.secondary).findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      const lagAlarm = alarms.find((a) => a.MetricName === 'ReplicationLag');
      const heartbeatAlarm = alarms.find((a) => a.MetricName === 'HeartbeatsReceived');
      expect(lagAlarm).toMatchObject({ TreatMissingData: 'breaching', ComparisonOperator: 'GreaterThanThreshold' });
      expect(heartbeatAlarm).toMatchObject({ TreatMissingData: 'breaching', ComparisonOperator: 'LessThanThreshold', Threshold: 1 });
      // Every alarm notifies the region's topic.
      for (const alarm of alarms) expect(alarm.AlarmActions).toHaveLength(1);

      secondary.resumePipe();
      await world.settle();
      expect(secondary.heartbeatResults.length).toBeGreaterThanOrEqual(3);
      expect(secondary.heartbeatResults.every((r) => r.action === 'heartbeat' && r.lagMs >= 0)).toBe(true);
      expectNoLetters();
    });
  });
});
