/**
 * The capture handler's CloudTrail and shadow paths against the IoT emulator (its CloudTrail events and
 * shadow messages, exactly as the capture queue would receive them) and the journal on dynalite.
 */
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleAliasCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteThingCommand,
  DeletePolicyCommand,
  IoTClient,
  RegisterCertificateWithoutCACommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { DeleteThingShadowCommand, IoTDataPlaneClient, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import type { SQSEvent } from 'aws-lambda';
import { createCaptureHandler } from '../../../lambda/capture/capture-handler';
import { ownRoles } from '../../../lambda/capture/cloudtrail-events';
import type { DeadLetter } from '../../../lambda/capture/dead-letters';
import { iotIdentityReader } from '../../../lambda/capture/identity-capture';
import { REPLAY_CLIENT_TOKEN_PREFIX } from '../../../lambda/contract';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { stateHash, TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { JournalStore } from '../../../lambda/shared/journal-store';
import type { JournalItem } from '../../../lambda/shared/model';
import { iotRegistryReader } from '../../../lambda/shared/registry-adapter';
import type { Metric } from '../../../lambda/shared/telemetry';
import { makeVersion } from '../../../lambda/shared/version';
import { type CloudTrailEvent, type IotEmulator, type MqttMessage, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { issueCertificate } from '../../support/x509';
import { ACCOUNT, cloudTrailEvent } from './cloudtrail-event-builders';

const REGION = 'us-east-1';
const REPLAY_ROLE = 'replay-role';
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:${REGION}:${ACCOUNT}:client/\${iot:Connection.Thing.ThingName}` }] });

let tables: JournalTables;
let emulator: IotEmulator;
let clock = Date.parse('2026-01-05T10:00:00.250Z');
let seq = 0;
const output: string[] = [];

beforeAll(async () => {
  tables = await startJournalTables({ region: REGION });
  emulator = await startIotEmulator({ region: REGION, accountId: ACCOUNT, now: () => clock });
  // Everything the handler logs, for the key-material grep.
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void output.push(args.map(String).join(' ')));
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void output.push(args.map(String).join(' ')));
});
afterAll(async () => {
  jest.restoreAllMocks();
  await emulator.close();
  await tables.close();
});
beforeEach(() => {
  emulator.reset();
  clock += 60_000;
});

const clientAs = (role: string) => ({ region: REGION, endpoint: emulator.endpoint, credentials: { accessKeyId: role, secretAccessKey: 'x' }, maxAttempts: 1 });

interface HarnessOptions {
  readonly shadowsEnabled?: boolean;
  readonly maxReceiveCount?: number;
}

async function harness(options: HarnessOptions = {}) {
  const names = await tables.createTables(`id${++seq}`);
  const journal = new JournalStore(tables.doc, names.journalTable);
  const ledger = new EchoLedgerStore(tables.doc, names.ledgerTable);
  const readerIot = new IoTClient(clientAs('capture-role'));
  const dlq: DeadLetter[] = [];
  const emitted: Metric[][] = [];
  const handler = createCaptureHandler({
    journal,
    ledger,
    deadLetters: { send: async (l) => void dlq.push(l) },
    iot: iotRegistryReader(readerIot),
    identities: iotIdentityReader(readerIot, new IoTDataPlaneClient(clientAs('capture-role')), { region: REGION, accountId: ACCOUNT }),
    ownRoles: ownRoles([`arn:aws:iam::${ACCOUNT}:role/${REPLAY_ROLE}`]),
    shadowsEnabled: options.shadowsEnabled ?? true,
    ...(options.maxReceiveCount !== undefined ? { maxReceiveCount: options.maxReceiveCount } : {}),
    region: REGION,
    // The emulator's clock: capture versions identity changes by when it reads them (see planIdentityCapture).
    now: () => clock,
    tombstoneTtlSeconds: 3600,
    emit: (_ns, _dims, metrics) => void emitted.push([...metrics]),
  });
  const trail: CloudTrailEvent[] = [];
  const shadows: MqttMessage[] = [];
  const stopTrail = emulator.onCloudTrail((e) => trail.push(e));
  const stopMessages = emulator.onMessage((m) => {
    if (m.topic.endsWith('/update/documents') || m.topic.endsWith('/delete/accepted')) shadows.push(m);
  });
  /** The CloudTrail events and shadow messages delivered so far (deliveries are asynchronous), as queue bodies. */
  const delivered = async (): Promise<Record<string, unknown>[]> => {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const bodies = [...trail.splice(0).map((e) => e as unknown as Record<string, unknown>), ...shadows.splice(0).map((m) => ({ ...m.payload, topic: m.topic }))];
    return bodies;
  };
  let messageSeq = 0;
  const batch = (bodies: readonly (Record<string, unknown> | string)[], receiveCount = 1): SQSEvent => ({
    Records: bodies.map((b) => ({
      messageId: `m-${++messageSeq}`,
      receiptHandle: 'r',
      body: typeof b === 'string' ? b : JSON.stringify(b),
      attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:capture',
      awsRegion: REGION,
    })),
  });
  /** Captures everything delivered so far, in one batch; returns the failed message ids. */
  const capture = async (bodies?: readonly (Record<string, unknown> | string)[], receiveCount = 1) => {
    const res = await handler(batch(bodies ?? (await delivered()), receiveCount));
    return res.batchItemFailures.map((f) => f.itemIdentifier);
  };
  const totals = () => {
    const t: Record<string, number> = {};
    for (const line of emitted) for (const m of line) t[m.name] = (t[m.name] ?? 0) + m.value;
    return t;
  };
  const get = (pk: string, sk = pk) => journal.get(pk, sk);
  const close = () => {
    stopTrail();
    stopMessages();
  };
  return { handler, journal, ledger, dlq, capture, delivered, batch, totals, get, close };
}

const operator = () => new IoTClient(clientAs('operator'));
const data = (role: string) => new IoTDataPlaneClient(clientAs(role));
const update = (client: IoTDataPlaneClient, thingName: string, doc: Record<string, unknown>, shadowName?: string) =>
  client.send(new UpdateThingShadowCommand({ thingName, ...(shadowName ? { shadowName } : {}), payload: Buffer.from(JSON.stringify(doc)) }));
const replay = () => new IoTClient(clientAs(REPLAY_ROLE));

async function newCertificate(iot: IoTClient): Promise<{ id: string; arn: string; pem: string }> {
  const res = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  return { id: res.certificateId!, arn: res.certificateArn!, pem: res.certificatePem! };
}

describe('device identities from CloudTrail', () => {
  test('a device registered, attached, suspended and deleted: the journal follows each step', async () => {
    const h = await harness();
    const iot = operator();
    const cert = await newCertificate(iot);
    await iot.send(new CreatePolicyCommand({ policyName: 'DevicePolicy', policyDocument: POLICY }));
    await iot.send(new AttachPolicyCommand({ policyName: 'DevicePolicy', target: cert.arn }));
    await iot.send(new CreateThingCommand({ thingName: 'sensor-1' }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'sensor-1', principal: cert.arn }));
    expect(await h.capture()).toEqual([]);

    const certItem = await h.get(`cert#${cert.id}`);
    expect(certItem).toMatchObject({ kind: 'cert', deleted: false, originRegion: REGION, state: { certificateId: cert.id, status: 'ACTIVE', certificatePem: cert.pem.trim() } });
    expect(certItem!.version).toMatch(/^\d{15}#us-east-1#000000000000#/);
    // Ordered by when capture read the state (CloudTrail's own times have one-second precision).
    expect(certItem!.eventTime).toBe(clock);
    expect((await h.get('policy#DevicePolicy'))?.state).toEqual({
      policyName: 'DevicePolicy',
      documents: [expect.stringContaining('arn:aws:iot:{{cdk-iot-dr:region}}:{{cdk-iot-dr:account}}:client/')],
      defaultIndex: 0,
    });
    expect(await h.get('policy#DevicePolicy', `policyTarget#DevicePolicy#cert/${cert.id}`)).toMatchObject({
      ref: `cert#${cert.id}`,
      deleted: false,
      state: { policyName: 'DevicePolicy', target: `cert/${cert.id}` },
    });
    expect(await h.get('thing#sensor-1', `principal#sensor-1#${cert.id}`)).toMatchObject({ ref: `cert#${cert.id}`, deleted: false, state: { thingName: 'sensor-1', certificateId: cert.id } });
    // Four CloudTrail events (CreateThing is a registry event, not enabled here).
    expect(h.totals()).toMatchObject({ EventsCaptured: 4, EchoesSuppressed: 0, MalformedEvents: 0, EventsSkipped: 0 });

    clock += 1000;
    await iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'INACTIVE' }));
    expect(await h.capture()).toEqual([]);
    expect((await h.get(`cert#${cert.id}`))?.state).toMatchObject({ status: 'INACTIVE' });
    // What capture read is what this region's pipeline now knows: replay may write over it.
    expect(await h.ledger.knownState(`cert#${cert.id}`)).toMatchObject({ stateHash: (await h.get(`cert#${cert.id}`))!.stateHash });

    clock += 1000;
    await iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'REVOKED' }));
    expect(await h.capture()).toEqual([]);
    expect((await h.get(`cert#${cert.id}`))?.state).toMatchObject({ status: 'REVOKED' });
    h.close();
  });

  test('a certificate deleted while attached (forceDelete) takes its policy attachments with it', async () => {
    const h = await harness();
    const iot = operator();
    const cert = await newCertificate(iot);
    await iot.send(new CreatePolicyCommand({ policyName: 'P1', policyDocument: POLICY }));
    await iot.send(new CreatePolicyCommand({ policyName: 'P2', policyDocument: POLICY }));
    await iot.send(new AttachPolicyCommand({ policyName: 'P1', target: cert.arn }));
    await iot.send(new AttachPolicyCommand({ policyName: 'P2', target: cert.arn }));
    expect(await h.capture()).toEqual([]);
    clock += 2000;
    await iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'INACTIVE' }));
    await iot.send(new DeleteCertificateCommand({ certificateId: cert.id, forceDelete: true }));
    expect(await h.capture()).toEqual([]);
    const deleted = await h.get(`cert#${cert.id}`);
    expect(deleted).toMatchObject({ deleted: true, stateHash: TOMBSTONE_HASH });
    for (const p of ['P1', 'P2']) {
      // Under the delete's second: the update read the certificate gone too, and may have cascaded first.
      expect(await h.get(`policy#${p}`, `policyTarget#${p}#cert/${cert.id}`)).toMatchObject({ deleted: true, eventTime: deleted!.eventTime });
    }
    expect(h.totals().CascadeTombstones).toBe(2);
    // No event for the detachments, and the policies themselves live on.
    expect(await h.get('policy#P1')).toMatchObject({ deleted: false });
    h.close();
  });

  test('an entity gone by the time capture reads it is journaled as a tombstone', async () => {
    const h = await harness();
    const iot = operator();
    await iot.send(new CreatePolicyCommand({ policyName: 'Brief', policyDocument: POLICY }));
    clock += 1000;
    await iot.send(new DeletePolicyCommand({ policyName: 'Brief' }));
    const bodies = await h.delivered();
    expect(bodies).toHaveLength(2);
    expect(await h.capture(bodies)).toEqual([]);
    const item = await h.get('policy#Brief');
    expect(item).toMatchObject({ deleted: true, eventTime: clock });
    h.close();
  });

  test("the pipeline's own calls are echoes: never journaled, counted", async () => {
    const h = await harness();
    await replay().send(new CreatePolicyCommand({ policyName: 'Replayed', policyDocument: POLICY }));
    await replay().send(new CreateRoleAliasCommand({ roleAlias: 'edge', roleArn: `arn:aws:iam::${ACCOUNT}:role/edge` }));
    await operator().send(new CreateRoleAliasCommand({ roleAlias: 'mine', roleArn: `arn:aws:iam::${ACCOUNT}:role/edge` }));
    expect(await h.capture()).toEqual([]);
    expect(await h.get('policy#Replayed')).toBeUndefined();
    expect(await h.get('roleAlias#edge')).toBeUndefined();
    expect(await h.get('roleAlias#mine')).toMatchObject({ state: { roleAlias: 'mine', roleArn: `arn:aws:iam::${ACCOUNT}:role/edge`, credentialDurationSeconds: 3600 } });
    expect(h.totals()).toMatchObject({ EchoesSuppressed: 2, EventsCaptured: 1 });
    h.close();
  });

  test('policy versions: the whole history and the default, whichever call changed it', async () => {
    const h = await harness();
    const iot = operator();
    await iot.send(new CreatePolicyCommand({ policyName: 'Versioned', policyDocument: POLICY }));
    const v2 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: '*' }] });
    await iot.send(new CreatePolicyVersionCommand({ policyName: 'Versioned', policyDocument: v2, setAsDefault: true }));
    expect(await h.capture()).toEqual([]);
    expect((await h.get('policy#Versioned'))?.state).toMatchObject({ documents: [expect.any(String), expect.stringContaining('iot:Publish')], defaultIndex: 1 });
    h.close();
  });

  test('two changes in one second are settled from the registry, whichever event id sorts last', async () => {
    const h = await harness();
    const iot = operator();
    const cert = await newCertificate(iot);
    expect(await h.capture()).toEqual([]);
    clock += 5000;
    await iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'INACTIVE' }));
    const [first] = await h.delivered();
    // The later call's event id sorts first: the journal orders the two the wrong way round.
    (first.detail as Record<string, unknown>).eventID = 'zzzz-first';
    expect(await h.capture([first])).toEqual([]);
    expect((await h.get(`cert#${cert.id}`))?.state).toMatchObject({ status: 'INACTIVE' });
    await iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'REVOKED' }));
    const [second] = await h.delivered();
    (second.detail as Record<string, unknown>).eventID = 'aaaa-second';
    expect(await h.capture([second])).toEqual([]);
    const item = await h.get(`cert#${cert.id}`);
    expect(item?.eventId).toBe('zzzz-first');
    expect(item?.state).toMatchObject({ status: 'REVOKED' });
    expect(h.totals()).toMatchObject({ EventsSuperseded: 1 });
    h.close();
  });

  test("a principal read live after its thing's journaled delete survives a same-second delete and re-creation", async () => {
    const h = await harness();
    emulator.enableAllEvents();
    const registry: Record<string, unknown>[] = [];
    const stop = emulator.onEvent((e) => void (e.topic.startsWith('$aws/events/thing/') && registry.push({ ...e.payload, topic: e.topic })));
    const iot = operator();
    const second = Math.floor(clock / 1000) * 1000 + 60_000;
    clock = second + 100;
    const cert = await newCertificate(iot);
    await iot.send(new CreateThingCommand({ thingName: 'gadget' }));
    clock = second + 300;
    await iot.send(new DeleteThingCommand({ thingName: 'gadget' }));
    clock = second + 400;
    await iot.send(new CreateThingCommand({ thingName: 'gadget' }));
    clock = second + 500;
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'gadget', principal: cert.arn }));
    const trail = await h.delivered();
    stop();
    // The re-creation's registry event is late; the delete's is journaled, stamped after the attachment's second.
    expect(await h.capture(registry.slice(0, 2))).toEqual([]);
    expect(await h.get('thing#gadget')).toMatchObject({ deleted: true, eventTime: second + 300 });
    expect(await h.capture(trail)).toEqual([]);
    const principal = await h.get('thing#gadget', `principal#gadget#${cert.id}`);
    expect(principal).toMatchObject({ deleted: false, eventTime: second + 500 });
    expect(await h.capture(registry.slice(2))).toEqual([]);
    expect(await h.get('thing#gadget')).toMatchObject({ deleted: false });
    h.close();
  });

  test('IoT read failures are retried by SQS (batchItemFailures), then captured', async () => {
    const h = await harness();
    const cert = await newCertificate(operator());
    const bodies = await h.delivered();
    emulator.failNext(1, ['DescribeCertificate']);
    const failed = await h.capture(bodies);
    expect(failed).toHaveLength(1);
    expect(await h.get(`cert#${cert.id}`)).toBeUndefined();
    emulator.throttleNext(1, ['DescribeCertificate']);
    expect(await h.capture(bodies)).toHaveLength(1);
    expect(await h.capture(bodies)).toEqual([]);
    expect(await h.get(`cert#${cert.id}`)).toMatchObject({ deleted: false });
    expect(h.dlq).toEqual([]);
    h.close();
  });

  test("on a CloudTrail event's last receive, a failure dead-letters it redacted instead of letting SQS move it whole", async () => {
    const h = await harness({ maxReceiveCount: 5 });
    const issued = issueCertificate({ subject: 'device-9' });
    await operator().send(new RegisterCertificateWithoutCACommand({ certificatePem: issued.certificatePem, status: 'ACTIVE' }));
    const bodies = await h.delivered();
    output.length = 0;
    emulator.failNext(2, ['DescribeCertificate']);
    expect(await h.capture(bodies, 4)).toHaveLength(1);
    expect(h.dlq).toEqual([]);
    expect(await h.capture(bodies, 5)).toEqual([]);
    expect(h.dlq).toHaveLength(1);
    expect(h.dlq[0]).toMatchObject({ reason: 'CaptureFailed', error: expect.stringContaining('ServiceUnavailable') });
    const letter = JSON.parse(h.dlq[0].body) as { detail: { requestParameters: Record<string, unknown> } };
    expect(letter.detail.requestParameters.certificatePem).toBe('[redacted]');
    expect([...output, JSON.stringify(h.dlq)].join('\n')).not.toContain('BEGIN');
    h.close();
  });

  test('policies on Cognito identities and failed calls are skipped, counted, never dead-lettered', async () => {
    const h = await harness();
    const cognito = cloudTrailEvent('AttachPolicy', { policyName: 'P', target: 'us-east-1:0f0e0d0c-1111-2222-3333-444455556666' });
    const failed = cloudTrailEvent('DeletePolicy', { policyName: 'P' }, { errorCode: 'DeleteConflictException' });
    expect(await h.capture([cognito, failed])).toEqual([]);
    expect(h.dlq).toEqual([]);
    expect(h.totals()).toMatchObject({ EventsSkipped: 2, EventsCaptured: 0, MalformedEvents: 0 });
    h.close();
  });

  test('a malformed CloudTrail event is dead-lettered with its reason, redacted; no PEM in any output', async () => {
    const h = await harness();
    const issued = issueCertificate({ subject: 'device-7' });
    await operator().send(new RegisterCertificateWithoutCACommand({ certificatePem: issued.certificatePem, status: 'ACTIVE' }));
    const [event] = await h.delivered();
    const detail = event.detail as Record<string, unknown>;
    expect(JSON.stringify(detail.requestParameters)).toContain('BEGIN CERTIFICATE');
    // A response without the certificate's id: capture cannot tell which certificate changed.
    detail.responseElements = null;
    output.length = 0;
    expect(await h.capture([event])).toEqual([]);
    expect(h.dlq).toHaveLength(1);
    expect(h.dlq[0]).toMatchObject({ reason: 'MalformedCloudTrailEvent', error: expect.stringContaining('certificateId'), messageId: expect.any(String) });
    const letter = JSON.parse(h.dlq[0].body) as { detail: { requestParameters: Record<string, unknown>; eventName: string } };
    expect(letter.detail.eventName).toBe('RegisterCertificateWithoutCA');
    expect(letter.detail.requestParameters.certificatePem).toBe('[redacted]');
    const everything = [...output, JSON.stringify(h.dlq)].join('\n');
    expect(everything).not.toContain('BEGIN');
    expect(everything).not.toContain(issued.certificatePem.split('\n')[1]);
    expect(h.totals()).toMatchObject({ MalformedEvents: 1 });
    h.close();
  });

  test('captured certificates never reach a log line', async () => {
    const h = await harness();
    output.length = 0;
    const cert = await newCertificate(operator());
    await operator().send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: 'INACTIVE' }));
    expect(await h.capture()).toEqual([]);
    expect((await h.get(`cert#${cert.id}`))?.state).toMatchObject({ certificatePem: expect.stringContaining('BEGIN CERTIFICATE') });
    expect(output.join('\n')).not.toContain('BEGIN');
    h.close();
  });

  test('a redriven dead letter (redacted) is captured: the state comes from IoT', async () => {
    const h = await harness();
    const issued = issueCertificate({ subject: 'device-8' });
    await operator().send(new RegisterCertificateWithoutCACommand({ certificatePem: issued.certificatePem, status: 'ACTIVE' }));
    const [event] = await h.delivered();
    const { redactCloudTrailEvent } = await import('../../../lambda/capture/cloudtrail-events');
    const letter: DeadLetter = { reason: 'IotReadFailed', error: 'x', body: JSON.stringify(redactCloudTrailEvent(event)), messageId: 'm-0' };
    expect(await h.capture([letter as unknown as Record<string, unknown>])).toEqual([]);
    expect((await h.get(`cert#${issued.certificateId}`))?.state).toMatchObject({ certificatePem: issued.certificatePem.trim(), status: 'ACTIVE' });
    h.close();
  });

  test('an event stamped in the future is malformed', async () => {
    const h = await harness();
    const future = cloudTrailEvent('DeletePolicy', { policyName: 'P' }, { eventTime: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') });
    expect(await h.capture([future])).toEqual([]);
    expect(h.dlq).toMatchObject([{ reason: 'MalformedCloudTrailEvent', error: expect.stringContaining('clock skew') }]);
    h.close();
  });
});

