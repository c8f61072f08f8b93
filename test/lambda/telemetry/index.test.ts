/**
 * The built asset (assets/telemetry/index.js, from `npm run bundle`) as Lambda runs it: configuration
 * from the environment, credentials from the environment, PutEvents to the fake endpoint on loopback
 * (SigV4a, global endpoint id), and the SQS client to a tiny SQS stand-in.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HANDLERS, HANDLER_ENV, TELEMETRY_DEAD_LETTER_REASONS, TELEMETRY_ENV } from '../../../lambda/contract';
import { type FakeEventBridge, startFakeEventBridge } from '../../support/fake-eventbridge';
import { invokeBundle } from '../bundle-runner';
import { ruleMessage, sqsEvent, sqsRecord } from './builders';

const BUNDLE = HANDLERS.forwardTelemetry.bundle;
const BUNDLE_FILE = join(__dirname, '..', '..', '..', 'assets', BUNDLE, 'index.js');
const BUS = 'arn:aws:events:eu-central-1:333333333333:event-bus/cdk-iot-dr-telemetry';

let eb: FakeEventBridge;
let sqs: Server;
let sqsUrl: string;
const sqsCalls: Array<{ target: string; body: Record<string, unknown> }> = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });
}

/** SQS JSON protocol: SendMessage (the SDK checks the body's MD5) and ChangeMessageVisibilityBatch. */
async function fakeSqs(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
  const target = String(req.headers['x-amz-target']);
  sqsCalls.push({ target, body });
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
  if (target === 'AmazonSQS.SendMessage') {
    res.end(JSON.stringify({ MessageId: 'dlq-1', MD5OfMessageBody: createHash('md5').update(String(body.MessageBody)).digest('hex') }));
  } else {
    res.end(JSON.stringify({ Successful: (body.Entries as Array<{ Id: string }>).map((e) => ({ Id: e.Id })), Failed: [] }));
  }
}

beforeAll(async () => {
  eb = await startFakeEventBridge();
  sqs = createServer((req, res) => void fakeSqs(req, res));
  await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
  sqsUrl = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await eb.close();
  await new Promise((r) => sqs.close(r));
});

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'AKIDBUNDLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_ENDPOINT_URL_SQS: sqsUrl,
  [TELEMETRY_ENV.eventBusArn]: BUS,
  [TELEMETRY_ENV.endpointId]: 'abcde.veo',
  [TELEMETRY_ENV.endpointUrl]: eb.url,
  [TELEMETRY_ENV.bufferQueueUrl]: `${sqsUrl}/222222222222/buffer`,
  [HANDLER_ENV.deadLetterQueueUrl]: `${sqsUrl}/222222222222/dlq`,
  [HANDLER_ENV.maxReceiveCount]: '5',
});

describe('the bundle', () => {
  const source = readFileSync(BUNDLE_FILE, 'utf8');

  test('carries no native CRT (aws-crt) and stays under 500 KiB', () => {
    expect(source).not.toMatch(/aws-crt/);
    expect(source).not.toMatch(/\.node["']\)/);
    expect(statSync(BUNDLE_FILE).size).toBeLessThan(500 * 1024);
  });

  test('carries the pure-JS SigV4a signer', () => {
    expect(source).toContain('AWS4-ECDSA-P256-SHA256');
  });
});

test('the built handler forwards through the global endpoint with SigV4a, holds what failed and dead-letters the malformed', async () => {
  eb.failNext({ kind: 'entryErrors', code: 'ThrottlingException', indexes: [1] }, { kind: 'http', status: 500 }, { kind: 'http', status: 500 });
  const event = sqsEvent([sqsRecord(ruleMessage(1), 'b-1'), sqsRecord(ruleMessage(2), 'b-2', 2), sqsRecord('binary', 'b-3')]);
  const [outcome] = await invokeBundle(BUNDLE, [{ exportName: HANDLERS.forwardTelemetry.exportName, event }], env());
  expect(outcome).toEqual({ result: { batchItemFailures: [{ itemIdentifier: 'b-2' }] } });
  expect(eb.requests[0].headers.authorization).toMatch(/^AWS4-ECDSA-P256-SHA256 Credential=AKIDBUNDLE\//);
  expect(eb.requests[0].body.EndpointId).toBe('abcde.veo');
  expect(eb.accepted.map((e) => JSON.parse(e.Detail).messageId)).toEqual(['trace-1']);
  expect(eb.accepted[0].EventBusName).toBe(BUS);
  const visibility = sqsCalls.find((c) => c.target === 'AmazonSQS.ChangeMessageVisibilityBatch');
  expect(visibility?.body).toEqual({
    QueueUrl: `${sqsUrl}/222222222222/buffer`,
    Entries: [{ Id: 'm0', ReceiptHandle: 'rh-b-2-2', VisibilityTimeout: 60 }],
  });
  const letter = sqsCalls.find((c) => c.target === 'AmazonSQS.SendMessage');
  expect(letter?.body).toMatchObject({
    QueueUrl: `${sqsUrl}/222222222222/dlq`,
    MessageAttributes: { reason: { DataType: 'String', StringValue: TELEMETRY_DEAD_LETTER_REASONS.malformed } },
  });
  expect(JSON.parse(String(letter?.body.MessageBody))).toMatchObject({ reason: TELEMETRY_DEAD_LETTER_REASONS.malformed, messageId: 'b-3', body: 'binary' });
});
