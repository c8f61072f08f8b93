/**
 * The Lambda entry point as deployed: configuration from the environment, the real SDK clients pointed at
 * loopback through AWS_ENDPOINT_URL_*: an STS stand-in (AssumeRole of the access role), the IoT emulator,
 * dynalite for the journal, echo ledger and idempotency tables. Run in-process and as the built asset.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HANDLERS, IDEMPOTENCY_ATTR } from '../../../lambda/contract';
import { JournalStore } from '../../../lambda/shared/journal-store';
import { type IotEmulator, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { invokeBundle } from '../bundle-runner';
import { apiEvent, iotClient, POLICY, setUpRegion } from './harness';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const REGION = 'eu-central-1';
const ACCESS_ROLE = 'arn:aws:iam::123456789012:role/cdk-iot-dr-command-access-eu-central-1';
let tables: JournalTables;
let emulator: IotEmulator;
let sts: Server;
const assumed: string[] = [];
const savedEnv = { ...process.env };
let env: NodeJS.ProcessEnv;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });
}

/** STS query protocol, AssumeRole only: the credentials' access key id is the role name the emulator records. */
async function fakeSts(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
  const params = new URLSearchParams(await readBody(req));
  assumed.push(String(params.get('RoleArn')));
  res.writeHead(200, { 'content-type': 'text/xml' });
  res.end(
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
      '<AccessKeyId>command-access</AccessKeyId><SecretAccessKey>x</SecretAccessKey><SessionToken>t</SessionToken>' +
      '<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/a/b</Arn>' +
      '<AssumedRoleId>AROA:b</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>',
  );
}

beforeAll(async () => {
  tables = await startJournalTables({ region: REGION });
  emulator = await startIotEmulator({ region: REGION, quotaScale: 1000 });
  sts = createServer((req, res) => void fakeSts(req, res));
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
  await tables.client.send(
    new CreateTableCommand({
      TableName: 'idempotency',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_ATTR.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: IDEMPOTENCY_ATTR.partitionKey, KeyType: 'HASH' }],
    }),
  );
  for (let i = 0; i < 200; i++) {
    if ((await tables.client.send(new DescribeTableCommand({ TableName: 'idempotency' }))).Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await setUpRegion(iotClient(emulator));
  env = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'command-function',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(sts.address() as AddressInfo).port}`,
    AWS_ENDPOINT_URL_IOT: emulator.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: tables.endpoint,
    // CloudWatch is not reachable: status reports the missing figures, nothing fails.
    AWS_ENDPOINT_URL_CLOUDWATCH: 'http://127.0.0.1:9',
    AWS_MAX_ATTEMPTS: '1',
    IOT_SERVICES_ACCOUNT: '123456789012',
    ACCESS_ROLE_ARN: ACCESS_ROLE,
    JOURNAL_TABLE_NAME: tables.journalTable,
    ECHO_LEDGER_TABLE_NAME: tables.ledgerTable,
    IDEMPOTENCY_TABLE_NAME: 'idempotency',
    METRICS_NAMESPACE: 'IotDrTest',
  };
});

afterAll(async () => {
  process.env = savedEnv;
  await new Promise((r) => sts.close(r));
  await emulator.close();
  await tables.close();
});

test('in-process: assumes the access role once, onboards through it and journals', async () => {
  Object.assign(process.env, env);
  let handler!: Handler;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require('../../../lambda/command/index') as { handler: Handler }).handler;
  });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const res = await handler(apiEvent('POST', '/devices', { key: 'index-key-0001', body: { thingName: 'wired-1', policyName: POLICY } }));
  expect(res.statusCode).toBe(201);
  const status = await handler(apiEvent('GET', '/devices/{thingName}', { thingName: 'wired-1' }));
  expect(status.statusCode).toBe(200);
  expect(JSON.parse(status.body).regions[0].replication.errors[0]).toMatch(/^metrics: /);
  expect(assumed).toEqual([ACCESS_ROLE]);
  expect(await new JournalStore(tables.doc, tables.journalTable).get('thing#wired-1', 'thing#wired-1')).toMatchObject({ originRegion: REGION, deleted: false });
  jest.restoreAllMocks();
});

// The asset the constructs deploy, as `npm run bundle` builds it: its SDK is tree-shaken, so run it for real.
test('the built assets/command/index.js onboards, answers retries from the idempotency table and journals', async () => {
  const { bundle, exportName } = HANDLERS.commandApi;
  const event = apiEvent('POST', '/devices', { key: 'bundle-key-0001', body: { thingName: 'bundled-1', policyName: POLICY } });
  const [first, retry] = await invokeBundle(
    bundle,
    [
      { exportName, event },
      { exportName, event },
    ],
    { ...process.env, ...env },
  );
  const a = (first as { result: APIGatewayProxyResult }).result;
  const b = (retry as { result: APIGatewayProxyResult }).result;
  expect(a.statusCode).toBe(201);
  expect(JSON.parse(a.body).privateKey).toContain('PRIVATE KEY');
  expect(b.statusCode).toBe(201);
  expect(JSON.parse(b.body).privateKey).toBeUndefined();
  expect(await new JournalStore(tables.doc, tables.journalTable).get('thing#bundled-1', 'thing#bundled-1')).toMatchObject({ originRegion: REGION });
});
