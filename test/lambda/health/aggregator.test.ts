import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { HEALTHY_SEARCH_STRING, type ManualMode } from '../../../lambda/contract';
import { createAggregator } from '../../../lambda/health/aggregator';
import { ManualModeCache, ssmParameterReader } from '../../../lambda/health/manual-mode';
import { credentialsFromEnv, sendSigned } from '../../../lambda/shared/signed-request';

const REGION = 'us-west-2';
const CREDENTIALS = { accessKeyId: 'AKIDAGGREGATOR', secretAccessKey: 'aggregator-secret', sessionToken: 'session-token' };
const credentials = async () => CREDENTIALS;

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Whether the SigV4 signature matches one the server computes itself with the same secret. */
  readonly signatureValid: boolean;
}

/** A loopback stand-in for a SigV4-protected AWS endpoint: records requests, verifies their signature. */
async function signedServer(service: string, answer: (req: Received) => { status: number; body: string } | 'hang') {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signatureValid = await verifySignature(service, req, body);
      const record = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, signatureValid };
      received.push(record);
      const reply = answer(record);
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function verifySignature(service: string, req: IncomingMessage, body: string): Promise<boolean> {
  const authorization = String(req.headers.authorization ?? '');
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (signedHeaders.length === 0 || !amzDate) return false;
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = String(req.headers[name]);
  const signer = new SignatureV4({ service, region: REGION, credentials, sha256: Sha256 });
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const expected = await signer.sign(
    { method: req.method ?? 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers, ...(body ? { body } : {}) },
    { signingDate: date },
  );
  return expected.headers.authorization === authorization;
}

const verdictBody = (healthy: boolean, checks: { name: string; healthy: boolean; detail?: string }[]) =>
  JSON.stringify({ healthy, region: REGION, checks: checks.map((c) => ({ ms: 5, ...c })) });

