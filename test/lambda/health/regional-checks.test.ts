import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IoTClient } from '@aws-sdk/client-iot';
import { GetRetainedMessageCommand, IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { healthTopic } from '../../../lambda/contract';
import { iotDataPlaneProbe, iotRegistryProbe, lambdaProbe, urlProbe } from '../../../lambda/health/regional-checks';
import { createRegionalHealth } from '../../../lambda/health/regional-health';
import { runChecks, runProbe } from '../../../lambda/health/run-checks';
import { startIotEmulator, type IotEmulator } from '../../support/iot-emulator';

const REGION = 'us-west-2';
const TOPIC = healthTopic(REGION);
const credentials = { accessKeyId: 'regional-health-role', secretAccessKey: 'x' };

let emulator: IotEmulator;
let data: IoTDataPlaneClient;
let iot: IoTClient;
beforeAll(async () => {
  emulator = await startIotEmulator({ region: REGION });
  // One attempt, as the handler configures them: the next health call is the retry.
  data = new IoTDataPlaneClient({ region: REGION, endpoint: emulator.endpoint, credentials, maxAttempts: 1 });
  iot = new IoTClient({ region: REGION, endpoint: emulator.endpoint, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  data.destroy();
  iot.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

const dataPlane = (options: Partial<Parameters<typeof iotDataPlaneProbe>[0]> = {}) =>
  iotDataPlaneProbe({ name: 'iot-data-plane', topic: TOPIC, client: async () => data, ...options });

describe('iot data-plane round trip (IoT emulator)', () => {
  test('publishes a retained nonce and reads the same nonce back: healthy', async () => {
    const result = await runProbe(dataPlane({ newNonce: () => 'nonce-1' }), 1000);
    expect(result).toMatchObject({ name: 'iot-data-plane', healthy: true });
    expect(result.detail).toBeUndefined();
    expect(emulator.callCounts()).toMatchObject({ Publish: 1, GetRetainedMessage: 1 });
    const retained = await data.send(new GetRetainedMessageCommand({ topic: TOPIC }));
    expect(JSON.parse(new TextDecoder().decode(retained.payload))).toMatchObject({ nonce: 'nonce-1' });
  });

  test('fresh state: every call publishes a new nonce, and a broken data plane after a healthy call is unhealthy', async () => {
    let n = 0;
    const probe = () => dataPlane({ newNonce: () => `nonce-${++n}` });
    expect((await runProbe(probe(), 1000)).healthy).toBe(true);
    expect((await runProbe(probe(), 1000)).healthy).toBe(true);
    emulator.throttleNext(1, ['Publish']);
    const third = await runProbe(probe(), 1000);
    expect(third.healthy).toBe(false);
    expect(emulator.callCounts().Publish).toBe(3);
  });

  test('Publish throttled: unhealthy, the reason in detail', async () => {
    emulator.throttleNext(1, ['Publish']);
    const result = await runProbe(dataPlane(), 1000);
    expect(result.healthy).toBe(false);
    expect(result.detail).toMatch(/^ThrottlingException/);
    expect(emulator.callCounts().GetRetainedMessage ?? 0).toBe(0);
  });

  test('GetRetainedMessage failing (503): unhealthy', async () => {
    emulator.failNext(1, ['GetRetainedMessage']);
    const result = await runProbe(dataPlane(), 1000);
    expect(result.healthy).toBe(false);
    expect(result.detail).toMatch(/ServiceUnavailable/);
  });
});

describe('iot data-plane round trip (mismatches)', () => {
  // Mocks this one instance: the emulator-backed client above stays real.
  const client = new IoTDataPlaneClient({ region: REGION, credentials });
  const dataMock = mockClient(client);
  afterEach(() => dataMock.reset());
  afterAll(() => dataMock.restore());
  const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  test('reading back a stale nonce is a mismatch, after the configured rereads', async () => {
    dataMock.on(PublishCommand).resolves({});
    dataMock.on(GetRetainedMessageCommand).resolves({ topic: TOPIC, payload: payload({ nonce: 'old', startedAt: 1 }) });
    const result = await runProbe(dataPlane({ client: async () => client, rereadDelayMs: 1, maxReads: 3 }), 1000);
    expect(result).toMatchObject({ healthy: false });
    expect(result.detail).toMatch(/^retained message mismatch: read back a stale nonce from 1970-01-01/);
    expect(dataMock.commandCalls(GetRetainedMessageCommand)).toHaveLength(3);
  });

  test('the retained store a moment behind: healthy on a later read', async () => {
    let sent = '';
    dataMock.on(PublishCommand).callsFake((input: { payload: Uint8Array }) => {
      sent = new TextDecoder().decode(input.payload);
      return {};
    });
    dataMock
      .on(GetRetainedMessageCommand)
      .rejectsOnce(Object.assign(new Error('No retained message'), { name: 'ResourceNotFoundException' }))
      .callsFake(() => ({ topic: TOPIC, payload: new TextEncoder().encode(sent) }));
    expect(await runProbe(dataPlane({ client: async () => client, rereadDelayMs: 1 }), 1000)).toMatchObject({ healthy: true });
  });

  test('a concurrent probe that started later overwrote ours: that round trip counts', async () => {
    dataMock.on(PublishCommand).resolves({});
    dataMock.on(GetRetainedMessageCommand).resolves({ topic: TOPIC, payload: payload({ nonce: 'theirs', startedAt: 2000 }) });
    const result = await runProbe(dataPlane({ client: async () => client, clock: { now: () => 1000 } }), 1000, { now: () => 1000 });
    expect(result).toMatchObject({ healthy: true, detail: 'read back a concurrent probe started after ours' });
  });

  test('a payload that is not a probe message is a mismatch', async () => {
    dataMock.on(PublishCommand).resolves({});
    dataMock.on(GetRetainedMessageCommand).resolves({ topic: TOPIC, payload: new TextEncoder().encode('hello') });
    const result = await runProbe(dataPlane({ client: async () => client, rereadDelayMs: 1 }), 1000);
    expect(result).toMatchObject({ healthy: false, detail: 'retained message mismatch: read back no probe message' });
  });
});

describe('iot registry read (IoT emulator)', () => {
  test('ListThings answers: healthy (an empty registry too)', async () => {
    expect(await runProbe(iotRegistryProbe({ name: 'iot-registry', client: iot }), 1000)).toMatchObject({ healthy: true });
    expect(emulator.callCounts().ListThings).toBe(1);
  });

  test('ListThings throttled: unhealthy', async () => {
    emulator.throttleNext(1, ['ListThings']);
    const result = await runProbe(iotRegistryProbe({ name: 'iot-registry', client: iot }), 1000);
    expect(result).toMatchObject({ healthy: false });
    expect(result.detail).toMatch(/^ThrottlingException/);
  });
});

describe('user Lambda checks', () => {
  const lambdaClient = new LambdaClient({ region: REGION, credentials });
  const lambdaMock = mockClient(lambdaClient);
  afterEach(() => lambdaMock.reset());
  afterAll(() => lambdaMock.restore());
  const answer = (value: unknown, functionError?: string) => ({
    StatusCode: 200,
    Payload: new TextEncoder().encode(JSON.stringify(value)) as never,
    ...(functionError ? { FunctionError: functionError } : {}),
  });
  const probe = () => lambdaProbe({ name: 'app', functionName: 'arn:aws:lambda:us-west-2:123456789012:function:app-health', client: lambdaClient });

  test.each([
    ['{ healthy: true }', { healthy: true }, undefined, true],
    ['a 2xx statusCode', { statusCode: 204 }, undefined, true],
    ['a 2xx statusCode saying healthy: false', { statusCode: 200, healthy: false }, undefined, false],
    ['{ healthy: false }', { healthy: false }, undefined, false],
    ['a 500 statusCode', { statusCode: 500 }, undefined, false],
    ['a function error', { errorMessage: 'boom' }, 'Unhandled', false],
  ])('%s', async (_label, value, functionError, healthy) => {
    lambdaMock.on(InvokeCommand).resolves(answer(value, functionError));
    expect((await runProbe(probe(), 1000)).healthy).toBe(healthy);
    expect(lambdaMock.commandCalls(InvokeCommand)[0].args[0].input.FunctionName).toBe('arn:aws:lambda:us-west-2:123456789012:function:app-health');
  });
});

describe('user URL checks (loopback)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200).end('fine');
      else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/hang') return; // never answers
      else res.writeHead(500).end('broken');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('2xx is healthy; 5xx and redirects are not', async () => {
    const results = await runChecks(
      [urlProbe({ name: 'ok', url: `${base}/ok` }), urlProbe({ name: 'broken', url: `${base}/broken` }), urlProbe({ name: 'moved', url: `${base}/moved` })],
      1000,
    );
    expect(results.map((r) => [r.name, r.healthy, r.detail])).toEqual([
      ['ok', true, undefined],
      ['broken', false, 'HTTP 500'],
      ['moved', false, 'HTTP 302'],
    ]);
  });

  test('a URL that never answers is unhealthy within its timeout, and the others are not held up', async () => {
    const results = await runChecks([urlProbe({ name: 'hang', url: `${base}/hang` }), urlProbe({ name: 'ok', url: `${base}/ok` })], 50);
    expect(results[0]).toMatchObject({ name: 'hang', healthy: false, detail: 'Timeout: no answer within 50 ms' });
    expect(results[1]).toMatchObject({ name: 'ok', healthy: true });
  });
});

describe('timeouts (fake timers)', () => {
  afterEach(() => jest.useRealTimers());

  test('a check that never answers is reported unhealthy at its timeout, its signal aborted', async () => {
    jest.useFakeTimers();
    let signal: AbortSignal | undefined;
    const never = { name: 'never', run: (s: AbortSignal) => ((signal = s), new Promise<void>(() => undefined)) };
    const quick = { name: 'quick', run: async () => undefined };
    const pending = runChecks([never, quick], 2000);
    await jest.advanceTimersByTimeAsync(1999);
    expect(signal?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const results = await pending;
    expect(results).toEqual([
      { name: 'never', healthy: false, ms: 2000, detail: 'Timeout: no answer within 2000 ms' },
      { name: 'quick', healthy: true, ms: 0 },
    ]);
    expect(signal?.aborted).toBe(true);
  });

  test('a check that throws is unhealthy with its error; one that answers unhealthy keeps its detail', async () => {
    const results = await runChecks(
      [
        { name: 'throws', run: async () => Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException' })) },
        { name: 'says-no', run: async () => ({ healthy: false, detail: 'queue full' }) },
      ],
      1000,
    );
    expect(results.map((r) => [r.healthy, r.detail])).toEqual([
      [false, 'ThrottlingException: slow down'],
      [false, 'queue full'],
    ]);
  });
});

describe('regional verdict', () => {
  test('every check against the emulator: 200 and the JSON verdict, readiness beside it', async () => {
    const health = createRegionalHealth({
      region: REGION,
      checks: [
        { kind: 'iot-data-plane', name: 'iot-data-plane' },
        { kind: 'iot-registry', name: 'iot-registry' },
      ],
      checkTimeoutMs: 1000,
      probeFor: (spec) => (spec.kind === 'iot-data-plane' ? dataPlane() : iotRegistryProbe({ name: spec.name, client: iot })),
      readiness: async () => ({ replicationLagMs: 850, parkedRecords: 0, lastDriftFound: 2 }),
    });
    const response = await health.handler();
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    const verdict = JSON.parse(response.body);
    expect(verdict).toMatchObject({
      healthy: true,
      region: REGION,
      readiness: { replicationLagMs: 850, parkedRecords: 0, lastDriftFound: 2 },
    });
    expect(verdict.checks.map((c: { name: string; healthy: boolean; ms: number }) => [c.name, c.healthy, typeof c.ms])).toEqual([
      ['iot-data-plane', true, 'number'],
      ['iot-registry', true, 'number'],
    ]);
  });

  test('one failing check: 503 naming it; readiness never decides the verdict', async () => {
    emulator.throttleNext(1, ['ListThings']);
    const health = createRegionalHealth({
      region: REGION,
      checks: [
        { kind: 'iot-data-plane', name: 'iot-data-plane' },
        { kind: 'iot-registry', name: 'iot-registry' },
      ],
      checkTimeoutMs: 1000,
      probeFor: (spec) => (spec.kind === 'iot-data-plane' ? dataPlane() : iotRegistryProbe({ name: spec.name, client: iot })),
      readiness: async () => {
        throw new Error('cloudwatch down');
      },
      log: () => undefined,
    });
    const response = await health.handler();
    expect(response.statusCode).toBe(503);
    const verdict = JSON.parse(response.body);
    expect(verdict.healthy).toBe(false);
    expect(verdict.checks.filter((c: { healthy: boolean }) => !c.healthy).map((c: { name: string }) => c.name)).toEqual(['iot-registry']);
    expect(verdict.readiness).toEqual({ errors: ['readiness: Error: cloudwatch down'] });
  });

  test('readiness that never answers does not hold the verdict past the check timeout', async () => {
    const health = createRegionalHealth({
      region: REGION,
      checks: [{ kind: 'url', name: 'quick', target: 'x' }],
      checkTimeoutMs: 30,
      probeFor: () => ({ name: 'quick', run: async () => undefined }),
      readiness: () => new Promise(() => undefined),
    });
    const verdict = await health.evaluate();
    expect(verdict).toMatchObject({ healthy: true, readiness: { errors: ['readiness: no answer within 30 ms'] } });
  });

  test('no checks: not healthy', async () => {
    const health = createRegionalHealth({ region: REGION, checks: [], checkTimeoutMs: 10, probeFor: () => ({ name: 'x', run: async () => undefined }) });
    expect((await health.evaluate()).healthy).toBe(false);
  });
});
