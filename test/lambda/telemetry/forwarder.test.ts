/**
 * The forwarder against a fake PutEvents endpoint on loopback (real HTTP, real signing), with the buffer
 * simulated in rounds: the endpoint fails for a number of calls, then recovers, and every message must
 * arrive (once, after deduplication by messageId), none lost, only failed entries retried.
 */
import {
  DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT,
  TELEMETRY_DEAD_LETTER_REASONS,
  TELEMETRY_DETAIL_TYPE,
  TELEMETRY_EVENT_SOURCE,
  telemetryBackoffSeconds,
} from '../../../lambda/contract';
import { type ForwarderDeps, createTelemetryForwarder } from '../../../lambda/telemetry/forwarder';
import type { TelemetryDetail } from '../../../lambda/telemetry/messages';
import { createPutEvents } from '../../../lambda/telemetry/put-events';
import { type FakeEventBridge, type FakeEntry, startFakeEventBridge } from '../../support/fake-eventbridge';
import { FakeBuffer, ruleMessage, sqsEvent, sqsRecord } from './builders';

const BUS = 'arn:aws:events:us-west-2:333333333333:event-bus/cdk-iot-dr-telemetry';
const credentials = async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'token' });

let eb: FakeEventBridge;
let lines: string[];
beforeEach(async () => {
  eb = await startFakeEventBridge();
  lines = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
});
afterEach(async () => {
  jest.restoreAllMocks();
  await eb.close();
});

/** The EMF documents the forwarder printed. */
const metricDocs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((d) => d._aws !== undefined);

function forwarder(buffer: FakeBuffer, overrides: Partial<ForwarderDeps> = {}) {
  const delays: number[] = [];
  const handler = createTelemetryForwarder({
    putEvents: createPutEvents({ url: eb.url, region: 'us-west-2', credentials, timeoutMs: 5000 }),
    queue: buffer,
    eventBusArn: BUS,
    region: 'us-west-2',
    maxReceiveCount: DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT,
    metricsNamespace: 'Test',
    sleep: async (ms) => void delays.push(ms),
    random: () => 0.5,
    ...overrides,
  });
  return { handler, delays };
}

const detailOf = (e: FakeEntry): TelemetryDetail => JSON.parse(e.Detail) as TelemetryDetail;
const deliveredIds = () => new Set(eb.accepted.map((e) => detailOf(e).messageId));
const entryIds = (request: number) => eb.requests[request].body.Entries.map((e) => detailOf(e).messageId);

test('forwards a batch in one PutEvents request with the contract source, detail-type, bus and a stable messageId', async () => {
  const buffer = new FakeBuffer();
  for (let i = 0; i < 10; i++) buffer.add(ruleMessage(i), `sqs-${i}`);
  const { handler } = forwarder(buffer);
  await buffer.round(handler);
  expect(buffer.size).toBe(0);
  expect(eb.requests).toHaveLength(1);
  expect(eb.accepted).toHaveLength(10);
  const [first] = eb.accepted;
  expect(first).toEqual({ Source: TELEMETRY_EVENT_SOURCE, DetailType: TELEMETRY_DETAIL_TYPE, EventBusName: BUS, Time: 1_760_000_000, Detail: expect.any(String) });
  expect(detailOf(first)).toEqual({
    messageId: 'trace-0',
    topic: 'dt/plant-1/sensor-0',
    receivedAt: 1_760_000_000_000,
    sourceRegion: 'us-west-2',
    message: { seq: 0, temperature: 20 },
  });
  expect(eb.requests[0].body.EndpointId).toBeUndefined();
});

test('without an IoT trace id, the buffer message id is the messageId', async () => {
  const buffer = new FakeBuffer();
  buffer.add(JSON.stringify({ v: 1, topic: 't' }), 'sqs-only');
  await buffer.round(forwarder(buffer).handler);
  expect(detailOf(eb.accepted[0]).messageId).toBe('sqs-only');
});

