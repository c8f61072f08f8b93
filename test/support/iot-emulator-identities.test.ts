import { createHash, X509Certificate } from 'node:crypto';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CertificateStateException,
  CertificateValidationException,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateProvisioningTemplateCommand,
  CreateProvisioningTemplateVersionCommand,
  CreateRoleAliasCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteCACertificateCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteProvisioningTemplateCommand,
  DeleteRoleAliasCommand,
  DeleteThingCommand,
  DeleteThingGroupCommand,
  DescribeCACertificateCommand,
  DescribeCertificateCommand,
  DescribeProvisioningTemplateCommand,
  DescribeProvisioningTemplateVersionCommand,
  DescribeRoleAliasCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  InvalidRequestException,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListCACertificatesCommand,
  ListCertificatesByCACommand,
  ListCertificatesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListPrincipalThingsCommand,
  ListProvisioningTemplatesCommand,
  ListProvisioningTemplateVersionsCommand,
  ListRoleAliasesCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  ListThingPrincipalsV2Command,
  MalformedPolicyException,
  RegisterCACertificateCommand,
  RegisterCertificateCommand,
  RegisterCertificateWithoutCACommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  SetDefaultPolicyVersionCommand,
  ThrottlingException,
  UpdateCACertificateCommand,
  UpdateCertificateCommand,
  UpdateProvisioningTemplateCommand,
  UpdateRoleAliasCommand,
  VersionsLimitExceededException,
} from '@aws-sdk/client-iot';
import {
  ConflictException,
  DeleteThingShadowCommand,
  GetRetainedMessageCommand,
  GetThingShadowCommand,
  InvalidRequestException as DataInvalidRequestException,
  IoTDataPlaneClient,
  ListNamedShadowsForThingCommand,
  ListRetainedMessagesCommand,
  PublishCommand,
  ResourceNotFoundException as DataResourceNotFoundException,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { GetFunctionConfigurationCommand, LambdaClient, ResourceNotFoundException as LambdaNotFound } from '@aws-sdk/client-lambda';
import { DEFAULT_TPS_QUOTAS, startIotEmulator, type CloudTrailEvent, type IotEmulator, type MqttMessage } from './iot-emulator';
import { certificateIdOf, createCa, createCsr, generateKeyPair, issueCertificate, pemToDer } from './x509';

const ACCOUNT = '123456789012';
const REGION = 'us-west-2';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/provisioning`;
const DOCUMENT = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

let emulator: IotEmulator;
let iot: IoTClient;
let data: IoTDataPlaneClient;
let lambda: LambdaClient;
const trail: CloudTrailEvent[] = [];
const messages: MqttMessage[] = [];

function clients(endpoint: string, region: string, accessKeyId = 'test') {
  const common = { endpoint, region, credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 };
  return { iot: new IoTClient(common), data: new IoTDataPlaneClient(common), lambda: new LambdaClient(common) };
}

beforeAll(async () => {
  emulator = await startIotEmulator({ lambdaFunctions: ['hook'] });
  emulator.onCloudTrail((e) => trail.push(e));
  emulator.onMessage((m) => messages.push(m));
  ({ iot, data, lambda } = clients(emulator.endpoint, REGION));
});

afterAll(async () => {
  iot.destroy();
  data.destroy();
  lambda.destroy();
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
  trail.length = 0;
  messages.length = 0;
});

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function expectError<T extends Error>(
  call: Promise<unknown>,
  type: abstract new (...args: any[]) => T,
  status: number,
  message?: RegExp,
): Promise<T> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode).toBe(status);
  if (message) expect((error as Error).message).toMatch(message);
  return error as T;
}

const certArn = (id: string, region = REGION) => `arn:aws:iot:${region}:${ACCOUNT}:cert/${id}`;
const json = (payload: Uint8Array | undefined) => JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString('utf8'));
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

async function registerDevice(status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE') {
  const device = issueCertificate({ subject: 'device' });
  const registered = await iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: device.certificatePem, status }));
  return { ...device, arn: registered.certificateArn ?? '', id: registered.certificateId ?? '' };
}

describe('x509 helper', () => {
  test('CA-issued and self-signed certificates parse and verify; the id is the SHA-256 of the DER', () => {
    const ca = createCa('Test CA');
    const device = issueCertificate({ subject: 'dev-1', issuer: ca });
    const caCert = new X509Certificate(ca.certificatePem);
    const cert = new X509Certificate(device.certificatePem);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe('CN=dev-1');
    expect(cert.issuer).toBe('CN=Test CA');
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(device.certificateId).toBe(createHash('sha256').update(cert.raw).digest('hex'));
    expect(certificateIdOf(device.certificatePem)).toBe(device.certificateId);
    expect(pemToDer(device.certificatePem).equals(cert.raw)).toBe(true);

    const self = new X509Certificate(issueCertificate({ subject: 'alone' }).certificatePem);
    expect(self.verify(self.publicKey)).toBe(true);
    expect(self.checkIssued(caCert)).toBe(false);
  });

  test('a shared key pair makes bulk issuance cheap, and every certificate is distinct', () => {
    const ca = createCa('Bulk CA');
    const keyPair = generateKeyPair();
    const ids = new Set<string>();
    for (let i = 0; i < 500; i++) ids.add(issueCertificate({ subject: `d${i}`, issuer: ca, keyPair }).certificateId);
    expect(ids.size).toBe(500);
  });
});

describe('certificates', () => {
  test('CreateKeysAndCertificate returns a real certificate and key pair; the id is the SHA-256 of the DER', async () => {
    const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const cert = new X509Certificate(created.certificatePem ?? '');
    expect(created.certificateId).toBe(createHash('sha256').update(cert.raw).digest('hex'));
    expect(created.certificateArn).toBe(certArn(created.certificateId ?? ''));
    expect(created.keyPair?.PrivateKey).toContain('PRIVATE KEY');
    expect(created.keyPair?.PublicKey).toContain('PUBLIC KEY');
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(created.keyPair?.PublicKey);

    const { certificateDescription: d } = await iot.send(new DescribeCertificateCommand({ certificateId: created.certificateId }));
    expect(d).toMatchObject({
      certificateId: created.certificateId,
      certificateArn: created.certificateArn,
      status: 'ACTIVE',
      certificatePem: created.certificatePem,
      ownedBy: ACCOUNT,
      certificateMode: 'DEFAULT',
    });
    expect(d?.caCertificateId).toBeUndefined();
    expect(d?.creationDate).toBeInstanceOf(Date);
    expect(d?.validity?.notAfter?.getTime()).toBeGreaterThan(Date.now());

    const inactive = await iot.send(new CreateKeysAndCertificateCommand({}));
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: inactive.certificateId }))).certificateDescription?.status).toBe(
      'INACTIVE',
    );
  });

  test('CreateCertificateFromCsr certifies the key of the request, and refuses a forged one', async () => {
    const keyPair = generateKeyPair();
    const csr = createCsr('device-7', keyPair);
    const created = await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: true }));
    const cert = new X509Certificate(created.certificatePem ?? '');
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(keyPair.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(created.certificateId).toBe(certificateIdOf(created.certificatePem ?? ''));
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: created.certificateId }))).certificateDescription?.status).toBe('ACTIVE');

    const der = pemToDer(csr);
    der[der.length - 5] ^= 0xff; // corrupt the signature
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expectError(iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: forged })), InvalidRequestException, 400);
    await expectError(iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: 'garbage' })), InvalidRequestException, 400);
    await settle();
    expect(trail.map((e) => [e.detail.eventName, e.detail.responseElements])).toEqual([
      ['CreateCertificateFromCsr', { certificateArn: created.certificateArn, certificateId: created.certificateId }],
    ]);
  });

  test('RegisterCertificateWithoutCA: same id as the PEM everywhere, SNI_ONLY, duplicates and bad PEMs refused', async () => {
    const device = issueCertificate({ subject: 'dev' });
    const registered = await iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: device.certificatePem }));
    expect(registered.certificateId).toBe(device.certificateId);
    const { certificateDescription: d } = await iot.send(new DescribeCertificateCommand({ certificateId: device.certificateId }));
    expect(d).toMatchObject({ status: 'INACTIVE', certificateMode: 'SNI_ONLY' });

    const dup = await expectError(
      iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: device.certificatePem, status: 'ACTIVE' })),
      ResourceAlreadyExistsException,
      409,
    );
    expect(dup.resourceId).toBe(device.certificateId);
    expect(dup.resourceArn).toBe(registered.certificateArn);

    await expectError(
      iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' })),
      CertificateValidationException,
      400,
    );
    await expectError(iot.send(new DescribeCertificateCommand({ certificateId: 'a'.repeat(64) })), ResourceNotFoundException, 404);
    await expectError(iot.send(new DescribeCertificateCommand({ certificateId: 'nothex' })), InvalidRequestException, 400);
  });

  test('UpdateCertificate and ListCertificates (newest first, paged by marker)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await registerDevice('INACTIVE')).id);
    await iot.send(new UpdateCertificateCommand({ certificateId: ids[0], newStatus: 'ACTIVE' }));
    await iot.send(new UpdateCertificateCommand({ certificateId: ids[1], newStatus: 'REVOKED' }));
    await expectError(
      iot.send(new UpdateCertificateCommand({ certificateId: ids[2], newStatus: 'PENDING_TRANSFER' })),
      InvalidRequestException,
      400,
    );
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await iot.send(new ListCertificatesCommand({ pageSize: 2, marker }));
      seen.push(...(page.certificates ?? []).map((c) => c.certificateId ?? ''));
      marker = page.nextMarker;
    } while (marker);
    expect([...seen].sort()).toEqual([...ids].sort());
    const all = await iot.send(new ListCertificatesCommand({}));
    const statuses = Object.fromEntries((all.certificates ?? []).map((c) => [c.certificateId, c.status]));
    expect(statuses[ids[0]]).toBe('ACTIVE');
    expect(statuses[ids[1]]).toBe('REVOKED');
    expect(all.certificates?.[0]).toMatchObject({ certificateMode: 'SNI_ONLY', certificateArn: expect.stringContaining(':cert/') });
  });

  test('DeleteCertificate refuses ACTIVE, thing-attached and policy-attached certificates; forceDelete detaches policies', async () => {
    const device = await registerDevice('ACTIVE');
    await iot.send(new CreatePolicyCommand({ policyName: 'p', policyDocument: DOCUMENT }));
    await iot.send(new AttachPolicyCommand({ policyName: 'p', target: device.arn }));
    await iot.send(new CreateThingCommand({ thingName: 't' }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 't', principal: device.arn }));

    await expectError(
      iot.send(new DeleteCertificateCommand({ certificateId: device.id, forceDelete: true })),
      CertificateStateException,
      406,
      /must be deactivated/,
    );
    await iot.send(new UpdateCertificateCommand({ certificateId: device.id, newStatus: 'INACTIVE' }));
    await expectError(
      iot.send(new DeleteCertificateCommand({ certificateId: device.id, forceDelete: true })),
      DeleteConflictException,
      409,
      /Things must be detached/,
    );
    await iot.send(new DetachThingPrincipalCommand({ thingName: 't', principal: device.arn }));
    await expectError(
      iot.send(new DeleteCertificateCommand({ certificateId: device.id })),
      DeleteConflictException,
      409,
      /policies must be detached/,
    );
    await iot.send(new DeleteCertificateCommand({ certificateId: device.id, forceDelete: true }));
    expect((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'p' }))).targets).toEqual([]);
    await expectError(iot.send(new DescribeCertificateCommand({ certificateId: device.id })), ResourceNotFoundException, 404);
    await expectError(iot.send(new DeleteCertificateCommand({ certificateId: device.id })), ResourceNotFoundException, 404);
  });
});

describe('CA certificates', () => {
  test('register (DEFAULT needs a verification certificate, SNI_ONLY none), describe, update, list, delete only when INACTIVE', async () => {
    const ca = createCa('Fleet CA');
    await expectError(iot.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem })), InvalidRequestException, 400);
    await expectError(
      iot.send(new RegisterCACertificateCommand({ caCertificate: issueCertificate({ subject: 'leaf', issuer: ca }).certificatePem, certificateMode: 'SNI_ONLY' })),
      CertificateValidationException,
      400,
    );
    const registered = await iot.send(
      new RegisterCACertificateCommand({
        caCertificate: ca.certificatePem,
        verificationCertificate: issueCertificate({ subject: 'registration-code', issuer: ca }).certificatePem,
        setAsActive: true,
        allowAutoRegistration: true,
        registrationConfig: { templateName: 'jitp' },
      }),
    );
    expect(registered).toMatchObject({ certificateId: ca.certificateId, certificateArn: `arn:aws:iot:${REGION}:${ACCOUNT}:cacert/${ca.certificateId}` });
    await expectError(
      iot.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY' })),
      ResourceAlreadyExistsException,
      409,
    );
    const described = await iot.send(new DescribeCACertificateCommand({ certificateId: ca.certificateId }));
    expect(described.certificateDescription).toMatchObject({
      status: 'ACTIVE',
      autoRegistrationStatus: 'ENABLE',
      certificateMode: 'DEFAULT',
      certificatePem: ca.certificatePem,
      ownedBy: ACCOUNT,
    });
    expect(described.registrationConfig).toEqual({ templateName: 'jitp' });

    const sni = createCa('SNI CA');
    await iot.send(new RegisterCACertificateCommand({ caCertificate: sni.certificatePem, certificateMode: 'SNI_ONLY' }));
    expect((await iot.send(new ListCACertificatesCommand({}))).certificates?.map((c) => c.certificateId).sort()).toEqual(
      [ca.certificateId, sni.certificateId].sort(),
    );
    expect((await iot.send(new ListCACertificatesCommand({ templateName: 'jitp' }))).certificates?.map((c) => c.certificateId)).toEqual([
      ca.certificateId,
    ]);

    await expectError(iot.send(new DeleteCACertificateCommand({ certificateId: ca.certificateId })), CertificateStateException, 406);
    await iot.send(new UpdateCACertificateCommand({ certificateId: ca.certificateId, newStatus: 'INACTIVE', newAutoRegistrationStatus: 'DISABLE' }));
    expect((await iot.send(new DescribeCACertificateCommand({ certificateId: ca.certificateId }))).certificateDescription).toMatchObject({
      status: 'INACTIVE',
      autoRegistrationStatus: 'DISABLE',
    });
    await iot.send(new DeleteCACertificateCommand({ certificateId: ca.certificateId }));
    await expectError(iot.send(new DescribeCACertificateCommand({ certificateId: ca.certificateId })), ResourceNotFoundException, 404);
  });

  test('RegisterCertificate links a CA-signed certificate to its registered CA, and refuses one whose CA is not registered', async () => {
    const ca = createCa('Fleet CA');
    const other = createCa('Other CA');
    const device = issueCertificate({ subject: 'dev', issuer: ca });
    await expectError(
      iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem })),
      CertificateValidationException,
      400,
      /not signed by a CA certificate registered/,
    );
    await iot.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY', setAsActive: true }));
    await iot.send(new RegisterCACertificateCommand({ caCertificate: other.certificatePem, certificateMode: 'SNI_ONLY' }));
    await expectError(
      iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem, caCertificatePem: other.certificatePem })),
      CertificateValidationException,
      400,
    );
    await expectError(
      iot.send(new RegisterCertificateCommand({ certificatePem: issueCertificate({ subject: 'self' }).certificatePem })),
      CertificateValidationException,
      400,
    );

    const registered = await iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem, status: 'ACTIVE' }));
    expect(registered.certificateId).toBe(device.certificateId);
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: device.certificateId }))).certificateDescription).toMatchObject({
      caCertificateId: ca.certificateId,
      status: 'ACTIVE',
      certificateMode: 'SNI_ONLY',
    });
    const second = issueCertificate({ subject: 'dev2', issuer: ca });
    await iot.send(new RegisterCertificateCommand({ certificatePem: second.certificatePem, caCertificatePem: ca.certificatePem, setAsActive: true }));
    const byCa = await iot.send(new ListCertificatesByCACommand({ caCertificateId: ca.certificateId }));
    expect(byCa.certificates?.map((c) => c.certificateId).sort()).toEqual([device.certificateId, second.certificateId].sort());
    await expectError(
      iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem })),
      ResourceAlreadyExistsException,
      409,
    );
  });
});

describe('policies', () => {
  test('create, get, duplicate and malformed documents', async () => {
    const created = await iot.send(new CreatePolicyCommand({ policyName: 'device', policyDocument: DOCUMENT }));
    expect(created).toMatchObject({
      policyName: 'device',
      policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/device`,
      policyDocument: DOCUMENT,
      policyVersionId: '1',
    });
    expect(await iot.send(new GetPolicyCommand({ policyName: 'device' }))).toMatchObject({
      policyName: 'device',
      policyDocument: DOCUMENT,
      defaultVersionId: '1',
    });
    await expectError(iot.send(new CreatePolicyCommand({ policyName: 'device', policyDocument: DOCUMENT })), ResourceAlreadyExistsException, 409);
    await expectError(iot.send(new CreatePolicyCommand({ policyName: 'bad', policyDocument: '{not json' })), MalformedPolicyException, 400);
    await expectError(iot.send(new GetPolicyCommand({ policyName: 'missing' })), ResourceNotFoundException, 404);
    expect((await iot.send(new ListPoliciesCommand({}))).policies).toEqual([{ policyName: 'device', policyArn: created.policyArn }]);
  });

  test('versions: at most five, default switching, the default cannot be deleted, DeletePolicy refusals', async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'p', policyDocument: DOCUMENT }));
    const docs = [2, 3, 4, 5].map((n) => DOCUMENT.replace('iot:Connect', `iot:Publish${n}`));
    for (const doc of docs) await iot.send(new CreatePolicyVersionCommand({ policyName: 'p', policyDocument: doc }));
    await expectError(
      iot.send(new CreatePolicyVersionCommand({ policyName: 'p', policyDocument: DOCUMENT })),
      VersionsLimitExceededException,
      409,
    );
    const versions = await iot.send(new ListPolicyVersionsCommand({ policyName: 'p' }));
    expect(versions.policyVersions?.map((v) => [v.versionId, v.isDefaultVersion])).toEqual([
      ['5', false],
      ['4', false],
      ['3', false],
      ['2', false],
      ['1', true],
    ]);
    await iot.send(new SetDefaultPolicyVersionCommand({ policyName: 'p', policyVersionId: '3' }));
    expect(await iot.send(new GetPolicyCommand({ policyName: 'p' }))).toMatchObject({ defaultVersionId: '3', policyDocument: docs[1] });
    expect(await iot.send(new GetPolicyVersionCommand({ policyName: 'p', policyVersionId: '1' }))).toMatchObject({
      policyDocument: DOCUMENT,
      isDefaultVersion: false,
    });
    await expectError(iot.send(new DeletePolicyVersionCommand({ policyName: 'p', policyVersionId: '3' })), DeleteConflictException, 409);
    await expectError(iot.send(new DeletePolicyCommand({ policyName: 'p' })), DeleteConflictException, 409, /versions other than/);
    await iot.send(new DeletePolicyVersionCommand({ policyName: 'p', policyVersionId: '1' }));
    // Version ids are never reused.
    const next = await iot.send(new CreatePolicyVersionCommand({ policyName: 'p', policyDocument: DOCUMENT, setAsDefault: true }));
    expect(next).toMatchObject({ policyVersionId: '6', isDefaultVersion: true });
    await expectError(iot.send(new GetPolicyVersionCommand({ policyName: 'p', policyVersionId: '1' })), ResourceNotFoundException, 404);
    for (const id of ['2', '3', '4', '5']) await iot.send(new DeletePolicyVersionCommand({ policyName: 'p', policyVersionId: id }));

    const device = await registerDevice();
    await iot.send(new AttachPolicyCommand({ policyName: 'p', target: device.arn }));
    await expectError(iot.send(new DeletePolicyCommand({ policyName: 'p' })), DeleteConflictException, 409, /attached to one or more principals/);
    await iot.send(new DetachPolicyCommand({ policyName: 'p', target: device.arn }));
    await iot.send(new DeletePolicyCommand({ policyName: 'p' }));
    await expectError(iot.send(new GetPolicyCommand({ policyName: 'p' })), ResourceNotFoundException, 404);
  });

  test('attachments to certificates and thing groups; unknown and foreign targets; DeleteThingGroup drops them', async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'p', policyDocument: DOCUMENT }));
    await iot.send(new CreatePolicyCommand({ policyName: 'q', policyDocument: DOCUMENT }));
    const device = await registerDevice();
    const root = await iot.send(new CreateThingGroupCommand({ thingGroupName: 'root' }));
    const leaf = await iot.send(new CreateThingGroupCommand({ thingGroupName: 'leaf', parentGroupName: 'root' }));
    await iot.send(new AttachPolicyCommand({ policyName: 'p', target: device.arn }));
    await iot.send(new AttachPolicyCommand({ policyName: 'p', target: device.arn }));
    await iot.send(new AttachPolicyCommand({ policyName: 'p', target: root.thingGroupArn }));
    await iot.send(new AttachPolicyCommand({ policyName: 'q', target: leaf.thingGroupArn }));

    expect((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'p' }))).targets?.sort()).toEqual([device.arn, root.thingGroupArn].sort());
    expect((await iot.send(new ListAttachedPoliciesCommand({ target: device.arn }))).policies).toEqual([
      { policyName: 'p', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/p` },
    ]);
    expect((await iot.send(new ListAttachedPoliciesCommand({ target: leaf.thingGroupArn }))).policies?.map((p) => p.policyName)).toEqual(['q']);
    expect(
      (await iot.send(new ListAttachedPoliciesCommand({ target: leaf.thingGroupArn, recursive: true }))).policies?.map((p) => p.policyName).sort(),
    ).toEqual(['p', 'q']);

    await expectError(iot.send(new AttachPolicyCommand({ policyName: 'p', target: certArn('b'.repeat(64)) })), ResourceNotFoundException, 404);
    await expectError(
      iot.send(new AttachPolicyCommand({ policyName: 'p', target: certArn(device.id, 'eu-west-1') })),
      InvalidRequestException,
      400,
    );
    await expectError(iot.send(new AttachPolicyCommand({ policyName: 'nope', target: device.arn })), ResourceNotFoundException, 404);

    await iot.send(new DeleteThingGroupCommand({ thingGroupName: 'leaf' }));
    expect((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'q' }))).targets).toEqual([]);
    await iot.send(new DetachPolicyCommand({ policyName: 'p', target: device.arn }));
    expect((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'p' }))).targets).toEqual([root.thingGroupArn]);
  });
});

describe('thing principals', () => {
  test('attach, list both ways, DeleteThing refused while attached, detach', async () => {
    const device = await registerDevice();
    await iot.send(new CreateThingCommand({ thingName: 'a' }));
    await iot.send(new CreateThingCommand({ thingName: 'b' }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'a', principal: device.arn }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'b', principal: device.arn }));
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'a' }))).principals).toEqual([device.arn]);
    expect((await iot.send(new ListPrincipalThingsCommand({ principal: device.arn }))).things?.sort()).toEqual(['a', 'b']);
    expect((await iot.send(new ListThingPrincipalsV2Command({ thingName: 'a' }))).thingPrincipalObjects).toEqual([
      { principal: device.arn, thingPrincipalType: 'NON_EXCLUSIVE_THING' },
    ]);

    const refused = await expectError(iot.send(new DeleteThingCommand({ thingName: 'a' })), InvalidRequestException, 400);
    expect(refused.message).toBe('Cannot delete. Thing a is still attached to one or more principals');
    await iot.send(new DetachThingPrincipalCommand({ thingName: 'a', principal: device.arn }));
    await iot.send(new DeleteThingCommand({ thingName: 'a' }));
    expect((await iot.send(new ListPrincipalThingsCommand({ principal: device.arn }))).things).toEqual(['b']);

    await expectError(iot.send(new AttachThingPrincipalCommand({ thingName: 'b', principal: certArn('c'.repeat(64)) })), ResourceNotFoundException, 404);
    await expectError(iot.send(new AttachThingPrincipalCommand({ thingName: 'zz', principal: device.arn })), ResourceNotFoundException, 404);
    await expectError(iot.send(new AttachThingPrincipalCommand({ thingName: 'b', principal: 'not-an-arn' })), InvalidRequestException, 400);
  });

  test('an EXCLUSIVE_THING principal cannot be attached to a second thing', async () => {
    const device = await registerDevice();
    await iot.send(new CreateThingCommand({ thingName: 'a' }));
    await iot.send(new CreateThingCommand({ thingName: 'b' }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'a', principal: device.arn, thingPrincipalType: 'EXCLUSIVE_THING' }));
    await expectError(iot.send(new AttachThingPrincipalCommand({ thingName: 'b', principal: device.arn })), InvalidRequestException, 400);
    expect((await iot.send(new ListThingPrincipalsV2Command({ thingName: 'a' }))).thingPrincipalObjects?.[0].thingPrincipalType).toBe(
      'EXCLUSIVE_THING',
    );
  });
});

describe('provisioning templates and the Lambda stand-in', () => {
  const hookArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hook`;
  const body = (n: number) => JSON.stringify({ Parameters: {}, Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { n } } } });

  test('create, describe, update, versions (at most five), list, delete', async () => {
    const created = await iot.send(
      new CreateProvisioningTemplateCommand({
        templateName: 'fleet',
        templateBody: body(1),
        provisioningRoleArn: ROLE_ARN,
        enabled: true,
        description: 'fleet provisioning',
        preProvisioningHook: { targetArn: hookArn },
      }),
    );
    expect(created).toMatchObject({ templateName: 'fleet', defaultVersionId: 1, templateArn: `arn:aws:iot:${REGION}:${ACCOUNT}:provisioningtemplate/fleet` });
    expect(await iot.send(new DescribeProvisioningTemplateCommand({ templateName: 'fleet' }))).toMatchObject({
      templateBody: body(1),
      enabled: true,
      description: 'fleet provisioning',
      provisioningRoleArn: ROLE_ARN,
      preProvisioningHook: { targetArn: hookArn, payloadVersion: '2020-04-01' },
      type: 'FLEET_PROVISIONING',
      defaultVersionId: 1,
    });
    await expectError(
      iot.send(new CreateProvisioningTemplateCommand({ templateName: 'fleet', templateBody: body(1), provisioningRoleArn: ROLE_ARN })),
      ResourceAlreadyExistsException,
      409,
    );
    await expectError(
      iot.send(
        new CreateProvisioningTemplateCommand({
          templateName: 'jitp',
          templateBody: body(1),
          provisioningRoleArn: ROLE_ARN,
          type: 'JITP',
          preProvisioningHook: { targetArn: hookArn },
        }),
      ),
      InvalidRequestException,
      400,
    );
    await expectError(
      iot.send(new CreateProvisioningTemplateCommand({ templateName: 'bad', templateBody: 'nope', provisioningRoleArn: ROLE_ARN })),
      InvalidRequestException,
      400,
    );

    const v2 = await iot.send(new CreateProvisioningTemplateVersionCommand({ templateName: 'fleet', templateBody: body(2), setAsDefault: true }));
    expect(v2).toMatchObject({ versionId: 2, isDefaultVersion: true });
    for (const n of [3, 4, 5]) await iot.send(new CreateProvisioningTemplateVersionCommand({ templateName: 'fleet', templateBody: body(n) }));
    await expectError(
      iot.send(new CreateProvisioningTemplateVersionCommand({ templateName: 'fleet', templateBody: body(6) })),
      VersionsLimitExceededException,
      409,
    );
    expect((await iot.send(new ListProvisioningTemplateVersionsCommand({ templateName: 'fleet' }))).versions?.map((v) => [v.versionId, v.isDefaultVersion])).toEqual([
      [1, false],
      [2, true],
      [3, false],
      [4, false],
      [5, false],
    ]);
    expect(await iot.send(new DescribeProvisioningTemplateVersionCommand({ templateName: 'fleet', versionId: 4 }))).toMatchObject({
      templateBody: body(4),
      isDefaultVersion: false,
    });

    await iot.send(
      new UpdateProvisioningTemplateCommand({ templateName: 'fleet', enabled: false, defaultVersionId: 5, description: 'v5', removePreProvisioningHook: true }),
    );
    const updated = await iot.send(new DescribeProvisioningTemplateCommand({ templateName: 'fleet' }));
    expect(updated).toMatchObject({ enabled: false, defaultVersionId: 5, templateBody: body(5), description: 'v5' });
    expect(updated.preProvisioningHook).toBeUndefined();
    await expectError(
      iot.send(new UpdateProvisioningTemplateCommand({ templateName: 'fleet', defaultVersionId: 9 })),
      ResourceNotFoundException,
      404,
    );

    expect((await iot.send(new ListProvisioningTemplatesCommand({}))).templates?.map((t) => [t.templateName, t.enabled, t.type])).toEqual([
      ['fleet', false, 'FLEET_PROVISIONING'],
    ]);
    await iot.send(new DeleteProvisioningTemplateCommand({ templateName: 'fleet' }));
    await expectError(iot.send(new DescribeProvisioningTemplateCommand({ templateName: 'fleet' })), ResourceNotFoundException, 404);
  });

  test('GetFunctionConfiguration answers for configured functions only', async () => {
    const found = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: hookArn }));
    expect(found).toMatchObject({ FunctionName: 'hook', FunctionArn: hookArn, State: 'Active' });
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'hook' }))).FunctionArn).toBe(hookArn);
    const missing = await expectError(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'other' })), LambdaNotFound, 404);
    expect(missing.message).toContain(`function:other`);
    emulator.addLambdaFunction(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:other:live`);
    expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'other' }))).FunctionName).toBe('other');
  });
});

describe('role aliases', () => {
  test('create (default 3600 s), describe, update, list, delete; duration bounds', async () => {
    const created = await iot.send(new CreateRoleAliasCommand({ roleAlias: 'devices', roleArn: ROLE_ARN }));
    expect(created).toEqual(
      expect.objectContaining({ roleAlias: 'devices', roleAliasArn: `arn:aws:iot:${REGION}:${ACCOUNT}:rolealias/devices` }),
    );
    expect((await iot.send(new DescribeRoleAliasCommand({ roleAlias: 'devices' }))).roleAliasDescription).toMatchObject({
      roleAlias: 'devices',
      roleArn: ROLE_ARN,
      credentialDurationSeconds: 3600,
      owner: ACCOUNT,
    });
    await expectError(iot.send(new CreateRoleAliasCommand({ roleAlias: 'devices', roleArn: ROLE_ARN })), ResourceAlreadyExistsException, 409);
    await expectError(
      iot.send(new CreateRoleAliasCommand({ roleAlias: 'short', roleArn: ROLE_ARN, credentialDurationSeconds: 899 })),
      InvalidRequestException,
      400,
    );
    await expectError(
      iot.send(new UpdateRoleAliasCommand({ roleAlias: 'devices', credentialDurationSeconds: 43_201 })),
      InvalidRequestException,
      400,
    );
    await iot.send(new UpdateRoleAliasCommand({ roleAlias: 'devices', credentialDurationSeconds: 43_200 }));
    expect((await iot.send(new DescribeRoleAliasCommand({ roleAlias: 'devices' }))).roleAliasDescription?.credentialDurationSeconds).toBe(43_200);
    expect((await iot.send(new ListRoleAliasesCommand({}))).roleAliases).toEqual(['devices']);
    await iot.send(new DeleteRoleAliasCommand({ roleAlias: 'devices' }));
    await expectError(iot.send(new DescribeRoleAliasCommand({ roleAlias: 'devices' })), ResourceNotFoundException, 404);
  });
});

describe('data plane', () => {
  test('UpdateThingShadow merges desired/reported (null deletes), versions count up, GetThingShadow shows the delta', async () => {
    const first = json(
      (await data.send(new UpdateThingShadowCommand({ thingName: 'lamp', payload: bytes({ state: { desired: { on: true, color: { r: 1, g: 2 } } }, clientToken: 'c1' }) })))
        .payload,
    );
    expect(first).toMatchObject({ state: { desired: { on: true, color: { r: 1, g: 2 } } }, version: 1, clientToken: 'c1' });
    expect(first.metadata.desired.on.timestamp).toEqual(expect.any(Number));

    await data.send(
      new UpdateThingShadowCommand({ thingName: 'lamp', payload: bytes({ state: { desired: { color: { g: null, b: 3 } }, reported: { on: true } } }) }),
    );
    const shadow = json((await data.send(new GetThingShadowCommand({ thingName: 'lamp' }))).payload);
    expect(shadow.state).toEqual({
      desired: { on: true, color: { r: 1, b: 3 } },
      reported: { on: true },
      delta: { color: { r: 1, b: 3 } },
    });
    expect(shadow.version).toBe(2);
    expect(shadow.metadata.reported.on.timestamp).toEqual(expect.any(Number));

    await expectError(
      data.send(new UpdateThingShadowCommand({ thingName: 'lamp', payload: bytes({ state: { reported: { on: false } }, version: 1 }) })),
      ConflictException,
      409,
    );
    await expectError(data.send(new UpdateThingShadowCommand({ thingName: 'lamp', payload: bytes({ desired: {} }) })), DataInvalidRequestException, 400, /state/);
    await expectError(data.send(new GetThingShadowCommand({ thingName: 'lamp', shadowName: 'none' })), DataResourceNotFoundException, 404);
  });

  test('named shadows, documents and delete/accepted messages; deleting keeps the version', async () => {
    await data.send(new UpdateThingShadowCommand({ thingName: 'lamp', shadowName: 'config', payload: bytes({ state: { reported: { mode: 'eco' } } }) }));
    await data.send(
      new UpdateThingShadowCommand({
        thingName: 'lamp',
        shadowName: 'config',
        payload: bytes({ state: { reported: { mode: 'max' } }, clientToken: 'tok' }),
      }),
    );
    await data.send(new UpdateThingShadowCommand({ thingName: 'lamp', payload: bytes({ state: { reported: { x: 1 } } }) }));
    expect((await data.send(new ListNamedShadowsForThingCommand({ thingName: 'lamp' }))).results).toEqual(['config']);

    const deleted = json((await data.send(new DeleteThingShadowCommand({ thingName: 'lamp', shadowName: 'config' }))).payload);
    expect(deleted.version).toBe(2);
    await settle();

    const documents = messages.filter((m) => m.topic === '$aws/things/lamp/shadow/name/config/update/documents');
    expect(documents).toHaveLength(2);
    expect(documents[0].payload.previous).toBeNull();
    expect(documents[1].payload).toMatchObject({
      previous: { state: { reported: { mode: 'eco' } }, version: 1 },
      current: { state: { reported: { mode: 'max' } }, version: 2 },
      clientToken: 'tok',
      timestamp: expect.any(Number),
    });
    expect(documents[1].payload.timestamp).toBeLessThan(1e11); // epoch seconds
    expect(messages.map((m) => m.topic)).toContain('$aws/things/lamp/shadow/update/documents');
    const deleteAccepted = messages.find((m) => m.topic === '$aws/things/lamp/shadow/name/config/delete/accepted');
    expect(deleteAccepted?.payload).toEqual({ version: 2, timestamp: expect.any(Number) });

    expect((await data.send(new ListNamedShadowsForThingCommand({ thingName: 'lamp' }))).results).toEqual([]);
    const recreated = json(
      (await data.send(new UpdateThingShadowCommand({ thingName: 'lamp', shadowName: 'config', payload: bytes({ state: { reported: { mode: 'eco' } } }) })))
        .payload,
    );
    expect(recreated.version).toBe(3);
  });

  test('Publish with retain stores and clears retained messages; every publish reaches onMessage', async () => {
    await data.send(new PublishCommand({ topic: 'fleet/a/status', qos: 1, retain: true, payload: bytes({ online: true }) }));
    await data.send(new PublishCommand({ topic: 'fleet/b/status', retain: true, payload: Buffer.from('plain') }));
    await data.send(new PublishCommand({ topic: 'fleet/c/status', payload: bytes({ transient: true }) }));
    const retained = await data.send(new GetRetainedMessageCommand({ topic: 'fleet/a/status' }));
    expect(retained).toMatchObject({ topic: 'fleet/a/status', qos: 1 });
    expect(json(retained.payload)).toEqual({ online: true });
    expect(retained.lastModifiedTime).toEqual(expect.any(Number));
    const listed = await data.send(new ListRetainedMessagesCommand({}));
    expect(listed.retainedTopics?.map((t) => [t.topic, t.payloadSize])).toEqual([
      ['fleet/a/status', 15],
      ['fleet/b/status', 5],
    ]);

    await data.send(new PublishCommand({ topic: 'fleet/a/status', retain: true }));
    await expectError(data.send(new GetRetainedMessageCommand({ topic: 'fleet/a/status' })), DataResourceNotFoundException, 404);
    await settle();
    expect(messages.map((m) => [m.topic, m.retain])).toEqual([
      ['fleet/a/status', true],
      ['fleet/b/status', true],
      ['fleet/c/status', false],
      ['fleet/a/status', true],
    ]);
    expect(messages[0].payload).toEqual({ online: true });
    expect(messages[1]).toMatchObject({ payload: {}, payloadText: 'plain' });
  });
});

describe('CloudTrail', () => {
  test('successful writes emit management events naming the caller role from the access key', async () => {
    const replay = clients(emulator.endpoint, REGION, 'replay-role');
    try {
      await replay.iot.send(new CreatePolicyCommand({ policyName: 'p', policyDocument: DOCUMENT }));
      const device = issueCertificate({ subject: 'd' });
      const registered = await replay.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: device.certificatePem, status: 'ACTIVE' }));
      await replay.iot.send(new AttachPolicyCommand({ policyName: 'p', target: registered.certificateArn }));
      await replay.iot.send(new CreateThingCommand({ thingName: 't' }));
      await replay.iot.send(new AttachThingPrincipalCommand({ thingName: 't', principal: registered.certificateArn }));
      await replay.iot.send(new GetPolicyCommand({ policyName: 'p' }));
      await settle();

      expect(trail.map((e) => e.detail.eventName)).toEqual(['CreatePolicy', 'RegisterCertificateWithoutCA', 'AttachPolicy', 'AttachThingPrincipal']);
      const [createPolicy, register, attach, principal] = trail;
      expect(createPolicy).toMatchObject({
        version: '0',
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.iot',
        account: ACCOUNT,
        region: REGION,
        resources: [],
        detail: {
          eventVersion: '1.09',
          userIdentity: {
            type: 'AssumedRole',
            arn: `arn:aws:sts::${ACCOUNT}:assumed-role/replay-role/emulator-session`,
            accountId: ACCOUNT,
            sessionContext: {
              sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/replay-role`, accountId: ACCOUNT, userName: 'replay-role' },
            },
          },
          eventSource: 'iot.amazonaws.com',
          awsRegion: REGION,
          sourceIPAddress: '127.0.0.1',
          userAgent: expect.stringContaining('aws-sdk-js'),
          requestParameters: { policyName: 'p', policyDocument: DOCUMENT },
          responseElements: { policyName: 'p', policyArn: `arn:aws:iot:${REGION}:${ACCOUNT}:policy/p`, policyVersionId: '1' },
          readOnly: false,
          eventType: 'AwsApiCall',
          managementEvent: true,
          recipientAccountId: ACCOUNT,
          eventCategory: 'Management',
        },
      });
      expect(createPolicy.detail.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(createPolicy.time).toBe(createPolicy.detail.eventTime);
      expect(createPolicy.detail.eventID).toMatch(/^[0-9a-f-]{36}$/);
      expect(createPolicy.detail.requestID).toMatch(/^[0-9a-f-]{36}$/);
      expect(createPolicy.detail.userIdentity.principalId).toMatch(/^AROA[A-Z0-9]+:emulator-session$/);
      expect(register.detail.requestParameters).toEqual({ certificatePem: device.certificatePem, status: 'ACTIVE' });
      expect(register.detail.responseElements).toEqual({ certificateArn: registered.certificateArn, certificateId: registered.certificateId });
      expect(attach.detail.requestParameters).toEqual({ policyName: 'p', target: registered.certificateArn });
      expect(attach.detail.responseElements).toBeNull();
      expect(principal.detail.requestParameters).toEqual({ thingName: 't', principal: registered.certificateArn });
    } finally {
      replay.iot.destroy();
    }
  });

  test('CreateKeysAndCertificate: identifiers only, never key material, in any event', async () => {
    const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    await iot.send(new UpdateCertificateCommand({ certificateId: created.certificateId, newStatus: 'INACTIVE' }));
    await iot.send(new DeleteCertificateCommand({ certificateId: created.certificateId }));
    await settle();
    expect(trail.map((e) => e.detail.eventName)).toEqual(['CreateKeysAndCertificate', 'UpdateCertificate', 'DeleteCertificate']);
    expect(trail[0].detail.requestParameters).toEqual({ setAsActive: true });
    expect(trail[0].detail.responseElements).toEqual({ certificateArn: created.certificateArn, certificateId: created.certificateId });
    expect(trail[1].detail.requestParameters).toEqual({ certificateId: created.certificateId, newStatus: 'INACTIVE' });
    const everything = JSON.stringify(trail);
    expect(everything).not.toContain('PRIVATE KEY');
    const privateKeyBody = (created.keyPair?.PrivateKey ?? '').split('\n')[1];
    expect(privateKeyBody.length).toBeGreaterThan(10);
    expect(everything).not.toContain(privateKeyBody);
    expect(trail[0].detail.userIdentity.sessionContext.sessionIssuer.userName).toBe('test');
  });

  test('failed calls emit nothing; unsigned calls are attributed to emulator-user; dropCloudTrailNext loses events', async () => {
    await expectError(iot.send(new DeletePolicyCommand({ policyName: 'missing' })), ResourceNotFoundException, 404);
    await expectError(iot.send(new CreatePolicyCommand({ policyName: 'bad', policyDocument: '{' })), MalformedPolicyException, 400);
    emulator.throttleNext(1, ['CreateRoleAlias']);
    await expectError(iot.send(new CreateRoleAliasCommand({ roleAlias: 'r', roleArn: ROLE_ARN })), ThrottlingException, 429);
    await settle();
    expect(trail).toEqual([]);

    const raw = await fetch(`${emulator.endpoint}/role-aliases/r`, { method: 'POST', body: JSON.stringify({ roleArn: ROLE_ARN }) });
    expect(raw.status).toBe(200);
    await settle();
    expect(trail.map((e) => e.detail.userIdentity.arn)).toEqual([`arn:aws:sts::${ACCOUNT}:assumed-role/emulator-user/emulator-session`]);

    emulator.dropCloudTrailNext(2);
    for (const name of ['a', 'b', 'c']) await iot.send(new CreatePolicyCommand({ policyName: name, policyDocument: DOCUMENT }));
    await settle();
    expect(trail.slice(1).map((e) => e.detail.requestParameters?.policyName)).toEqual(['c']);
  });

  test('every audited API emits its event name', async () => {
    const ca = createCa('CA');
    const caReg = await iot.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY' }));
    const device = issueCertificate({ subject: 'dev', issuer: ca });
    await iot.send(new RegisterCertificateCommand({ certificatePem: device.certificatePem }));
    await iot.send(new UpdateCACertificateCommand({ certificateId: caReg.certificateId, newStatus: 'INACTIVE' }));
    await iot.send(new CreatePolicyCommand({ policyName: 'p', policyDocument: DOCUMENT }));
    await iot.send(new CreatePolicyVersionCommand({ policyName: 'p', policyDocument: DOCUMENT }));
    await iot.send(new SetDefaultPolicyVersionCommand({ policyName: 'p', policyVersionId: '2' }));
    await iot.send(new DeletePolicyVersionCommand({ policyName: 'p', policyVersionId: '1' }));
    await iot.send(new AttachPolicyCommand({ policyName: 'p', target: certArn(device.certificateId) }));
    await iot.send(new DetachPolicyCommand({ policyName: 'p', target: certArn(device.certificateId) }));
    await iot.send(new DeletePolicyCommand({ policyName: 'p' }));
    await iot.send(new CreateThingCommand({ thingName: 't' }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 't', principal: certArn(device.certificateId) }));
    await iot.send(new DetachThingPrincipalCommand({ thingName: 't', principal: certArn(device.certificateId) }));
    await iot.send(new DeleteCertificateCommand({ certificateId: device.certificateId }));
    await iot.send(new DeleteCACertificateCommand({ certificateId: caReg.certificateId }));
    const templateBody = JSON.stringify({ Resources: {} });
    await iot.send(new CreateProvisioningTemplateCommand({ templateName: 'tp', templateBody, provisioningRoleArn: ROLE_ARN }));
    await iot.send(new UpdateProvisioningTemplateCommand({ templateName: 'tp', enabled: true }));
    await iot.send(new CreateProvisioningTemplateVersionCommand({ templateName: 'tp', templateBody }));
    await iot.send(new DeleteProvisioningTemplateCommand({ templateName: 'tp' }));
    await iot.send(new CreateRoleAliasCommand({ roleAlias: 'r', roleArn: ROLE_ARN }));
    await iot.send(new UpdateRoleAliasCommand({ roleAlias: 'r', credentialDurationSeconds: 900 }));
    await iot.send(new DeleteRoleAliasCommand({ roleAlias: 'r' }));
    await data.send(new UpdateThingShadowCommand({ thingName: 't', payload: bytes({ state: { reported: { a: 1 } } }) }));
    await settle();
    expect(trail.map((e) => e.detail.eventName)).toEqual([
      'RegisterCACertificate',
      'RegisterCertificate',
      'UpdateCACertificate',
      'CreatePolicy',
      'CreatePolicyVersion',
      'SetDefaultPolicyVersion',
      'DeletePolicyVersion',
      'AttachPolicy',
      'DetachPolicy',
      'DeletePolicy',
      'AttachThingPrincipal',
      'DetachThingPrincipal',
      'DeleteCertificate',
      'DeleteCACertificate',
      'CreateProvisioningTemplate',
      'UpdateProvisioningTemplate',
      'CreateProvisioningTemplateVersion',
      'DeleteProvisioningTemplate',
      'CreateRoleAlias',
      'UpdateRoleAlias',
      'DeleteRoleAlias',
    ]);
    const template = trail.find((e) => e.detail.eventName === 'CreateProvisioningTemplateVersion');
    expect(template?.detail.responseElements).toMatchObject({ templateName: 'tp', versionId: 2, isDefaultVersion: false });
  });
});

