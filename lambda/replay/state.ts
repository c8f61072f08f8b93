/**
 * Desired states read from journal items (validated, since a journal item is input we did not write here)
 * into their canonical form, and the small comparisons replay uses to change only what differs.
 */
import { membershipState, thingGroupState, thingState, thingTypeState } from '../shared/entity-state';
import { MalformedInput } from '../shared/errors';
import type { JournalItem, MembershipState, ThingGroupState, ThingState, ThingTypeState } from '../shared/model';

type Attributes = Readonly<Record<string, string>>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isAttributes = (v: unknown): v is Attributes => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

const isOptionalString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';

function stateOf(item: JournalItem): Record<string, unknown> {
  if (!isObject(item.state)) {
    throw new MalformedInput(`journal item ${item.sk} (version ${item.version}) is live but has no state`);
  }
  return item.state;
}

function malformed(item: JournalItem, what: string): MalformedInput {
  return new MalformedInput(`journal item ${item.sk} (version ${item.version}) has a malformed ${what} state`);
}

export function thingStateOf(item: JournalItem, thingName: string): ThingState {
  const s = stateOf(item);
  if (s.thingName !== thingName || !isOptionalString(s.thingTypeName) || !isAttributes(s.attributes ?? {})) {
    throw malformed(item, 'thing');
  }
  return thingState({ thingName, thingTypeName: s.thingTypeName, attributes: s.attributes as Attributes | undefined });
}

export function thingTypeStateOf(item: JournalItem, thingTypeName: string): ThingTypeState {
  const s = stateOf(item);
  const searchable = s.searchableAttributes ?? [];
  if (
    s.thingTypeName !== thingTypeName ||
    !isOptionalString(s.description) ||
    !Array.isArray(searchable) ||
    !searchable.every((a) => typeof a === 'string') ||
    typeof (s.deprecated ?? false) !== 'boolean'
  ) {
    throw malformed(item, 'thing type');
  }
  return thingTypeState({
    thingTypeName,
    description: s.description,
    searchableAttributes: searchable as string[],
    deprecated: s.deprecated as boolean | undefined,
  });
}

export function thingGroupStateOf(item: JournalItem, thingGroupName: string): ThingGroupState {
  const s = stateOf(item);
  if (
    s.thingGroupName !== thingGroupName ||
    !isOptionalString(s.parentGroupName) ||
    !isOptionalString(s.description) ||
    !isAttributes(s.attributes ?? {})
  ) {
    throw malformed(item, 'thing group');
  }
  return thingGroupState({
    thingGroupName,
    parentGroupName: s.parentGroupName,
    description: s.description,
    attributes: s.attributes as Attributes | undefined,
  });
}

export function membershipStateOf(item: JournalItem, thingGroupName: string, thingName: string): MembershipState {
  const s = stateOf(item);
  if (s.thingGroupName !== thingGroupName || s.thingName !== thingName) {
    throw malformed(item, 'membership');
  }
  return membershipState(thingGroupName, thingName);
}

/** Equal attribute maps (IoT returns no map, or an empty one, for "no attributes"). */
export function sameAttributes(a: Attributes | undefined, b: Attributes | undefined): boolean {
  const ea = Object.entries(a ?? {});
  const mb = b ?? {};
  return ea.length === Object.keys(mb).length && ea.every(([k, v]) => Object.prototype.hasOwnProperty.call(mb, k) && mb[k] === v);
}

/** Equal as sets: IoT does not promise to return searchable attributes in the order they were given. */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}
