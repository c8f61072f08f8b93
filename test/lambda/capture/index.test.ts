/**
 * The Lambda entry point as deployed: configuration from the environment, real SDK clients (pointed at
 * loopback through the standard AWS_ENDPOINT_URL_* variables), dynalite, and tiny SQS and IoT stand-ins.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { HANDLERS } from '../../../lambda/contract';
import { JournalStore } from '../../../lambda/shared/journal-store';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { invokeBundle } from '../bundle-runner';
import { cloudTrailEvent } from './cloudtrail-event-builders';
import { sqsBatch, thingEvent, thingTypeAssociationEvent } from './registry-event-builders';

type Handler = (event: SQSEvent) => Promise<SQSBatchResponse>;

let tables: JournalTables;
let sqs: Server;
let iot: Server;
const sent: Array<{ target: string; body: Record<string, unknown> }> = [];
const savedEnv = { ...process.env };
let handler: Handler;
let logs: string[];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });
}

/** SQS JSON protocol, SendMessage only; the SDK checks the body MD5. */
async function fakeSqs(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = JSON.parse(await readBody(req)) as { MessageBody: string };
  sent.push({ target: String(req.headers['x-amz-target']), body: body as unknown as Record<string, unknown> });
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: createHash('md5').update(body.MessageBody).digest('hex') }));
}

/** IoT REST-JSON, DescribeThing and DescribeRoleAlias only. */
function fakeIot(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/role-aliases/edge') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ roleAliasDescription: { roleAlias: 'edge', roleArn: 'arn:aws:iam::123456789012:role/edge', credentialDurationSeconds: 900 } }));
    return;
  }
  if (req.method === 'GET' && req.url === '/things/Legacy') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ thingName: 'Legacy', attributes: { fw: '2' }, version: 3 }));
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
  res.end(JSON.stringify({ message: 'not found' }));
}

beforeAll(async () => {
  tables = await startJournalTables();
  sqs = createServer((req, res) => void fakeSqs(req, res));
  iot = createServer(fakeIot);
  const sqsUrl = await listen(sqs);
  const iotUrl = await listen(iot);
  Object.assign(process.env, {
    AWS_REGION: 'eu-central-1',
    AWS_ENDPOINT_URL_DYNAMODB: tables.endpoint,
    AWS_ENDPOINT_URL_SQS: sqsUrl,
    AWS_ENDPOINT_URL_IOT: iotUrl,
    JOURNAL_TABLE_NAME: tables.journalTable,
    ECHO_LEDGER_TABLE_NAME: tables.ledgerTable,
    DEAD_LETTER_QUEUE_URL: `${sqsUrl}/123456789012/iot-dr-capture-dlq`,
    TOMBSTONE_TTL_SECONDS: '60',
    METRICS_NAMESPACE: 'IotDrTest',
    ACCOUNT_ID: '123456789012',
    OWN_ROLE_ARNS: 'arn:aws:iam::123456789012:role/replay-role',
    SHADOWS_ENABLED: 'false',
  });
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = (require('../../../lambda/capture/index') as { handler: Handler }).handler;
  });
});

beforeEach(() => {
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  process.env = savedEnv;
  await new Promise((r) => sqs.close(r));
  await new Promise((r) => iot.close(r));
  await tables.close();
});

test('journals events with the Lambda region as origin and emits one EMF line', async () => {
  const res = await handler(sqsBatch(thingEvent('T', 'DELETED', { timestamp: 5_000 })));
  expect(res).toEqual({ batchItemFailures: [] });
  const item = await new JournalStore(tables.doc, tables.journalTable).get('thing#T', 'thing#T');
  expect(item).toMatchObject({ originRegion: 'eu-central-1', deleted: true });
  expect(item!.expiresAt! - item!.capturedAt / 1000).toBeCloseTo(60, -1);
  const emf = logs.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
  expect(emf).toHaveLength(1);
  expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('IotDrTest');
  expect(emf[0].EventsCaptured).toBe(1);
});

