/**
 * The one canonical form of each kind's journal state, built the same way from a registry event
 * (capture), an IoT describe (the registry adapter) and a journal item (replay), so that equal states hash
 * equally on both sides of the echo check.
 *
 * Canonical: optional names and descriptions that are absent, null or '' are omitted (IoT reports "no
 * description" as missing or '', and clears one by setting ''); maps and lists are never absent.
 */
import type { MembershipState, ThingGroupState, ThingState, ThingTypeState } from './model';

type Attributes = Readonly<Record<string, string>>;

/** An optional string field as the journal stores it: a non-empty string, or absent. */
const present = (v: string | null | undefined): string | undefined => (v ? v : undefined);

/** `{ [field]: value }` when the value is present, `{}` otherwise: absent fields are omitted, never undefined. */
function optional<K extends string>(field: K, value: string | null | undefined): { [P in K]?: string } {
  const v = present(value);
  return (v === undefined ? {} : { [field]: v }) as { [P in K]?: string };
}

export interface ThingFields {
  readonly thingName: string;
  readonly thingTypeName?: string | null;
  readonly attributes?: Attributes | null;
}

export function thingState(f: ThingFields): ThingState {
  return { thingName: f.thingName, ...optional('thingTypeName', f.thingTypeName), attributes: f.attributes ?? {} };
}

export interface ThingTypeFields {
  readonly thingTypeName: string;
  readonly description?: string | null;
  readonly searchableAttributes?: readonly string[] | null;
  readonly deprecated?: boolean | null;
}

export function thingTypeState(f: ThingTypeFields): ThingTypeState {
  return {
    thingTypeName: f.thingTypeName,
    ...optional('description', f.description),
    searchableAttributes: f.searchableAttributes ?? [],
    deprecated: f.deprecated ?? false,
  };
}

export interface ThingGroupFields {
  readonly thingGroupName: string;
  readonly parentGroupName?: string | null;
  readonly description?: string | null;
  readonly attributes?: Attributes | null;
}

export function thingGroupState(f: ThingGroupFields): ThingGroupState {
  return {
    thingGroupName: f.thingGroupName,
    ...optional('parentGroupName', f.parentGroupName),
    ...optional('description', f.description),
    attributes: f.attributes ?? {},
  };
}

export function membershipState(thingGroupName: string, thingName: string): MembershipState {
  return { thingGroupName, thingName };
}
