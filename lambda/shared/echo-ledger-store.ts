/**
 * Reads and writes of the echo ledger (the table the EchoLedger construct makes): a regional table
 * recording, per entity, what this region's replay applied recently, so this region's capture can tell
 * replay's own registry events ("echoes") from real local changes.
 *
 * Without it an echo (newer event time, older state) would travel back and overwrite a change the other
 * region made in the meantime.
 *
 * One item per entity key; each fingerprint is an attribute holding its recent applications, each
 * `[started, completed?]` (ms): replay `record`s one right before its IoT write and `confirm`s it right after.
 * - `v#<n>`: the per-region version number replay's write produced (things, thing groups). A later local
 *   change of the same entity gets a higher number, but a re-created entity starts again at 1.
 * - `h#<hash>`: the hash of the state replay applied (kinds without versions, and merged partial events).
 *   A hash recurs when a user sets the entity back to an earlier state.
 * So both only match events IoT stamped while replay's write was in flight: between `started` and `completed`, widened by
 *   `clockSkewMs` (Lambda and IoT clocks) — or `unconfirmedWindowMs` after `started` if the confirmation
 *   never came (the function stopped between write and confirm). Capture also overrides a hash match when
 *   the journal already holds an older local change with another state (see capture-handler.ts).
 *
 * Fingerprints accumulate (an echo of an earlier application may still be in flight when replay applies the
 * next one) until they expire after `ttlSeconds`. Capture `clear`s the entry when it journals a genuine
 * local change; replay `forget`s the fingerprints of a write that IoT refused without effect, or that failed
 * uncertainly (5xx, timeout) and, described again, shows it never took effect (EchoGuard in replay/common.ts).
 *
 * The same table also holds, under `known#<entity key>`, the local state this region's pipeline last knew
 * for each entity (see KnownState below): replay's optimistic concurrency check.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_ECHO_TTL_SECONDS, DEFAULT_TOMBSTONE_TTL_SECONDS, ECHO_ATTR } from '../contract';
import { TOMBSTONE_HASH } from './hash';

export const versionFingerprint = (localVersion: number): string => `v#${localVersion}`;
export const hashFingerprint = (hash: string): string => `h#${hash}`;

const isFingerprint = (name: string): boolean => name.startsWith('v#') || name.startsWith('h#');

export interface EchoLedgerStoreOptions {
  /**
   * How long a recorded application counts as "ours" (replay writes it as the entry's TTL, which capture honours).
   * @default DEFAULT_ECHO_TTL_SECONDS
   */
  readonly ttlSeconds?: number;
  /** Allowed difference between the Lambda clock and IoT's event timestamps. */
  readonly clockSkewMs?: number;
  /** How long after `started` an unconfirmed hash fingerprint still matches. */
  readonly unconfirmedWindowMs?: number;
  readonly now?: () => number;
}

/** `[started, completed?]`, epoch ms. */
type Application = [number, number?];

/** Applications kept per fingerprint: enough for a plan retried a few times while its first echo is in flight. */
const MAX_APPLICATIONS = 5;

/**
 * The local state of an entity the pipeline last knew in this region ("known state"): what capture journaled
 * (or recognised as replay's echo), or what replay itself wrote. Replay compares the registry with it before
 * writing: a region that moved past it holds a local change the journal has not seen (LocalChangePending).
 *
 * Kept in this region's echo ledger table — never in the replicated journal, where global tables' per-item
 * last-writer-wins would let replay's bookkeeping in one region wipe a change captured concurrently in the
 * other — as its own item `known#<entity key>`, without the fingerprints' short TTL: it lives as long as
 * the entity; a deleted entity's record (a tombstone) expires with the journal's tombstone.
 */
export interface KnownState {
  /** IoT's per-region version number (things and thing groups; absent for other kinds and for tombstones). */
  readonly localVersion?: number;
  /** stateHash of the state (TOMBSTONE_HASH when the entity does not exist here). */
  readonly stateHash: string;
  /** When the state was reached, epoch ms: IoT's event time (capture) or the start of replay's write. */
  readonly at: number;
}

export const knownStateKey = (key: string): string => `known#${key}`;

