import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { SNSEvent } from 'aws-lambda';
import { FAILOVER_NOTICE_TOPIC, parseFailoverNotice } from '../../../lambda/contract/failover';
import { createNotifier } from '../../../lambda/failover/notifier';
import { noticeForAlarm, parseNoticeTargets, publishNotice, type NoticeTarget } from '../../../lambda/failover/notice';
import { startIotEmulator, type IotEmulator, type MqttMessage } from '../../support/iot-emulator';

const AT = new Date('2026-12-02T00:00:00.000Z');
const CONFIG = { primaryRegion: 'us-west-2', secondaryRegion: 'us-east-1', healthCheckIds: { primary: 'hc-p', secondary: 'hc-s' } };

/** Two emulated regions; each target's endpoint names its emulator. */
let west: IotEmulator;
let east: IotEmulator;
const received: Record<string, MqttMessage[]> = { 'us-west-2': [], 'us-east-1': [] };
beforeAll(async () => {
  west = await startIotEmulator({ region: 'us-west-2' });
  east = await startIotEmulator({ region: 'us-east-1' });
  west.onMessage((m) => received['us-west-2'].push(m));
  east.onMessage((m) => received['us-east-1'].push(m));
});
afterAll(async () => {
  for (const c of clients.values()) c.destroy();
  await west.close();
  await east.close();
});
beforeEach(() => {
  west.reset();
  east.reset();
  received['us-west-2'] = [];
  received['us-east-1'] = [];
});

const TARGETS: NoticeTarget[] = [
  { region: 'us-west-2', endpoint: 'west' },
  { region: 'us-east-1', endpoint: 'east' },
];
const clients = new Map<string, IoTDataPlaneClient>();
function clientFor(target: NoticeTarget): IoTDataPlaneClient {
  const emulator = target.endpoint === 'west' ? west : east;
  let c = clients.get(target.endpoint);
  if (!c) {
    c = new IoTDataPlaneClient({ region: target.region, endpoint: emulator.endpoint, maxAttempts: 1 });
    clients.set(target.endpoint, c);
  }
  return c;
}

const settle = () => new Promise((r) => setImmediate(r));

function alarmEvent(healthCheckId: string, state: string): SNSEvent {
  const message = { AlarmName: `hc-${healthCheckId}`, NewStateValue: state, Trigger: { Dimensions: [{ name: 'HealthCheckId', value: healthCheckId }] } };
  return { Records: [{ Sns: { Message: JSON.stringify(message) } }] } as unknown as SNSEvent;
}

describe('publishNotice', () => {
  test('publishes { activeRegion, reason, at } with QoS 1 on cdk-iot-dr/failover in both regions', async () => {
    const notice = { activeRegion: 'us-east-1', reason: 'test', at: AT.toISOString() };
    const outcomes = await publishNotice(notice, TARGETS, clientFor);
    await settle();
    expect(outcomes).toEqual([
      { region: 'us-west-2', ok: true },
      { region: 'us-east-1', ok: true },
    ]);
    for (const region of ['us-west-2', 'us-east-1']) {
      expect(received[region].map((m) => ({ topic: m.topic, qos: m.qos, retain: m.retain, notice: parseFailoverNotice(m.payloadText) }))).toEqual([
        { topic: FAILOVER_NOTICE_TOPIC, qos: 1, retain: false, notice },
      ]);
    }
  });

  test('one region failing is logged and does not stop the other', async () => {
    west.failNext(5, ['Publish']);
    const log = jest.fn();
    const outcomes = await publishNotice({ activeRegion: 'us-east-1', reason: 'test', at: AT.toISOString() }, TARGETS, clientFor, log);
    await settle();
    expect(outcomes[0]).toEqual({ region: 'us-west-2', ok: false, error: expect.stringContaining('ServiceUnavailable') });
    expect(outcomes[1]).toEqual({ region: 'us-east-1', ok: true });
    expect(received['us-east-1']).toHaveLength(1);
    expect(received['us-west-2']).toHaveLength(0);
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^could not publish the failover notice in us-west-2 \(the other region is still tried\)/));
  });
});