test('an outage of the bus holds every message in the buffer; after recovery all arrive, none lost, none dead-lettered', async () => {
  const buffer = new FakeBuffer();
  const total = 37;
  for (let i = 0; i < total; i++) buffer.add(ruleMessage(i), `sqs-${i}`);
  const { handler } = forwarder(buffer);
  // Round 1: connections refused. Round 2: 5xx, throttling, resets, partial entry failures, accepted-but-reset.
  await eb.refuseConnections();
  await buffer.round(handler);
  expect(eb.requests).toHaveLength(0);
  expect(buffer.size).toBe(total);
  await eb.resume();
  eb.failNext(
    { kind: 'http', status: 500 },
    { kind: 'throttle' },
    { kind: 'reset' },
    { kind: 'http', status: 503, type: 'ServiceUnavailable' },
    { kind: 'entryErrors', code: 'InternalFailure', indexes: [0, 3] },
    { kind: 'entryErrors', code: 'ThrottlingException' },
    { kind: 'acceptThenReset' },
    { kind: 'http', status: 500 },
    { kind: 'reset' },
    { kind: 'http', status: 500 },
    { kind: 'throttle' },
  );
  let rounds = 1;
  while (buffer.size > 0 && rounds < 10) {
    await buffer.round(handler);
    rounds++;
  }
  expect(buffer.size).toBe(0);
  expect(buffer.deadLetters).toEqual([]);
  const ids = deliveredIds();
  for (let i = 0; i < total; i++) expect(ids.has(`trace-${i}`)).toBe(true);
  expect(ids.size).toBe(total);
  // Accepted-then-reset entries were sent again: duplicates, which the messageId lets consumers drop.
  expect(eb.accepted.length).toBeGreaterThan(total);
  // Held messages were made invisible for growing times, by receive count.
  const held = buffer.visibility.get('sqs-0')!;
  expect(held.length).toBeGreaterThanOrEqual(2);
  expect(held).toEqual(held.map((_, n) => telemetryBackoffSeconds(n + 1)));
  expect(held[1]).toBeGreaterThan(held[0]);
});

test('only the entries that failed are sent again', async () => {
  const buffer = new FakeBuffer();
  for (let i = 0; i < 8; i++) buffer.add(ruleMessage(i), `sqs-${i}`);
  eb.failNext({ kind: 'entryErrors', code: 'InternalFailure', indexes: [2, 5] }, { kind: 'entryErrors', code: 'ThrottlingException', indexes: [1] });
  const { handler, delays } = forwarder(buffer);
  await buffer.round(handler);
  expect(eb.requests.map((r) => r.body.Entries.length)).toEqual([8, 2, 1]);
  expect(entryIds(1)).toEqual(['trace-2', 'trace-5']);
  expect(entryIds(2)).toEqual(['trace-5']);
  expect(eb.accepted).toHaveLength(8);
  expect(buffer.size).toBe(0);
  // Jittered exponential backoff between the in-invocation attempts.
  expect(delays).toEqual([150, 300]);
});

test('in-invocation retries are bounded; what still fails is handed back to SQS with a backoff by receive count', async () => {
  const buffer = new FakeBuffer();
  buffer.add(ruleMessage(1), 'sqs-1');
  buffer.add(ruleMessage(2), 'sqs-2');
  eb.failNext(...Array.from({ length: 6 }, () => ({ kind: 'http', status: 500 }) as const));
  const { handler } = forwarder(buffer);
  await buffer.round(handler);
  expect(eb.requests).toHaveLength(3);
  expect(buffer.size).toBe(2);
  await buffer.round(handler);
  expect(eb.requests).toHaveLength(6);
  expect(buffer.visibility.get('sqs-1')).toEqual([30, 60]);
  await buffer.round(handler);
  expect(buffer.size).toBe(0);
  expect(deliveredIds()).toEqual(new Set(['trace-1', 'trace-2']));
});

test('stops retrying within the invocation when its time runs short', async () => {
  const buffer = new FakeBuffer();
  buffer.add(ruleMessage(1), 'sqs-1');
  eb.failNext({ kind: 'http', status: 500 });
  const { handler } = forwarder(buffer);
  const remaining = [20_000, 7_100];
  const result = await handler(sqsEvent([sqsRecord(ruleMessage(1), 'sqs-1')]), { getRemainingTimeInMillis: () => remaining.shift() ?? 0 });
  expect(eb.requests).toHaveLength(1);
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-1' }]);
});

test('sends nothing when the invocation is nearly over: the batch is held, not lost', async () => {
  const buffer = new FakeBuffer();
  const { handler } = forwarder(buffer);
  const result = await handler(sqsEvent([sqsRecord(ruleMessage(1), 'sqs-1'), sqsRecord(ruleMessage(2), 'sqs-2')]), { getRemainingTimeInMillis: () => 1000 });
  expect(eb.requests).toHaveLength(0);
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-1' }, { itemIdentifier: 'sqs-2' }]);
});

