import { createPublicKey, randomUUID, verify, X509Certificate } from 'node:crypto';
import { certificateIdOf, createCa, issueCertificate, parseCsr, type IssuedCertificate } from '../x509';
import { toEpochSeconds, type EmulatorContext } from './context';
import { invalidRequest, resourceAlreadyExists, resourceNotFound } from './errors';
import { certificateState, certificateValidation, deleteConflict } from './identity-errors';
import { optionalBoolean, optionalObject, optionalString, queryBoolean } from './input';
import { byCreation, paginateByMarker } from './markers';
import type { OperationInput, OperationOutput, Route } from './router';
import type { CaCertificateRecord, CertificateMode, CertificateRecord, CertificateStatus } from './state';

const CERTIFICATE_STATUSES: readonly CertificateStatus[] = [
  'ACTIVE',
  'INACTIVE',
  'REVOKED',
  'PENDING_TRANSFER',
  'REGISTER_INACTIVE',
  'PENDING_ACTIVATION',
];
const CERTIFICATE_ID_PATTERN = /^(0x)?[a-fA-F0-9]{64}$/;

/**
 * Stands in for the Amazon CA that signs CreateKeysAndCertificate certificates: never registered in any
 * emulated region, so such a certificate can only be registered elsewhere with RegisterCertificateWithoutCA
 * — as in AWS.
 */
let amazonIssuer: IssuedCertificate | undefined;
function amazonCa(): IssuedCertificate {
  amazonIssuer ??= createCa('AWS IoT Certificate (emulated)');
  return amazonIssuer;
}

/** Device certificates (`cert/<id>`) and CA certificates (`cacert/<id>`). */
export function certificateRoutes(ctx: EmulatorContext): Route[] {
  const created = { response: ['certificateArn', 'certificateId'] };
  return [
    {
      operation: 'CreateKeysAndCertificate',
      method: 'POST',
      path: '/keys-and-certificate',
      handle: (i) => createKeysAndCertificate(ctx, i),
      audit: created,
    },
    {
      operation: 'CreateCertificateFromCsr',
      method: 'POST',
      path: '/certificates',
      handle: (i) => createCertificateFromCsr(ctx, i),
      audit: created,
    },
    {
      operation: 'RegisterCertificate',
      method: 'POST',
      path: '/certificate/register',
      handle: (i) => registerCertificate(ctx, i),
      audit: created,
    },
    {
      operation: 'RegisterCertificateWithoutCA',
      method: 'POST',
      path: '/certificate/register-no-ca',
      handle: (i) => registerCertificateWithoutCa(ctx, i),
      audit: created,
    },
    { operation: 'DescribeCertificate', method: 'GET', path: '/certificates/{certificateId}', handle: (i) => describeCertificate(ctx, i) },
    { operation: 'UpdateCertificate', method: 'PUT', path: '/certificates/{certificateId}', handle: (i) => updateCertificate(ctx, i), audit: {} },
    { operation: 'DeleteCertificate', method: 'DELETE', path: '/certificates/{certificateId}', handle: (i) => deleteCertificate(ctx, i), audit: {} },
    { operation: 'ListCertificates', method: 'GET', path: '/certificates', handle: (i) => listCertificates(ctx, i) },
    {
      operation: 'ListCertificatesByCA',
      method: 'GET',
      path: '/certificates-by-ca/{caCertificateId}',
      handle: (i) => listCertificatesByCa(ctx, i),
    },
    { operation: 'RegisterCACertificate', method: 'POST', path: '/cacertificate', handle: (i) => registerCaCertificate(ctx, i), audit: created },
    { operation: 'DescribeCACertificate', method: 'GET', path: '/cacertificate/{certificateId}', handle: (i) => describeCaCertificate(ctx, i) },
    { operation: 'UpdateCACertificate', method: 'PUT', path: '/cacertificate/{certificateId}', handle: (i) => updateCaCertificate(ctx, i), audit: {} },
    { operation: 'DeleteCACertificate', method: 'DELETE', path: '/cacertificate/{certificateId}', handle: (i) => deleteCaCertificate(ctx, i), audit: {} },
    { operation: 'ListCACertificates', method: 'GET', path: '/cacertificates', handle: (i) => listCaCertificates(ctx, i) },
  ];
}

