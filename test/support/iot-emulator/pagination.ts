import { invalidRequest } from './errors';
import { queryInteger } from './input';

/** The IoT list APIs accept maxResults 1..250; the default page size is not documented. */
const MAX_RESULTS_LIMIT = 250;
const DEFAULT_PAGE_SIZE = 50;

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

/**
 * Pages `items` ordered by `keyOf`. The token names the last key returned rather than an offset, so
 * creating or deleting entities between pages neither repeats nor skips the others.
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, query: URLSearchParams): Page<T> {
  const maxResults = queryInteger(query, 'maxResults') ?? DEFAULT_PAGE_SIZE;
  if (maxResults < 1 || maxResults > MAX_RESULTS_LIMIT) {
    throw invalidRequest(`maxResults must be between 1 and ${MAX_RESULTS_LIMIT}, got ${maxResults}`);
  }
  const after = decodeToken(query.get('nextToken'));
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  const remaining = after === undefined ? sorted : sorted.filter((item) => compare(keyOf(item), after) > 0);
  const pageItems = remaining.slice(0, maxResults);
  if (remaining.length <= maxResults) return { items: pageItems };
  return { items: pageItems, nextToken: encodeToken(keyOf(pageItems[pageItems.length - 1])) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeToken(token: string | null): string | undefined {
  if (token === null || token === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { after?: unknown }).after === 'string') {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through: any undecodable token is the caller's error
  }
  throw invalidRequest('Invalid nextToken');
}
