import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import type { FailoverNotice } from '../../../lambda/contract/failover';
import type { ManualMode } from '../../../lambda/contract/health';
import type { FailoverTargets, ManualModeResult } from '../../../lambda/failover/manual-mode';
import type { PublishOutcome } from '../../../lambda/failover/notice';
import { evaluateReadiness, readReadiness, type ReadinessFigures } from '../../../lambda/failover/readiness';
import { createRegionSwitchStep, modeActivating, type RegionSwitchConfig } from '../../../lambda/failover/region-switch-step';

const AT = new Date('2026-12-02T01:00:00.000Z');
const TARGETS: FailoverTargets = {
  primaryRegion: 'us-west-2',
  secondaryRegion: 'us-east-1',
  healthCheckIds: { primary: 'hc-p', secondary: 'hc-s' },
  modeParameterName: '/cdk-iot-dr/failover/mode',
};
const THRESHOLDS = { maxReplicationLagSeconds: 300, maxParkedItems: 100, maxDriftFailed: 0 };
const META = { PlanArn: 'arn:aws:arc-region-switch::111111111111:plan/iot-dr/abc', ExecutionId: 'exec-1', StepName: 'step' };

function step(region: string, figures: ReadinessFigures = {}, outcomes: PublishOutcome[] = [{ region: 'us-west-2', ok: true }, { region: 'us-east-1', ok: true }]) {
  const config: RegionSwitchConfig = { region, targets: TARGETS, noticeTargets: [], thresholds: THRESHOLDS };
  const applied: ManualMode[] = [];
  const notices: FailoverNotice[] = [];
  const log = jest.fn();
  const run = createRegionSwitchStep(config, {
    readReadiness: async () => figures,
    applyManualMode: async (mode) => {
      applied.push(mode);
      return { mode, activeRegion: region, healthChecks: [], modeParameter: {}, activeRegionRecord: 'ok' } satisfies ManualModeResult;
    },
    publishNotice: async (notice) => {
      notices.push(notice);
      return outcomes;
    },
    now: () => AT,
    log,
  });
  return { run, applied, notices, log };
}

describe('check-readiness', () => {
  test('passes within the thresholds, and with missing figures (the other region may be down), noting them', async () => {
    const { run } = step('us-east-1', { replicationLagSeconds: 12, parkedItems: 3 });
    const out = await run({ action: 'check-readiness', ...META });
    expect(out).toEqual({
      action: 'check-readiness',
      verdict: { ready: true, figures: { replicationLagSeconds: 12, parkedItems: 3 }, problems: [], notes: ['unrepaired drift in us-east-1 (last 2 h): no data'] },
    });
  });

  test('fails the step naming every figure above its threshold and the prop to change', async () => {
    const { run } = step('us-east-1', { replicationLagSeconds: 900, parkedItems: 250, driftFailed: 2 });
    await expect(run({ action: 'check-readiness', ...META })).rejects.toThrow(
      'us-east-1 is not ready to take over: replication lag into us-east-1 is 900 s, above 300 s (maxReplicationLag); ' +
        'parked replays in us-east-1 is 250, above 100 (maxParkedItems); unrepaired drift in us-east-1 (last 2 h) is 2, above 0 (maxDriftFailed)',
    );
  });
});

describe('switch-mode', () => {
  test('activating the secondary forces it; activating the primary (failing back) returns to auto', async () => {
    const secondary = step('us-east-1');
    await secondary.run({ action: 'switch-mode', ...META });
    expect(secondary.applied).toEqual(['force-secondary']);
    const primary = step('us-west-2');
    await primary.run({ action: 'switch-mode', ...META });
    expect(primary.applied).toEqual(['auto']);
  });

  test('a function in a region outside the plan refuses', () => {
    expect(() => modeActivating('eu-west-1', TARGETS)).toThrow('Region eu-west-1 is neither the primary (us-west-2) nor the secondary (us-east-1) of this plan');
  });
});

describe('publish-notice', () => {
  test('publishes that the activating region is active, naming the plan', async () => {
    const { run, notices } = step('us-east-1');
    await run({ action: 'publish-notice', ...META });
    expect(notices).toEqual([{ activeRegion: 'us-east-1', reason: `region-switch:${META.PlanArn}`, at: AT.toISOString() }]);
  });

  test('one region failing passes (best effort); no region reached fails the step (ARC retries it)', async () => {
    await expect(step('us-east-1', {}, [{ region: 'us-west-2', ok: false, error: 'down' }, { region: 'us-east-1', ok: true }]).run({ action: 'publish-notice' })).resolves.toBeDefined();
    await expect(
      step('us-east-1', {}, [{ region: 'us-west-2', ok: false, error: 'down' }, { region: 'us-east-1', ok: false, error: 'denied' }]).run({ action: 'publish-notice' }),
    ).rejects.toThrow('The failover notice reached no region: us-west-2: down; us-east-1: denied');
  });
});

test('an unknown action fails with the allowed ones', async () => {
  await expect(step('us-east-1').run({ action: 'reboot', ...META })).rejects.toThrow("Unknown region-switch action 'reboot'; expected one of check-readiness, switch-mode, publish-notice");
});

describe('readReadiness (one GetMetricData call)', () => {
  const cw = mockClient(CloudWatchClient);
  beforeEach(() => cw.reset());

  test('reads the lag (ms → s), unrepaired drift and the parking queue depth, newest first', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'lag', Values: [1500, 99999] },
        { Id: 'drift', Values: [0] },
        { Id: 'parked', Values: [7] },
      ],
    });
    const figures = await readReadiness(new CloudWatchClient({ region: 'us-east-1' }), { namespace: 'IotDr', parkingQueueName: 'parking' }, AT);
    expect(figures).toEqual({ replicationLagSeconds: 1.5, driftFailed: 0, parkedItems: 7 });
    const input = cw.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input.ScanBy).toBe('TimestampDescending');
    expect(input.EndTime).toEqual(AT);
    expect(input.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Metric?.Namespace, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat])).toEqual([
      ['lag', 'IotDr', 'ReplicationLag', 'Maximum'],
      ['drift', 'IotDr', 'DriftFailed', 'Sum'],
      ['parked', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum'],
    ]);
  });

  test('no parking queue named: not queried; no data: no figure', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'lag', Values: [] }] });
    expect(await readReadiness(new CloudWatchClient({ region: 'us-east-1' }), { namespace: 'IotDr' }, AT)).toEqual({});
    expect(cw.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries).toHaveLength(2);
  });
});

test('evaluateReadiness: at the threshold is ready', () => {
  expect(evaluateReadiness('us-east-1', { replicationLagSeconds: 300, parkedItems: 100, driftFailed: 0 }, THRESHOLDS).ready).toBe(true);
});
