/** Journal keys: building and parsing the identities described in model.ts. */
import { HEARTBEAT_KEY_PREFIX } from '../contract';
import type { EntityKind } from './model';

export interface ItemKeys {
  readonly pk: string;
  readonly sk: string;
  readonly ref?: string;
}

export const thingKey = (thingName: string): string => `thing#${thingName}`;
export const thingTypeKey = (thingTypeName: string): string => `thingType#${thingTypeName}`;
export const thingGroupKey = (thingGroupName: string): string => `thingGroup#${thingGroupName}`;
export const memberKey = (thingGroupName: string, thingName: string): string => `member#${thingGroupName}#${thingName}`;

export function thingKeys(thingName: string): ItemKeys {
  const k = thingKey(thingName);
  return { pk: k, sk: k };
}
export function thingTypeKeys(thingTypeName: string): ItemKeys {
  const k = thingTypeKey(thingTypeName);
  return { pk: k, sk: k };
}
export function thingGroupKeys(thingGroupName: string): ItemKeys {
  const k = thingGroupKey(thingGroupName);
  return { pk: k, sk: k };
}
export function memberKeys(thingGroupName: string, thingName: string): ItemKeys {
  return { pk: thingGroupKey(thingGroupName), sk: memberKey(thingGroupName, thingName), ref: thingKey(thingName) };
}

export const certKey = (certificateId: string): string => `cert#${certificateId}`;
export const caCertKey = (certificateId: string): string => `caCert#${certificateId}`;
export const policyKey = (policyName: string): string => `policy#${policyName}`;
export const policyTargetKey = (policyName: string, target: string): string => `policyTarget#${policyName}#${target}`;
export const principalKey = (thingName: string, certificateId: string): string => `principal#${thingName}#${certificateId}`;
export const provisioningTemplateKey = (templateName: string): string => `provisioningTemplate#${templateName}`;
export const roleAliasKey = (roleAlias: string): string => `roleAlias#${roleAlias}`;
export const shadowKey = (thingName: string, shadowName?: string): string => `shadow#${thingName}#${shadowName ?? CLASSIC_SHADOW_NAME}`;

/** The name part of a classic shadow's key: `$` is not allowed in shadow names, so no named shadow collides. */
export const CLASSIC_SHADOW_NAME = '$classic';

/** A policy target, region-neutral: `cert/<id>` or `thinggroup/<name>`. */
export const certTarget = (certificateId: string): string => `cert/${certificateId}`;
export const thingGroupTarget = (thingGroupName: string): string => `thinggroup/${thingGroupName}`;

/** The parts of a region-neutral policy target, or undefined when it is neither form. */
export function parseTarget(target: string): { readonly type: 'cert' | 'thinggroup'; readonly name: string } | undefined {
  const m = /^(cert|thinggroup)\/(.+)$/.exec(target);
  return m ? { type: m[1] as 'cert' | 'thinggroup', name: m[2] } : undefined;
}

const single = (k: string): ItemKeys => ({ pk: k, sk: k });

/** No `ref` to its CA: deleting a CA certificate in IoT leaves the certificates it issued registered. */
export const certKeys = (certificateId: string): ItemKeys => single(certKey(certificateId));
export const caCertKeys = (certificateId: string): ItemKeys => single(caCertKey(certificateId));
export const policyKeys = (policyName: string): ItemKeys => single(policyKey(policyName));
export const provisioningTemplateKeys = (templateName: string): ItemKeys => single(provisioningTemplateKey(templateName));
export const roleAliasKeys = (roleAlias: string): ItemKeys => single(roleAliasKey(roleAlias));

/** A policy attachment lives in its policy's partition and is found from its target (`ref`) too. */
export function policyTargetKeys(policyName: string, target: string): ItemKeys {
  const parsed = parseTarget(target);
  const ref = parsed?.type === 'cert' ? certKey(parsed.name) : parsed?.type === 'thinggroup' ? thingGroupKey(parsed.name) : undefined;
  return { pk: policyKey(policyName), sk: policyTargetKey(policyName, target), ...(ref ? { ref } : {}) };
}
export function principalKeys(thingName: string, certificateId: string): ItemKeys {
  return { pk: thingKey(thingName), sk: principalKey(thingName, certificateId), ref: certKey(certificateId) };
}
export function shadowKeys(thingName: string, shadowName?: string): ItemKeys {
  return { pk: thingKey(thingName), sk: shadowKey(thingName, shadowName) };
}

export interface ParsedKey {
  readonly kind: EntityKind;
  /** Name parts after the kind, e.g. ['group', 'thing'] for a membership. */
  readonly parts: readonly string[];
}

const ARITY: Record<EntityKind, number> = {
  thing: 1,
  thingType: 1,
  thingGroup: 1,
  member: 2,
  cert: 1,
  caCert: 1,
  policy: 1,
  policyTarget: 2,
  principal: 2,
  provisioningTemplate: 1,
  roleAlias: 1,
  shadow: 2,
};

/** Parses an identity key; throws a plain Error naming the key when it is not one of ours. */
export function parseKey(key: string): ParsedKey {
  const [kind, ...parts] = key.split('#');
  if (!(kind in ARITY)) {
    throw new Error(`Unknown journal key kind in '${key}'`);
  }
  const k = kind as EntityKind;
  // policy targets are ARNs or cert ids and may not contain '#', but keep the tail whole just in case.
  const arity = ARITY[k];
  const fixed = arity === 1 ? [parts.join('#')] : [parts[0], parts.slice(1).join('#')];
  if (fixed.some((p) => p === undefined || p === '')) {
    throw new Error(`Malformed journal key '${key}': ${k} needs ${arity} name part(s)`);
  }
  return { kind: k, parts: fixed };
}

/** The heartbeat item of `region` (not an entity: see HEARTBEAT_KEY_PREFIX in lambda/contract/journal.ts). */
export const heartbeatKey = (region: string): string => `${HEARTBEAT_KEY_PREFIX}${region}`;

/** The region whose heartbeat `key` is, or undefined when `key` is not a heartbeat key. */
export function heartbeatRegionOf(key: string): string | undefined {
  if (!key.startsWith(HEARTBEAT_KEY_PREFIX)) return undefined;
  const region = key.slice(HEARTBEAT_KEY_PREFIX.length);
  return region && !region.includes('#') ? region : undefined;
}
