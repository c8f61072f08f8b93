/**
 * Request checks the handler makes itself, whatever API Gateway's models already checked (the models are the
 * first line; this is the one the handler's tests can see): names in IoT's patterns, nothing unknown.
 */
import { IDEMPOTENCY_KEY_PATTERN, POLICY_NAME_PATTERN, THING_GROUP_NAME_PATTERN, THING_NAME_PATTERN, THING_TYPE_NAME_PATTERN } from '../contract';
import { badRequest } from './errors';

export interface OnboardRequest {
  readonly thingName: string;
  readonly policyName: string;
  readonly thingGroupName?: string;
  readonly thingTypeName?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  /** PEM of the device's certificate signing request; absent: IoT creates the key pair. */
  readonly csr?: string;
}

const THING_NAME = new RegExp(THING_NAME_PATTERN);
const POLICY_NAME = new RegExp(POLICY_NAME_PATTERN);
const GROUP_NAME = new RegExp(THING_GROUP_NAME_PATTERN);
const TYPE_NAME = new RegExp(THING_TYPE_NAME_PATTERN);
const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/;
/** IoT's limit on a thing's attributes (with a thing type). */
export const MAX_ATTRIBUTES = 50;
/** Generous for any CSR IoT accepts (RSA 4096 is under 2 KiB of PEM). */
export const MAX_CSR_LENGTH = 16 * 1024;
const CSR_PEM = /^-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]+-----END (NEW )?CERTIFICATE REQUEST-----\s*$/;

const ONBOARD_FIELDS = new Set(['thingName', 'policyName', 'thingGroupName', 'thingTypeName', 'attributes', 'csr']);

export function checkThingName(name: string | undefined): string {
  if (name === undefined || !THING_NAME.test(name)) throw badRequest(`thingName must match ${THING_NAME_PATTERN}`);
  return name;
}

export function checkIdempotencyKey(key: string | undefined): string {
  if (key === undefined) throw badRequest('the Idempotency-Key header is required on every mutating call');
  if (!IDEMPOTENCY_KEY.test(key)) throw badRequest(`the Idempotency-Key header must match ${IDEMPOTENCY_KEY_PATTERN} (a UUID fits)`);
  return key;
}

/** The body as a JSON object, or a 400. */
export function parseJsonObject(body: string | null | undefined): Record<string, unknown> {
  if (body === null || body === undefined || body.trim() === '') throw badRequest('a JSON object body is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw badRequest('the body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

export function parseOnboardRequest(body: string | null | undefined): OnboardRequest {
  const o = parseJsonObject(body);
  const unknown = Object.keys(o).filter((k) => !ONBOARD_FIELDS.has(k));
  if (unknown.length > 0) throw badRequest(`unknown field(s): ${unknown.join(', ')}`);
  const optionalName = (field: string, pattern: RegExp, source: string): string | undefined => {
    const v = o[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !pattern.test(v)) throw badRequest(`${field} must match ${source}`);
    return v;
  };
  const thingName = checkThingName(typeof o.thingName === 'string' ? o.thingName : undefined);
  if (typeof o.policyName !== 'string' || !POLICY_NAME.test(o.policyName)) throw badRequest(`policyName must match ${POLICY_NAME_PATTERN}`);
  const thingGroupName = optionalName('thingGroupName', GROUP_NAME, THING_GROUP_NAME_PATTERN);
  const thingTypeName = optionalName('thingTypeName', TYPE_NAME, THING_TYPE_NAME_PATTERN);
  let attributes: Record<string, string> | undefined;
  if (o.attributes !== undefined) {
    if (o.attributes === null || typeof o.attributes !== 'object' || Array.isArray(o.attributes)) throw badRequest('attributes must be an object of strings');
    const entries = Object.entries(o.attributes as Record<string, unknown>);
    if (entries.length > MAX_ATTRIBUTES) throw badRequest(`attributes may hold at most ${MAX_ATTRIBUTES} entries, got ${entries.length}`);
    for (const [k, v] of entries) {
      if (!ATTRIBUTE_NAME.test(k)) throw badRequest(`attribute name '${k}' must match ${ATTRIBUTE_NAME.source}`);
      if (typeof v !== 'string' || !ATTRIBUTE_VALUE.test(v)) throw badRequest(`attribute '${k}' must be a string matching ${ATTRIBUTE_VALUE.source}`);
    }
    attributes = Object.fromEntries(entries) as Record<string, string>;
  }
  let csr: string | undefined;
  if (o.csr !== undefined) {
    // Never quoted back: a CSR is the device's, and it does not belong in logs or error messages.
    if (typeof o.csr !== 'string' || o.csr.length > MAX_CSR_LENGTH || !CSR_PEM.test(o.csr.trim())) {
      throw badRequest(`csr must be a PEM certificate signing request (BEGIN CERTIFICATE REQUEST) of at most ${MAX_CSR_LENGTH} characters`);
    }
    csr = o.csr;
  }
  return {
    thingName,
    policyName: o.policyName,
    ...(thingGroupName !== undefined ? { thingGroupName } : {}),
    ...(thingTypeName !== undefined ? { thingTypeName } : {}),
    ...(attributes !== undefined ? { attributes } : {}),
    ...(csr !== undefined ? { csr } : {}),
  };
}