/** The certificate a principal ARN of this region names; ResourceNotFound when it is unknown here. */
export function certificateOfPrincipal(ctx: EmulatorContext, principal: string): CertificateRecord | undefined {
  const id = ctx.arns.nameFrom(principal, 'cert');
  return id === undefined ? undefined : ctx.state.certificates.get(id);
}

/** Adds a certificate record; shared by the API and `seed()`. */
export function putCertificate(
  ctx: EmulatorContext,
  pem: string,
  status: CertificateStatus,
  certificateMode: CertificateMode,
  caCertificateId: string | undefined,
  id = certificateIdOf(pem),
): CertificateRecord {
  const now = ctx.now();
  const record: CertificateRecord = {
    id,
    arn: ctx.arns.certificate(id),
    pem,
    status,
    caCertificateId,
    certificateMode,
    creationDate: now,
    lastModifiedDate: now,
    customerVersion: 1,
    generationId: randomUUID(),
  };
  ctx.state.certificates.set(id, record);
  return record;
}

function createKeysAndCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const setAsActive = queryBoolean(input.query, 'setAsActive') === true;
  const issued = issueCertificate({ subject: 'AWS IoT Certificate', issuer: amazonCa() });
  const record = putCertificate(ctx, issued.certificatePem, setAsActive ? 'ACTIVE' : 'INACTIVE', 'DEFAULT', undefined, issued.certificateId);
  return {
    certificateArn: record.arn,
    certificateId: record.id,
    certificatePem: record.pem,
    keyPair: { PublicKey: issued.publicKeyPem, PrivateKey: issued.privateKeyPem },
  };
}

function createCertificateFromCsr(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const csrPem = requiredString(input.body, 'certificateSigningRequest');
  const setAsActive = queryBoolean(input.query, 'setAsActive') === true;
  let csr: ReturnType<typeof parseCsr>;
  let signatureValid: boolean;
  try {
    csr = parseCsr(csrPem);
    const key = createPublicKey({ key: csr.subjectPublicKeyInfo, format: 'der', type: 'spki' });
    signatureValid = verify('sha256', csr.info, key, csr.signature);
  } catch {
    throw invalidRequest('The certificate signing request is not a valid PEM-encoded PKCS#10 request.');
  }
  if (!signatureValid) throw invalidRequest('The signature of the certificate signing request is not valid.');
  const issued = issueCertificate({ subject: 'AWS IoT Certificate', issuer: amazonCa(), subjectPublicKeyInfo: csr.subjectPublicKeyInfo });
  const record = putCertificate(ctx, issued.certificatePem, setAsActive ? 'ACTIVE' : 'INACTIVE', 'DEFAULT', undefined, issued.certificateId);
  return { certificateArn: record.arn, certificateId: record.id, certificatePem: record.pem };
}

function registerCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const pem = requiredString(input.body, 'certificatePem');
  const caPem = optionalString(input.body, 'caCertificatePem');
  const status = initialStatus(input);
  const certificate = parseCertificate(pem);
  const id = certificateIdOf(pem);
  rejectDuplicate(ctx, id);

  let ca: CaCertificateRecord | undefined;
  if (caPem !== undefined) {
    parseCertificate(caPem);
    ca = ctx.state.caCertificates.get(certificateIdOf(caPem));
    if (ca === undefined) throw certificateValidation('The CA certificate is not registered in this account and region.');
    if (!isIssuedBy(certificate, ca)) throw certificateValidation('The certificate is not signed by the given CA certificate.');
  } else {
    ca = [...ctx.state.caCertificates.values()].find((candidate) => isIssuedBy(certificate, candidate));
    if (ca === undefined) {
      throw certificateValidation(
        'The certificate is not signed by a CA certificate registered in this account and region; register the CA first or use RegisterCertificateWithoutCA.',
      );
    }
  }
  const record = putCertificate(ctx, pem, status, ca.certificateMode, ca.id, id);
  return { certificateArn: record.arn, certificateId: record.id };
}

