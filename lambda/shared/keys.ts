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
  policy: 1,
  policyTarget: 2,
  principal: 2,
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
