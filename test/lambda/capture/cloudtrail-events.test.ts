import {
  callerRoleArn,
  isEventBridgeEnvelope,
  isOwnWrite,
  ownRoles,
  parseCloudTrailEvent,
  redactCloudTrailEvent,
  redactPem,
  roleIdentity,
} from '../../../lambda/capture/cloudtrail-events';
import { IDENTITY_EVENT_NAMES } from '../../../lambda/contract';
import { MalformedInput } from '../../../lambda/shared/errors';
import { ACCOUNT, CERT_ID, certArn, cloudTrailEvent, OTHER_CERT_ID, PEM } from './cloudtrail-event-builders';

const parse = (e: Record<string, unknown>) => parseCloudTrailEvent(e);
const entityOf = (e: Record<string, unknown>) => {
  const call = parse(e);
  if (call.outcome !== 'entity') throw new Error(`expected an entity, got ${JSON.stringify(call)}`);
  return call.entity;
};

describe('the entity each call changed', () => {
  it.each([
    ['CreateKeysAndCertificate', { setAsActive: true }, { certificateId: CERT_ID, certificateArn: certArn(CERT_ID), keyPair: 'HIDDEN_DUE_TO_SECURITY_REASONS' }],
    ['CreateCertificateFromCsr', { setAsActive: true, certificateSigningRequest: 'CSR' }, { certificateId: CERT_ID, certificateArn: certArn(CERT_ID) }],
    ['RegisterCertificate', { certificatePem: PEM, caCertificatePem: PEM }, { certificateId: CERT_ID, certificateArn: certArn(CERT_ID) }],
    ['RegisterCertificateWithoutCA', { certificatePem: PEM, status: 'ACTIVE' }, { certificateId: CERT_ID, certificateArn: certArn(CERT_ID) }],
    // Only the ARN: the id is its tail.
    ['RegisterCertificateWithoutCA', { certificatePem: PEM }, { certificateArn: certArn(CERT_ID) }],
  ])('%s: the created certificate, from the response', (eventName, request, response) => {
    expect(entityOf(cloudTrailEvent(eventName, request, { responseElements: response }))).toEqual({ kind: 'cert', certificateId: CERT_ID });
  });

  it.each([
    ['UpdateCertificate', { certificateId: CERT_ID, newStatus: 'REVOKED' }],
    ['DeleteCertificate', { certificateId: CERT_ID, forceDelete: true }],
  ])('%s: the certificate named in the request', (eventName, request) => {
    expect(entityOf(cloudTrailEvent(eventName, request))).toEqual({ kind: 'cert', certificateId: CERT_ID });
  });

  it('CA certificates: created from the response, changed from the request (either member name)', () => {
    const arn = `arn:aws:iot:us-east-1:${ACCOUNT}:cacert/${CERT_ID}`;
    expect(entityOf(cloudTrailEvent('RegisterCACertificate', { caCertificate: PEM, verificationCertificate: PEM }, { responseElements: { certificateArn: arn } }))).toEqual({
      kind: 'caCert',
      certificateId: CERT_ID,
    });
    expect(entityOf(cloudTrailEvent('UpdateCACertificate', { certificateId: CERT_ID, newStatus: 'INACTIVE' }))).toEqual({ kind: 'caCert', certificateId: CERT_ID });
    expect(entityOf(cloudTrailEvent('DeleteCACertificate', { caCertificateId: CERT_ID }))).toEqual({ kind: 'caCert', certificateId: CERT_ID });
  });

  it.each(['CreatePolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicyVersion', 'DeletePolicy'])('%s: the policy', (eventName) => {
    expect(entityOf(cloudTrailEvent(eventName, { policyName: 'Device.Policy@v1', policyVersionId: '2', policyDocument: '{}' }))).toEqual({
      kind: 'policy',
      policyName: 'Device.Policy@v1',
    });
  });

  it.each(['AttachPolicy', 'DetachPolicy'])('%s: the attachment, with a region-neutral certificate or thing-group target', (eventName) => {
    expect(entityOf(cloudTrailEvent(eventName, { policyName: 'P', target: certArn(CERT_ID) }))).toEqual({ kind: 'policyTarget', policyName: 'P', target: `cert/${CERT_ID}` });
    expect(entityOf(cloudTrailEvent(eventName, { policyName: 'P', target: `arn:aws:iot:us-east-1:${ACCOUNT}:thinggroup/Fleet-1` }))).toEqual({
      kind: 'policyTarget',
      policyName: 'P',
      target: 'thinggroup/Fleet-1',
    });
  });

  it('AttachPolicy to a Cognito identity is skipped, not malformed', () => {
    const call = parse(cloudTrailEvent('AttachPolicy', { policyName: 'P', target: 'us-east-1:0f0e0d0c-1111-2222-3333-444455556666' }));
    expect(call).toMatchObject({ outcome: 'skipped', eventName: 'AttachPolicy', reason: expect.stringContaining('neither a certificate nor a thing group') });
  });

  it.each(['AttachThingPrincipal', 'DetachThingPrincipal'])('%s: the thing principal by certificate id; other principals skipped', (eventName) => {
    expect(entityOf(cloudTrailEvent(eventName, { thingName: 'sensor-1', principal: certArn(OTHER_CERT_ID) }))).toEqual({
      kind: 'principal',
      thingName: 'sensor-1',
      certificateId: OTHER_CERT_ID,
    });
    expect(parse(cloudTrailEvent(eventName, { thingName: 'sensor-1', principal: 'us-east-1:0f0e0d0c-1111-2222-3333-444455556666' }))).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining('not a certificate'),
    });
  });

  it.each(['CreateProvisioningTemplate', 'UpdateProvisioningTemplate', 'CreateProvisioningTemplateVersion', 'DeleteProvisioningTemplate'])('%s: the template', (eventName) => {
    expect(entityOf(cloudTrailEvent(eventName, { templateName: 'fleet_1', templateBody: '{"secret":1}' }))).toEqual({ kind: 'provisioningTemplate', templateName: 'fleet_1' });
  });

  it.each(['CreateRoleAlias', 'UpdateRoleAlias', 'DeleteRoleAlias'])('%s: the role alias', (eventName) => {
    expect(entityOf(cloudTrailEvent(eventName, { roleAlias: 'edge=alias', roleArn: 'arn:aws:iam::123456789012:role/x' }))).toEqual({ kind: 'roleAlias', roleAlias: 'edge=alias' });
  });

  it('covers every call the rule matches', () => {
    expect(IDENTITY_EVENT_NAMES).toHaveLength(25);
  });

  it('carries the event id, the event time in ms and the caller role', () => {
    const call = parse(cloudTrailEvent('DeletePolicy', { policyName: 'P' }, { eventTime: '2023-11-14T22:13:20Z', eventId: 'ev-9', role: 'replay', rolePath: 'dr/' }));
    expect(call).toMatchObject({ eventName: 'DeletePolicy', eventId: 'ev-9', eventTime: Date.parse('2023-11-14T22:13:20Z'), callerRoleArn: `arn:aws:iam::${ACCOUNT}:role/dr/replay` });
  });

  it('a failed call is skipped, whatever it names', () => {
    expect(parse(cloudTrailEvent('DeleteCertificate', {}, { errorCode: 'ResourceNotFoundException' }))).toMatchObject({
      outcome: 'skipped',
      reason: 'the call failed (ResourceNotFoundException)',
    });
  });
});

