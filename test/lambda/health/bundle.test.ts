import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGGREGATOR_ENV, HANDLERS, HEALTH_API_ENV, HEALTHY_SEARCH_STRING } from '../../../lambda/contract';
import { startIotEmulator, type IotEmulator } from '../../support/iot-emulator';
import { invokeBundle } from '../bundle-runner';

// The built bundle (assets/health/index.js), run as Lambda would, with the environment the constructs set.
// Every AWS endpoint points at loopback: the IoT emulator, or a stand-in server.
let emulator: IotEmulator;
let stub: Server;
let stubBase: string;
let mode: string | undefined;
const stubRequests: { path: string; authorization?: string; target?: string }[] = [];

beforeAll(async () => {
  emulator = await startIotEmulator({ region: 'us-west-2' });
  stub = createServer((req, res) => {
    stubRequests.push({ path: req.url ?? '', authorization: req.headers.authorization, target: req.headers['x-amz-target'] as string | undefined });
    req.resume();
    req.on('end', () => {
      if (req.headers['x-amz-target'] === 'AmazonSSM.GetParameter') {
        if (mode === undefined) res.writeHead(400).end(JSON.stringify({ __type: 'ParameterNotFound' }));
        else res.writeHead(200).end(JSON.stringify({ Parameter: { Value: mode } }));
        return;
      }
      const healthy = req.url === '/v1/health';
      res
        .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ healthy, region: 'us-west-2', checks: [{ name: 'iot-data-plane', healthy, ms: 3 }] }));
    });
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  stubBase = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
});
afterAll(async () => {
  stub.closeAllConnections();
  await new Promise((resolve) => stub.close(resolve));
  await emulator.close();
});

const baseEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  AWS_REGION: 'us-west-2',
  AWS_ACCESS_KEY_ID: 'health-role',
  AWS_SECRET_ACCESS_KEY: 'x',
  AWS_SESSION_TOKEN: 'token',
  AWS_EC2_METADATA_DISABLED: 'true',
});

test('regionalHealth: the IoT round trip and registry read against the emulator, 200 and the verdict', async () => {
  const [outcome] = await invokeBundle('health', [{ exportName: HANDLERS.regionalHealth.exportName, event: { httpMethod: 'GET', path: '/health' } }], {
    ...baseEnv(),
    // Every SDK client of the bundle: the emulator (CloudWatch answers it 404: readiness reports the error).
    AWS_ENDPOINT_URL: emulator.endpoint,
    [HEALTH_API_ENV.iotDataEndpoint]: emulator.endpoint,
    [HEALTH_API_ENV.checks]: JSON.stringify([
      { kind: 'iot-data-plane', name: 'iot-data-plane' },
      { kind: 'iot-registry', name: 'iot-registry' },
    ]),
    [HEALTH_API_ENV.checkTimeoutMs]: '3000',
  });
  const result = (outcome as { result: { statusCode: number; body: string } }).result;
  expect(result.statusCode).toBe(200);
  const verdict = JSON.parse(result.body);
  expect(verdict).toMatchObject({ healthy: true, region: 'us-west-2' });
  expect(verdict.checks.map((c: { name: string; healthy: boolean }) => [c.name, c.healthy])).toEqual([
    ['iot-data-plane', true],
    ['iot-registry', true],
  ]);
  expect(verdict.readiness.errors[0]).toMatch(/^metrics: /);
  expect(emulator.callCounts()).toMatchObject({ Publish: 1, GetRetainedMessage: 1, ListThings: 1 });
});

test('aggregateHealth: signed calls to the health APIs, the manual mode from SSM, the Route 53 answer', async () => {
  const env = {
    ...baseEnv(),
    AWS_ENDPOINT_URL_SSM: `${stubBase}/`,
    [AGGREGATOR_ENV.regionRole]: 'primary',
    [AGGREGATOR_ENV.healthApis]: JSON.stringify([
      { name: 'iot-services', url: `${stubBase}/v1/health` },
      { name: 'command-control', url: `${stubBase}/v1/health` },
    ]),
  };
  mode = undefined;
  const [healthy] = await invokeBundle('health', [{ exportName: HANDLERS.aggregateHealth.exportName, event: {} }], env);
  const answer = (healthy as { result: { statusCode: number; body: string } }).result;
  expect(answer.statusCode).toBe(200);
  expect(answer.body.startsWith(`{${HEALTHY_SEARCH_STRING}`)).toBe(true);
  expect(stubRequests.filter((r) => r.path === '/v1/health').every((r) => /execute-api\/aws4_request/.test(r.authorization ?? ''))).toBe(true);
  expect(stubRequests.some((r) => r.target === 'AmazonSSM.GetParameter' && /\/ssm\/aws4_request/.test(r.authorization ?? ''))).toBe(true);

  mode = 'force-secondary';
  const [forced] = await invokeBundle('health', [{ exportName: HANDLERS.aggregateHealth.exportName, event: {} }], env);
  const forcedAnswer = (forced as { result: { statusCode: number; body: string } }).result;
  expect(forcedAnswer.statusCode).toBe(503);
  expect(JSON.parse(forcedAnswer.body)).toMatchObject({ status: 'UNHEALTHY', mode: 'force-secondary', failing: ['manual-mode:force-secondary'] });
});