test('permanent failures go to the dead-letter queue at once, with the reason, and are acknowledged', async () => {
  const buffer = new FakeBuffer();
  buffer.add(ruleMessage(1), 'sqs-1');
  buffer.add('not json \u0000 binary', 'sqs-binary');
  buffer.add(ruleMessage(2, { blob: 'x'.repeat(300 * 1024) }), 'sqs-big');
  buffer.add(ruleMessage(3, { poison: true }), 'sqs-poison');
  buffer.add(ruleMessage(4), 'sqs-4');
  eb.rejectWhen((e) => (e.Detail.includes('"poison":true') ? 'MalformedDetail' : undefined));
  await buffer.round(forwarder(buffer).handler);
  expect(buffer.size).toBe(0);
  expect(deliveredIds()).toEqual(new Set(['trace-1', 'trace-4']));
  const letters = Object.fromEntries(buffer.deadLetters.map((l) => [l.messageId, l]));
  expect(letters['sqs-binary']).toMatchObject({ reason: TELEMETRY_DEAD_LETTER_REASONS.malformed, body: 'not json \u0000 binary', receiveCount: 1 });
  expect(letters['trace-2']).toMatchObject({ reason: TELEMETRY_DEAD_LETTER_REASONS.tooLarge });
  expect(letters['trace-3']).toMatchObject({ reason: TELEMETRY_DEAD_LETTER_REASONS.rejected, error: 'MalformedDetail: rejected' });
  expect(buffer.deadLetters).toHaveLength(3);
  // The rejected entry was not retried.
  expect(eb.requests).toHaveLength(1);
});

test('a request refused as a whole is split: the bad entry is dead-lettered, the others delivered', async () => {
  const buffer = new FakeBuffer();
  for (let i = 0; i < 3; i++) buffer.add(ruleMessage(i), `sqs-${i}`);
  eb.failNext({ kind: 'http', status: 400, type: 'ValidationException' }, { kind: 'ok' }, { kind: 'http', status: 400, type: 'ValidationException' });
  await buffer.round(forwarder(buffer).handler);
  expect(eb.requests.map((r) => r.body.Entries.length)).toEqual([3, 1, 1, 1]);
  expect(deliveredIds()).toEqual(new Set(['trace-0', 'trace-2']));
  expect(buffer.deadLetters.map((l) => [l.messageId, l.reason, l.error])).toEqual([
    ['trace-1', TELEMETRY_DEAD_LETTER_REASONS.rejected, 'ValidationException: scripted failure'],
  ]);
  expect(buffer.size).toBe(0);
});

test('a message still failing on its last receive is dead-lettered as HoldExpired, not dropped', async () => {
  const buffer = new FakeBuffer();
  buffer.add(ruleMessage(1), 'sqs-1');
  const { handler } = forwarder(buffer, { maxReceiveCount: 3 });
  await eb.refuseConnections();
  for (let round = 0; round < 3; round++) await buffer.round(handler);
  expect(buffer.size).toBe(0);
  expect(buffer.deadLetters).toHaveLength(1);
  expect(buffer.deadLetters[0]).toMatchObject({ messageId: 'trace-1', reason: TELEMETRY_DEAD_LETTER_REASONS.holdExpired, receiveCount: 3 });
  expect(buffer.deadLetters[0].error).toMatch(/^still failing after 3 receives: .*ECONNREFUSED/);
  expect(buffer.visibility.get('sqs-1')).toEqual([30, 60]);
});

test('when the dead-letter queue cannot take a letter, the message stays in the buffer', async () => {
  const buffer = new FakeBuffer();
  buffer.add('garbage', 'sqs-garbage');
  buffer.failDeadLetterSends = 1;
  const { handler } = forwarder(buffer);
  await buffer.round(handler);
  expect(buffer.size).toBe(1);
  await buffer.round(handler);
  expect(buffer.size).toBe(0);
  expect(buffer.deadLetters.map((l) => l.messageId)).toEqual(['sqs-garbage']);
});