function registerCertificateWithoutCa(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const pem = requiredString(input.body, 'certificatePem');
  const status = parseStatus(optionalString(input.body, 'status') ?? 'INACTIVE', 'status');
  parseCertificate(pem);
  const id = certificateIdOf(pem);
  rejectDuplicate(ctx, id);
  // Certificates registered without a CA can only be used with SNI (multi-account registration).
  const record = putCertificate(ctx, pem, status, 'SNI_ONLY', undefined, id);
  return { certificateArn: record.arn, certificateId: record.id };
}

function describeCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const certificate = requireCertificate(ctx, certificateIdLabel(input));
  const parsed = new X509Certificate(certificate.pem);
  return {
    certificateDescription: {
      certificateArn: certificate.arn,
      certificateId: certificate.id,
      ...(certificate.caCertificateId !== undefined ? { caCertificateId: certificate.caCertificateId } : {}),
      status: certificate.status,
      certificatePem: certificate.pem,
      ownedBy: ctx.accountId,
      creationDate: toEpochSeconds(certificate.creationDate),
      lastModifiedDate: toEpochSeconds(certificate.lastModifiedDate),
      customerVersion: certificate.customerVersion,
      transferData: {},
      generationId: certificate.generationId,
      validity: {
        notBefore: Date.parse(parsed.validFrom) / 1000,
        notAfter: Date.parse(parsed.validTo) / 1000,
      },
      certificateMode: certificate.certificateMode,
    },
  };
}

function updateCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const certificate = requireCertificate(ctx, certificateIdLabel(input));
  const raw = input.query.get('newStatus');
  if (raw === null) throw invalidRequest('newStatus is required');
  const newStatus = parseStatus(raw, 'newStatus');
  if (newStatus === 'PENDING_TRANSFER' || newStatus === 'PENDING_ACTIVATION') {
    throw invalidRequest(`newStatus ${newStatus} cannot be set with UpdateCertificate`);
  }
  if (certificate.status === 'PENDING_TRANSFER') {
    throw certificateState(`Certificate ${certificate.id} is pending transfer and cannot be updated.`);
  }
  if (certificate.status === newStatus) return;
  certificate.status = newStatus;
  touch(ctx, certificate);
}

function deleteCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const certificate = requireCertificate(ctx, certificateIdLabel(input));
  const forceDelete = queryBoolean(input.query, 'forceDelete') === true;
  if (certificate.status === 'ACTIVE') {
    throw certificateState(`Certificate must be deactivated (not ACTIVE) before deletion. Id: ${certificate.id}`);
  }
  if (certificate.status === 'PENDING_TRANSFER') {
    throw certificateState(`Certificate is pending transfer and cannot be deleted. Id: ${certificate.id}`);
  }
  if (ctx.state.thingsOfPrincipal(certificate.arn).length > 0) {
    throw deleteConflict(`Things must be detached before deletion (arn: ${certificate.arn})`);
  }
  const policies = ctx.state.policiesOfTarget(certificate.arn);
  if (policies.length > 0 && !forceDelete) {
    throw deleteConflict(`Certificate policies must be detached before deletion (arn: ${certificate.arn})`);
  }
  for (const policy of policies) ctx.state.detachPolicy(policy, certificate.arn);
  ctx.state.certificates.delete(certificate.id);
}

function listCertificates(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  return certificateListing([...ctx.state.certificates.values()], input);
}

function listCertificatesByCa(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const caId = certificateIdLabel(input, 'caCertificateId');
  return certificateListing(
    [...ctx.state.certificates.values()].filter((c) => c.caCertificateId === caId),
    input,
  );
}

function certificateListing(certificates: CertificateRecord[], input: OperationInput): OperationOutput {
  // AWS lists newest first unless isAscendingOrder=true.
  const page = paginateByMarker(certificates, (c) => byCreation(c.creationDate, c.id), input.query, { descendingByDefault: true });
  return {
    certificates: page.items.map((c) => ({
      certificateArn: c.arn,
      certificateId: c.id,
      status: c.status,
      certificateMode: c.certificateMode,
      creationDate: toEpochSeconds(c.creationDate),
    })),
    ...(page.nextMarker !== undefined ? { nextMarker: page.nextMarker } : {}),
  };
}

function registerCaCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const pem = requiredString(input.body, 'caCertificate');
  const verification = optionalString(input.body, 'verificationCertificate');
  const mode = optionalString(input.body, 'certificateMode') ?? 'DEFAULT';
  if (mode !== 'DEFAULT' && mode !== 'SNI_ONLY') throw invalidRequest(`certificateMode must be DEFAULT or SNI_ONLY, got ${mode}`);
  const certificate = parseCertificate(pem);
  if (!certificate.ca) throw certificateValidation('The certificate is not a CA certificate (basicConstraints CA:TRUE is required).');
  if (mode === 'DEFAULT') {
    // AWS checks that the verification certificate carries the account's registration code; any PEM passes here.
    if (verification === undefined) throw invalidRequest('verificationCertificate is required when certificateMode is DEFAULT');
    parseCertificate(verification);
  }
  const id = certificateIdOf(pem);
  const existing = ctx.state.caCertificates.get(id);
  if (existing !== undefined) {
    throw resourceAlreadyExists('The CA certificate is already registered in this account and region.', existing.id, existing.arn);
  }
  const registrationConfig = optionalObject(input.body, 'registrationConfig');
  const now = ctx.now();
  const record: CaCertificateRecord = {
    id,
    arn: ctx.arns.caCertificate(id),
    pem,
    certificateMode: mode,
    creationDate: now,
    status: queryBoolean(input.query, 'setAsActive') === true ? 'ACTIVE' : 'INACTIVE',
    autoRegistrationStatus: queryBoolean(input.query, 'allowAutoRegistration') === true ? 'ENABLE' : 'DISABLE',
    registrationConfig: registrationConfig && parseRegistrationConfig(registrationConfig),
    lastModifiedDate: now,
    customerVersion: 1,
    generationId: randomUUID(),
  };
  ctx.state.caCertificates.set(id, record);
  return { certificateArn: record.arn, certificateId: record.id };
}

function describeCaCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const ca = requireCaCertificate(ctx, certificateIdLabel(input));
  const parsed = new X509Certificate(ca.pem);
  return {
    certificateDescription: {
      certificateArn: ca.arn,
      certificateId: ca.id,
      status: ca.status,
      certificatePem: ca.pem,
      ownedBy: ctx.accountId,
      creationDate: toEpochSeconds(ca.creationDate),
      autoRegistrationStatus: ca.autoRegistrationStatus,
      lastModifiedDate: toEpochSeconds(ca.lastModifiedDate),
      customerVersion: ca.customerVersion,
      generationId: ca.generationId,
      validity: { notBefore: Date.parse(parsed.validFrom) / 1000, notAfter: Date.parse(parsed.validTo) / 1000 },
      certificateMode: ca.certificateMode,
    },
    ...(ca.registrationConfig !== undefined ? { registrationConfig: { ...ca.registrationConfig } } : {}),
  };
}

function updateCaCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const ca = requireCaCertificate(ctx, certificateIdLabel(input));
  const newStatus = input.query.get('newStatus');
  const newAuto = input.query.get('newAutoRegistrationStatus');
  if (newStatus !== null && newStatus !== 'ACTIVE' && newStatus !== 'INACTIVE') {
    throw invalidRequest(`newStatus must be ACTIVE or INACTIVE, got ${newStatus}`);
  }
  if (newAuto !== null && newAuto !== 'ENABLE' && newAuto !== 'DISABLE') {
    throw invalidRequest(`newAutoRegistrationStatus must be ENABLE or DISABLE, got ${newAuto}`);
  }
  const registrationConfig = optionalObject(input.body, 'registrationConfig');
  const removeAutoRegistration = optionalBoolean(input.body, 'removeAutoRegistration') === true;
  if (newStatus !== null) ca.status = newStatus;
  if (newAuto !== null) ca.autoRegistrationStatus = newAuto;
  if (registrationConfig !== undefined) ca.registrationConfig = parseRegistrationConfig(registrationConfig);
  if (removeAutoRegistration) ca.registrationConfig = undefined;
  ca.lastModifiedDate = ctx.now();
  ca.customerVersion += 1;
  ca.generationId = randomUUID();
}

