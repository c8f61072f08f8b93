/**
 * Small pure helpers of the reconciler: journal keys by kind, known-state records as the echo ledger
 * stores them, and the order in which missed replays are applied (types and parents before their users).
 */
import { ECHO_ATTR } from '../contract';
import type { KnownState } from '../shared/echo-ledger-store';
import { type ItemKeys, memberKeys, thingGroupKeys, thingKeys, thingTypeKeys } from '../shared/keys';
import type { JournalItem } from '../shared/model';
import type { ReconciledKind } from './drift';

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
  }
}

export /** A `known#` ledger item as EchoLedgerStore.knownState reads it (an expired tombstone record is none). */
function knownStateOf(item: Record<string, unknown>, nowSeconds: number): KnownState | undefined {
  if (typeof item.stateHash !== 'string' || typeof item.at !== 'number') return undefined;
  if (item[ECHO_ATTR.ttl] !== undefined && Number(item[ECHO_ATTR.ttl]) <= nowSeconds) return undefined;
  return { stateHash: item.stateHash, at: item.at, ...(typeof item.localVersion === 'number' ? { localVersion: item.localVersion } : {}) };
}

export function dependencyRank(item: JournalItem): number {
  switch (item.kind) {
    case 'thingType':
      return 0;
    case 'thingGroup':
      return (item.state as { parentGroupName?: string } | undefined)?.parentGroupName ? 2 : 1;
    case 'thing':
      return 3;
    default:
      return 4;
  }
}
