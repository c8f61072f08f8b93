/**
 * The parking queue's consumer, run for real against the IoT registry emulator and dynalite: parked items
 * wait until due, replay the journal's current item, park again with growing delays while the registry
 * fails, and reach the dead-letter queue with their reason only when they never can succeed or their
 * parking retention has run out.
 */
import { IoTClient } from '@aws-sdk/client-iot';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { type ParkedItem } from '../../../lambda/contract';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { JournalStore } from '../../../lambda/shared/journal-store';
import { memberKeys, provisioningTemplateKeys, thingGroupKeys, thingKeys } from '../../../lambda/shared/keys';
import { ENTITY_KINDS, type JournalItem } from '../../../lambda/shared/model';
import type { ReplayDeps } from '../../../lambda/replay/common';
import {
  type ParkingDeps,
  type ParkingQueue,
  createParkingConsumer,
  handleParkedMessage,
  kindReplayers,
  parkingConsumerFromEnv,
  parkingDelaySeconds,
} from '../../../lambda/replay/parking';
import { type IotEmulator, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { LOCAL, NOW, REMOTE, captureOutput, journalItem } from './harness';
import { identityDeps } from '../../support/identity-deps';

const DAY_MS = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

let clock = NOW;
let emulator: IotEmulator;
let tables: JournalTables;
let counter = 0;
let replayDeps: ReplayDeps;
let sent: { queue: ParkingQueue; body: any; delaySeconds: number }[];
let deps: ParkingDeps;

beforeAll(async () => {
  emulator = await startIotEmulator({ region: LOCAL, now: () => clock });
  tables = await startJournalTables({ region: LOCAL });
});
afterAll(async () => {
  await emulator.close();
  await tables.close();
});

beforeEach(async () => {
  captureOutput();
  clock = NOW;
  emulator.reset();
  const names = await tables.createTables(`parking${++counter}`);
  replayDeps = {
    iot: new IoTClient({ endpoint: emulator.endpoint, region: LOCAL, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 }),
    journal: new JournalStore(tables.doc, names.journalTable),
    ledger: new EchoLedgerStore(tables.doc, names.ledgerTable, { now: () => clock }),
    region: LOCAL,
    now: () => clock,
    metricsNamespace: 'IotDrTest',
    identity: identityDeps(LOCAL, emulator.endpoint),
  };
  sent = [];
  deps = {
    replayers: kindReplayers(replayDeps),
    send: async (queue, body, delaySeconds) => void sent.push({ queue, body: JSON.parse(JSON.stringify(body)), delaySeconds }),
    now: () => clock,
    random: () => 0.5,
    retentionSeconds: 86400,
  };
});
afterEach(() => {
  replayDeps.iot.destroy();
  jest.restoreAllMocks();
});

const put = (item: JournalItem) => tables.doc.send(new PutCommand({ TableName: replayDeps.journal.tableName, Item: item }));

const lamp = (attributes: Record<string, string> = { color: 'red' }, eventTime = NOW - 60_000) =>
  journalItem({ keys: thingKeys('lamp'), kind: 'thing', state: { thingName: 'lamp', attributes }, eventTime });

function parked(item: JournalItem, extra: Partial<ParkedItem> = {}): ParkedItem {
  return {
    key: item.sk,
    partition: item.pk,
    version: item.version,
    originRegion: item.originRegion,
    eventTime: item.eventTime,
    attempt: 1,
    firstFailedAt: iso(NOW - 60_000),
    error: 'RegistryUnavailable',
    cause: 'IoT answered 503',
    ...extra,
  };
}

const handle = (body: unknown) => handleParkedMessage(deps, typeof body === 'string' ? body : JSON.stringify(body), 10_000);

describe('parking delays', () => {
  it('double from 30 s with jitter in the upper half, never shrinking, until they stay between 30 minutes and an hour', () => {
    const low = (n: number) => parkingDelaySeconds(n, () => 0);
    const high = (n: number) => parkingDelaySeconds(n, () => 0.999999);
    expect([1, 2, 3, 4].map(low)).toEqual([15, 30, 60, 120]);
    expect([1, 2, 3, 4].map(high)).toEqual([30, 60, 120, 240]);
    for (let n = 1; n < 7; n++) expect(low(n + 1)).toBeGreaterThanOrEqual(high(n));
    for (let n = 8; n < 40; n++) {
      expect(low(n)).toBe(1800);
      expect(high(n)).toBe(3600);
    }
  });

  it('retry about thirty times in the default day', () => {
    let elapsed = 0;
    let attempts = 1;
    while (elapsed < 86400) elapsed += parkingDelaySeconds(attempts++, () => 1);
    expect(attempts).toBeGreaterThan(25);
    expect(attempts).toBeLessThan(40);
  });
});

describe('a parked item', () => {
  it('that is not due yet waits again, for at most 15 minutes per send, without touching IoT', async () => {
    const item = lamp();
    await put(item);
    const body = parked(item, { attempt: 6, notBefore: iso(clock + 40 * 60_000) });
    expect(await handle(body)).toBe('deferred');
    expect(sent).toEqual([{ queue: 'parking', body, delaySeconds: 900 }]);
    clock += 35 * 60_000;
    sent = [];
    expect(await handle(body)).toBe('deferred');
    expect(sent).toEqual([{ queue: 'parking', body, delaySeconds: 300 }]);
    expect(emulator.callCounts()).toEqual({});
  });

  it('that is due replays the journal item and is done', async () => {
    const item = lamp();
    await put(item);
    expect(await handle(parked(item, { notBefore: iso(clock - 1) }))).toBe('replayed');
    expect(sent).toEqual([]);
    expect(emulator.snapshot().things).toEqual([{ name: 'lamp', type: null, attributes: { color: 'red' } }]);
  });

  it("applies the journal's current item, not the one it was parked with (a stale retry is harmless)", async () => {
    const old = lamp({ color: 'red' }, NOW - 120_000);
    const current = lamp({ color: 'blue' }, NOW - 30_000);
    await put(current);
    expect(await handle(parked(old))).toBe('replayed');
    expect(emulator.snapshot().things).toEqual([{ name: 'lamp', type: null, attributes: { color: 'blue' } }]);
  });

  it('parks again with a longer delay each time the registry keeps failing, then succeeds once it recovers', async () => {
    const item = lamp();
    await put(item);
    const delays: number[] = [];
    let body: unknown = parked(item);
    for (let round = 0; round < 4; round++) {
      emulator.failNext(1);
      sent = [];
      expect(await handle(body)).toBe('parked');
      expect(sent).toHaveLength(1);
      const [{ queue, body: next, delaySeconds }] = sent;
      expect(queue).toBe('parking');
      expect(next).toMatchObject({
        key: 'thing#lamp',
        partition: 'thing#lamp',
        attempt: round + 2,
        firstFailedAt: iso(NOW - 60_000),
        error: 'RegistryUnavailable',
        notBefore: iso(clock + delaySeconds * 1000),
      });
      expect(next.cause).toMatch(/ServiceUnavailableException/);
      delays.push(delaySeconds);
      clock += delaySeconds * 1000;
      body = next;
    }
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(delays[3]).toBeGreaterThan(delays[0]);
    sent = [];
    expect(await handle(body)).toBe('replayed');
    expect(sent).toEqual([]);
    expect(emulator.injectedOutages()).toEqual({ answered: 4, pending: 0 });
    expect(emulator.snapshot().things).toHaveLength(1);
  });

  it('parks a missing dependency (DependencyNotReady) like any other transient failure', async () => {
    const member = journalItem({ keys: memberKeys('g', 'lamp'), kind: 'member', state: { thingGroupName: 'g', thingName: 'lamp' } });
    await put(member);
    expect(await handle(parked(member))).toBe('parked');
    expect(sent.map((s) => [s.queue, s.body.error, s.body.attempt])).toEqual([['parking', 'DependencyNotReady', 2]]);
  });

  it('still failing after its parking retention goes to the dead-letter queue as ParkingExpired, with how it failed', async () => {
    const item = lamp();
    await put(item);
    const firstFailedAt = NOW - DAY_MS - 1;
    emulator.failNext(1);
    expect(await handle(parked(item, { attempt: 29, firstFailedAt: iso(firstFailedAt) }))).toBe('dead-lettered');
    expect(sent).toEqual([
      {
        queue: 'deadLetter',
        delaySeconds: 0,
        body: {
          key: 'thing#lamp',
          partition: 'thing#lamp',
          version: item.version,
          originRegion: REMOTE,
          eventTime: item.eventTime,
          attempt: 30,
          firstFailedAt: iso(firstFailedAt),
          error: 'RegistryUnavailable',
          cause: expect.stringMatching(/ServiceUnavailableException/),
          reason: 'ParkingExpired',
          deadLetteredAt: iso(NOW),
        },
      },
    ]);
  });

  it('that succeeds after its retention is replayed all the same', async () => {
    const item = lamp();
    await put(item);
    expect(await handle(parked(item, { firstFailedAt: iso(NOW - 2 * DAY_MS) }))).toBe('replayed');
    expect(sent).toEqual([]);
  });
});

describe('device identities', () => {
  it('every entity kind has its replay', () => {
    expect(Object.keys(kindReplayers(replayDeps)).sort()).toEqual([...ENTITY_KINDS].sort());
  });

  it('a provisioning template whose hook Lambda is not deployed here is parked, then dead-lettered with that reason', async () => {
    const template = journalItem({
      keys: provisioningTemplateKeys('fleet'),
      kind: 'provisioningTemplate',
      state: {
        templateName: 'fleet',
        templateBody: '{}',
        enabled: true,
        provisioningRoleArn: 'arn:aws:iam::123456789012:role/provisioning',
        preProvisioningHook: { targetArn: 'arn:aws:lambda:{{cdk-iot-dr:region}}:{{cdk-iot-dr:account}}:function:check-serial' },
      },
    });
    await put(template);
    const hook = `arn:aws:lambda:${LOCAL}:123456789012:function:check-serial`;
    expect(await handle(parked(template))).toBe('parked');
    expect(sent.map((s) => [s.queue, s.body.error, s.body.cause])).toEqual([
      ['parking', 'DependencyNotReady', `pre-provisioning hook Lambda ${hook} does not exist in ${LOCAL}: deploy it there`],
    ]);
    sent = [];
    expect(await handle(parked(template, { firstFailedAt: iso(NOW - DAY_MS - 1000) }))).toBe('dead-lettered');
    expect(sent.map((s) => [s.queue, s.body.reason, s.body.error, s.body.cause])).toEqual([
      ['deadLetter', 'ParkingExpired', 'DependencyNotReady', `pre-provisioning hook Lambda ${hook} does not exist in ${LOCAL}: deploy it there`],
    ]);
  });
});

describe('what can never succeed goes to the dead-letter queue with its reason', () => {
  it('a key with no journal item (MalformedInput), at once', async () => {
    const item = lamp();
    expect(await handle(parked(item))).toBe('dead-lettered');
    expect(sent).toEqual([
      {
        queue: 'deadLetter',
        delaySeconds: 0,
        body: expect.objectContaining({ key: 'thing#lamp', reason: 'MalformedInput', error: 'MalformedInput', attempt: 2, firstFailedAt: iso(NOW - 60_000) }),
      },
    ]);
    expect(sent[0].body.cause).toMatch(/no journal item thing#lamp/);
  });

  it('a key of no known kind (UnknownEntityKind)', async () => {
    expect(await handle({ key: 'jobTemplate#a', partition: 'jobTemplate#a', attempt: 1, firstFailedAt: iso(NOW) })).toBe('dead-lettered');
    expect(sent.map((s) => [s.queue, s.body.reason, s.body.cause])).toEqual([
      ['deadLetter', 'UnknownEntityKind', 'No replay handler for journal key jobTemplate#a'],
    ]);
  });

  it.each([
    ['not JSON', 'not json'],
    ['JSON without a key', JSON.stringify({ partition: 'thing#a' })],
    ['a pipe batch description', JSON.stringify({ context: { condition: 'RetryAttemptsExhausted' }, dynamoDbStreamBatchInfo: {} })],
  ])('a message that is %s, keeping the original', async (_what, body) => {
    expect(await handle(body)).toBe('dead-lettered');
    expect(sent).toEqual([
      {
        queue: 'deadLetter',
        delaySeconds: 0,
        body: { reason: 'MalformedInput', error: 'MalformedInput', cause: expect.any(String), deadLetteredAt: iso(NOW), original: body },
      },
    ]);
  });
});

describe('a redriven dead letter', () => {
  it('is replayed, with its parking clock restarted, so it may fail transiently again without expiring', async () => {
    const item = lamp();
    await put(item);
    const deadLetter = parked(item, {
      attempt: 30,
      firstFailedAt: iso(NOW - 3 * DAY_MS),
      reason: 'ParkingExpired',
      deadLetteredAt: iso(NOW - 2 * DAY_MS),
    });
    emulator.failNext(1);
    expect(await handle(deadLetter)).toBe('parked');
    expect(sent).toHaveLength(1);
    expect(sent[0].queue).toBe('parking');
    expect(sent[0].body).toMatchObject({ attempt: 31, firstFailedAt: iso(NOW) });
    expect(sent[0].body.reason).toBeUndefined();
    // A dead letter whose cause is fixed (here: the registry answers again) is simply replayed.
    sent = [];
    expect(await handle({ ...deadLetter, reason: 'MalformedInput' })).toBe('replayed');
    expect(sent).toEqual([]);
  });
});

describe('the SQS consumer', () => {
  const event = (...bodies: unknown[]): SQSEvent => ({
    Records: bodies.map((b, i) => ({ messageId: `m${i}`, body: JSON.stringify(b) }) as never),
  });

  it('moves every message on and reports only those it could not send on', async () => {
    const ok = lamp();
    await put(ok);
    const failing = journalItem({ keys: thingGroupKeys('g'), kind: 'thingGroup', state: { thingGroupName: 'g', attributes: {} } });
    await put(failing);
    emulator.failNext(1, ['DescribeThingGroup']);
    const consumer = createParkingConsumer({
      ...deps,
      send: async () => {
        throw new Error('SQS is down');
      },
    });
    const response = await consumer(event(parked(ok), parked(failing)), { getRemainingTimeInMillis: () => 30_000 });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(emulator.snapshot().things.map((t) => t.name)).toEqual(['lamp']);
  });

  it('parks an attempt that does not finish before the invocation would time out', async () => {
    const slow: ParkingDeps = { ...deps, replayers: { thing: () => new Promise(() => undefined) } };
    const consumer = createParkingConsumer(slow);
    const response = await consumer(event(parked(lamp())), { getRemainingTimeInMillis: () => 6_000 });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent.map((s) => [s.queue, s.body.error, s.body.attempt])).toEqual([['parking', 'States.Timeout', 2]]);
  });
});

describe('the consumer as the replay bundle exports it', () => {
  it('reads its own environment on the first message, naming what is missing', async () => {
    const consumer = parkingConsumerFromEnv(replayDeps, () => ({ send: jest.fn() }) as never, { DEAD_LETTER_QUEUE_URL: 'https://dlq' });
    await expect(consumer({ Records: [] })).rejects.toThrow('parking Lambda: environment variable PARKING_QUEUE_URL must be set');
  });

  it('sends re-parked items to the parking queue URL with their delay', async () => {
    const sqsSend = jest.fn().mockResolvedValue({});
    const consumer = parkingConsumerFromEnv(replayDeps, () => ({ send: sqsSend }) as never, {
      DEAD_LETTER_QUEUE_URL: 'https://dlq',
      PARKING_QUEUE_URL: 'https://parking',
      PARKING_RETENTION_SECONDS: '172800',
    });
    // Due in a year, whatever the wall clock says: re-deferred by the longest delay SQS allows.
    const body = parked(lamp(), { notBefore: new Date(Date.now() + 365 * DAY_MS).toISOString() });
    await consumer({ Records: [{ messageId: 'm', body: JSON.stringify(body) } as never] }, { getRemainingTimeInMillis: () => 30_000 });
    expect(sqsSend).toHaveBeenCalledTimes(1);
    const input = sqsSend.mock.calls[0][0].input;
    expect(input.QueueUrl).toBe('https://parking');
    expect(input.DelaySeconds).toBe(900);
    expect(JSON.parse(input.MessageBody)).toEqual(body);
  });
});
