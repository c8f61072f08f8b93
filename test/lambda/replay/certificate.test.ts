import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  RegisterCACertificateCommand,
  RegisterCertificateWithoutCACommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { createCertificateReplay } from '../../../lambda/replay/certificate';
import { stateHash } from '../../../lambda/shared/hash';
import { certificateState } from '../../../lambda/shared/identity-state';
import { caCertKeys, certKeys } from '../../../lambda/shared/keys';
import type { JournalItem } from '../../../lambda/shared/model';
import { createCa, issueCertificate, type IssuedCertificate } from '../../support/x509';
import {
  ACCOUNT,
  captureConsole,
  failureOf,
  type IdentityTestContext,
  journalItem,
  LOCAL,
  newContext,
  NOW,
  startWorld,
  stopWorld,
} from './identity-harness';

beforeAll(startWorld);
afterAll(stopWorld);

let ctx: IdentityTestContext;
let output: () => string;
beforeEach(async () => {
  ctx = await newContext();
  output = captureConsole();
});
afterEach(() => jest.restoreAllMocks());

const ca = createCa('Fleet CA');
const device = issueCertificate({ subject: 'lamp-1', issuer: ca });
const loner = issueCertificate({ subject: 'lamp-2' });

function certItem(cert: IssuedCertificate, status: string | undefined, o: { caCertificateId?: string; eventTime?: number } = {}): JournalItem {
  return journalItem({
    keys: certKeys(cert.certificateId),
    kind: 'cert',
    state:
      status === undefined
        ? undefined
        : certificateState({ certificateId: cert.certificateId, certificatePem: cert.certificatePem, status, caCertificateId: o.caCertificateId }),
    eventTime: o.eventTime ?? NOW - 2000,
  });
}

const statusHere = async (cert: IssuedCertificate): Promise<string | undefined> =>
  (await ctx.operator.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }))).certificateDescription?.status;

const registerHere = (cert: IssuedCertificate, status: 'ACTIVE' | 'INACTIVE' | 'REVOKED') =>
  ctx.operator.send(new RegisterCertificateWithoutCACommand({ certificatePem: cert.certificatePem, status }));

const replay = (item: JournalItem) => ctx.replay(createCertificateReplay(ctx.deps), item);