describe('malformed events', () => {
  const base = () => cloudTrailEvent('UpdateCertificate', { certificateId: CERT_ID, newStatus: 'ACTIVE' });
  const withDetail = (patch: Record<string, unknown>) => {
    const e = base();
    return { ...e, detail: { ...(e.detail as Record<string, unknown>), ...patch } };
  };

  it.each([
    ['another detail-type', { ...base(), 'detail-type': 'AWS Console Sign In via CloudTrail' }, /detail-type/],
    ['another source', { ...base(), source: 'aws.s3' }, /source "aws.s3" is not 'aws.iot'/],
    ['no detail', { ...base(), detail: 'x' }, /detail must be an object/],
    ['another service', withDetail({ eventSource: 's3.amazonaws.com' }), /eventSource/],
    ['no event name', withDetail({ eventName: undefined }), /detail.eventName must be a non-empty string, got nothing/],
    ['a call capture does not journal', withDetail({ eventName: 'DescribeCertificate' }), /'DescribeCertificate' is not an IoT call capture journals/],
    ['no event id', withDetail({ eventID: '' }), /detail.eventID/],
    ['an event id with #', withDetail({ eventID: 'a#b' }), /without #/],
    ['no event time', withDetail({ eventTime: undefined }), /detail.eventTime/],
    ['a bad event time', withDetail({ eventTime: 'yesterday' }), /is not an ISO 8601 time/],
    ['no certificate id', withDetail({ requestParameters: { newStatus: 'ACTIVE' } }), /certificateId must be a certificate id \(64 hex digits\), got nothing/],
    ['a bad certificate id', withDetail({ requestParameters: { certificateId: 'abc' } }), /got "abc"/],
    ['a created certificate without id', withDetail({ eventName: 'CreateKeysAndCertificate', requestParameters: {}, responseElements: null }), /responseElements.certificateId/],
  ])('%s', (_what, event, message) => {
    expect(() => parse(event as Record<string, unknown>)).toThrow(MalformedInput);
    expect(() => parse(event as Record<string, unknown>)).toThrow(message);
  });

  it.each([
    ['CreatePolicy', { policyName: 'a#b' }],
    ['CreatePolicy', {}],
    ['AttachPolicy', { policyName: 'P' }],
    ['AttachThingPrincipal', { thingName: 'a/b', principal: certArn(CERT_ID) }],
    ['AttachThingPrincipal', { thingName: 't' }],
    ['CreateProvisioningTemplate', { templateName: 'x'.repeat(37) }],
    ['CreateRoleAlias', { roleAlias: 'a#b' }],
  ])('%s with a missing or invalid name: %j', (eventName, request) => {
    expect(() => parse(cloudTrailEvent(eventName, request))).toThrow(MalformedInput);
  });

  it('never quotes a PEM in its message', () => {
    const e = cloudTrailEvent('UpdateCertificate', { certificateId: PEM });
    expect(() => parse(e)).toThrow(/got \[a PEM block\]/);
  });
});

describe('shapes', () => {
  it('tells EventBridge envelopes from topic rule messages', () => {
    expect(isEventBridgeEnvelope(cloudTrailEvent('DeletePolicy', { policyName: 'P' }))).toBe(true);
    expect(isEventBridgeEnvelope({ topic: '$aws/events/thing/T/created', eventType: 'THING_EVENT' })).toBe(false);
    expect(isEventBridgeEnvelope({ 'detail-type': 'x', topic: '$aws/things/t/shadow/update/documents' })).toBe(false);
    expect(isEventBridgeEnvelope(null)).toBe(false);
    expect(isEventBridgeEnvelope([])).toBe(false);
  });
});

describe('the echo rule: the caller is one of the pipeline roles', () => {
  const own = ownRoles([`arn:aws:iam::${ACCOUNT}:role/dr/ReplayRole`, `arn:aws:iam::${ACCOUNT}:role/ParkingRole`]);

  it('matches the session issuer, with or without a path', () => {
    expect(isOwnWrite(parse(cloudTrailEvent('DeletePolicy', { policyName: 'P' }, { role: 'ReplayRole', rolePath: 'dr/' })), own)).toBe(true);
    expect(isOwnWrite(parse(cloudTrailEvent('DeletePolicy', { policyName: 'P' }, { role: 'ParkingRole' })), own)).toBe(true);
  });

  it('matches an assumed-role ARN without a session issuer (normalised to the role)', () => {
    expect(callerRoleArn({ type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReplayRole/fn-session` })).toBe(`arn:aws:iam::${ACCOUNT}:role/ReplayRole`);
    expect(isOwnWrite({ callerRoleArn: callerRoleArn({ arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReplayRole/fn-session` }) }, own)).toBe(true);
  });

  it('does not match other roles, other accounts, users or services', () => {
    expect(isOwnWrite(parse(cloudTrailEvent('DeletePolicy', { policyName: 'P' }, { role: 'operator' })), own)).toBe(false);
    expect(isOwnWrite({ callerRoleArn: 'arn:aws:iam::999999999999:role/ReplayRole' }, own)).toBe(false);
    expect(callerRoleArn({ type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/alice` })).toBeUndefined();
    expect(callerRoleArn({ type: 'AWSService', invokedBy: 'iot.amazonaws.com' })).toBeUndefined();
    expect(callerRoleArn(undefined)).toBeUndefined();
    expect(isOwnWrite({}, own)).toBe(false);
  });

  it('role identities ignore paths; anything else is no role', () => {
    expect(roleIdentity('arn:aws-cn:iam::123456789012:role/a/b/Name')).toBe('aws-cn:123456789012:Name');
    expect(roleIdentity('arn:aws:iam::123456789012:user/Name')).toBeUndefined();
    expect(() => ownRoles(['nope'])).toThrow(/'nope' is not an IAM role ARN/);
  });
});

describe('redaction', () => {
  it('replaces certificates, keys, CSRs and template bodies at any depth; keeps names and ids', () => {
    const event = cloudTrailEvent(
      'RegisterCACertificate',
      { caCertificate: PEM, verificationCertificate: PEM, templateBody: '{"x":1}', registrationConfig: { templateBody: '{}', roleArn: 'r' } },
      { responseElements: { certificateId: CERT_ID, certificatePem: PEM, keyPair: { PrivateKey: 'KEY', PublicKey: 'PUB' } } },
    );
    const redacted = redactCloudTrailEvent(event) as { detail: Record<string, Record<string, unknown>> };
    expect(redacted.detail.requestParameters).toEqual({
      caCertificate: '[redacted]',
      verificationCertificate: '[redacted]',
      templateBody: '[redacted]',
      registrationConfig: { templateBody: '[redacted]', roleArn: 'r' },
    });
    expect(redacted.detail.responseElements).toEqual({ certificateId: CERT_ID, certificatePem: '[redacted]', keyPair: '[redacted]' });
    expect(JSON.stringify(redacted)).not.toMatch(/BEGIN|KEY|PUB|SECRET/);
    // Still parseable: capture reads the state from IoT, so a redriven letter is still captured.
    expect(parse(redacted as unknown as Record<string, unknown>)).toMatchObject({ outcome: 'entity', entity: { kind: 'caCert', certificateId: CERT_ID } });
    // The original is untouched.
    expect(JSON.stringify(event)).toContain('BEGIN CERTIFICATE');
  });

  it('redacts PEM blocks under any other name, in arrays too, and cut-off ones', () => {
    const redacted = redactCloudTrailEvent({ detail: { requestParameters: { pems: [`x ${PEM} y`], note: '-----BEGIN RSA PRIVATE KEY-----\nABC' } } });
    expect(redacted).toEqual({ detail: { requestParameters: { pems: ['x [redacted]\n y'], note: '[redacted]' } } });
    expect(redactPem('no pem here')).toBe('no pem here');
  });
});
