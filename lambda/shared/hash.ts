import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal states serialise identically. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const TOMBSTONE_HASH = 'tombstone';

/** Short content hash of a desired state; a tombstone hashes to the constant TOMBSTONE_HASH. */
export function stateHash(state: unknown | undefined): string {
  if (state === undefined) return TOMBSTONE_HASH;
  return createHash('sha256').update(canonicalJson(state)).digest('hex').slice(0, 32);
}