describe('quotas', () => {
  test('the table holds the documented defaults of the new APIs', () => {
    expect(DEFAULT_TPS_QUOTAS).toMatchObject({
      RegisterCertificateWithoutCA: 10,
      DescribeCertificate: 10,
      AttachPolicy: 15,
      CreateThing: 100,
      AttachThingPrincipal: 100,
    });
    for (const api of ['CreatePolicy', 'CreateKeysAndCertificate', 'RegisterCACertificate', 'CreateRoleAlias', 'CreateProvisioningTemplate']) {
      expect(DEFAULT_TPS_QUOTAS[api]).toBeGreaterThan(0);
    }
  });

  test('injected throttles answer 429 and are counted as calls; state is untouched', async () => {
    const device = await registerDevice();
    await iot.send(new CreatePolicyCommand({ policyName: 'p', policyDocument: DOCUMENT }));
    emulator.throttleNext(2, ['AttachPolicy']);
    await expectError(iot.send(new AttachPolicyCommand({ policyName: 'p', target: device.arn })), ThrottlingException, 429);
    await expectError(iot.send(new AttachPolicyCommand({ policyName: 'p', target: device.arn })), ThrottlingException, 429);
    expect((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'p' }))).targets).toEqual([]);
    await iot.send(new AttachPolicyCommand({ policyName: 'p', target: device.arn }));
    expect(emulator.callCounts()).toMatchObject({ AttachPolicy: 3, RegisterCertificateWithoutCA: 1 });
    expect(emulator.injectedFaults()).toEqual({ answered: 2, pending: 0 });
  });

  test('the default quota throttles a burst beyond one second of quota; quotaScale multiplies it', async () => {
    const scaled = await startIotEmulator({ region: 'eu-west-1', quotaScale: 0.2 });
    const client = clients(scaled.endpoint, scaled.region).iot;
    try {
      const id = 'd'.repeat(64);
      // DescribeCertificate: 10 TPS × 0.2 = 2 → the third call of a burst is throttled.
      await expectError(client.send(new DescribeCertificateCommand({ certificateId: id })), ResourceNotFoundException, 404);
      await expectError(client.send(new DescribeCertificateCommand({ certificateId: id })), ResourceNotFoundException, 404);
      await expectError(client.send(new DescribeCertificateCommand({ certificateId: id })), ThrottlingException, 429);
    } finally {
      client.destroy();
      await scaled.close();
    }
  });
});

