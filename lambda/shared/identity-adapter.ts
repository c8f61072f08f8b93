/**
 * The one reader of this region's device identities: certificates, CA certificates, policies with their
 * versions, policy attachments, thing principals, provisioning templates, role aliases and shadows, described
 * into their canonical journal form (identity-state.ts). Capture reads through it after a CloudTrail event,
 * replay to compare this region with the journal, the reconciler to find drift — so all three see the same
 * state, with the same hash.
 */
import {
  DescribeCACertificateCommand,
  DescribeCertificateCommand,
  DescribeProvisioningTemplateCommand,
  DescribeProvisioningTemplateVersionCommand,
  DescribeRoleAliasCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAttachedPoliciesCommand,
  type ListAttachedPoliciesCommandOutput,
  ListPolicyVersionsCommand,
  ListThingPrincipalsCommand,
  type ListThingPrincipalsCommandOutput,
} from '@aws-sdk/client-iot';
import { GetThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import {
  type ArnScope,
  caCertificateState,
  certificateState,
  policyState,
  policyTargetState,
  principalState,
  provisioningTemplateState,
  roleAliasState,
  shadowState,
} from './identity-state';
import { isNotFound } from './iot-errors';
import { parseTarget } from './keys';
import type {
  CaCertificateState,
  CertificateState,
  PolicyState,
  PolicyTargetState,
  PrincipalState,
  ProvisioningTemplateState,
  RoleAliasState,
  ShadowState,
} from './model';
import type { RegistryClient } from './registry-adapter';

async function unlessNotFound<T>(describe: () => Promise<T>): Promise<T | undefined> {
  try {
    return await describe();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** `arn:aws:iot:<region>:<account>:<resource>` of this region. */
export function iotArn(scope: ArnScope, resource: string): string {
  return `arn:${partitionOf(scope.region)}:iot:${scope.region}:${scope.accountId}:${resource}`;
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** This region's ARN of a region-neutral policy target (`cert/<id>`, `thinggroup/<name>`). */
export function targetArn(scope: ArnScope, target: string): string {
  return iotArn(scope, target);
}

/** The region-neutral policy target of one of this region's certificate or thing-group ARNs. */
export function neutralTarget(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:iot:[^:]+:\d{12}:(cert|thinggroup)\/(.+)$/.exec(arn);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** The certificate id in a certificate ARN (`arn:...:cert/<id>`), or undefined. */
export function certificateIdOf(principal: string): string | undefined {
  return /^arn:aws[a-z-]*:iot:[^:]+:\d{12}:cert\/([0-9a-f]{64})$/.exec(principal)?.[1];
}

export function describeCertificate(iot: RegistryClient, certificateId: string): Promise<CertificateState | undefined> {
  return unlessNotFound(async () => {
    const res = await iot.send(new DescribeCertificateCommand({ certificateId }));
    const d = res.certificateDescription;
    if (!d?.certificatePem) throw new Error(`DescribeCertificate of ${certificateId} returned no certificate`);
    return certificateState({ certificateId, certificatePem: d.certificatePem, status: d.status, caCertificateId: d.caCertificateId });
  });
}

export function describeCaCertificate(iot: RegistryClient, certificateId: string): Promise<CaCertificateState | undefined> {
  return unlessNotFound(async () => {
    const res = await iot.send(new DescribeCACertificateCommand({ certificateId }));
    const d = res.certificateDescription;
    if (!d?.certificatePem) throw new Error(`DescribeCACertificate of ${certificateId} returned no certificate`);
    return caCertificateState({ certificateId, certificatePem: d.certificatePem, status: d.status, autoRegistration: d.autoRegistrationStatus });
  });
}

/** The policy with every version's document (IoT keeps at most five), or undefined when it does not exist. */
export function describePolicy(iot: RegistryClient, policyName: string, scope: ArnScope): Promise<PolicyState | undefined> {
  return unlessNotFound(async () => {
    const listed = await iot.send(new ListPolicyVersionsCommand({ policyName }));
    const versions = await Promise.all(
      (listed.policyVersions ?? []).map(async (v) => {
        const versionId = v.versionId ?? '';
        const got = await iot.send(new GetPolicyVersionCommand({ policyName, policyVersionId: versionId }));
        return { versionId, document: got.policyDocument ?? '', isDefault: v.isDefaultVersion === true };
      }),
    );
    if (versions.length === 0) {
      // No version list (an old policy?): the default version's document is the policy.
      const got = await iot.send(new GetPolicyCommand({ policyName }));
      versions.push({ versionId: got.defaultVersionId ?? '1', document: got.policyDocument ?? '', isDefault: true });
    }
    return policyState(policyName, versions, scope);
  });
}

/** Names of the policies attached directly to `arn` here; undefined when the target does not exist. */
export function policiesOf(iot: RegistryClient, arn: string): Promise<Set<string> | undefined> {
  return unlessNotFound(async () => {
    const names = new Set<string>();
    let marker: string | undefined;
    do {
      const page: ListAttachedPoliciesCommandOutput = await iot.send(new ListAttachedPoliciesCommand({ target: arn, recursive: false, marker, pageSize: 250 }));
      for (const p of page.policies ?? []) if (p.policyName) names.add(p.policyName);
      marker = page.nextMarker || undefined;
    } while (marker);
    return names;
  });
}

/** The attachment's state here, or undefined when the policy is not attached to the target (or either is missing). */
export async function describePolicyTarget(iot: RegistryClient, policyName: string, target: string, scope: ArnScope): Promise<PolicyTargetState | undefined> {
  if (!parseTarget(target)) throw new Error(`'${target}' is not a policy target (cert/<id> or thinggroup/<name>)`);
  return (await policiesOf(iot, targetArn(scope, target)))?.has(policyName) ? policyTargetState(policyName, target) : undefined;
}

/** The principals attached to a thing here (ARNs); undefined when the thing does not exist. */
export function principalsOf(iot: RegistryClient, thingName: string): Promise<string[] | undefined> {
  return unlessNotFound(async () => {
    const out: string[] = [];
    let nextToken: string | undefined;
    do {
      const page: ListThingPrincipalsCommandOutput = await iot.send(new ListThingPrincipalsCommand({ thingName, nextToken, maxResults: 250 }));
      out.push(...(page.principals ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return out;
  });
}

export async function describePrincipal(iot: RegistryClient, thingName: string, certificateId: string): Promise<PrincipalState | undefined> {
  const principals = await principalsOf(iot, thingName);
  return principals?.some((p) => certificateIdOf(p) === certificateId) ? principalState(thingName, certificateId) : undefined;
}

export function describeProvisioningTemplate(iot: RegistryClient, templateName: string, scope: ArnScope): Promise<ProvisioningTemplateState | undefined> {
  return unlessNotFound(async () => {
    const t = await iot.send(new DescribeProvisioningTemplateCommand({ templateName }));
    let body = t.templateBody;
    if (body === undefined && t.defaultVersionId !== undefined) {
      body = (await iot.send(new DescribeProvisioningTemplateVersionCommand({ templateName, versionId: t.defaultVersionId }))).templateBody;
    }
    return provisioningTemplateState(
      {
        templateName,
        description: t.description,
        templateBody: body ?? '{}',
        enabled: t.enabled,
        provisioningRoleArn: t.provisioningRoleArn ?? '',
        preProvisioningHook: t.preProvisioningHook,
        type: t.type,
      },
      scope,
    );
  });
}

export function describeRoleAlias(iot: RegistryClient, roleAlias: string): Promise<RoleAliasState | undefined> {
  return unlessNotFound(async () => {
    const d = (await iot.send(new DescribeRoleAliasCommand({ roleAlias }))).roleAliasDescription;
    return roleAliasState({ roleAlias, roleArn: d?.roleArn ?? '', credentialDurationSeconds: d?.credentialDurationSeconds });
  });
}

/** The shadow's state and its version here, or undefined when the shadow (or the thing) does not exist. */
export function describeShadow(
  data: { send(command: GetThingShadowCommand): Promise<{ payload?: Uint8Array }> },
  thingName: string,
  shadowName: string | undefined,
): Promise<{ readonly state: ShadowState; readonly version?: number } | undefined> {
  return unlessNotFound(async () => {
    const res = await data.send(new GetThingShadowCommand({ thingName, ...(shadowName ? { shadowName } : {}) }));
    const doc = JSON.parse(Buffer.from(res.payload ?? new Uint8Array()).toString('utf8') || '{}') as {
      state?: { desired?: unknown; reported?: unknown };
      version?: number;
    };
    return { state: shadowState(thingName, shadowName, doc.state), ...(typeof doc.version === 'number' ? { version: doc.version } : {}) };
  });
}
