import { ChangeResourceRecordSetsCommand, Route53Client, UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../lambda/failover-mode';

const ARGS = ['--primary-region', 'us-west-2', '--secondary-region', 'us-east-1', '--primary-health-check', 'hc-p', '--secondary-health-check', 'hc-s'];
const route53 = mockClient(Route53Client);

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

beforeEach(() => {
  route53.reset();
  route53.on(UpdateHealthCheckCommand).resolves({});
  route53.on(ChangeResourceRecordSetsCommand).resolves({});
});

test('force-secondary: switches the health checks, writes the parameter in both regions, UPSERTs the TXT record', async () => {
  const { out, io: cli } = io();
  const put = jest.fn().mockResolvedValue(undefined);
  const code = await main(['force-secondary', ...ARGS, '--hosted-zone-id', 'Z1', '--record-name', 'active-region.example.com', '--ttl', '5'], cli, {
    route53: new Route53Client({ region: 'us-east-1' }),
    putModeParameter: put,
  });
  expect(code).toBe(0);
  expect(route53.commandCalls(UpdateHealthCheckCommand).map((c) => c.args[0].input)).toEqual([
    { HealthCheckId: 'hc-s', Disabled: true, Inverted: false },
    { HealthCheckId: 'hc-p', Disabled: true, Inverted: true },
  ]);
  expect(put).toHaveBeenCalledTimes(2);
  expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input.ChangeBatch?.Changes?.[0].ResourceRecordSet).toEqual({
    Name: 'active-region.example.com',
    Type: 'TXT',
    TTL: 5,
    ResourceRecords: [{ Value: '"us-east-1"' }],
  });
  expect(JSON.parse(out[0])).toEqual(expect.objectContaining({ mode: 'force-secondary', activeRegion: 'us-east-1' }));
});

test('a region that cannot be reached is reported, and the command still succeeds (the health checks moved)', async () => {
  const { err, io: cli } = io();
  const code = await main(['force-primary', ...ARGS], cli, {
    route53: new Route53Client({ region: 'us-east-1' }),
    putModeParameter: async (region) => {
      if (region === 'us-east-1') throw new Error('getaddrinfo ENOTFOUND ssm.us-east-1.amazonaws.com');
    },
  });
  expect(code).toBe(0);
  expect(err.at(-1)).toBe('not done (best effort; re-run when the region is back): SSM parameter in us-east-1: getaddrinfo ENOTFOUND ssm.us-east-1.amazonaws.com');
});

test('exit 1 when Route 53 refuses; exit 2 on bad usage; --dry-run calls nothing', async () => {
  route53.on(UpdateHealthCheckCommand).rejects(new Error('AccessDenied'));
  const a = io();
  expect(await main(['auto', ...ARGS], a.io, { route53: new Route53Client({ region: 'us-east-1' }), putModeParameter: jest.fn() })).toBe(1);
  expect(a.err.at(-1)).toBe('failed: Could not update the primary health check hc-p (Disabled=false, Inverted=false): AccessDenied');

  const b = io();
  expect(await main(['sideways', ...ARGS], b.io)).toBe(2);
  expect(b.err[0]).toMatch(/^mode must be one of auto, force-primary, force-secondary, got 'sideways'\nusage: cdk-iot-dr-failover/);
  const c = io();
  expect(await main(['auto', '--primary-region', 'us-west-2'], c.io)).toBe(2);
  expect(c.err[0]).toMatch(/^missing --secondary-region, --primary-health-check, --secondary-health-check/);
  const d = io();
  expect(await main(['auto', ...ARGS, '--hosted-zone-id', 'Z1'], d.io)).toBe(2);

  route53.reset();
  const e = io();
  expect(await main(['force-secondary', ...ARGS, '--dry-run'], e.io)).toBe(0);
  expect(e.out).toEqual([
    'would call route53 UpdateHealthCheck --health-check-id hc-s Disabled=true Inverted=false (secondary)',
    'would call route53 UpdateHealthCheck --health-check-id hc-p Disabled=true Inverted=true (primary)',
    'would write SSM /cdk-iot-dr/failover/mode=force-secondary in us-west-2 and us-east-1',
  ]);
  expect(route53.calls()).toHaveLength(0);
});
