/**
 * End to end, device identities: certificates, CA certificates, policies and their versions, policy
 * attachments, thing principals, provisioning templates and role aliases change in one region; CloudTrail
 * events (the emulator's, with the caller's identity) reach that region's capture; the synthesized workflow
 * replays them into the other region. Every scenario ends with both registries equal, nothing dead-lettered
 * or parked, and no key material or certificate body in anything the handlers or the workflow wrote.
 */
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateProvisioningTemplateCommand,
  CreateRoleAliasCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeleteRoleAliasCommand,
  DeleteThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  RegisterCACertificateCommand,
  RegisterCertificateCommand,
  RegisterCertificateWithoutCACommand,
  SetDefaultPolicyVersionCommand,
  UpdateCertificateCommand,
  UpdateRoleAliasCommand,
} from '@aws-sdk/client-iot';
import type { DriftSummary } from '../../lambda/reconcile/reconcile';
import type { RegionNode, ReplicationWorld } from '../support/pipeline/two-region';
import { createCa, generateKeyPair, issueCertificate } from '../support/x509';
import { startWorld } from './support';

let world: ReplicationWorld;
let primary: RegionNode;
let secondary: RegionNode;
/** Everything the handlers logged during the test (console.log / console.error lines). */
const logLines: string[] = [];
/** Private keys and certificate bodies the test created: none may appear in any output. */
const secrets: string[] = [];

beforeAll(async () => {
  const started = await startWorld();
  world = started.world;
  primary = world.region(started.pair.primary);
  secondary = world.region(started.pair.secondary);
  process.env.IOT_DR_SILENT_METRICS = 'true';
  const keep = (...args: unknown[]) => void logLines.push(args.map(String).join(' '));
  jest.spyOn(console, 'log').mockImplementation(keep);
  jest.spyOn(console, 'error').mockImplementation(keep);
}, 120_000);
afterAll(async () => {
  jest.restoreAllMocks();
  await world?.close();
});
beforeEach(async () => {
  await world.reset();
  logLines.length = 0;
});
afterEach(() => {
  expectNoKeyMaterial();
});

/** A device policy naming its own region's client ARNs (what replay must rewrite for the other region). */
const policyIn = (region: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:${region}:123456789012:client/\${iot:Connection.Thing.ThingName}` }],
  });
const policyVersion = (n: number) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:us-west-2:123456789012:topic/v${n}` }] });

/** The base64 lines of a PEM body: a certificate body is "leaked" when any long line of it shows up. */
function bodyLines(pem: string): string[] {
  return pem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 40 && !l.startsWith('-----'));
}

function remember(...pems: (string | undefined)[]): void {
  for (const pem of pems) if (pem) secrets.push(...bodyLines(pem));
}

/** No private key and no certificate body in any log line, dead letter, parked message or workflow input/output. */
function expectNoKeyMaterial(): void {
  const outputs = [...logLines, ...world.regions.flatMap((r) => [...r.outputs, ...r.replayDeadLetters.map((d) => JSON.stringify(d)), ...r.parked.map((p) => p.body)])];
  for (const line of outputs) {
    expect(line).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    for (const secret of secrets) expect(line.includes(secret)).toBe(false);
  }
}

function expectConverged(): void {
  expect(secondary.emulator.identitySnapshot()).toEqual(primary.emulator.identitySnapshot());
  expect(secondary.emulator.snapshot()).toEqual(primary.emulator.snapshot());
  for (const node of [primary, secondary]) {
    expect(node.replayDeadLetters).toEqual([]);
    expect(node.captureDeadLetters).toEqual([]);
    expect(node.parked).toEqual([]);
  }
}

const total = (d: DriftSummary, field: 'found' | 'repaired' | 'failed' | 'pending'): number =>
  Object.values(d).reduce((n, c) => n + (c?.[field] ?? 0), 0);

async function newDevice(node: RegionNode, thingName: string, policyName = 'device'): Promise<string> {
  const keys = await node.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  remember(keys.certificatePem, keys.keyPair?.PrivateKey);
  await node.iot.send(new CreateThingCommand({ thingName }));
  await node.iot.send(new AttachPolicyCommand({ policyName, target: keys.certificateArn }));
  await node.iot.send(new AttachThingPrincipalCommand({ thingName, principal: keys.certificateArn }));
  return keys.certificateId!;
}

const statusIn = (node: RegionNode, certificateId: string) => node.emulator.identitySnapshot().certificates.find((c) => c.id === certificateId)?.status;

