import {
  AddThingToThingGroupCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  CreateThingTypeCommand,
  DeprecateThingTypeCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListThingGroupsForThingCommand,
  ListThingPrincipalsCommand,
  RegisterCertificateWithoutCACommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { JournalWriter } from '../../../lambda/capture/journal-writer';
import { PRIVATE_KEY_NOTICE } from '../../../lambda/command/command-handler';
import { createCsr } from '../../support/x509';
import { ACCOUNT, GROUP, type Harness, OWN, PEER, POLICY, type World, harness, iotClient, startWorld } from './harness';

let world: World;
const logged: string[] = [];

beforeAll(async () => {
  world = await startWorld();
  for (const stream of ['log', 'error', 'warn', 'info'] as const) {
    jest.spyOn(console, stream).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
  }
});
afterAll(async () => {
  jest.restoreAllMocks();
  await world.close();
});
beforeEach(() => {
  world.own.reset();
  world.peer.reset();
});

const devices = '/devices';
const device = '/devices/{thingName}';
const suspend = '/devices/{thingName}/suspend';
const resume = '/devices/{thingName}/resume';

let keySeq = 0;
const newKey = () => `key-${++keySeq}-0000-0000`;

async function onboardWithCsr(h: Harness, thingName: string, extra: Record<string, unknown> = {}) {
  const body = { thingName, policyName: POLICY, thingGroupName: GROUP, attributes: { model: 'x1' }, csr: createCsr(thingName), ...extra };
  const key = newKey();
  return { key, body, answer: await h.call('POST', devices, { body, key }) };
}

async function principalsOf(h: Harness, thingName: string): Promise<string[]> {
  return (await h.iot.send(new ListThingPrincipalsCommand({ thingName }))).principals ?? [];
}

async function certificateStatus(h: Harness, certificateId: string): Promise<string | undefined> {
  return (await h.iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status;
}

describe('onboard (CSR) → suspend → resume → decommission, each journaled at once', () => {
  test('the whole life of a device', async () => {
    const h = await harness(world);
    const { key, body, answer } = await onboardWithCsr(h, 'sensor-1');
    expect(answer.statusCode).toBe(201);
    const certificateId: string = answer.body.certificateId;
    expect(answer.body).toMatchObject({ thingName: 'sensor-1', policyName: POLICY, thingGroupName: GROUP, certificateSource: 'csr', region: OWN });
    expect(answer.body.certificatePem).toContain('BEGIN CERTIFICATE');
    expect(answer.body.privateKey).toBeUndefined();

    // IoT: thing, active certificate, policy on the certificate, principal, membership.
    const certArn = `arn:aws:iot:${OWN}:${ACCOUNT}:cert/${certificateId}`;
    expect(await principalsOf(h, 'sensor-1')).toEqual([certArn]);
    expect(await certificateStatus(h, certificateId)).toBe('ACTIVE');
    expect((await h.iot.send(new ListAttachedPoliciesCommand({ target: certArn }))).policies?.map((p) => p.policyName)).toEqual([POLICY]);
    expect((await h.iot.send(new ListThingGroupsForThingCommand({ thingName: 'sensor-1' }))).thingGroups?.map((g) => g.groupName)).toEqual([GROUP]);

    // Journal: every entity, written by the handler itself (no capture ran), originating here.
    const items = await Promise.all([
      h.item('thing#sensor-1'),
      h.item(`cert#${certificateId}`),
      h.item(`policy#${POLICY}`, `policyTarget#${POLICY}#cert/${certificateId}`),
      h.item('thing#sensor-1', `principal#sensor-1#${certificateId}`),
      h.item(`thingGroup#${GROUP}`, `member#${GROUP}#sensor-1`),
    ]);
    for (const item of items) expect(item).toMatchObject({ deleted: false, originRegion: OWN });
    expect(items[0]?.state).toEqual({ thingName: 'sensor-1', attributes: { model: 'x1' } });
    expect(items[1]?.state).toMatchObject({ certificateId, status: 'ACTIVE' });
    expect(answer.body.journaled).toHaveLength(5);
    // The thing's known state (replay's concurrency check) is recorded, with IoT's version number.
    expect(await h.ledger.knownState('thing#sensor-1')).toMatchObject({ localVersion: 1 });

    // A retry with the same key and body: the same answer, no second certificate.
    const retry = await h.call('POST', devices, { body, key });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['Idempotent-Replayed']).toBe('true');
    expect(retry.body).toEqual(answer.body);
    expect(world.own.callCounts().CreateCertificateFromCsr).toBe(1);
    // The same key for another body: refused.
    const reused = await h.call('POST', devices, { body: { ...body, attributes: { model: 'x2' } }, key });
    expect(reused.statusCode).toBe(422);
    expect(reused.body.error.code).toBe('IdempotencyKeyReused');

    // Suspend: the certificate INACTIVE in IoT and in the journal at once; a retry changes nothing more.
    const suspendKey = newKey();
    const suspended = await h.call('POST', suspend, { thingName: 'sensor-1', key: suspendKey });
    expect(suspended.statusCode).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'suspended', certificates: [{ certificateId, status: 'INACTIVE' }] });
    expect(await certificateStatus(h, certificateId)).toBe('INACTIVE');
    expect((await h.item(`cert#${certificateId}`))?.state).toMatchObject({ status: 'INACTIVE' });
    const updates = world.own.callCounts().UpdateCertificate;
    expect((await h.call('POST', suspend, { thingName: 'sensor-1', key: suspendKey })).body).toEqual(suspended.body);
    expect(world.own.callCounts().UpdateCertificate).toBe(updates);

    // Resume.
    const resumed = await h.call('POST', resume, { thingName: 'sensor-1', key: newKey() });
    expect(resumed.statusCode).toBe(200);
    expect(await certificateStatus(h, certificateId)).toBe('ACTIVE');
    expect((await h.item(`cert#${certificateId}`))?.state).toMatchObject({ status: 'ACTIVE' });

    // Decommission: everything gone from IoT, and tombstoned in the journal at once.
    const decommissionKey = newKey();
    const gone = await h.call('DELETE', device, { thingName: 'sensor-1', key: decommissionKey });
    expect(gone.statusCode).toBe(200);
    expect(gone.body).toMatchObject({ decommissioned: true, deletedCertificates: [certificateId], removedFromGroups: [GROUP] });
    await expect(h.iot.send(new DescribeThingCommand({ thingName: 'sensor-1' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(h.iot.send(new DescribeCertificateCommand({ certificateId }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const after = await Promise.all([
      h.item('thing#sensor-1'),
      h.item(`cert#${certificateId}`),
      h.item(`policy#${POLICY}`, `policyTarget#${POLICY}#cert/${certificateId}`),
      h.item('thing#sensor-1', `principal#sensor-1#${certificateId}`),
      h.item(`thingGroup#${GROUP}`, `member#${GROUP}#sensor-1`),
    ]);
    for (const item of after) expect(item).toMatchObject({ deleted: true, originRegion: OWN });
    // Retried: the stored answer, not a 404.
    const again = await h.call('DELETE', device, { thingName: 'sensor-1', key: decommissionKey });
    expect(again.statusCode).toBe(200);
    expect(again.body).toEqual(gone.body);
    // A new request for a device that is gone: 404.
    expect((await h.call('DELETE', device, { thingName: 'sensor-1', key: newKey() })).statusCode).toBe(404);
  });
});

describe('onboard with keys created by IoT', () => {
  test('the private key is answered once; a retry says it is not kept', async () => {
    const h = await harness(world);
    const key = newKey();
    const body = { thingName: 'keyed-1', policyName: POLICY };
    const first = await h.call('POST', devices, { body, key });
    expect(first.statusCode).toBe(201);
    expect(first.body.privateKey).toContain('PRIVATE KEY');
    expect(first.body.certificateSource).toBe('keys');
    expect(first.body.privateKeyNotice).toBeUndefined();
    expect(await h.item(`cert#${first.body.certificateId}`)).toMatchObject({ deleted: false });

    const retry = await h.call('POST', devices, { body, key });
    expect(retry.statusCode).toBe(201);
    expect(retry.body.privateKey).toBeUndefined();
    expect(retry.body.privateKeyNotice).toBe(PRIVATE_KEY_NOTICE);
    expect(retry.body.certificateId).toBe(first.body.certificateId);
    expect(JSON.stringify(retry.body)).not.toContain('PRIVATE KEY');
    expect(world.own.callCounts().CreateKeysAndCertificate).toBe(1);
  });
});

describe('refusals and failures', () => {
  test('a missing policy, group or type: 422 and nothing created', async () => {
    const h = await harness(world);
    const cases: [Record<string, unknown>, string][] = [
      [{ policyName: 'no-such-policy' }, 'PolicyNotFound'],
      [{ thingGroupName: 'no-such-group' }, 'ThingGroupNotFound'],
      [{ thingTypeName: 'no-such-type' }, 'ThingTypeNotFound'],
    ];
    for (const [extra, code] of cases) {
      const { answer } = await onboardWithCsr(h, 'refused-1', extra);
      expect(answer.statusCode).toBe(422);
      expect(answer.body.error.code).toBe(code);
      expect(answer.headers['Content-Type']).toBe('application/json');
    }
    expect(world.own.callCounts().CreateThing ?? 0).toBe(0);
    expect((await h.iot.send(new ListCertificatesCommand({}))).certificates ?? []).toHaveLength(0);
  });

  test('throttled mid-way: 429 with Retry-After, rolled back; the retry with the same key completes', async () => {
    const h = await harness(world);
    world.own.throttleNext(1, ['AttachThingPrincipal']);
    const { key, body, answer } = await onboardWithCsr(h, 'throttled-1');
    expect(answer.statusCode).toBe(429);
    expect(answer.headers['Retry-After']).toBe('2');
    expect(answer.body.error).toMatchObject({ code: 'Throttled', retryable: true });
    await expect(h.iot.send(new DescribeThingCommand({ thingName: 'throttled-1' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await h.iot.send(new ListCertificatesCommand({}))).certificates ?? []).toHaveLength(0);

    const retry = await h.call('POST', devices, { body, key });
    expect(retry.statusCode).toBe(201);
    expect(await principalsOf(h, 'throttled-1')).toHaveLength(1);
    expect(await h.item(`cert#${retry.body.certificateId}`)).toMatchObject({ deleted: false });
  });

  test('journal unavailable after the IoT write (CSR): 503, and the retry journals and answers', async () => {
    let failures = 2;
    const h = await harness(world, { writer: (real) => failingWriter(real, () => failures-- > 0) });
    const { key, body, answer } = await onboardWithCsr(h, 'journal-1');
    expect(answer.statusCode).toBe(503);
    expect(answer.body.error).toMatchObject({ code: 'JournalUnavailable', retryable: true });
    // IoT kept the device (the device holds its key); the journal does not have it yet.
    expect(await principalsOf(h, 'journal-1')).toHaveLength(1);
    expect(await h.item('thing#journal-1')).toBeUndefined();
    failures = 1;
    expect((await h.call('POST', devices, { body, key })).statusCode).toBe(503);
    const retry = await h.call('POST', devices, { body, key });
    expect(retry.statusCode).toBe(201);
    expect(await h.item('thing#journal-1')).toMatchObject({ deleted: false });
    expect(await h.item(`cert#${retry.body.certificateId}`)).toMatchObject({ deleted: false });
    expect(world.own.callCounts().CreateCertificateFromCsr).toBe(1);
  });

  test('journal unavailable for a created key pair: rolled back (the key would be lost); the retry makes a new one', async () => {
    let failures = 1;
    const h = await harness(world, { writer: (real) => failingWriter(real, () => failures-- > 0) });
    const key = newKey();
    const body = { thingName: 'journal-keys-1', policyName: POLICY };
    const first = await h.call('POST', devices, { body, key });
    expect(first.statusCode).toBe(503);
    expect(JSON.stringify(first.body)).not.toContain('PRIVATE KEY');
    await expect(h.iot.send(new DescribeThingCommand({ thingName: 'journal-keys-1' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect((await h.iot.send(new ListCertificatesCommand({}))).certificates ?? []).toHaveLength(0);
    const retry = await h.call('POST', devices, { body, key });
    expect(retry.statusCode).toBe(201);
    expect(retry.body.privateKey).toContain('PRIVATE KEY');
    expect(world.own.callCounts().CreateKeysAndCertificate).toBe(2);
  });

  test('a second request with the key while the first runs: 409', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const h = await harness(world, {
      writer: (real) => ({
        readIdentity: real.readIdentity,
        replace: async (plan) => {
          entered();
          await gate;
          return real.replace(plan);
        },
      }),
    });
    const body = { thingName: 'busy-1', policyName: POLICY, csr: createCsr('busy-1') };
    const key = newKey();
    const first = h.call('POST', devices, { body, key });
    await inside;
    const second = await h.call('POST', devices, { body, key });
    expect(second.statusCode).toBe(409);
    expect(second.body.error.code).toBe('RequestInProgress');
    release();
    expect((await first).statusCode).toBe(201);
  });

  test.each([
    ['csr', 'reuses the certificate made from the device\'s CSR'],
    ['keys', 'deletes the certificate whose private key nobody received, and creates a new key pair'],
  ])('a function that died mid-request (%s): after the lease, the retry with the same key %s', async (mode) => {
    let clock = Date.now();
    let hang = true;
    const h = await harness(world, {
      idempotencyNow: () => clock,
      writer: (real) => ({
        readIdentity: real.readIdentity,
        // The first attempt stops for good after its IoT writes: the function timed out.
        replace: (plan) => (hang ? new Promise<never>(() => undefined) : real.replace(plan)),
      }),
    });
    const body = { thingName: `crashed-${mode}`, policyName: POLICY, ...(mode === 'csr' ? { csr: createCsr('crashed') } : {}) };
    const key = newKey();
    void h.call('POST', devices, { body, key });
    await waitFor(async () => (await principalsOf(h, body.thingName).catch(() => [])).length === 1);
    const [orphan] = await principalsOf(h, body.thingName);
    hang = false;
    expect((await h.call('POST', devices, { body, key })).statusCode).toBe(409);
    clock += 60_001;
    const retry = await h.call('POST', devices, { body, key });
    expect(retry.statusCode).toBe(201);
    const principals = await principalsOf(h, body.thingName);
    expect(principals).toHaveLength(1);
    if (mode === 'csr') {
      expect(principals).toEqual([orphan]);
      expect(world.own.callCounts().CreateCertificateFromCsr).toBe(1);
    } else {
      expect(principals).not.toEqual([orphan]);
      expect(retry.body.privateKey).toContain('PRIVATE KEY');
      expect((await h.iot.send(new ListCertificatesCommand({}))).certificates ?? []).toHaveLength(1);
    }
  });

  test('resume of a revoked certificate: 409; a deprecated thing type: 422', async () => {
    const h = await harness(world);
    const { answer } = await onboardWithCsr(h, 'revoked-1');
    await h.iot.send(new UpdateCertificateCommand({ certificateId: answer.body.certificateId, newStatus: 'REVOKED' }));
    const resumed = await h.call('POST', resume, { thingName: 'revoked-1', key: newKey() });
    expect(resumed.statusCode).toBe(409);
    expect(resumed.body.error.code).toBe('CertificateRevoked');
    await h.iot.send(new CreateThingTypeCommand({ thingTypeName: 'old-type' }));
    await h.iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'old-type' }));
    const deprecated = await onboardWithCsr(h, 'typed-1', { thingTypeName: 'old-type' });
    expect(deprecated.answer.statusCode).toBe(422);
    expect(deprecated.answer.body.error.code).toBe('ThingTypeDeprecated');
  });

  test('an existing thing with another configuration, or already onboarded: 409', async () => {
    const h = await harness(world);
    await h.iot.send(new CreateThingCommand({ thingName: 'taken-1', attributePayload: { attributes: { model: 'other' } } }));
    const { answer } = await onboardWithCsr(h, 'taken-1');
    expect(answer.statusCode).toBe(409);
    expect(answer.body.error.code).toBe('ThingExists');
    await onboardWithCsr(h, 'taken-2');
    const again = await onboardWithCsr(h, 'taken-2');
    expect(again.answer.statusCode).toBe(409);
    expect(again.answer.body.error.code).toBe('DeviceAlreadyOnboarded');
  });

  test('bad requests: 400 with a JSON error; unknown things 404; unknown routes 404', async () => {
    const h = await harness(world);
    const noKey = await h.call('POST', suspend, { thingName: 'x-1' });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.body.error.message).toMatch(/Idempotency-Key/);
    expect((await h.call('POST', suspend, { thingName: 'x-1', key: 'short' })).statusCode).toBe(400);
    expect((await h.call('POST', devices, { key: newKey(), body: 'not json' })).body.error.code).toBe('BadRequest');
    expect((await h.call('POST', devices, { key: newKey(), body: { thingName: 'a#b', policyName: POLICY } })).statusCode).toBe(400);
    expect((await h.call('POST', devices, { key: newKey(), body: { thingName: 'a', policyName: POLICY, extra: 1 } })).body.error.message).toMatch(/unknown field/);
    const badCsr = await h.call('POST', devices, { key: newKey(), body: { thingName: 'a', policyName: POLICY, csr: 'hello' } });
    expect(badCsr.statusCode).toBe(400);
    expect(badCsr.body.error.message).not.toContain('hello');
    const missing = await h.call('POST', resume, { thingName: 'ghost', key: newKey() });
    expect(missing.statusCode).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'ThingNotFound' });
    expect(missing.body.error.requestId).toMatch(/^req-/);
    expect((await h.call('GET', device, { thingName: 'ghost' })).statusCode).toBe(404);
    expect((await h.call('PATCH', device, { thingName: 'ghost' })).body.error.code).toBe('RouteNotFound');
  });

  test('IoT failing on its side: 503 with Retry-After', async () => {
    const h = await harness(world);
    world.own.failNext(1, ['ListThingPrincipals']);
    const answer = await h.call('POST', suspend, { thingName: 'x-1', key: newKey() });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
  });

  test('keys are per caller: another caller\'s key does not collide', async () => {
    const h = await harness(world);
    const key = newKey();
    const a = await h.call('POST', devices, { key, body: { thingName: 'caller-a', policyName: POLICY }, caller: 'arn:aws:iam::999999999999:role/a' });
    const b = await h.call('POST', devices, { key, body: { thingName: 'caller-b', policyName: POLICY }, caller: 'arn:aws:iam::999999999999:role/b' });
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
  });
});

describe('status in both regions', () => {
  test('not yet in the peer: replicated false; copied there: replicated true, with the replication figures', async () => {
    const lagAt = new Date();
    const cloudwatch = {
      send: async () => ({ MetricDataResults: [{ Id: 'lag', Timestamps: [lagAt], Values: [1234.4] }, { Id: 'drift', Timestamps: [lagAt], Values: [0] }] }),
    };
     
    const h = await harness(world, { cloudwatch: cloudwatch as any });
    const { answer } = await onboardWithCsr(h, 'status-1');
    const before = await h.call('GET', device, { thingName: 'status-1' });
    expect(before.statusCode).toBe(200);
    expect(before.body).toMatchObject({ thingName: 'status-1', region: OWN, replicated: false });
    expect(before.body.differences).toContain('exists');
    expect(before.body.regions[0]).toMatchObject({
      region: OWN,
      reachable: true,
      device: { exists: true, groups: [GROUP], certificates: [{ certificateId: answer.body.certificateId, status: 'ACTIVE', policies: [POLICY] }] },
      replication: { lagMs: 1234, driftFound: 0 },
    });
    expect(before.body.regions[1]).toMatchObject({ region: PEER, reachable: true, device: { exists: false } });

    // What replay would have written in the peer.
    const peer = h.peerIot;
    const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
    await peer.send(new CreatePolicyCommand({ policyName: POLICY, policyDocument }));
    await peer.send(new CreateThingGroupCommand({ thingGroupName: GROUP }));
    await peer.send(new CreateThingCommand({ thingName: 'status-1', attributePayload: { attributes: { model: 'x1' } } }));
    const registered = await peer.send(new RegisterCertificateWithoutCACommand({ certificatePem: answer.body.certificatePem, status: 'ACTIVE' }));
    await peer.send(new AttachPolicyCommand({ policyName: POLICY, target: registered.certificateArn }));
    await peer.send(new AttachThingPrincipalCommand({ thingName: 'status-1', principal: registered.certificateArn }));
    await peer.send(new AddThingToThingGroupCommand({ thingGroupName: GROUP, thingName: 'status-1' }));
    const after = await h.call('GET', device, { thingName: 'status-1' });
    expect(after.body.replicated).toBe(true);
    expect(after.body.differences).toBeUndefined();
  });

  test('the peer unreachable is reported, not a 500', async () => {
    const h = await harness(world, { peer: { region: PEER, iot: iotClient({ endpoint: 'http://127.0.0.1:9', region: PEER }) } });
    await onboardWithCsr(h, 'lonely-1');
    const answer = await h.call('GET', device, { thingName: 'lonely-1' });
    expect(answer.statusCode).toBe(200);
    expect(answer.body.replicated).toBeNull();
    expect(answer.body.regions[1]).toMatchObject({ region: PEER, reachable: false, error: { code: 'ServiceUnavailable' } });
  });

  test('only in the peer (onboarded there during an outage): 200, not replicated', async () => {
    const h = await harness(world);
    await h.peerIot.send(new CreateThingCommand({ thingName: 'peer-only-1' }));
    const answer = await h.call('GET', device, { thingName: 'peer-only-1' });
    expect(answer.statusCode).toBe(200);
    expect(answer.body.replicated).toBe(false);
  });
});

describe('logs (after every test above)', () => {
  test('no log line ever held a private key, a certificate or a CSR', () => {
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) {
      expect(line).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|CERTIFICATE REQUEST/);
    }
  });
});

/** Polls `check` (on the loopback emulator) until it holds; fails after many rounds, never on a clock. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition never held');
}

function failingWriter(real: JournalWriter, shouldFail: () => boolean): JournalWriter {
  return {
    readIdentity: real.readIdentity,
    replace: async (plan) => {
      if (shouldFail()) throw Object.assign(new Error('injected journal outage'), { name: 'ProvisionedThroughputExceededException' });
      return real.replace(plan);
    },
  };
}
