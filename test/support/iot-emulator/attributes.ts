export type Attributes = Record<string, string>;

export interface AttributePayload {
  readonly attributes?: Attributes;
  readonly merge?: boolean;
}

/**
 * UpdateThing / UpdateThingGroup semantics: `merge: true` merges into the stored attributes and an empty
 * value removes that attribute; otherwise the given attributes replace the stored ones. A payload
 * without `attributes` leaves them untouched.
 */
export function applyAttributePayload(current: Readonly<Attributes>, payload: AttributePayload | undefined): Attributes {
  if (payload?.attributes === undefined) return { ...current };
  const next: Attributes = payload.merge === true ? { ...current } : {};
  for (const [key, value] of Object.entries(payload.attributes)) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

export function attributesEqual(a: Readonly<Attributes>, b: Readonly<Attributes>): boolean {
  const aKeys = Object.keys(a);
  return aKeys.length === Object.keys(b).length && aKeys.every((key) => b[key] === a[key]);
}

/** A copy with keys in sorted order, so snapshots and payloads compare deterministically. */
export function sortedAttributes(attributes: Readonly<Attributes>): Attributes {
  const sorted: Attributes = {};
  for (const key of Object.keys(attributes).sort()) sorted[key] = attributes[key];
  return sorted;
}
