/**
 * CloudTrail management events of AWS IoT, as an EventBridge rule delivers them to the capture queue, into
 * the one journal entity each call changed. Capture then reads that entity's whole current state from IoT
 * (identity-capture.ts): the event only says *what* changed and *who* changed it, never the state.
 *
 * Anything that is not exactly a successful IoT call of IDENTITY_API_CALLS naming its entity throws
 * MalformedInput (dead-lettered, redacted: see redactCloudTrailEvent). Calls on targets the journal does not
 * replicate (a policy attached to a Cognito identity, a non-certificate thing principal) are `unreplicated`:
 * counted and logged, never dead-lettered.
 */
import { CLOUDTRAIL_DETAIL_TYPE, CLOUDTRAIL_EVENT_SOURCE, IDENTITY_API_CALLS } from '../contract';
import { MalformedInput } from '../shared/errors';
import { certificateIdOf, neutralTarget } from '../shared/identity-adapter';

/** A device-identity entity a CloudTrail event names (journal kinds of IDENTITY_API_CALLS). */
export type IdentityEntity =
  | { readonly kind: 'cert'; readonly certificateId: string }
  | { readonly kind: 'caCert'; readonly certificateId: string }
  | { readonly kind: 'policy'; readonly policyName: string }
  | { readonly kind: 'policyTarget'; readonly policyName: string; readonly target: string }
  | { readonly kind: 'principal'; readonly thingName: string; readonly certificateId: string }
  | { readonly kind: 'provisioningTemplate'; readonly templateName: string }
  | { readonly kind: 'roleAlias'; readonly roleAlias: string };

export type IdentityKind = IdentityEntity['kind'];

interface CallHeader {
  readonly eventName: string;
  /** CloudTrail's `eventID`. */
  readonly eventId: string;
  /** CloudTrail's `eventTime` (second precision), epoch milliseconds. */
  readonly eventTime: number;
  /** The caller's IAM role ARN (path-less for an assumed-role session), when the caller is a role. */
  readonly callerRoleArn?: string;
}

/** The call changed one journal entity. */
export interface IdentityCall extends CallHeader {
  readonly outcome: 'entity';
  readonly entity: IdentityEntity;
}

/** The call succeeded but changed nothing the journal replicates (or did not succeed). */
export interface SkippedCall extends CallHeader {
  readonly outcome: 'skipped';
  /** Why, for the log line: never the event's body. */
  readonly reason: string;
}

export type CloudTrailCall = IdentityCall | SkippedCall;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** An EventBridge envelope (`detail-type`, `detail`), as opposed to a topic rule message (`topic`). */
export function isEventBridgeEnvelope(message: unknown): message is Json {
  return isObject(message) && typeof message['detail-type'] === 'string' && message.topic === undefined;
}

const KIND_OF_CALL: ReadonlyMap<string, IdentityKind> = new Map(
  Object.entries(IDENTITY_API_CALLS).flatMap(([kind, calls]) => calls.map((call): [string, IdentityKind] => [call, kind as IdentityKind])),
);

/** Certificate ids are the certificate's SHA-256 fingerprint: 64 hex digits. */
const CERTIFICATE_ID = /^[0-9a-f]{64}$/;
/** IoT's name patterns; each also keeps '#' (the journal's key separator) out of keys. */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const TEMPLATE_NAME = /^[0-9A-Za-z_-]{1,36}$/;
const ROLE_ALIAS = /^[\w=,@-]{1,128}$/;
/** Versions pad event time to 15 digits. */
const MAX_EVENT_TIME = 10 ** 15 - 1;

/**
 * Parses one EventBridge CloudTrail event (already JSON-parsed). Throws MalformedInput naming what is
 * wrong — never quoting a certificate, key or template body.
 */