describe('identity snapshot and seed', () => {
  async function buildRegion(target: IotEmulator, region: string, pems: string[]) {
    const c = clients(target.endpoint, region, 'builder');
    const prefix = `arn:aws:iot:${region}:${ACCOUNT}:`;
    try {
      const document = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: `${prefix}client/\${iot:Connection.Thing.ThingName}` }],
      });
      await c.iot.send(new CreatePolicyCommand({ policyName: 'device', policyDocument: document }));
      await c.iot.send(new CreatePolicyVersionCommand({ policyName: 'device', policyDocument: DOCUMENT, setAsDefault: true }));
      await c.iot.send(new CreateThingGroupCommand({ thingGroupName: 'fleet' }));
      await c.iot.send(new AttachPolicyCommand({ policyName: 'device', target: `${prefix}thinggroup/fleet` }));
      for (const [i, pem] of pems.entries()) {
        const reg = await c.iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: pem, status: 'ACTIVE' }));
        await c.iot.send(new CreateThingCommand({ thingName: `thing-${i}` }));
        await c.iot.send(new AttachThingPrincipalCommand({ thingName: `thing-${i}`, principal: reg.certificateArn }));
        await c.iot.send(new AttachPolicyCommand({ policyName: 'device', target: reg.certificateArn }));
      }
      target.addLambdaFunction('hook');
      await c.iot.send(
        new CreateProvisioningTemplateCommand({
          templateName: 'fleet',
          templateBody: JSON.stringify({ Resources: {} }),
          provisioningRoleArn: ROLE_ARN,
          enabled: true,
          preProvisioningHook: { targetArn: `arn:aws:lambda:${region}:${ACCOUNT}:function:hook` },
        }),
      );
      await c.iot.send(new CreateRoleAliasCommand({ roleAlias: 'devices', roleArn: ROLE_ARN, credentialDurationSeconds: 7200 }));
      await c.data.send(new UpdateThingShadowCommand({ thingName: 'thing-0', payload: bytes({ state: { reported: { on: true } } }) }));
      await c.data.send(new UpdateThingShadowCommand({ thingName: 'thing-0', shadowName: 'cfg', payload: bytes({ state: { desired: { m: 1 } } }) }));
    } finally {
      c.iot.destroy();
      c.data.destroy();
      c.lambda.destroy();
    }
  }

  test('two regions built alike have equal identity snapshots, ARNs normalised', async () => {
    const other = await startIotEmulator({ region: 'eu-central-1' });
    try {
      const pems = [issueCertificate({ subject: 'a' }).certificatePem, issueCertificate({ subject: 'b' }).certificatePem];
      await buildRegion(emulator, REGION, pems);
      await buildRegion(other, 'eu-central-1', pems);
      const snapshot = emulator.identitySnapshot();
      expect(other.identitySnapshot()).toEqual(snapshot);
      expect(snapshot.certificates.map((c) => c.id).sort()).toEqual(pems.map(certificateIdOf).sort());
      expect(snapshot.policies[0].documents).toHaveLength(2);
      expect(snapshot.policies[0].documents.join()).toContain('arn:aws:iot:{region}:{account}:client/');
      expect(snapshot.policyTargets).toContainEqual(['device', 'thinggroup/fleet']);
      expect(snapshot.policyTargets).toContainEqual(['device', `cert/${certificateIdOf(pems[0])}`]);
      expect(snapshot.thingPrincipals).toContainEqual(['thing-0', certificateIdOf(pems[0])]);
      expect(snapshot.provisioningTemplates[0].hook).toEqual({
        targetArn: 'arn:aws:lambda:{region}:{account}:function:hook',
        payloadVersion: '2020-04-01',
      });
      expect(snapshot.roleAliases).toEqual([{ name: 'devices', roleArn: ROLE_ARN, credentialDurationSeconds: 7200 }]);
      expect(snapshot.shadows).toEqual([
        ['thing-0', '$classic', { reported: { on: true } }],
        ['thing-0', 'cfg', { desired: { m: 1 } }],
      ]);

      await iot.send(new UpdateCertificateCommand({ certificateId: certificateIdOf(pems[1]), newStatus: 'REVOKED' }));
      expect(other.identitySnapshot()).not.toEqual(emulator.identitySnapshot());
      // The registry snapshot is unchanged in shape.
      expect(Object.keys(emulator.snapshot())).toEqual(['things', 'thingTypes', 'thingGroups', 'memberships']);
    } finally {
      await other.close();
    }
  });

  test('seed() writes devices straight into state, without calls, events or CloudTrail', async () => {
    const ca = createCa('Seed CA');
    await iot.send(new RegisterCACertificateCommand({ caCertificate: ca.certificatePem, certificateMode: 'SNI_ONLY', setAsActive: true }));
    trail.length = 0;
    const keyPair = generateKeyPair();
    const devices = Array.from({ length: 200 }, (_, i) => {
      const cert = issueCertificate({ subject: `dev-${i}`, issuer: ca, keyPair });
      return {
        thingName: `dev-${i}`,
        certificatePem: cert.certificatePem,
        certificateId: cert.certificateId,
        caCertificateId: ca.certificateId,
        policies: ['device'],
        thingGroups: ['fleet'],
      };
    });
    const counts = emulator.seed({ devices, policies: { device: DOCUMENT } });
    expect(counts).toEqual({ things: 200, certificates: 200, policies: 1, thingGroups: 1 });
    expect(emulator.seed({ devices })).toEqual({ things: 0, certificates: 0, policies: 0, thingGroups: 0 });
    await settle();
    expect(trail).toEqual([]);
    expect(emulator.callCounts()).toEqual({ RegisterCACertificate: 1 });

    const described = await iot.send(new DescribeCertificateCommand({ certificateId: devices[7].certificateId }));
    expect(described.certificateDescription).toMatchObject({ status: 'ACTIVE', caCertificateId: ca.certificateId, certificateMode: 'SNI_ONLY' });
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'dev-7' }))).principals).toEqual([certArn(devices[7].certificateId)]);
    expect((await iot.send(new ListAttachedPoliciesCommand({ target: certArn(devices[7].certificateId) }))).policies?.[0].policyName).toBe('device');
    expect(emulator.snapshot().memberships).toHaveLength(200);
    await expectError(iot.send(new DeleteThingCommand({ thingName: 'dev-7' })), InvalidRequestException, 400);
  });
});
