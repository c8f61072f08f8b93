import type { ArnFactory } from './arns';
import type { RegistryState } from './state';

/** The placeholder identity snapshots put where `arn:aws:iot:<region>:<account>:` stood. */
export const NORMALISED_ARN_PREFIX = 'arn:aws:iot:{region}:{account}:';

/**
 * The replicated identity content of a region as sorted plain data, with this region's IoT ARN prefix
 * normalised, so `expect(a.identitySnapshot()).toEqual(b.identitySnapshot())` means "converged".
 * Certificate ids are the same in every region (SHA-256 of the DER), so they are kept.
 */
export interface IdentitySnapshot {
  readonly certificates: ReadonlyArray<{ readonly id: string; readonly status: string; readonly caCertificateId: string | null }>;
  readonly caCertificates: ReadonlyArray<{ readonly id: string; readonly status: string; readonly autoRegistration: string }>;
  readonly policies: ReadonlyArray<{ readonly name: string; readonly documents: readonly string[]; readonly defaultDocument: string }>;
  /** `[policy, 'cert/<id>' | 'thinggroup/<name>' | <cognito identity>]` */
  readonly policyTargets: ReadonlyArray<readonly [string, string]>;
  /** `[thing, certificateId]` (or the Cognito identity id). */
  readonly thingPrincipals: ReadonlyArray<readonly [string, string]>;
  readonly provisioningTemplates: ReadonlyArray<{
    readonly name: string;
    readonly type: string;
    readonly body: string;
    readonly enabled: boolean;
    readonly description: string | null;
    readonly roleArn: string;
    readonly hook: { readonly targetArn: string; readonly payloadVersion: string | null } | null;
  }>;
  readonly roleAliases: ReadonlyArray<{ readonly name: string; readonly roleArn: string; readonly credentialDurationSeconds: number }>;
  /** `[thing, shadowName | '$classic', state]` */
  readonly shadows: ReadonlyArray<readonly [string, string, unknown]>;
}

export function takeIdentitySnapshot(state: RegistryState, arns: ArnFactory): IdentitySnapshot {
  const iotPrefix = arns.prefix;
  const lambdaPrefix = `arn:aws:lambda:${arns.region}:${arns.accountId}:`;
  const normalise = (text: string): string =>
    text.split(iotPrefix).join(NORMALISED_ARN_PREFIX).split(lambdaPrefix).join('arn:aws:lambda:{region}:{account}:');
  const byName = <T extends { name: string }>(a: T, b: T): number => compare(a.name, b.name);
  const pairs = (a: readonly [string, string], b: readonly [string, string]): number => compare(a[0], b[0]) || compare(a[1], b[1]);
  const shortTarget = (target: string): string => (target.startsWith(iotPrefix) ? target.slice(iotPrefix.length) : target);
  const certId = (principal: string): string => (principal.startsWith(`${iotPrefix}cert/`) ? principal.slice(iotPrefix.length + 5) : principal);

  return {
    certificates: [...state.certificates.values()]
      .map((c) => ({ id: c.id, status: c.status, caCertificateId: c.caCertificateId ?? null }))
      .sort((a, b) => compare(a.id, b.id)),
    caCertificates: [...state.caCertificates.values()]
      .map((c) => ({ id: c.id, status: c.status, autoRegistration: c.autoRegistrationStatus }))
      .sort((a, b) => compare(a.id, b.id)),
    policies: [...state.policies.values()].sort(byName).map((p) => ({
      name: p.name,
      documents: [...p.versions.values()].map((v) => normalise(layoutFree(v.document))).sort(compare),
      defaultDocument: normalise(layoutFree(p.versions.get(p.defaultVersionId)?.document ?? '')),
    })),
    policyTargets: state
      .allPolicyAttachments()
      .map(([policy, target]): [string, string] => [policy, shortTarget(target)])
      .sort(pairs),
    thingPrincipals: state
      .allThingPrincipals()
      .map(([thing, principal]): [string, string] => [thing, certId(principal)])
      .sort(pairs),
    provisioningTemplates: [...state.provisioningTemplates.values()].sort(byName).map((t) => ({
      name: t.name,
      type: t.type,
      body: normalise(layoutFree(t.versions.get(t.defaultVersionId)?.body ?? '')),
      enabled: t.enabled,
      description: t.description || null,
      roleArn: t.provisioningRoleArn,
      hook:
        t.preProvisioningHook === undefined
          ? null
          : { targetArn: normalise(t.preProvisioningHook.targetArn), payloadVersion: t.preProvisioningHook.payloadVersion ?? null },
    })),
    roleAliases: [...state.roleAliases.values()]
      .sort(byName)
      .map((a) => ({ name: a.name, roleArn: a.roleArn, credentialDurationSeconds: a.credentialDurationSeconds })),
    shadows: [...state.shadows.values()]
      .filter((s) => s.state !== undefined)
      .map((s): [string, string, unknown] => [s.thingName, s.shadowName ?? '$classic', structuredClone(s.state)])
      .sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1])),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A JSON document with its keys sorted and no whitespace: replay writes documents in the journal's canonical
 * layout, which the snapshot must not count as a difference. Non-JSON text is kept as is.
 */
function layoutFree(document: string): string {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]))
        : v;
  try {
    return JSON.stringify(sortKeys(JSON.parse(document)));
  } catch {
    return document;
  }
}