const KNOWN = { localVersion: 'localVersion', stateHash: 'stateHash', at: 'at' } as const;

export class EchoLedgerStore {
  private readonly ttlSeconds: number;
  private readonly clockSkewMs: number;
  private readonly unconfirmedWindowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: EchoLedgerStoreOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_ECHO_TTL_SECONDS;
    this.clockSkewMs = options.clockSkewMs ?? 2000;
    this.unconfirmedWindowMs = options.unconfirmedWindowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Records that replay is about to apply `fingerprints` to entity `key`; drops expired applications. */
  async record(key: string, fingerprints: readonly string[]): Promise<void> {
    const now = this.now();
    const liveSince = now - this.ttlSeconds * 1000;
    const current = await this.entries(key);
    const updates: Record<string, Application[]> = {};
    for (const [name, apps] of Object.entries(current)) {
      const live = apps.filter(([started]) => started > liveSince);
      if (live.length !== apps.length || fingerprints.includes(name)) updates[name] = live;
    }
    for (const f of fingerprints) updates[f] = [...(updates[f] ?? []), [now] as Application].slice(-MAX_APPLICATIONS);
    await this.update(key, updates);
  }

  /** Marks the latest application of `fingerprints` complete: IoT has answered replay's write. */
  async confirm(key: string, fingerprints: readonly string[]): Promise<void> {
    const now = this.now();
    const current = await this.entries(key);
    const updates: Record<string, Application[]> = {};
    for (const f of fingerprints) {
      const apps = current[f];
      if (!apps || apps.length === 0) continue;
      const [started] = apps[apps.length - 1];
      updates[f] = [...apps.slice(0, -1), [started, now]];
    }
    if (Object.keys(updates).length > 0) await this.update(key, updates);
  }