describe('noticeForAlarm', () => {
  test('the primary in ALARM → the secondary is active; back to OK → the primary', () => {
    expect(noticeForAlarm(JSON.parse(alarmEvent('hc-p', 'ALARM').Records[0].Sns.Message), CONFIG, AT)).toEqual({
      activeRegion: 'us-east-1',
      reason: 'health-check-alarm:us-west-2-unhealthy',
      at: '2026-12-02T00:00:00.000Z',
    });
    expect(noticeForAlarm(JSON.parse(alarmEvent('hc-p', 'OK').Records[0].Sns.Message), CONFIG, AT)?.activeRegion).toBe('us-west-2');
  });

  test('the secondary\'s alarm, INSUFFICIENT_DATA and unknown health checks give no notice', () => {
    expect(noticeForAlarm({ NewStateValue: 'ALARM', Trigger: { Dimensions: [{ name: 'HealthCheckId', value: 'hc-s' }] } }, CONFIG, AT)).toBeUndefined();
    expect(noticeForAlarm({ NewStateValue: 'INSUFFICIENT_DATA', Trigger: { Dimensions: [{ name: 'HealthCheckId', value: 'hc-p' }] } }, CONFIG, AT)).toBeUndefined();
    expect(noticeForAlarm({ NewStateValue: 'ALARM', Trigger: { Dimensions: [{ name: 'HealthCheckId', value: 'other' }] } }, CONFIG, AT)).toBeUndefined();
  });
});

describe('the notifier handler (SNS → notice in both regions)', () => {
  const notifier = (log = jest.fn()) => createNotifier({ ...CONFIG, noticeTargets: TARGETS }, { clientFor, now: () => AT, log });

  test('publishes in both regions on the primary\'s alarm', async () => {
    const outcomes = await notifier()(alarmEvent('hc-p', 'ALARM'));
    await settle();
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(received['us-west-2'].map((m) => JSON.parse(m.payloadText).activeRegion)).toEqual(['us-east-1']);
    expect(received['us-east-1'].map((m) => JSON.parse(m.payloadText).activeRegion)).toEqual(['us-east-1']);
  });

  test('succeeds when one region fails (best effort), throws when none received it (Lambda retries, then the DLQ)', async () => {
    west.failNext(5, ['Publish']);
    await expect(notifier()(alarmEvent('hc-p', 'ALARM'))).resolves.toHaveLength(2);
    west.failNext(5, ['Publish']);
    east.failNext(5, ['Publish']);
    await expect(notifier()(alarmEvent('hc-p', 'ALARM'))).rejects.toThrow(/^The failover notice reached no region: us-west-2: .*; us-east-1: /);
  });

  test('names the active region in the TXT record too; a failed UPSERT is logged and the notice still goes out', async () => {
    const recorded: string[] = [];
    const log = jest.fn();
    const withRecord = createNotifier({ ...CONFIG, noticeTargets: TARGETS }, { clientFor, now: () => AT, log, recordActiveRegion: async (r) => recorded.push(r) });
    await withRecord(alarmEvent('hc-p', 'ALARM'));
    await withRecord(alarmEvent('hc-p', 'OK'));
    expect(recorded).toEqual(['us-east-1', 'us-west-2']);
    const failing = createNotifier(
      { ...CONFIG, noticeTargets: TARGETS },
      { clientFor, now: () => AT, log, recordActiveRegion: () => Promise.reject(new Error('Throttling: Rate exceeded')) },
    );
    await expect(failing(alarmEvent('hc-p', 'ALARM'))).resolves.toHaveLength(2);
    expect(log).toHaveBeenCalledWith('could not update the active-region record: Throttling: Rate exceeded');
  });

  test('ignores messages that are not alarms, and alarms that move nobody', async () => {
    const log = jest.fn();
    const event = { Records: [{ Sns: { Message: 'not json' } }, ...alarmEvent('hc-s', 'ALARM').Records] } as unknown as SNSEvent;
    await expect(notifier(log)(event)).resolves.toEqual([]);
    await settle();
    expect(received['us-west-2']).toHaveLength(0);
    expect(log).toHaveBeenCalledWith(expect.stringContaining('not a CloudWatch alarm'));
  });
});

test('parseNoticeTargets reads the construct\'s JSON and needs an endpoint per region', () => {
  expect(parseNoticeTargets('{"us-west-2":{"endpoint":"a-ats.iot.us-west-2.amazonaws.com","roleArn":"arn:aws:iam::1:role/r"},"us-east-1":{"endpoint":"b"}}')).toEqual([
    { region: 'us-west-2', endpoint: 'a-ats.iot.us-west-2.amazonaws.com', roleArn: 'arn:aws:iam::1:role/r' },
    { region: 'us-east-1', endpoint: 'b' },
  ]);
  expect(() => parseNoticeTargets('{"us-west-2":{}}')).toThrow('notice target us-west-2 needs an endpoint');
});