export function parseCloudTrailEvent(envelope: Json): CloudTrailCall {
  if (envelope['detail-type'] !== CLOUDTRAIL_DETAIL_TYPE) {
    throw new MalformedInput(`detail-type ${quote(envelope['detail-type'])} is not '${CLOUDTRAIL_DETAIL_TYPE}'`);
  }
  if (envelope.source !== CLOUDTRAIL_EVENT_SOURCE) throw new MalformedInput(`source ${quote(envelope.source)} is not '${CLOUDTRAIL_EVENT_SOURCE}'`);
  const detail = envelope.detail;
  if (!isObject(detail)) throw new MalformedInput('detail must be an object');
  if (detail.eventSource !== 'iot.amazonaws.com') throw new MalformedInput(`detail.eventSource ${quote(detail.eventSource)} is not 'iot.amazonaws.com'`);
  const eventName = requireString(detail, 'eventName', 'detail');
  const eventId = requireString(detail, 'eventID', 'detail');
  if (eventId.length > 256 || eventId.includes('#')) throw new MalformedInput('detail.eventID must be at most 256 characters without #');
  const rawTime = requireString(detail, 'eventTime', 'detail');
  const eventTime = Date.parse(rawTime);
  if (!Number.isSafeInteger(eventTime) || eventTime < 0 || eventTime > MAX_EVENT_TIME || !/^\d{4}-\d\d-\d\dT/.test(rawTime)) {
    throw new MalformedInput(`detail.eventTime ${quote(rawTime)} is not an ISO 8601 time`);
  }
  const header: CallHeader = { eventName, eventId, eventTime, ...optional('callerRoleArn', callerRoleArn(detail.userIdentity)) };

  // A failed call changed nothing (the rule filters them out too; a redrive or a wider rule may not).
  if (detail.errorCode !== undefined && detail.errorCode !== null) return { ...header, outcome: 'skipped', reason: `the call failed (${String(detail.errorCode)})` };

  const kind = KIND_OF_CALL.get(eventName);
  if (!kind) throw new MalformedInput(`detail.eventName '${eventName}' is not an IoT call capture journals`);
  const request = isObject(detail.requestParameters) ? detail.requestParameters : {};
  const response = isObject(detail.responseElements) ? detail.responseElements : {};
  const entity = (e: IdentityEntity): IdentityCall => ({ ...header, outcome: 'entity', entity: e });
  const skipped = (reason: string): SkippedCall => ({ ...header, outcome: 'skipped', reason });

  switch (kind) {
    case 'cert':
      return entity({ kind, certificateId: createdOrNamedCertificate(eventName, request, response) });
    case 'caCert':
      return entity({ kind, certificateId: createdOrNamedCertificate(eventName, request, response) });
    case 'policy':
      return entity({ kind, policyName: name(request, 'policyName', POLICY_NAME) });
    case 'policyTarget': {
      const policyName = name(request, 'policyName', POLICY_NAME);
      const targetArn = requireString(request, 'target', 'detail.requestParameters');
      const target = neutralTarget(targetArn);
      // Cognito identities (and anything else that is no certificate or thing group) are not replicated.
      return target ? entity({ kind, policyName, target }) : skipped(`${eventName} of policy '${policyName}' on a target that is neither a certificate nor a thing group`);
    }
    case 'principal': {
      const thingName = name(request, 'thingName', THING_NAME);
      const principal = requireString(request, 'principal', 'detail.requestParameters');
      const certificateId = certificateIdOf(principal);
      return certificateId ? entity({ kind, thingName, certificateId }) : skipped(`${eventName} of thing '${thingName}' with a principal that is not a certificate`);
    }
    case 'provisioningTemplate':
      return entity({ kind, templateName: name(request, 'templateName', TEMPLATE_NAME) });
    case 'roleAlias':
      return entity({ kind, roleAlias: name(request, 'roleAlias', ROLE_ALIAS) });
  }
}

/** Calls that create a certificate name it in their response; the others in their request. */
const CREATING_CALLS = new Set(['CreateKeysAndCertificate', 'CreateCertificateFromCsr', 'RegisterCertificate', 'RegisterCertificateWithoutCA', 'RegisterCACertificate']);

function createdOrNamedCertificate(eventName: string, request: Json, response: Json): string {
  if (CREATING_CALLS.has(eventName)) {
    const id = response.certificateId ?? (typeof response.certificateArn === 'string' ? /:(?:ca)?cert\/([^/]+)$/.exec(response.certificateArn)?.[1] : undefined);
    return certificateId(id, 'detail.responseElements.certificateId (or certificateArn)');
  }
  // UpdateCACertificate / DeleteCACertificate name it `caCertificateId` in their URI; CloudTrail uses the member name.
  return certificateId(request.certificateId ?? request.caCertificateId, 'detail.requestParameters.certificateId');
}