describe('sendSigned (SigV4 against a loopback server)', () => {
  test('signs with the execute-api service, the region, the session token, and a signature the server can verify', async () => {
    const server = await signedServer('execute-api', () => ({ status: 200, body: '{}' }));
    try {
      const answer = await sendSigned({ url: `${server.base}/v1/health?x=1`, method: 'GET', service: 'execute-api', region: REGION }, credentials);
      expect(answer).toEqual({ status: 200, body: '{}' });
      const [req] = server.received;
      expect(req.path).toBe('/v1/health?x=1');
      expect(req.headers.authorization).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDAGGREGATOR/\\d{8}/${REGION}/execute-api/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$`),
      );
      expect(req.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(req.headers['x-amz-security-token']).toBe('session-token');
      expect(req.signatureValid).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('a signature made with another secret does not verify (the check above is meaningful)', async () => {
    const server = await signedServer('execute-api', () => ({ status: 200, body: '{}' }));
    try {
      await sendSigned({ url: `${server.base}/v1/health`, method: 'GET', service: 'execute-api', region: REGION }, async () => ({ ...CREDENTIALS, secretAccessKey: 'other' }));
      expect(server.received[0].signatureValid).toBe(false);
    } finally {
      await server.close();
    }
  });

  test('credentialsFromEnv reads the Lambda runtime variables and names what is missing', async () => {
    await expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' })()).resolves.toEqual({
      accessKeyId: 'a',
      secretAccessKey: 'b',
      sessionToken: 'c',
    });
    await expect(credentialsFromEnv({})()).rejects.toThrow('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set');
  });
});

describe('aggregator against loopback health APIs', () => {
  let iot: Awaited<ReturnType<typeof signedServer>>;
  let command: Awaited<ReturnType<typeof signedServer>>;
  let analytics: Awaited<ReturnType<typeof signedServer>>;
  let iotAnswer: () => { status: number; body: string } | 'hang';
  let commandAnswer: () => { status: number; body: string } | 'hang';
  let analyticsAnswer: () => { status: number; body: string } | 'hang';

  beforeAll(async () => {
    iot = await signedServer('execute-api', () => iotAnswer());
    command = await signedServer('execute-api', () => commandAnswer());
    analytics = await signedServer('execute-api', () => analyticsAnswer());
  });
  afterAll(async () => Promise.all([iot.close(), command.close(), analytics.close()]));
  beforeEach(() => {
    for (const s of [iot, command, analytics]) s.received.length = 0;
    const healthy = () => ({ status: 200, body: verdictBody(true, [{ name: 'a', healthy: true }]) });
    iotAnswer = healthy;
    commandAnswer = healthy;
    analyticsAnswer = healthy;
  });

  function aggregator(options: { mode?: ManualMode; role?: 'primary' | 'secondary'; timeoutMs?: number; cacheMs?: number; clock?: { now(): number } } = {}) {
    return createAggregator({
      region: REGION,
      role: options.role ?? 'primary',
      healthApis: [
        { name: 'iot-services', url: `${iot.base}/v1/health` },
        { name: 'command-control', url: `${command.base}/v1/health` },
        { name: 'data-analytics', url: `${analytics.base}/v1/health` },
      ],
      healthApiTimeoutMs: options.timeoutMs ?? 1000,
      verdictCacheMs: options.cacheMs ?? 5000,
      manualMode: async () => options.mode ?? 'auto',
      callHealthApi: (api, signal) => sendSigned({ url: api.url, method: 'GET', service: 'execute-api', region: REGION, signal }, credentials),
      ...(options.clock ? { clock: options.clock } : {}),
      log: () => undefined,
    });
  }

  test('all healthy: 200, the search string, every API called once with a valid SigV4 signature', async () => {
    const response = await aggregator().handler();
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(HEALTHY_SEARCH_STRING);
    expect(JSON.parse(response.body)).toMatchObject({ healthy: true, failing: [], region: REGION, role: 'primary', mode: 'auto' });
    for (const server of [iot, command, analytics]) {
      expect(server.received).toHaveLength(1);
      expect(server.received[0]).toMatchObject({ method: 'GET', path: '/v1/health', signatureValid: true });
    }
  });

  test("one API's check failing: 503 naming <api>/<check>", async () => {
    iotAnswer = () => ({
      status: 503,
      body: verdictBody(false, [
        { name: 'iot-data-plane', healthy: false, detail: 'ThrottlingException: Rate exceeded' },
        { name: 'iot-registry', healthy: true },
      ]),
    });
    const response = await aggregator().handler();
    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain(HEALTHY_SEARCH_STRING);
    expect(JSON.parse(response.body).failing).toEqual(['iot-services/iot-data-plane']);
  });

  test('an API that never answers is failed at the per-call timeout; the others still count', async () => {
    analyticsAnswer = () => 'hang';
    const response = await aggregator({ timeoutMs: 100 }).handler();
    const verdict = JSON.parse(response.body);
    expect(response.statusCode).toBe(503);
    expect(verdict.failing).toEqual(['data-analytics']);
    expect(verdict.checks.find((c: { name: string }) => c.name === 'data-analytics')).toMatchObject({ healthy: false, detail: 'Timeout: no answer within 100 ms' });
    expect(verdict.checks.filter((c: { healthy: boolean }) => c.healthy)).toHaveLength(2);
  });

  test("a resource policy's 403 fails the API as a whole", async () => {
    commandAnswer = () => ({ status: 403, body: '{"Message":"User is not authorized to access this resource with an explicit deny"}' });
    const verdict = JSON.parse((await aggregator().handler()).body);
    expect(verdict.failing).toEqual(['command-control']);
    expect(verdict.checks[1].detail).toMatch(/^HTTP 403: /);
  });

  test.each([
    ['force-primary', 'primary', false, 200],
    ['force-primary', 'secondary', true, 503],
    ['force-secondary', 'primary', true, 503],
    ['force-secondary', 'secondary', false, 200],
  ] as const)('manual mode %s in the %s region (checks healthy=%s) answers %d', async (mode, role, checksHealthy, status) => {
    if (!checksHealthy) iotAnswer = () => ({ status: 503, body: verdictBody(false, [{ name: 'iot-data-plane', healthy: false }]) });
    const response = await aggregator({ mode, role }).handler();
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toMatchObject({ mode, role });
  });

  test('50 concurrent callers: one evaluation, one call per health API, the same answer for all', async () => {
    const agg = aggregator();
    const responses = await Promise.all(Array.from({ length: 50 }, () => agg.handler()));
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    expect(agg.cache.evaluations).toBe(1);
    for (const server of [iot, command, analytics]) expect(server.received).toHaveLength(1);
  });

  test('the verdict is reused for the cache period, then evaluated again', async () => {
    let now = 0;
    const agg = aggregator({ cacheMs: 5000, clock: { now: () => now } });
    await agg.handler();
    now = 4999;
    await agg.handler();
    expect(iot.received).toHaveLength(1);
    now = 5000;
    await agg.handler();
    expect(iot.received).toHaveLength(2);
  });
});

describe('manual mode from SSM', () => {
  test('GetParameter over SSM JSON API, signed for ssm; a missing parameter means auto', async () => {
    let value: string | undefined = 'force-secondary';
    const ssm = await signedServer('ssm', () =>
      value === undefined
        ? { status: 400, body: JSON.stringify({ __type: 'ParameterNotFound', message: '' }) }
        : { status: 200, body: JSON.stringify({ Parameter: { Name: '/cdk-iot-dr/failover/mode', Value: value } }) },
    );
    try {
      const read = ssmParameterReader({ parameterName: '/cdk-iot-dr/failover/mode', region: REGION, credentials, timeoutMs: 500, endpoint: `${ssm.base}/` });
      await expect(read()).resolves.toBe('force-secondary');
      const [req] = ssm.received;
      expect(req).toMatchObject({ method: 'POST', signatureValid: true, body: '{"Name":"/cdk-iot-dr/failover/mode"}' });
      expect(req.headers).toMatchObject({ 'x-amz-target': 'AmazonSSM.GetParameter', 'content-type': 'application/x-amz-json-1.1' });
      expect(req.headers.authorization).toContain(`/${REGION}/ssm/aws4_request`);
      value = undefined;
      await expect(read()).resolves.toBeUndefined();
      const mode = new ManualModeCache({ read, ttlMs: 0 });
      await expect(mode.get()).resolves.toBe('auto');
    } finally {
      await ssm.close();
    }
  });

  test('AccessDenied is an error, not auto', async () => {
    const ssm = await signedServer('ssm', () => ({ status: 400, body: JSON.stringify({ __type: 'AccessDeniedException' }) }));
    try {
      const read = ssmParameterReader({ parameterName: '/m', region: REGION, credentials, timeoutMs: 500, endpoint: `${ssm.base}/` });
      await expect(read()).rejects.toThrow(/HTTP 400/);
    } finally {
      await ssm.close();
    }
  });

  test('cached for its TTL; an unreadable parameter keeps the last mode; a value that is not a mode means auto', async () => {
    let now = 0;
    const logs: string[] = [];
    let next: () => Promise<string | undefined> = async () => 'force-primary';
    const read = jest.fn(() => next());
    const mode = new ManualModeCache({ read, ttlMs: 5000, clock: { now: () => now }, log: (m) => logs.push(m) });
    await expect(mode.get()).resolves.toBe('force-primary');
    now = 4000;
    await expect(mode.get()).resolves.toBe('force-primary');
    expect(read).toHaveBeenCalledTimes(1);
    now = 5000;
    next = async () => {
      throw new Error('SSM unavailable');
    };
    await expect(mode.get()).resolves.toBe('force-primary');
    expect(logs[0]).toMatch(/could not read the parameter \(Error: SSM unavailable\); using force-primary/);
    now = 10_000;
    next = async () => 'force-sideways';
    await expect(mode.get()).resolves.toBe('auto');
    expect(logs[1]).toMatch(/'force-sideways' is not one of/);
  });

  test('with nothing read yet, an unreadable parameter means auto', async () => {
    const mode = new ManualModeCache({ read: async () => Promise.reject(new Error('x')), log: () => undefined });
    await expect(mode.get()).resolves.toBe('auto');
  });
});
