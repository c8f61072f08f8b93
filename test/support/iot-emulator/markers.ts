import { invalidRequest } from './errors';
import { queryBoolean, queryInteger } from './input';

/** The marker-paged list APIs (ListCertificates, ListPolicies, ...) accept pageSize 1..250. */
const MAX_PAGE_SIZE = 250;
const DEFAULT_PAGE_SIZE = 25;

export interface MarkerPage<T> {
  readonly items: T[];
  readonly nextMarker?: string;
}

/**
 * `pageSize` / `marker` paging, ordered by `keyOf` (ascending, or descending with `isAscendingOrder=false`
 * when `descendingByDefault`). The marker names the last key returned, so changes between pages neither
 * repeat nor skip the others.
 */
export function paginateByMarker<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  query: URLSearchParams,
  options: { descendingByDefault?: boolean } = {},
): MarkerPage<T> {
  const pageSize = queryInteger(query, 'pageSize') ?? DEFAULT_PAGE_SIZE;
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw invalidRequest(`pageSize must be between 1 and ${MAX_PAGE_SIZE}, got ${pageSize}`);
  }
  const ascending = queryBoolean(query, 'isAscendingOrder') ?? !options.descendingByDefault;
  const direction = ascending ? 1 : -1;
  const after = decodeMarker(query.get('marker'));
  const sorted = [...items].sort((a, b) => direction * compare(keyOf(a), keyOf(b)));
  const remaining = after === undefined ? sorted : sorted.filter((item) => direction * compare(keyOf(item), after) > 0);
  const page = remaining.slice(0, pageSize);
  if (remaining.length <= pageSize) return { items: page };
  return { items: page, nextMarker: encodeMarker(keyOf(page[page.length - 1])) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeMarker(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeMarker(marker: string | null): string | undefined {
  if (marker === null || marker === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { after?: unknown }).after === 'string') {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through
  }
  throw invalidRequest('Invalid marker');
}

/** Sort key of a record by creation date then id, so equal dates still page deterministically. */
export function byCreation(creationDate: number, id: string): string {
  return `${String(creationDate).padStart(16, '0')}\u0000${id}`;
}
