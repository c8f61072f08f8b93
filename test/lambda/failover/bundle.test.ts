import { invokeBundle } from '../bundle-runner';
import { FAILOVER_ENV, HANDLERS } from '../../../lambda/contract';
import { startIotEmulator, type IotEmulator, type MqttMessage } from '../../support/iot-emulator';

// The built bundle (assets/failover/index.js), run as Lambda would: env from the construct, SNS alarm in,
// notices out to two emulated regions.
let west: IotEmulator;
let east: IotEmulator;
const received: MqttMessage[] = [];
beforeAll(async () => {
  west = await startIotEmulator({ region: 'us-west-2' });
  east = await startIotEmulator({ region: 'us-east-1' });
  west.onMessage((m) => received.push(m));
  east.onMessage((m) => received.push(m));
});
afterAll(async () => {
  await west.close();
  await east.close();
});

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_REGION: 'us-east-1',
    [FAILOVER_ENV.primaryRegion]: 'us-west-2',
    [FAILOVER_ENV.secondaryRegion]: 'us-east-1',
    [FAILOVER_ENV.healthCheckIds]: JSON.stringify({ primary: 'hc-p', secondary: 'hc-s' }),
    [FAILOVER_ENV.noticeTargets]: JSON.stringify({ 'us-west-2': { endpoint: west.endpoint }, 'us-east-1': { endpoint: east.endpoint } }),
  };
}

test('notifyFailover: an SNS alarm on the primary\'s check publishes the notice in both regions', async () => {
  const message = { AlarmName: 'primary', NewStateValue: 'ALARM', Trigger: { Dimensions: [{ name: 'HealthCheckId', value: 'hc-p' }] } };
  const [outcome] = await invokeBundle('failover', [{ exportName: HANDLERS.notifyFailover.exportName, event: { Records: [{ Sns: { Message: JSON.stringify(message) } }] } }], env());
  expect(outcome).toEqual({ result: [{ region: 'us-west-2', ok: true }, { region: 'us-east-1', ok: true }] });
  await new Promise((r) => setTimeout(r, 50));
  expect(received.map((m) => [m.topic, JSON.parse(m.payloadText).activeRegion]).sort()).toEqual([
    ['cdk-iot-dr/failover', 'us-east-1'],
    ['cdk-iot-dr/failover', 'us-east-1'],
  ]);
});

test('regionSwitchStep: an unknown action fails with the allowed ones', async () => {
  const [outcome] = await invokeBundle('failover', [{ exportName: HANDLERS.regionSwitchStep.exportName, event: { action: 'nope' } }], env());
  expect(outcome).toEqual({ error: { name: 'Error', message: "Unknown region-switch action 'nope'; expected one of check-readiness, switch-mode, publish-notice" } });
});
