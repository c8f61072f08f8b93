import { DescribeCACertificateCommand, RegisterCACertificateCommand, RegisterCertificateCommand, UpdateCACertificateCommand } from '@aws-sdk/client-iot';
import { createCaCertificateReplay } from '../../../lambda/replay/ca-certificate';
import { caCertificateState } from '../../../lambda/shared/identity-state';
import { caCertKeys } from '../../../lambda/shared/keys';
import type { JournalItem } from '../../../lambda/shared/model';
import { createCa, issueCertificate } from '../../support/x509';
import { captureConsole, failureOf, type IdentityTestContext, journalItem, newContext, NOW, startWorld, stopWorld } from './identity-harness';

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

function caItem(status: string | undefined, autoRegistration = 'DISABLE', eventTime = NOW - 2000): JournalItem {
  return journalItem({
    keys: caCertKeys(ca.certificateId),
    kind: 'caCert',
    state: status === undefined ? undefined : caCertificateState({ certificateId: ca.certificateId, certificatePem: ca.certificatePem, status, autoRegistration }),
    eventTime,
  });
}

const replay = (item: JournalItem) => ctx.replay(createCaCertificateReplay(ctx.deps), item);
const describeHere = async () => (await ctx.operator.send(new DescribeCACertificateCommand({ certificateId: ca.certificateId }))).certificateDescription;

describe('CA certificate replay', () => {
  test('registers an absent CA in SNI_ONLY mode, with no verification certificate', async () => {
    const item = caItem('ACTIVE', 'ENABLE');
    expect((await replay(item)).action).toBe('created');
    expect(await describeHere()).toMatchObject({ status: 'ACTIVE', autoRegistrationStatus: 'ENABLE', certificateMode: 'SNI_ONLY' });
    expect((await replay(item)).action).toBe('unchanged');
    expect(output()).not.toContain('BEGIN CERTIFICATE');
  });

  test('updates status and auto-registration', async () => {
    await ctx.operator.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY', setAsActive: true }));
    expect((await replay(caItem('INACTIVE', 'ENABLE'))).action).toBe('updated');
    expect(await describeHere()).toMatchObject({ status: 'INACTIVE', autoRegistrationStatus: 'ENABLE' });
  });

  test('deletes: deactivates first; the certificates it issued stay registered', async () => {
    await ctx.operator.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY', setAsActive: true }));
    const device = issueCertificate({ subject: 'lamp-1', issuer: ca });
    await ctx.operator.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem, caCertificatePem: ca.certificatePem, status: 'ACTIVE' }));
    expect((await replay(caItem(undefined))).action).toBe('deleted');
    const snap = ctx.emulator.identitySnapshot();
    expect(snap.caCertificates).toEqual([]);
    expect(snap.certificates.map((c) => c.id)).toEqual([device.certificateId]);
  });

  test('a tombstone of a CA not here changes nothing', async () => {
    expect((await replay(caItem(undefined))).action).toBe('unchanged');
  });

  test('does not overwrite a local change capture has not journaled yet', async () => {
    await ctx.operator.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY', setAsActive: true }));
    expect((await replay(caItem('ACTIVE', 'DISABLE', NOW - 3000))).action).toBe('unchanged');
    await ctx.operator.send(new UpdateCACertificateCommand({ certificateId: ca.certificateId, newAutoRegistrationStatus: 'ENABLE' }));
    expect((await failureOf(replay(caItem('INACTIVE', 'DISABLE', NOW - 2000)))).name).toBe('LocalChangePending');
    expect(await describeHere()).toMatchObject({ status: 'ACTIVE', autoRegistrationStatus: 'ENABLE' });
  });
});