test('reads pre-replication entities through IoT DescribeThing', async () => {
  await handler(sqsBatch(thingTypeAssociationEvent('Legacy', 'Pump', 'CREATED', { timestamp: 6_000 })));
  const item = await new JournalStore(tables.doc, tables.journalTable).get('thing#Legacy', 'thing#Legacy');
  expect(item?.state).toEqual({ thingName: 'Legacy', thingTypeName: 'Pump', attributes: { fw: '2' } });
  await handler(sqsBatch(thingTypeAssociationEvent('Nobody', 'Pump', 'CREATED', { timestamp: 6_000 })));
  expect(await new JournalStore(tables.doc, tables.journalTable).get('thing#Nobody', 'thing#Nobody')).toBeUndefined();
});

test('sends malformed events to the dead-letter queue over SQS', async () => {
  const batch = sqsBatch('{"eventType":"THING_EVENT"}');
  expect(await handler(batch)).toEqual({ batchItemFailures: [] });
  expect(sent).toHaveLength(1);
  expect(sent[0].target).toBe('AmazonSQS.SendMessage');
  expect(sent[0].body.QueueUrl).toMatch(/iot-dr-capture-dlq$/);
  expect(JSON.parse(String(sent[0].body.MessageBody))).toEqual({
    reason: 'MalformedEvent',
    error: expect.stringContaining('topic'),
    body: '{"eventType":"THING_EVENT"}',
    messageId: batch.Records[0].messageId,
  });
});

// The asset the constructs deploy, as `npm run bundle` builds it: its SDK is tree-shaken, so run it for real.
test('the built assets/capture/index.js journals events and dead-letters malformed ones', async () => {
  const before = sent.length;
  const batch = sqsBatch(thingEvent('Bundled', 'CREATED', { timestamp: 7_000 }), '{"eventType":"THING_EVENT"}');
  const [outcome] = await invokeBundle(HANDLERS.capture.bundle, [{ exportName: HANDLERS.capture.exportName, event: batch }]);
  expect(outcome).toEqual({ result: { batchItemFailures: [] } });
  const item = await new JournalStore(tables.doc, tables.journalTable).get('thing#Bundled', 'thing#Bundled');
  expect(item).toMatchObject({ originRegion: 'eu-central-1', deleted: false, state: { thingName: 'Bundled' } });
  expect(sent.slice(before).map((s) => s.target)).toEqual(['AmazonSQS.SendMessage']);
});

test('the built asset captures CloudTrail events, reading IoT, and skips the pipeline role\'s own', async () => {
  const mine = cloudTrailEvent('CreateRoleAlias', { roleAlias: 'edge', roleArn: 'arn:aws:iam::123456789012:role/edge' }, { eventTime: '2023-11-14T22:13:20Z' });
  const echo = cloudTrailEvent('UpdateRoleAlias', { roleAlias: 'edge' }, { role: 'replay-role', eventTime: '2023-11-14T22:13:21Z', eventId: 'e-echo' });
  const [outcome] = await invokeBundle(HANDLERS.capture.bundle, [{ exportName: HANDLERS.capture.exportName, event: sqsBatch(mine, echo) }]);
  expect(outcome).toEqual({ result: { batchItemFailures: [] } });
  const readFrom = Date.now();
  const item = await new JournalStore(tables.doc, tables.journalTable).get('roleAlias#edge', 'roleAlias#edge');
  // Versioned by when capture read the role alias, never before the call (see planIdentityCapture).
  expect(item?.eventTime).toBeGreaterThan(Date.parse('2023-11-14T22:13:20Z'));
  expect(item?.eventTime).toBeLessThanOrEqual(readFrom);
  expect(item).toMatchObject({
    originRegion: 'eu-central-1',
    state: { roleAlias: 'edge', roleArn: 'arn:aws:iam::123456789012:role/edge', credentialDurationSeconds: 900 },
  });
});
