/**
 * Small pure helpers of the reconciler: journal keys by kind, known-state records as the echo ledger
 * stores them, and the order in which missed replays are applied (what an entity depends on first).
 */
import { ECHO_ATTR } from '../contract';
import type { KnownState } from '../shared/echo-ledger-store';
import {
  caCertKeys,
  certKeys,
  type ItemKeys,
  memberKeys,
  policyKeys,
  policyTargetKeys,
  principalKeys,
  provisioningTemplateKeys,
  roleAliasKeys,
  shadowKeys,
  thingGroupKeys,
  thingKeys,
  thingTypeKeys,
  CLASSIC_SHADOW_NAME,
} from '../shared/keys';
import type { EntityState, JournalItem } from '../shared/model';
import type { ReconciledKind } from './drift';

/** An entity as found in this region (state undefined: absent). */
export interface Found {
  readonly key: string;
  readonly keys: ItemKeys;
  readonly kind: ReconciledKind;
  readonly state?: EntityState;
  readonly localVersion?: number;
}

/** What the reconciler read ahead for an entity: its journal item and this region's known state. */
export interface Prefetched {
  journal?: JournalItem;
  known?: KnownState;
  complete?: boolean;
}

/** The item keys of an identity (`parseKey(...).parts`) of `kind`. */
export function keysOf(kind: ReconciledKind, names: readonly string[]): ItemKeys {
  switch (kind) {
    case 'thing':
      return thingKeys(names[0]);
    case 'thingType':
      return thingTypeKeys(names[0]);
    case 'thingGroup':
      return thingGroupKeys(names[0]);
    case 'member':
      return memberKeys(names[0], names[1]);
    case 'cert':
      return certKeys(names[0]);
    case 'caCert':
      return caCertKeys(names[0]);
    case 'policy':
      return policyKeys(names[0]);
    case 'policyTarget':
      return policyTargetKeys(names[0], names[1]);
    case 'principal':
      return principalKeys(names[0], names[1]);
    case 'provisioningTemplate':
      return provisioningTemplateKeys(names[0]);
    case 'roleAlias':
      return roleAliasKeys(names[0]);
    case 'shadow':
      return shadowKeys(names[0], names[1] === CLASSIC_SHADOW_NAME ? undefined : names[1]);
  }
}

/** A `known#` ledger item as EchoLedgerStore.knownState reads it (an expired tombstone record is none). */
export function knownStateOf(item: Record<string, unknown>, nowSeconds: number): KnownState | undefined {
  if (typeof item.stateHash !== 'string' || typeof item.at !== 'number') return undefined;
  if (item[ECHO_ATTR.ttl] !== undefined && Number(item[ECHO_ATTR.ttl]) <= nowSeconds) return undefined;
  return { stateHash: item.stateHash, at: item.at, ...(typeof item.localVersion === 'number' ? { localVersion: item.localVersion } : {}) };
}

/** The highest rank dependencyRank returns. */
export const MAX_RANK = 4;

/**
 * The order in which entities missing from a region are replayed within a page: what an entity needs before
 * it. Thing types, CA certificates, policies, role aliases and provisioning templates need nothing (0); root
 * groups (1) before child groups (2); certificates after their CA (1); things after their type and groups (3);
 * memberships, principals, policy attachments and shadows after both their ends (4).
 */
export function dependencyRank(item: Pick<JournalItem, 'kind' | 'state'>): number {
  switch (item.kind) {
    case 'thingType':
    case 'caCert':
    case 'policy':
    case 'roleAlias':
    case 'provisioningTemplate':
      return 0;
    case 'cert':
      return 1;
    case 'thingGroup':
      return (item.state as { parentGroupName?: string } | undefined)?.parentGroupName ? 2 : 1;
    case 'thing':
      return 3;
    default:
      return MAX_RANK;
  }
}