function deleteCaCertificate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const ca = requireCaCertificate(ctx, certificateIdLabel(input));
  if (ca.status !== 'INACTIVE') {
    throw certificateState(`CA certificate must be deactivated (not ACTIVE) before deletion. Id: ${ca.id}`);
  }
  ctx.state.caCertificates.delete(ca.id);
}

function listCaCertificates(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const templateName = input.query.get('templateName');
  const cas = [...ctx.state.caCertificates.values()].filter(
    (ca) => templateName === null || ca.registrationConfig?.templateName === templateName,
  );
  const page = paginateByMarker(cas, (ca) => byCreation(ca.creationDate, ca.id), input.query, { descendingByDefault: true });
  return {
    certificates: page.items.map((ca) => ({
      certificateArn: ca.arn,
      certificateId: ca.id,
      status: ca.status,
      creationDate: toEpochSeconds(ca.creationDate),
    })),
    ...(page.nextMarker !== undefined ? { nextMarker: page.nextMarker } : {}),
  };
}

// --- helpers ---------------------------------------------------------------------------------------

function requireCertificate(ctx: EmulatorContext, id: string): CertificateRecord {
  const certificate = ctx.state.certificates.get(id);
  if (certificate === undefined) throw resourceNotFound(`The certificate ${id} does not exist.`);
  return certificate;
}

function requireCaCertificate(ctx: EmulatorContext, id: string): CaCertificateRecord {
  const ca = ctx.state.caCertificates.get(id);
  if (ca === undefined) throw resourceNotFound(`The CA certificate ${id} does not exist.`);
  return ca;
}

function certificateIdLabel(input: OperationInput, label = 'certificateId'): string {
  const value = input.labels[label] ?? '';
  if (!CERTIFICATE_ID_PATTERN.test(value)) throw invalidRequest(`${label} '${value}' must be 64 hexadecimal characters`);
  return value.replace(/^0x/, '').toLowerCase();
}

function requiredString(fields: Readonly<Record<string, unknown>>, key: string): string {
  const value = optionalString(fields, key);
  if (value === undefined || value === '') throw invalidRequest(`${key} is required`);
  return value;
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw certificateValidation('The certificate is not a valid PEM-encoded X.509 certificate.');
  }
}

function isIssuedBy(certificate: X509Certificate, ca: CaCertificateRecord): boolean {
  const caCertificate = new X509Certificate(ca.pem);
  return certificate.checkIssued(caCertificate) && certificate.verify(caCertificate.publicKey);
}

function parseStatus(value: string, key: string): CertificateStatus {
  if (!(CERTIFICATE_STATUSES as readonly string[]).includes(value)) {
    throw invalidRequest(`${key} must be one of ${CERTIFICATE_STATUSES.join(', ')}, got ${value}`);
  }
  return value as CertificateStatus;
}

/** RegisterCertificate: `status` wins, then the deprecated `setAsActive`; INACTIVE by default. */
function initialStatus(input: OperationInput): CertificateStatus {
  const status = optionalString(input.body, 'status');
  if (status !== undefined) return parseStatus(status, 'status');
  return queryBoolean(input.query, 'setAsActive') === true ? 'ACTIVE' : 'INACTIVE';
}

function rejectDuplicate(ctx: EmulatorContext, id: string): void {
  const existing = ctx.state.certificates.get(id);
  if (existing !== undefined) {
    throw resourceAlreadyExists('The certificate is already provisioned or registered', existing.id, existing.arn);
  }
}

function parseRegistrationConfig(fields: Readonly<Record<string, unknown>>): CaCertificateRecord['registrationConfig'] {
  const config: { templateBody?: string; roleArn?: string; templateName?: string } = {};
  for (const key of ['templateBody', 'roleArn', 'templateName'] as const) {
    const value = optionalString(fields, key);
    if (value !== undefined) config[key] = value;
  }
  return config;
}

function touch(ctx: EmulatorContext, certificate: CertificateRecord): void {
  certificate.lastModifiedDate = ctx.now();
  certificate.customerVersion += 1;
  certificate.generationId = randomUUID();
}
