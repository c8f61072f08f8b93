import { sortedAttributes, type Attributes } from './attributes';
import type { RegistryState } from './state';

/**
 * The replicated content of a registry as plain, sorted data — no ids, ARNs, versions or dates, which
 * legitimately differ between regions — so `expect(a.snapshot()).toEqual(b.snapshot())` means "converged".
 */
export interface RegistrySnapshot {
  readonly things: ReadonlyArray<{ readonly name: string; readonly type: string | null; readonly attributes: Attributes }>;
  readonly thingTypes: ReadonlyArray<{
    readonly name: string;
    readonly description: string | null;
    readonly searchableAttributes: readonly string[];
    readonly deprecated: boolean;
  }>;
  readonly thingGroups: ReadonlyArray<{
    readonly name: string;
    readonly parent: string | null;
    readonly description: string | null;
    readonly attributes: Attributes;
  }>;
  /** `[group, thing]` pairs. */
  readonly memberships: ReadonlyArray<readonly [string, string]>;
}

export function takeSnapshot(state: RegistryState): RegistrySnapshot {
  const byName = <T extends { name: string }>(a: T, b: T): number => compare(a.name, b.name);
  return {
    things: [...state.things.values()].sort(byName).map((thing) => ({
      name: thing.name,
      type: thing.typeName ?? null,
      attributes: sortedAttributes(thing.attributes),
    })),
    thingTypes: [...state.thingTypes.values()].sort(byName).map((type) => ({
      name: type.name,
      description: type.description ?? null,
      searchableAttributes: [...(type.searchableAttributes ?? [])],
      deprecated: type.deprecated,
    })),
    thingGroups: [...state.thingGroups.values()].sort(byName).map((group) => ({
      name: group.name,
      parent: group.parentName ?? null,
      // IoT clears a group description by setting it to '': an empty and an absent description are the same.
      description: group.description || null,
      attributes: sortedAttributes(group.attributes),
    })),
    memberships: state
      .allMemberships()
      .map((m): [string, string] => [m.groupName, m.thingName])
      .sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1])),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