  /** Writes the given fingerprints' applications; an empty list removes the fingerprint. */
  private async update(key: string, updates: Record<string, Application[]>): Promise<void> {
    const names: Record<string, string> = { '#ttl': ECHO_ATTR.ttl };
    const values: Record<string, unknown> = { ':ttl': Math.floor(this.now() / 1000) + this.ttlSeconds };
    const sets = ['#ttl = :ttl'];
    const removes: string[] = [];
    Object.entries(updates).forEach(([f, apps], i) => {
      names[`#f${i}`] = f;
      if (apps.length === 0) {
        removes.push(`#f${i}`);
      } else {
        values[`:a${i}`] = apps;
        sets.push(`#f${i} = :a${i}`);
      }
    });
    const removal = removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : '';
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [ECHO_ATTR.partitionKey]: key },
        UpdateExpression: `SET ${sets.join(', ')}${removal}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * True when the registry event for `key` with `fingerprints`, stamped `eventTime` (ms) by IoT, is the
   * echo of something replay applied here (see the header for the matching rules).
   */
  async isEcho(key: string, fingerprints: readonly string[], eventTime: number): Promise<boolean> {
    const item = await this.item(key);
    // The entry's TTL was set by replay (its echo TTL setting); TTL deletion is lazy, so check it here.
    if (!item || Number(item[ECHO_ATTR.ttl]) <= Math.floor(this.now() / 1000)) return false;
    const entries = fingerprintsOf(item);
    return fingerprints.some((f) =>
      (entries[f] ?? []).some(([started, completed]) => {
        const until = completed ?? started + this.unconfirmedWindowMs;
        return eventTime >= started - this.clockSkewMs && eventTime <= until + this.clockSkewMs;
      }),
    );
  }

  /**
   * Forgets what replay applied to `key` up to `eventTime`: the entity has since changed locally.
   * Applications recorded after the local change stay: their echoes may still be on their way.
   */
  async clear(key: string, eventTime: number): Promise<void> {
    const item = await this.item(key);
    if (!item) return;
    const updates: Record<string, Application[]> = {};
    let kept = 0;
    for (const [f, apps] of Object.entries(fingerprintsOf(item))) {
      const later = apps.filter(([started]) => started > eventTime + this.clockSkewMs);
      kept += later.length;
      if (later.length !== apps.length) updates[f] = later;
    }
    if (kept === 0) {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [ECHO_ATTR.partitionKey]: key } }));
    } else if (Object.keys(updates).length > 0) {
      await this.update(key, updates);
    }
  }

  /** Forgets `fingerprints` of `key`: replay recorded them but IoT refused the write they described. */
  async forget(key: string, fingerprints: readonly string[]): Promise<void> {
    if (fingerprints.length === 0) return;
    const names: Record<string, string> = {};
    fingerprints.forEach((f, i) => (names[`#f${i}`] = f));
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [ECHO_ATTR.partitionKey]: key },
        UpdateExpression: `REMOVE ${fingerprints.map((_f, i) => `#f${i}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(#key)',
        ExpressionAttributeNames: { ...names, '#key': ECHO_ATTR.partitionKey },
      }),
    ).catch((err: Error) => {
      if (err.name !== 'ConditionalCheckFailedException') throw err;
    });
  }

  /** The state this region's pipeline last knew for entity `key`, or undefined when nothing is recorded. */
  async knownState(key: string): Promise<KnownState | undefined> {
    const item = await this.item(knownStateKey(key));
    if (!item || typeof item[KNOWN.stateHash] !== 'string' || typeof item[KNOWN.at] !== 'number') return undefined;
    // TTL deletion is lazy: an expired tombstone record is no record.
    if (item[ECHO_ATTR.ttl] !== undefined && Number(item[ECHO_ATTR.ttl]) <= Math.floor(this.now() / 1000)) return undefined;
    const localVersion = item[KNOWN.localVersion];
    return {
      stateHash: item[KNOWN.stateHash] as string,
      at: item[KNOWN.at] as number,
      ...(typeof localVersion === 'number' ? { localVersion } : {}),
    };
  }

  /**
   * Records `state` as what this region's pipeline knows of entity `key`, unless a later one is recorded
   * already (deliveries are unordered): a higher version number of the same incarnation wins; otherwise (a
   * tombstone, a re-creation at version 1, kinds without versions) the later (or equal) `at` wins. Returns whether it
   * was written. A tombstone's record expires at `tombstoneExpiresAt` (epoch s; default now + the default
   * tombstone TTL), a live entity's never.
   */
  async recordKnownState(key: string, state: KnownState, tombstoneExpiresAt?: number): Promise<boolean> {
    const deleted = state.stateHash === TOMBSTONE_HASH;
    const names: Record<string, string> = { '#at': KNOWN.at };
    const values: Record<string, unknown> = { ':at': state.at };
    // `<=`: one replay plan records its steps in order, possibly within one millisecond.
    let condition = 'attribute_not_exists(#at) OR #at <= :at';
    if (!deleted && state.localVersion !== undefined && state.localVersion > 1) {
      // Same incarnation: a higher version is later whatever the clocks say (replay's `at` is the Lambda's).
      names['#lv'] = KNOWN.localVersion;
      values[':lv'] = state.localVersion;
      condition = 'attribute_not_exists(#at) OR #lv < :lv OR (attribute_not_exists(#lv) AND #at <= :at)';
    }
    const item: Record<string, unknown> = {
      [ECHO_ATTR.partitionKey]: knownStateKey(key),
      [KNOWN.stateHash]: state.stateHash,
      [KNOWN.at]: state.at,
      ...(!deleted && state.localVersion !== undefined ? { [KNOWN.localVersion]: state.localVersion } : {}),
      ...(deleted ? { [ECHO_ATTR.ttl]: tombstoneExpiresAt ?? Math.floor(this.now() / 1000) + DEFAULT_TOMBSTONE_TTL_SECONDS } : {}),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  /** Fingerprint → its recorded applications for `key`. */
  private async entries(key: string): Promise<Record<string, Application[]>> {
    return fingerprintsOf(await this.item(key));
  }

  private async item(key: string): Promise<Record<string, unknown> | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [ECHO_ATTR.partitionKey]: key }, ConsistentRead: true }),
    );
    return res.Item;
  }
}

function fingerprintsOf(item: Record<string, unknown> | undefined): Record<string, Application[]> {
  return Object.fromEntries(Object.entries(item ?? {}).filter(([name]) => isFingerprint(name))) as Record<string, Application[]>;
}