/** No output of the handler holds any line of a certificate body. */
function expectNoPem(text: string, ...certs: IssuedCertificate[]): void {
  expect(text).not.toContain('BEGIN CERTIFICATE');
  for (const cert of certs) {
    for (const line of cert.certificatePem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(text).not.toContain(line);
  }
}

describe('certificate replay', () => {
  test('registers an absent certificate without its CA when the CA is not replicated, with its status', async () => {
    const item = certItem(loner, 'ACTIVE');
    expect((await replay(item)).action).toBe('created');
    expect(await statusHere(loner)).toBe('ACTIVE');
    expect(ctx.emulator.callCounts()).toMatchObject({ RegisterCertificateWithoutCA: 1 });
    // The recorded known state is what is here: the next replay finds the region in step.
    expect((await replay(item)).action).toBe('unchanged');
    expectNoPem(output(), loner);
  });

  test('registers with its CA (RegisterCertificate) when the CA is registered here', async () => {
    await ctx.operator.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY', setAsActive: true }));
    const item = certItem(device, 'INACTIVE', { caCertificateId: ca.certificateId });
    expect((await replay(item)).action).toBe('created');
    const described = (await ctx.operator.send(new DescribeCertificateCommand({ certificateId: device.certificateId }))).certificateDescription;
    expect(described).toMatchObject({ status: 'INACTIVE', caCertificateId: ca.certificateId });
    expect(ctx.emulator.callCounts()).toMatchObject({ RegisterCertificate: 1 });
    expect(ctx.emulator.callCounts().RegisterCertificateWithoutCA ?? 0).toBe(0);
    expect((await replay(item)).action).toBe('unchanged');
  });

  test("waits for a CA the journal holds live but this region does not have yet", async () => {
    const caItem = journalItem({ keys: caCertKeys(ca.certificateId), kind: 'caCert', state: { certificateId: ca.certificateId, certificatePem: ca.certificatePem, status: 'ACTIVE', autoRegistration: 'DISABLE' } });
    await ctx.putItem(caItem);
    const err = await failureOf(replay(certItem(device, 'ACTIVE', { caCertificateId: ca.certificateId })));
    expect(err).toMatchObject({ name: 'DependencyNotReady', missing: caCertKeys(ca.certificateId).sk });
    expect(ctx.emulator.identitySnapshot().certificates).toEqual([]);
    expectNoPem(output(), device, ca);
  });

  test('registers without the CA when the journal has the CA deleted', async () => {
    await ctx.putItem(journalItem({ keys: caCertKeys(ca.certificateId), kind: 'caCert' }));
    expect((await replay(certItem(device, 'ACTIVE', { caCertificateId: ca.certificateId }))).action).toBe('created');
    expect(await statusHere(device)).toBe('ACTIVE');
  });

  test('keeps the status in step: suspended, reactivated, revoked', async () => {
    await registerHere(loner, 'ACTIVE');
    expect((await replay(certItem(loner, 'INACTIVE', { eventTime: NOW - 3000 }))).action).toBe('updated');
    expect(await statusHere(loner)).toBe('INACTIVE');
    expect((await replay(certItem(loner, 'ACTIVE', { eventTime: NOW - 2000 }))).action).toBe('updated');
    expect(await statusHere(loner)).toBe('ACTIVE');
    expect((await replay(certItem(loner, 'REVOKED', { eventTime: NOW - 1000 }))).action).toBe('updated');
    expect(await statusHere(loner)).toBe('REVOKED');
  });

  test('a status IoT cannot be given is replayed as INACTIVE, with a WARN', async () => {
    expect((await replay(certItem(loner, 'PENDING_TRANSFER'))).action).toBe('created');
    expect(await statusHere(loner)).toBe('INACTIVE');
    expect(output()).toContain('replaying it as INACTIVE');
    expect((await replay(certItem(loner, 'PENDING_TRANSFER'))).action).toBe('unchanged');
  });

  test('a certificate REVOKED here that the journal has ACTIVE is a clear refusal, never retried', async () => {
    await registerHere(loner, 'REVOKED');
    const err = await failureOf(replay(certItem(loner, 'ACTIVE')));
    expect(err.name).toBe('CertificateRevokedHere');
    expect(err.message).toContain('IoT never reactivates a revoked certificate');
    expect(await statusHere(loner)).toBe('REVOKED');
    expectNoPem(`${output()}\n${err.message}\n${err.stack}`, loner);
  });

  test('deletes: deactivates, detaches things and policies, then deletes', async () => {
    const { certificateArn } = await registerHere(loner, 'ACTIVE');
    await ctx.operator.send(new CreateThingCommand({ thingName: 'lamp-2' }));
    await ctx.operator.send(new AttachThingPrincipalCommand({ thingName: 'lamp-2', principal: certificateArn }));
    await ctx.operator.send(new CreatePolicyCommand({ policyName: 'fleet', policyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
    await ctx.operator.send(new AttachPolicyCommand({ policyName: 'fleet', target: certificateArn }));

    expect((await replay(certItem(loner, undefined))).action).toBe('deleted');
    const snap = ctx.emulator.identitySnapshot();
    expect(snap.certificates).toEqual([]);
    expect(snap.thingPrincipals).toEqual([]);
    expect(snap.policyTargets).toEqual([]);
    expect(certificateArn).toBe(`arn:aws:iot:${LOCAL}:${ACCOUNT}:cert/${loner.certificateId}`);
  });

  test('a tombstone of a certificate not here changes nothing', async () => {
    expect((await replay(certItem(loner, undefined))).action).toBe('unchanged');
  });

  test('does not overwrite a local status change capture has not journaled yet', async () => {
    await registerHere(loner, 'ACTIVE');
    expect((await replay(certItem(loner, 'ACTIVE', { eventTime: NOW - 3000 }))).action).toBe('unchanged');
    // An operator suspends the device here; capture has not journaled it when an older change arrives.
    await ctx.operator.send(new UpdateCertificateCommand({ certificateId: loner.certificateId, newStatus: 'INACTIVE' }));
    const err = await failureOf(replay(certItem(loner, 'REVOKED', { eventTime: NOW - 2000 })));
    expect(err.name).toBe('LocalChangePending');
    expect(await statusHere(loner)).toBe('INACTIVE');
  });

  test('a throttled registration is RegistryThrottled (parked), and no output holds the certificate body', async () => {
    ctx.emulator.throttleNext(1, ['RegisterCertificateWithoutCA']);
    const err = await failureOf(replay(certItem(loner, 'ACTIVE')));
    expect(err.name).toBe('RegistryThrottled');
    expectNoPem(`${output()}\n${err.message}\n${JSON.stringify(err)}`, loner);
    // The retry registers it.
    expect((await replay(certItem(loner, 'ACTIVE'))).action).toBe('created');
  });

  test('a certificate IoT refuses (not a valid certificate) is refused for good, without its body in the error', async () => {
    const broken = { ...loner, certificatePem: loner.certificatePem.replace(/[A-Za-z]{8}\n/, 'AAAAAAAA\n') };
    const err = await failureOf(replay(certItem(broken, 'ACTIVE')));
    expect(err.name).toBe('IdentityReplayRefused');
    expect(err.message).toContain('CertificateValidationException');
    expectNoPem(`${output()}\n${err.message}\n${JSON.stringify(err)}`, loner, broken);
  });

  test('writes first: an absent certificate the pipeline knows nothing of is registered without a describe', async () => {
    expect((await replay(certItem(loner, 'ACTIVE'))).action).toBe('created');
    expect(ctx.emulator.callCounts().DescribeCertificate ?? 0).toBe(0);
  });

  test('writes first, then describes on conflict: a certificate already here is reconciled as an update', async () => {
    await registerHere(loner, 'INACTIVE');
    expect((await replay(certItem(loner, 'ACTIVE'))).action).toBe('updated');
    expect(await statusHere(loner)).toBe('ACTIVE');
  });

  test('a certificate the pipeline knows present and deleted here since (capture has not journaled it) is not registered again', async () => {
    expect((await replay(certItem(loner, 'ACTIVE', { eventTime: NOW - 3000 }))).action).toBe('created');
    await ctx.operator.send(new UpdateCertificateCommand({ certificateId: loner.certificateId, newStatus: 'INACTIVE' }));
    await ctx.operator.send(new DeleteCertificateCommand({ certificateId: loner.certificateId }));
    const registered = ctx.emulator.callCounts().RegisterCertificateWithoutCA;
    const err = await failureOf(replay(certItem(loner, 'REVOKED', { eventTime: NOW - 2000 })));
    expect(err.name).toBe('LocalChangePending');
    // Known present: the describe-first path, no blind registration.
    expect(ctx.emulator.callCounts().RegisterCertificateWithoutCA).toBe(registered);
    await expect(statusHere(loner)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  test('records the state it registered, hashed as a describe here hashes it', async () => {
    const item = certItem(loner, 'ACTIVE');
    await replay(item);
    const known = await ctx.deps.ledger.knownState(item.sk);
    expect(known?.stateHash).toBe(stateHash(certificateState({ certificateId: loner.certificateId, certificatePem: loner.certificatePem, status: 'ACTIVE' })));
  });
});
