/**
 * Journal versions: one string per change, compared with plain string order (DynamoDB `<` in conditions).
 *
 * `<eventTime ms, 15 digits>#<originRegion>#<local version, 12 digits>#<eventId>`
 *
 * Order across regions is event time, then origin region, then (within one region) the entity's own
 * version number where IoT provides one, then event id — so both regions order concurrent changes the same
 * way. IoT version numbers are per region and are never compared across regions: they only break ties
 * between two changes of the same origin in the same millisecond.
 */
export interface VersionParts {
  readonly eventTime: number;
  readonly originRegion: string;
  /** IoT's per-region version number (things, thing groups); 0 when the event has none. */
  readonly localVersion?: number;
  readonly eventId: string;
}

const pad = (n: number, width: number): string => {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`version component must be a non-negative integer, got ${n}`);
  }
  return n.toString().padStart(width, '0');
};

export function makeVersion(p: VersionParts): string {
  if (!p.originRegion || p.originRegion.includes('#')) {
    throw new Error(`originRegion must be a region name, got '${p.originRegion}'`);
  }
  if (!p.eventId) {
    throw new Error('eventId must not be empty');
  }
  return `${pad(p.eventTime, 15)}#${p.originRegion}#${pad(p.localVersion ?? 0, 12)}#${p.eventId}`;
}

export function parseVersion(v: string): VersionParts {
  const m = /^(\d{15})#([^#]+)#(\d{12})#(.+)$/.exec(v);
  if (!m) {
    throw new Error(`Malformed journal version '${v}'`);
  }
  return { eventTime: Number(m[1]), originRegion: m[2], localVersion: Number(m[3]), eventId: m[4] };
}

/** Negative when a is older than b, 0 when equal, positive when newer. */
export function compareVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