describe('shadows', () => {

  test('updates journal the whole document in the thing partition, deletes a tombstone; known state by version', async () => {
    const h = await harness();
    await operator().send(new CreateThingCommand({ thingName: 'lamp' }));
    await update(data('device'), 'lamp', { state: { reported: { on: true } } });
    await update(data('device'), 'lamp', { state: { desired: { on: false } } }, 'config');
    expect(await h.capture()).toEqual([]);
    const classic = await h.get('thing#lamp', 'shadow#lamp#$classic');
    expect(classic).toMatchObject({ kind: 'shadow', deleted: false, state: { thingName: 'lamp', reported: { on: true } } });
    expect(classic!.version).toBe(makeVersion({ eventTime: Math.floor(clock / 1000) * 1000, originRegion: REGION, localVersion: 1, eventId: 'shadow-v1-0-update' }));
    expect(await h.get('thing#lamp', 'shadow#lamp#config')).toMatchObject({ state: { thingName: 'lamp', shadowName: 'config', desired: { on: false } } });
    expect(await h.ledger.knownState('shadow#lamp#$classic')).toEqual({ stateHash: classic!.stateHash, localVersion: 1, at: classic!.eventTime + 999 });

    clock += 1000;
    await data('device').send(new DeleteThingShadowCommand({ thingName: 'lamp' }));
    expect(await h.capture()).toEqual([]);
    expect(await h.get('thing#lamp', 'shadow#lamp#$classic')).toMatchObject({ deleted: true });
    h.close();
  });

  test("replay's own shadow writes (client token) are echoes", async () => {
    const h = await harness();
    await update(data(REPLAY_ROLE), 'lamp', { state: { desired: { on: true } }, clientToken: `${REPLAY_CLIENT_TOKEN_PREFIX}-00112233` });
    await update(data('device'), 'lamp', { state: { reported: { on: true } }, clientToken: 'device-1' });
    expect(await h.capture()).toEqual([]);
    expect(h.totals()).toMatchObject({ EchoesSuppressed: 1, EventsCaptured: 1 });
    expect((await h.get('thing#lamp', 'shadow#lamp#$classic'))?.state).toEqual({ thingName: 'lamp', desired: { on: true }, reported: { on: true } });
    h.close();
  });

  test('an update and a delete of one version in one second: the delete wins, in any order', async () => {
    const h = await harness();
    await update(data('device'), 'lamp', { state: { reported: { on: true } } });
    await data('device').send(new DeleteThingShadowCommand({ thingName: 'lamp' }));
    const bodies = await h.delivered();
    expect(bodies.map((b) => b.topic)).toEqual(['$aws/things/lamp/shadow/update/documents', '$aws/things/lamp/shadow/delete/accepted']);
    expect(await h.capture([...bodies].reverse())).toEqual([]);
    expect(await h.get('thing#lamp', 'shadow#lamp#$classic')).toMatchObject({ deleted: true });
    h.close();
  });

  test('with shadows off, shadow messages are skipped', async () => {
    const h = await harness({ shadowsEnabled: false });
    await update(data('device'), 'lamp', { state: { reported: { on: true } } });
    expect(await h.capture()).toEqual([]);
    expect(await h.get('thing#lamp', 'shadow#lamp#$classic')).toBeUndefined();
    expect(h.totals()).toMatchObject({ EventsSkipped: 1 });
    h.close();
  });

  test('a malformed shadow message is dead-lettered as such', async () => {
    const h = await harness();
    expect(await h.capture([{ topic: '$aws/things/lamp/shadow/update/documents', timestamp: 5 }])).toEqual([]);
    expect(h.dlq).toMatchObject([{ reason: 'MalformedShadowMessage', error: expect.stringContaining('current') }]);
    h.close();
  });
});

describe('one queue, three shapes', () => {
  test('registry events, CloudTrail events and shadow messages in one batch', async () => {
    const h = await harness();
    emulator.enableAllEvents();
    const events: Record<string, unknown>[] = [];
    // As the registry-event rule delivers them: the payload with its topic.
    const stop = emulator.onEvent((e) => void (e.topic.startsWith('$aws/events/thing/') && events.push({ ...e.payload, topic: e.topic })));
    const iot = operator();
    await iot.send(new CreateThingCommand({ thingName: 'pump' }));
    const cert = await newCertificate(iot);
    await update(data('device'), 'pump', { state: { reported: { rpm: 5 } } });
    const bodies = await h.delivered();
    stop();
    expect(await h.capture([...bodies, ...events])).toEqual([]);
    const items = (await Promise.all([h.get('thing#pump'), h.get(`cert#${cert.id}`), h.get('thing#pump', 'shadow#pump#$classic')])) as JournalItem[];
    expect(items.map((i) => i?.kind)).toEqual(['thing', 'cert', 'shadow']);
    expect(items[2].stateHash).toBe(stateHash({ thingName: 'pump', reported: { rpm: 5 } }));
    h.close();
  });
});
