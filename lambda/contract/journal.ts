/**
 * The journal's and the echo ledger's physical layout, as the constructs (key schema, index, IAM
 * conditions, pipe filter) and the handlers (reads and conditional writes) both need it.
 */

/** Attribute names of a journal item. */
export const JOURNAL_ATTR = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ref: 'ref',
  kind: 'kind',
  version: 'version',
  eventTime: 'eventTime',
  eventId: 'eventId',
  originRegion: 'originRegion',
  deleted: 'deleted',
  state: 'state',
  stateHash: 'stateHash',
  ttl: 'expiresAt',
  capturedAt: 'capturedAt',
} as const;

/**
 * Key prefix of the heartbeat items: one per region (`heartbeat#<region>`, partition and sort key alike),
 * overwritten every minute by that region's heartbeat function. Not a registry entity: replay only measures
 * its arrival, and nothing ever writes it into IoT.
 */
export const HEARTBEAT_KEY_PREFIX = 'heartbeat#';

/** Name of the journal's global secondary index on `ref` (partition) and `sk` (sort). */
export const JOURNAL_REF_INDEX = 'byRef';

/** Echo ledger: a regional (not replicated) table keyed `key`, one item per entity, TTL `expiresAt`. */
export const ECHO_ATTR = { partitionKey: 'key', ttl: 'expiresAt' } as const;