describe('device identities, end to end', () => {
  test('a device registered, attached, suspended, reactivated, revoked and deleted: the secondary mirrors each step', async () => {
    await primary.iot.send(new CreatePolicyCommand({ policyName: 'device', policyDocument: policyIn(primary.name) }));
    const certificateId = await newDevice(primary, 'sensor-1');
    await world.settle();
    expectConverged();
    expect(statusIn(secondary, certificateId)).toBe('ACTIVE');
    expect(secondary.emulator.identitySnapshot().thingPrincipals).toEqual([['sensor-1', certificateId]]);

    for (const newStatus of ['INACTIVE', 'ACTIVE', 'REVOKED'] as const) {
      await primary.iot.send(new UpdateCertificateCommand({ certificateId, newStatus }));
      await world.settle();
      expectConverged();
      expect(statusIn(secondary, certificateId)).toBe(newStatus);
    }

    const arn = `arn:aws:iot:${primary.name}:123456789012:cert/${certificateId}`;
    await primary.iot.send(new DetachThingPrincipalCommand({ thingName: 'sensor-1', principal: arn }));
    await primary.iot.send(new DetachPolicyCommand({ policyName: 'device', target: arn }));
    await primary.iot.send(new DeleteCertificateCommand({ certificateId }));
    await primary.iot.send(new DeleteThingCommand({ thingName: 'sensor-1' }));
    await world.settle();
    expectConverged();
    expect(secondary.emulator.identitySnapshot().certificates).toEqual([]);
  });

  test('a policy with five versions and a new default arrives whole, its own region\'s ARNs rewritten', async () => {
    await primary.iot.send(new CreatePolicyCommand({ policyName: 'fleet', policyDocument: policyVersion(1) }));
    for (let v = 2; v <= 5; v++) await primary.iot.send(new CreatePolicyVersionCommand({ policyName: 'fleet', policyDocument: policyVersion(v) }));
    await primary.iot.send(new SetDefaultPolicyVersionCommand({ policyName: 'fleet', policyVersionId: '3' }));
    await world.settle();
    expectConverged();
    const policy = secondary.emulator.identitySnapshot().policies.find((p) => p.name === 'fleet');
    expect(policy?.documents).toHaveLength(5);
    // The snapshot neutralises each region's own ARNs: equal snapshots mean the secondary names its own region.
    expect(JSON.stringify(secondary.emulator.identitySnapshot())).not.toContain(primary.name);
  });

  test('a certificate force-deleted while a policy is attached: the attachment goes with it in both regions', async () => {
    await primary.iot.send(new CreatePolicyCommand({ policyName: 'device', policyDocument: policyIn(primary.name) }));
    const keys = await primary.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    remember(keys.certificatePem, keys.keyPair?.PrivateKey);
    await primary.iot.send(new AttachPolicyCommand({ policyName: 'device', target: keys.certificateArn }));
    await world.settle();
    expectConverged();

    await primary.iot.send(new UpdateCertificateCommand({ certificateId: keys.certificateId, newStatus: 'INACTIVE' }));
    await primary.iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId, forceDelete: true }));
    await world.settle();
    expectConverged();
    expect(secondary.emulator.identitySnapshot().policyTargets).toEqual([]);
    // Nothing left attached: the policy itself can now go, in either region.
    await secondary.iot.send(new DeletePolicyCommand({ policyName: 'device' }));
    await world.settle();
    expectConverged();
  });

  test('a CA-signed certificate with its CA registered in both regions (SNI_ONLY in the secondary)', async () => {
    const ca = createCa('fleet-ca');
    const device = issueCertificate({ subject: 'meter-7', issuer: ca });
    remember(ca.privateKeyPem, device.privateKeyPem, device.certificatePem, ca.certificatePem);
    await primary.iot.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY', setAsActive: true }));
    await world.settle();
    await primary.iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem, caCertificatePem: ca.certificatePem, status: 'ACTIVE' }));
    await world.settle();
    expectConverged();
    const cert = secondary.emulator.identitySnapshot().certificates.find((c) => c.id === device.certificateId);
    expect(cert).toMatchObject({ status: 'ACTIVE', caCertificateId: ca.certificateId });
  });

  test('a provisioning template whose hook Lambda is missing in the secondary waits, parked with a clear reason, until it is deployed', async () => {
    const hook = (region: string) => `arn:aws:lambda:${region}:123456789012:function:pre-provision`;
    primary.emulator.addLambdaFunction(hook(primary.name));
    await primary.iot.send(
      new CreateProvisioningTemplateCommand({
        templateName: 'fleet',
        templateBody: JSON.stringify({ Parameters: { SerialNumber: { Type: 'String' } }, Resources: {} }),
        provisioningRoleArn: 'arn:aws:iam::123456789012:role/provisioning',
        enabled: true,
        preProvisioningHook: { targetArn: hook(primary.name) },
      }),
    );
    await world.settle();
    expect(secondary.parked).toHaveLength(1);
    expect(secondary.parked[0].body).toContain('pre-provisioning hook');
    expect(secondary.emulator.identitySnapshot().provisioningTemplates).toEqual([]);

    secondary.emulator.addLambdaFunction(hook(secondary.name));
    await world.drainParking();
    expectConverged();
    expect(secondary.emulator.identitySnapshot().provisioningTemplates).toHaveLength(1);
  });

  test('a role alias created, updated and deleted', async () => {
    await primary.iot.send(new CreateRoleAliasCommand({ roleAlias: 'camera', roleArn: 'arn:aws:iam::123456789012:role/camera', credentialDurationSeconds: 900 }));
    await world.settle();
    expectConverged();
    await primary.iot.send(new UpdateRoleAliasCommand({ roleAlias: 'camera', credentialDurationSeconds: 1800 }));
    await world.settle();
    expectConverged();
    expect(secondary.emulator.identitySnapshot().roleAliases).toEqual([expect.objectContaining({ name: 'camera', credentialDurationSeconds: 1800 })]);
    await primary.iot.send(new DeleteRoleAliasCommand({ roleAlias: 'camera' }));
    await world.settle();
    expectConverged();
  });

  test('a throttling storm in the secondary during a bulk registration: everything arrives, nothing dead-lettered', async () => {
    await primary.iot.send(new CreatePolicyCommand({ policyName: 'device', policyDocument: policyIn(primary.name) }));
    const keyPair = generateKeyPair();
    secondary.emulator.throttleNext(40, ['RegisterCertificateWithoutCA', 'AttachPolicy', 'AttachThingPrincipal']);
    for (let i = 0; i < 12; i++) {
      const cert = issueCertificate({ subject: `bulk-${i}`, keyPair });
      remember(cert.certificatePem);
      const registered = await primary.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: cert.certificatePem, status: 'ACTIVE' }));
      await primary.iot.send(new CreateThingCommand({ thingName: `bulk-${i}` }));
      await primary.iot.send(new AttachPolicyCommand({ policyName: 'device', target: registered.certificateArn }));
      await primary.iot.send(new AttachThingPrincipalCommand({ thingName: `bulk-${i}`, principal: registered.certificateArn }));
    }
    await world.settle();
    await world.drainParking();
    expect(secondary.emulator.injectedFaults().answered).toBeGreaterThan(0);
    expectConverged();
    expect(secondary.emulator.identitySnapshot().thingPrincipals).toHaveLength(12);
  });

  test('a CloudTrail event that never arrives: the reconciler repairs the secondary', async () => {
    await primary.iot.send(new CreatePolicyCommand({ policyName: 'device', policyDocument: policyIn(primary.name) }));
    const certificateId = await newDevice(primary, 'lamp');
    await world.settle();
    expectConverged();

    await primary.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    await primary.dropCloudTrail(1);
    await world.settle();
    expect(statusIn(secondary, certificateId)).toBe('ACTIVE');

    // The primary's pass sees its registry moved past what its pipeline knew; after the grace period it journals it.
    expect(total(await primary.reconcile(), 'pending')).toBe(1);
    primary.reconcileClockOffset = 15 * 60_000;
    expect(total(await primary.reconcile(), 'repaired')).toBe(1);
    await world.settle();
    expectConverged();
    expect(statusIn(secondary, certificateId)).toBe('INACTIVE');
  });

  test('an entity only in the target (its CloudTrail event lost): imported by the reconciler and replicated back', async () => {
    await secondary.iot.send(new CreatePolicyCommand({ policyName: 'local-only', policyDocument: policyIn(secondary.name) }));
    await secondary.dropCloudTrail(1);
    await world.settle();
    expect(primary.emulator.identitySnapshot().policies).toEqual([]);

    expect(total(await secondary.reconcile(), 'repaired')).toBe(1);
    await world.settle();
    expectConverged();
    for (const node of [primary, secondary]) expect(total(await node.reconcile(), 'found')).toBe(0);
  });

  test('deleting a thing with a principal still attached in the secondary detaches it there first', async () => {
    await primary.iot.send(new CreatePolicyCommand({ policyName: 'device', policyDocument: policyIn(primary.name) }));
    const certificateId = await newDevice(primary, 'door');
    await world.settle();
    expectConverged();

    const arn = `arn:aws:iot:${primary.name}:123456789012:cert/${certificateId}`;
    await primary.iot.send(new DetachThingPrincipalCommand({ thingName: 'door', principal: arn }));
    await primary.iot.send(new DeleteThingCommand({ thingName: 'door' }));
    // The detach's CloudTrail event is late: the thing's delete reaches the secondary first.
    const detach = primary.pendingCloudTrail.splice(0);
    await world.settle();
    primary.pendingCloudTrail.push(...detach);
    await world.settle();
    expectConverged();
    expect(secondary.emulator.snapshot().things).toEqual([]);
  });
});
