import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateProvisioningTemplateCommand,
  CreateRoleAliasCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  RegisterCACertificateCommand,
  RegisterCertificateWithoutCACommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { IoTDataPlaneClient, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { RECONCILED_KINDS } from '../../../lambda/contract';
import type { DriftSummary } from '../../../lambda/reconcile/reconcile';
import { DEFAULT_TPS_QUOTAS } from '../../support/iot-emulator';
import { createCa, generateKeyPair, issueCertificate, type KeyPair } from '../../support/x509';
import { GRACE_MS, type Harness, startHarness } from './harness';

const total = (d: DriftSummary, field: 'found' | 'repaired' | 'failed' | 'pending' | 'checked'): number =>
  Object.values(d).reduce((n, c) => n + (c?.[field] ?? 0), 0);

const ROLE_ARN = 'arn:aws:iam::123456789012:role/device-credentials';
const policyDocument = (topic: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:us-west-2:123456789012:topic/${topic}` }],
  });

let h: Harness;
let keyPair: KeyPair;
beforeAll(() => {
  keyPair = generateKeyPair();
});
beforeEach(async () => {
  // Thousands of log and metric lines otherwise.
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  // The limiter paces to the emulator's own quota table, so the reconciler's single attempts are never throttled.
  h = await startHarness({ quotas: { ...DEFAULT_TPS_QUOTAS } });
});
afterEach(async () => {
  jest.restoreAllMocks();
  await h.close();
});

/** A device in region A, made with IoT calls whose CloudTrail events nobody captures. */
async function device(thingName: string, on: Harness = h, policyName = 'device-policy'): Promise<string> {
  const iot = on.a.admin;
  const cert = issueCertificate({ subject: thingName, keyPair });
  const { certificateArn } = await iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: cert.certificatePem, status: 'ACTIVE' }));
  await iot.send(new CreateThingCommand({ thingName }));
  await iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn }));
  return cert.certificateId;
}

async function seedIdentities(): Promise<string[]> {
  const iot = h.a.admin;
  await iot.send(new CreatePolicyCommand({ policyName: 'device-policy', policyDocument: policyDocument('telemetry/*') }));
  const ids = [await device('d1'), await device('d2')];
  await iot.send(new CreateThingGroupCommand({ thingGroupName: 'fleet' }));
  await iot.send(new AttachPolicyCommand({ policyName: 'device-policy', target: 'arn:aws:iot:us-west-2:123456789012:thinggroup/fleet' }));
  await iot.send(new RegisterCACertificateCommand({ caCertificate: createCa('fleet-ca').certificatePem, certificateMode: 'SNI_ONLY', setAsActive: true }));
  await iot.send(new CreateRoleAliasCommand({ roleAlias: 'device-role', roleArn: ROLE_ARN, credentialDurationSeconds: 900 }));
  await iot.send(
    new CreateProvisioningTemplateCommand({
      templateName: 'fleet-template',
      templateBody: JSON.stringify({ Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'SerialNumber' } } } } }),
      provisioningRoleArn: ROLE_ARN,
      enabled: true,
    }),
  );
  return ids;
}

describe('Reconciler, device identities', () => {
  test('initial copy of every identity kind, both directions; a second pass finds no drift and describes no certificate', async () => {
    await seedIdentities();
    const importA = await h.a.reconciler.runAll();
    expect(total(importA, 'failed')).toBe(0);
    // Checked twice: by their things' pages (which import them) and by the certificate listing after.
    expect(importA.cert).toMatchObject({ checked: 4, found: 2, repaired: 2 });
    // The two attachments to certificates are checked twice too (the third is to a thing group).
    expect(importA.policyTarget).toMatchObject({ checked: 5, found: 3, repaired: 3 });
    expect(importA.principal).toMatchObject({ checked: 2, found: 2, repaired: 2 });
    for (const kind of ['caCert', 'policy', 'roleAlias', 'provisioningTemplate'] as const) expect(importA[kind]).toMatchObject({ found: 1, repaired: 1 });

    const copyB = await h.b.reconciler.runAll();
    expect(total(copyB, 'failed')).toBe(0);
    expect(h.b.emulator.identitySnapshot()).toEqual(h.a.emulator.identitySnapshot());
    expect(h.b.emulator.snapshot()).toEqual(h.a.emulator.snapshot());

    const describedBefore = h.a.emulator.callCounts().DescribeCertificate ?? 0;
    for (const r of [h.a, h.b]) {
      const again = await r.reconciler.runAll();
      expect(total(again, 'found')).toBe(0);
      expect(again.cert).toMatchObject({ checked: 2 });
    }
    // In sync: the certificates' PEMs come from the journal, their status from ListCertificates.
    expect(h.a.emulator.callCounts().DescribeCertificate ?? 0).toBe(describedBefore);
    expect(h.a.throttled() + h.b.throttled()).toBe(0);
  }, 60_000);

  test('changes whose CloudTrail events never arrived (a status, a new default policy version) are journaled after the grace period and copied', async () => {
    const [d1] = await seedIdentities();
    await h.a.reconciler.runAll();
    await h.b.reconciler.runAll();
    await h.a.admin.send(new UpdateCertificateCommand({ certificateId: d1, newStatus: 'INACTIVE' }));
    await h.a.admin.send(new CreatePolicyVersionCommand({ policyName: 'device-policy', policyDocument: policyDocument('telemetry/v2/*'), setAsDefault: true }));

    const seen = await h.a.reconciler.runAll();
    expect(seen.cert).toMatchObject({ found: 1, pending: 1 });
    expect(seen.policy).toMatchObject({ found: 1, pending: 1 });
    h.advance(GRACE_MS + 1);
    const journaled = await h.a.reconciler.runAll();
    expect(journaled.cert).toMatchObject({ found: 1, repaired: 1 });
    expect(journaled.policy).toMatchObject({ found: 1, repaired: 1 });

    const repaired = await h.b.reconciler.runAll();
    expect(repaired.cert).toMatchObject({ found: 1, repaired: 1, failed: 0 });
    expect(repaired.policy).toMatchObject({ found: 1, repaired: 1, failed: 0 });
    expect(h.b.emulator.identitySnapshot()).toEqual(h.a.emulator.identitySnapshot());
    expect(h.b.emulator.identitySnapshot().certificates.find((c) => c.id === d1)?.status).toBe('INACTIVE');
  }, 60_000);

  test('an identity only in the target region, with no journal item, is imported and flows back', async () => {
    await h.b.admin.send(new CreateRoleAliasCommand({ roleAlias: 'only-in-b', roleArn: ROLE_ARN }));
    const cert = issueCertificate({ subject: 'b-only', keyPair });
    await h.b.admin.send(new RegisterCertificateWithoutCACommand({ certificatePem: cert.certificatePem, status: 'ACTIVE' }));
    const imported = await h.b.reconciler.runAll();
    expect(imported.roleAlias).toMatchObject({ found: 1, repaired: 1 });
    expect(imported.cert).toMatchObject({ found: 1, repaired: 1 });
    const copied = await h.a.reconciler.runAll();
    expect(total(copied, 'failed')).toBe(0);
    expect(h.a.emulator.identitySnapshot()).toEqual(h.b.emulator.identitySnapshot());
    expect(h.a.emulator.identitySnapshot().roleAliases.map((r) => r.name)).toEqual(['only-in-b']);
  }, 60_000);

  test('a policy attached to more certificates than a page holds is listed over several pages, all of them compared', async () => {
    const paged = await startHarness({ quotas: { ...DEFAULT_TPS_QUOTAS }, pageSize: 2 });
    try {
      await paged.a.admin.send(new CreatePolicyCommand({ policyName: 'device-policy', policyDocument: policyDocument('telemetry/*') }));
      await paged.a.admin.send(new CreatePolicyCommand({ policyName: 'other-policy', policyDocument: policyDocument('other/*') }));
      for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) await device(name, paged);
      const pass = await paged.a.reconciler.runAll();
      // Each checked twice: with its certificate on its thing's page, and by the policy's listing after.
      expect(pass.policyTarget).toMatchObject({ checked: 10, found: 5, repaired: 5, failed: 0 });
      expect(pass.policy).toMatchObject({ checked: 2, found: 2 });
      expect(pass.principal).toMatchObject({ checked: 5, found: 5 });
      // Pages of two: an attachment scanned before its certificate waits (pending, not failed) for the next pass.
      const copy = await paged.b.reconciler.runAll();
      expect(total(copy, 'failed')).toBe(0);
      const next = await paged.b.reconciler.runAll();
      expect(total(next, 'failed')).toBe(0);
      expect(total(next, 'pending')).toBe(0);
      expect(paged.b.emulator.identitySnapshot()).toEqual(paged.a.emulator.identitySnapshot());
    } finally {
      await paged.close();
    }
  }, 60_000);

  test('shadows, when replicated: classic and named shadows copied, and a second pass finds no drift', async () => {
    const shadows = await startHarness({ quotas: { ...DEFAULT_TPS_QUOTAS }, kinds: RECONCILED_KINDS });
    const data = new IoTDataPlaneClient({ region: 'us-west-2', endpoint: shadows.a.emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    try {
      await shadows.a.admin.send(new CreateThingCommand({ thingName: 'lamp' }));
      const payload = (state: unknown): Uint8Array => Buffer.from(JSON.stringify({ state }));
      await data.send(new UpdateThingShadowCommand({ thingName: 'lamp', payload: payload({ desired: { on: true }, reported: { on: false } }) }));
      await data.send(new UpdateThingShadowCommand({ thingName: 'lamp', shadowName: 'config', payload: payload({ reported: { interval: 60 } }) }));
      const imported = await shadows.a.reconciler.runAll();
      expect(imported.shadow).toMatchObject({ checked: 2, found: 2, repaired: 2 });
      const copied = await shadows.b.reconciler.runAll();
      expect(total(copied, 'failed')).toBe(0);
      expect(shadows.b.emulator.identitySnapshot().shadows).toEqual(shadows.a.emulator.identitySnapshot().shadows);
      for (const r of [shadows.a, shadows.b]) expect(total(await r.reconciler.runAll(), 'found')).toBe(0);
    } finally {
      data.destroy();
      await shadows.close();
    }
  }, 60_000);
});