test('a dead letter redriven into the buffer is forwarded with its original messageId', async () => {
  const buffer = new FakeBuffer();
  const original = sqsRecord(JSON.stringify({ v: 7, topic: 't/1', receivedAt: 1_760_000_000_500 }), 'first-sqs-id', 1000);
  eb.failNext({ kind: 'http', status: 500 });
  const dead = createTelemetryForwarder({
    putEvents: createPutEvents({ url: eb.url, region: 'us-west-2', credentials, timeoutMs: 5000 }),
    queue: buffer,
    eventBusArn: BUS,
    region: 'us-west-2',
    maxReceiveCount: 1000,
    metricsNamespace: 'Test',
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
  await dead(sqsEvent([original]));
  expect(buffer.deadLetters).toHaveLength(1);
  buffer.add(JSON.stringify(buffer.deadLetters[0]), 'redriven-sqs-id');
  await buffer.round(forwarder(buffer).handler);
  expect(detailOf(eb.accepted[0])).toEqual({ messageId: 'first-sqs-id', topic: 't/1', receivedAt: 1_760_000_000_500, sourceRegion: 'us-west-2', message: { v: 7 } });
});

test('a redriven dead letter dead-lettered again keeps the original body, not a letter inside a letter', async () => {
  const buffer = new FakeBuffer();
  const first = { reason: 'HoldExpired', error: 'e', messageId: 'first-id', body: 'not json', deadLetteredAt: '2026-01-01T00:00:00.000Z', receiveCount: 1000 };
  buffer.add(JSON.stringify(first), 'redriven');
  await buffer.round(forwarder(buffer).handler);
  expect(buffer.deadLetters).toEqual([expect.objectContaining({ messageId: 'first-id', body: 'not json', reason: TELEMETRY_DEAD_LETTER_REASONS.malformed })]);
});

test("an IoT rule error-action message redriven into the buffer forwards the original payload and topic", async () => {
  const buffer = new FakeBuffer();
  const errorAction = {
    ruleName: 'telemetry',
    topic: 'dt/plant-9/x',
    clientId: 'dev-9',
    base64OriginalPayload: Buffer.from(JSON.stringify({ temperature: 9 })).toString('base64'),
    failures: [{ failedAction: 'SqsAction', errorMessage: 'Failed to send message' }],
  };
  buffer.add(JSON.stringify(errorAction), 'err-1');
  await buffer.round(forwarder(buffer).handler);
  expect(detailOf(eb.accepted[0])).toEqual({ messageId: 'err-1', topic: 'dt/plant-9/x', sourceRegion: 'us-west-2', message: { temperature: 9 } });
});

test('batches larger than 256 KB in total are split by size', async () => {
  const buffer = new FakeBuffer();
  for (let i = 0; i < 4; i++) buffer.add(ruleMessage(i, { blob: 'y'.repeat(100 * 1024) }), `sqs-${i}`);
  await buffer.round(forwarder(buffer).handler);
  expect(eb.requests.map((r) => r.body.Entries.length)).toEqual([2, 2]);
  expect(eb.accepted).toHaveLength(4);
});

describe('signing', () => {
  test('with a global endpoint id: SigV4a for every region, and the EndpointId in the body', async () => {
    const putEvents = createPutEvents({ url: eb.url, endpointId: 'abcde.veo', region: 'us-west-2', credentials, timeoutMs: 5000 });
    const outcome = await putEvents([{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: BUS }]);
    expect(outcome.kind).toBe('answered');
    const { headers, body } = eb.requests[0];
    expect(body.EndpointId).toBe('abcde.veo');
    expect(headers.authorization).toMatch(
      /^AWS4-ECDSA-P256-SHA256 Credential=AKIDTEST\/\d{8}\/events\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-region-set[a-z0-9;-]*, Signature=[0-9a-f]+$/,
    );
    expect(headers['x-amz-region-set']).toBe('*');
    expect(headers['x-amz-security-token']).toBe('token');
    expect(headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(headers['content-type']).toBe('application/x-amz-json-1.1');
  });

  test("without one: SigV4 for the function's region, no EndpointId", async () => {
    const putEvents = createPutEvents({ url: eb.url, region: 'us-west-2', credentials, timeoutMs: 5000 });
    await putEvents([{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: BUS }]);
    const { headers, body } = eb.requests[0];
    expect(body.EndpointId).toBeUndefined();
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-west-2\/events\/aws4_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/);
    expect(headers['x-amz-region-set']).toBeUndefined();
  });
});

test('emits forwarded, held-back, dead-lettered and held-message-age metrics', async () => {
  const saved = process.env.IOT_DR_SILENT_METRICS;
  delete process.env.IOT_DR_SILENT_METRICS;
  try {
    const buffer = new FakeBuffer();
    buffer.add(ruleMessage(1), 'sqs-1');
    buffer.add(ruleMessage(2), 'sqs-2');
    buffer.add('garbage', 'sqs-garbage');
    eb.failNext({ kind: 'entryErrors', code: 'InternalFailure', indexes: [1] }, { kind: 'http', status: 500 }, { kind: 'http', status: 500 });
    const { handler } = forwarder(buffer, { now: () => 1_760_000_090_000 });
    await buffer.round(handler);
    expect(metricDocs()).toEqual([
      expect.objectContaining({
        TelemetryForwarded: 1,
        TelemetryHeldBack: 1,
        TelemetryDeadLettered: 1,
        TelemetryPutEventsFailures: 3,
        TelemetryHeldMessageAge: 90_000,
      }),
    ]);
  } finally {
    if (saved !== undefined) process.env.IOT_DR_SILENT_METRICS = saved;
  }
});