function certificateId(v: unknown, where: string): string {
  if (typeof v !== 'string' || !CERTIFICATE_ID.test(v)) throw new MalformedInput(`${where} must be a certificate id (64 hex digits), got ${quote(v)}`);
  return v;
}

function name(p: Json, field: string, pattern: RegExp): string {
  const v = requireString(p, field, 'detail.requestParameters');
  if (!pattern.test(v)) throw new MalformedInput(`detail.requestParameters.${field} ${quote(v)} is not a valid name`);
  return v;
}

function requireString(p: Json, field: string, where: string): string {
  const v = p[field];
  if (typeof v !== 'string' || v === '') throw new MalformedInput(`${where}.${field} must be a non-empty string, got ${quote(v)}`);
  return v;
}

function optional<K extends string>(field: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [field]: value }) as { [P in K]?: string };
}

/** A value for an error message: short, and never a PEM. */
function quote(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  if (PEM.test(s)) return '[a PEM block]';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * The IAM role behind a CloudTrail `userIdentity`: the session issuer of an assumed-role session
 * (`sessionContext.sessionIssuer.arn`, with its path), or the role of `arn:...:sts::<account>:assumed-role/<role>/<session>`.
 * Undefined for users, services and the root.
 */
export function callerRoleArn(userIdentity: unknown): string | undefined {
  if (!isObject(userIdentity)) return undefined;
  const issuer = isObject(userIdentity.sessionContext) ? userIdentity.sessionContext.sessionIssuer : undefined;
  if (isObject(issuer) && typeof issuer.arn === 'string' && /^arn:[^:]+:iam::\d{12}:role\//.test(issuer.arn)) return issuer.arn;
  const arn = userIdentity.arn;
  if (typeof arn !== 'string') return undefined;
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/**
 * `partition:account:role-name` of a role ARN. A role's name is unique in its account whatever its path, and
 * an assumed-role session ARN has no path: comparing these keeps a role with a path (`role/service-role/x`)
 * recognisable from either form.
 */
export function roleIdentity(roleArn: string): string | undefined {
  const m = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn.trim());
  return m ? `${m[1]}:${m[2]}:${m[3]}` : undefined;
}

/** The identities of `OWN_ROLE_ARNS` (comma-separated role ARNs); anything that is not a role ARN throws. */
export function ownRoles(ownRoleArns: readonly string[]): ReadonlySet<string> {
  return new Set(
    ownRoleArns.map((arn) => {
      const id = roleIdentity(arn);
      if (!id) throw new Error(`'${arn}' is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)`);
      return id;
    }),
  );
}

/** True when the call was made by one of the pipeline's own roles (replay, parking, reconciler): an echo. */
export function isOwnWrite(call: Pick<CallHeader, 'callerRoleArn'>, own: ReadonlySet<string>): boolean {
  const id = call.callerRoleArn !== undefined ? roleIdentity(call.callerRoleArn) : undefined;
  return id !== undefined && own.has(id);
}

/** Field names whose values are certificates, keys, CSRs or template bodies, at any depth (case-insensitive). */
const SENSITIVE_FIELDS = new Set(
  [
    'certificatePem',
    'caCertificate',
    'caCertificatePem',
    'verificationCertificate',
    'verificationCertificatePem',
    'certificateSigningRequest',
    'keyPair',
    'privateKey',
    'publicKey',
    'templateBody',
  ].map((f) => f.toLowerCase()),
);

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const PEM_BLOCKS = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;

export const REDACTED = '[redacted]';

/**
 * A copy of a CloudTrail event fit for a dead letter: every certificate, key, CSR and template body
 * replaced by REDACTED (by field name, and any PEM block in any other string). Names and ids stay, so a
 * redriven letter is still captured (capture reads the state from IoT, never from the event).
 */
export function redactCloudTrailEvent(event: unknown): unknown {
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return redactPem(v);
    if (Array.isArray(v)) return v.map(visit);
    if (!isObject(v)) return v;
    return Object.fromEntries(Object.entries(v).map(([k, val]) => [k, SENSITIVE_FIELDS.has(k.toLowerCase()) && val !== null ? REDACTED : visit(val)]));
  };
  return visit(event);
}

/** `text` with every PEM block (complete or cut off) replaced by REDACTED. */
export function redactPem(text: string): string {
  return PEM.test(text) ? text.replace(PEM_BLOCKS, REDACTED) : text;
}
