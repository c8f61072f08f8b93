import {
  ChangeResourceRecordSetsCommand,
  GetHealthCheckStatusCommand,
  Route53Client,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { applyManualMode, healthyFromObservations, planHealthChecks, type FailoverTargets } from '../../../lambda/failover/manual-mode';
import type { ManualMode } from '../../../lambda/contract/health';

const TARGETS: FailoverTargets = {
  primaryRegion: 'us-west-2',
  secondaryRegion: 'us-east-1',
  healthCheckIds: { primary: 'hc-primary', secondary: 'hc-secondary' },
  hostedZoneId: 'Z0123',
  activeRegionRecordName: 'active-region.example.com',
  recordTtlSeconds: 10,
  modeParameterName: '/cdk-iot-dr/failover/mode',
};

const route53 = mockClient(Route53Client);
beforeEach(() => {
  route53.reset();
  route53.on(UpdateHealthCheckCommand).resolves({});
  route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: 'c', Status: 'PENDING', SubmittedAt: new Date() } });
  route53.on(GetHealthCheckStatusCommand).resolves({
    HealthCheckObservations: [{ StatusReport: { Status: 'Success: HTTP Status Code 200, OK' } }, { StatusReport: { Status: 'Failure: timeout' } }],
  });
});

function updates(): { HealthCheckId?: string; Disabled?: boolean; Inverted?: boolean }[] {
  return route53.commandCalls(UpdateHealthCheckCommand).map((c) => c.args[0].input);
}

async function apply(mode: ManualMode, putModeParameter = jest.fn().mockResolvedValue(undefined)) {
  const log = jest.fn();
  const result = await applyManualMode(mode, TARGETS, { route53: new Route53Client({ region: 'us-east-1' }), putModeParameter, log });
  return { result, putModeParameter, log };
}

describe('planHealthChecks (Route 53: disabled = always healthy; disabled + inverted = always unhealthy)', () => {
  test('auto: both checks enabled and not inverted, primary first', () => {
    expect(planHealthChecks('auto', TARGETS.healthCheckIds)).toEqual([
      { role: 'primary', healthCheckId: 'hc-primary', disabled: false, inverted: false },
      { role: 'secondary', healthCheckId: 'hc-secondary', disabled: false, inverted: false },
    ]);
  });

  test('force-primary: the primary disabled (always healthy), the secondary back to normal', () => {
    expect(planHealthChecks('force-primary', TARGETS.healthCheckIds)).toEqual([
      { role: 'primary', healthCheckId: 'hc-primary', disabled: true, inverted: false },
      { role: 'secondary', healthCheckId: 'hc-secondary', disabled: false, inverted: false },
    ]);
  });

  test('force-secondary: the secondary forced healthy first, then the primary disabled + inverted (always unhealthy)', () => {
    expect(planHealthChecks('force-secondary', TARGETS.healthCheckIds)).toEqual([
      { role: 'secondary', healthCheckId: 'hc-secondary', disabled: true, inverted: false },
      { role: 'primary', healthCheckId: 'hc-primary', disabled: true, inverted: true },
    ]);
  });
});

describe('applyManualMode', () => {
  test.each([
    ['auto', [['hc-primary', false, false], ['hc-secondary', false, false]], 'us-west-2'],
    ['force-primary', [['hc-primary', true, false], ['hc-secondary', false, false]], 'us-west-2'],
    ['force-secondary', [['hc-secondary', true, false], ['hc-primary', true, true]], 'us-east-1'],
  ] as const)('%s: exactly these UpdateHealthCheck calls, then the TXT record and the SSM parameter', async (mode, calls, active) => {
    const { result, putModeParameter } = await apply(mode);
    expect(updates()).toEqual(calls.map(([HealthCheckId, Disabled, Inverted]) => ({ HealthCheckId, Disabled, Inverted })));
    expect(putModeParameter.mock.calls.sort()).toEqual([
      ['us-east-1', '/cdk-iot-dr/failover/mode', mode],
      ['us-west-2', '/cdk-iot-dr/failover/mode', mode],
    ]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input)).toEqual([
      {
        HostedZoneId: 'Z0123',
        ChangeBatch: {
          Comment: `cdk-iot-dr: active region ${active}`,
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'active-region.example.com', Type: 'TXT', TTL: 10, ResourceRecords: [{ Value: `"${active}"` }] } }],
        },
      },
    ]);
    expect(result).toEqual(expect.objectContaining({ mode, activeRegion: active, activeRegionRecord: 'ok', modeParameter: { 'us-west-2': 'ok', 'us-east-1': 'ok' } }));
  });

  test('auto names the secondary in the TXT record while the primary is observed unhealthy', async () => {
    route53.on(GetHealthCheckStatusCommand).resolves({ HealthCheckObservations: Array.from({ length: 10 }, () => ({ StatusReport: { Status: 'Failure: HTTP Status Code 503' } })) });
    expect((await apply('auto')).result.activeRegion).toBe('us-east-1');
  });

  test('a region whose SSM is unreachable is reported and logged; the health checks are switched anyway', async () => {
    const put = jest.fn(async (region: string) => {
      if (region === 'us-west-2') throw new Error('connect ETIMEDOUT');
    });
    const { result, log } = await apply('force-secondary', put);
    expect(updates()).toHaveLength(2);
    expect(result.modeParameter).toEqual({ 'us-west-2': 'connect ETIMEDOUT', 'us-east-1': 'ok' });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('could not write /cdk-iot-dr/failover/mode in us-west-2'));
  });

  test('a failed health-check update throws, naming the check, and stops before anything else', async () => {
    route53.on(UpdateHealthCheckCommand, { HealthCheckId: 'hc-secondary' }).rejects(new Error('AccessDenied'));
    const put = jest.fn();
    await expect(applyManualMode('force-secondary', TARGETS, { route53: new Route53Client({ region: 'us-east-1' }), putModeParameter: put })).rejects.toThrow(
      'Could not update the secondary health check hc-secondary (Disabled=true, Inverted=false): AccessDenied',
    );
    expect(updates()).toEqual([{ HealthCheckId: 'hc-secondary', Disabled: true, Inverted: false }]);
    expect(put).not.toHaveBeenCalled();
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  test('the TXT record is skipped without a zone, and a failed UPSERT is reported, not thrown', async () => {
    const noZone = { ...TARGETS, hostedZoneId: undefined, activeRegionRecordName: undefined };
    const r1 = await applyManualMode('force-primary', noZone, { route53: new Route53Client({ region: 'us-east-1' }), putModeParameter: async () => undefined });
    expect(r1.activeRegionRecord).toBe('skipped');
    route53.on(ChangeResourceRecordSetsCommand).rejects(new Error('Throttling'));
    expect((await apply('force-primary')).result.activeRegionRecord).toBe('Throttling');
  });
});

test('healthyFromObservations: Route 53 calls an endpoint healthy when more than 18 % of checkers do', () => {
  const obs = (ok: number, total: number) => Array.from({ length: total }, (_, i) => (i < ok ? 'Success: HTTP Status Code 200' : 'Failure: timeout'));
  expect(healthyFromObservations(obs(2, 10))).toBe(true);
  expect(healthyFromObservations(obs(1, 10))).toBe(false);
  expect(healthyFromObservations([])).toBe(false);
});
