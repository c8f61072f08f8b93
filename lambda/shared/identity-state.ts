/**
 * The canonical journal form of the device-identity kinds (certificates, CA certificates, policies and their
 * attachments, principals, provisioning templates, role aliases, shadows), built the same way from an IoT
 * read in either region, so the same identity hashes equally in both.
 *
 * Region-neutral ARNs: a policy document or a pre-provisioning hook names resources by ARN, and an ARN of
 * the source region (and account) must name the target's resource once replayed. The journal stores those
 * ARNs with REGION_TOKEN / ACCOUNT_TOKEN in place of the region and account (`neutralArns`), and replay
 * writes them back with its own (`localArns`). ARNs of any other region or account are left as written.
 */
import { canonicalJson } from './hash';
import type {
  CaCertificateState,
  CertificateState,
  PolicyState,
  PolicyTargetState,
  PreProvisioningHookState,
  PrincipalState,
  ProvisioningTemplateState,
  RoleAliasState,
  ShadowState,
} from './model';

/** Where a region's ARNs point: what `neutralArns` removes and `localArns` puts back. */
export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

export const REGION_TOKEN = '{{cdk-iot-dr:region}}';
export const ACCOUNT_TOKEN = '{{cdk-iot-dr:account}}';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces `arn:<partition>:<service>:<region>:<account>:` of `scope` with the neutral tokens. */
export function neutralArns(text: string, scope: ArnScope): string {
  const pattern = new RegExp(`(arn:aws[a-z-]*:[a-z0-9-]+:)${escape(scope.region)}:${escape(scope.accountId)}:`, 'g');
  return text.replace(pattern, `$1${REGION_TOKEN}:${ACCOUNT_TOKEN}:`);
}

/** The inverse of `neutralArns` for the target `scope`. */
export function localArns(text: string, scope: ArnScope): string {
  return text.split(REGION_TOKEN).join(scope.region).split(ACCOUNT_TOKEN).join(scope.accountId);
}

/**
 * A JSON document (policy, template body) in canonical form: keys sorted, no insignificant whitespace, so
 * the same policy written with another layout in the other region hashes equally. A document that is not
 * JSON is kept as written (IoT would have refused it, but a journal must not throw).
 */
export function canonicalDocument(document: string): string {
  try {
    return canonicalJson(JSON.parse(document));
  } catch {
    return document;
  }
}

const present = (v: string | null | undefined): string | undefined => (v ? v : undefined);

export function certificateState(f: {
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly status?: string | null;
  readonly caCertificateId?: string | null;
}): CertificateState {
  const ca = present(f.caCertificateId);
  return { certificateId: f.certificateId, certificatePem: f.certificatePem.trim(), status: f.status ?? 'INACTIVE', ...(ca ? { caCertificateId: ca } : {}) };
}

export function caCertificateState(f: {
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly status?: string | null;
  readonly autoRegistration?: string | null;
}): CaCertificateState {
  return {
    certificateId: f.certificateId,
    certificatePem: f.certificatePem.trim(),
    status: f.status ?? 'INACTIVE',
    autoRegistration: f.autoRegistration ?? 'DISABLE',
  };
}

/** `versions` in any order; they are sorted by IoT's numeric version id. */
export function policyState(
  policyName: string,
  versions: ReadonlyArray<{ readonly versionId: string; readonly document: string; readonly isDefault: boolean }>,
  scope: ArnScope,
): PolicyState {
  const sorted = [...versions].sort((a, b) => Number(a.versionId) - Number(b.versionId));
  const defaultIndex = Math.max(0, sorted.findIndex((v) => v.isDefault));
  return { policyName, documents: sorted.map((v) => neutralArns(canonicalDocument(v.document), scope)), defaultIndex };
}

export function policyTargetState(policyName: string, target: string): PolicyTargetState {
  return { policyName, target };
}

export function principalState(thingName: string, certificateId: string): PrincipalState {
  return { thingName, certificateId };
}

export function provisioningTemplateState(
  f: {
    readonly templateName: string;
    readonly description?: string | null;
    readonly templateBody: string;
    readonly enabled?: boolean | null;
    readonly provisioningRoleArn: string;
    readonly preProvisioningHook?: { readonly targetArn?: string | null; readonly payloadVersion?: string | null } | null;
    readonly type?: string | null;
  },
  scope: ArnScope,
): ProvisioningTemplateState {
  const hookArn = present(f.preProvisioningHook?.targetArn);
  const payloadVersion = present(f.preProvisioningHook?.payloadVersion);
  const hook: PreProvisioningHookState | undefined = hookArn
    ? { targetArn: neutralArns(hookArn, scope), ...(payloadVersion ? { payloadVersion } : {}) }
    : undefined;
  const description = present(f.description);
  const type = present(f.type);
  return {
    templateName: f.templateName,
    ...(description ? { description } : {}),
    templateBody: neutralArns(canonicalDocument(f.templateBody), scope),
    enabled: f.enabled ?? false,
    provisioningRoleArn: f.provisioningRoleArn,
    ...(hook ? { preProvisioningHook: hook } : {}),
    ...(type ? { type } : {}),
  };
}

/** IoT's default credential duration for a role alias, seconds. */
export const DEFAULT_CREDENTIAL_DURATION_SECONDS = 3600;

export function roleAliasState(f: { readonly roleAlias: string; readonly roleArn: string; readonly credentialDurationSeconds?: number | null }): RoleAliasState {
  return { roleAlias: f.roleAlias, roleArn: f.roleArn, credentialDurationSeconds: f.credentialDurationSeconds ?? DEFAULT_CREDENTIAL_DURATION_SECONDS };
}

type Doc = Readonly<Record<string, unknown>>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;

/** A shadow's state; empty desired / reported sections are omitted (IoT drops them too). */
export function shadowState(thingName: string, shadowName: string | undefined, state: { readonly desired?: unknown; readonly reported?: unknown } | undefined): ShadowState {
  const desired = isDoc(state?.desired) ? state.desired : undefined;
  const reported = isDoc(state?.reported) ? state.reported : undefined;
  return { thingName, ...(shadowName ? { shadowName } : {}), ...(desired ? { desired } : {}), ...(reported ? { reported } : {}) };
}
