/**
 * The echo ledger: a regional table recording, per entity, what this region's replay applied recently, so
 * this region's capture can tell replay's own registry events ("echoes") from real local changes.
 *
 * Without it an echo (newer event time, older state) would travel back and overwrite a change the other
 * region made in the meantime.
 *
 * One item per entity key; each fingerprint is an attribute whose value is when replay recorded it (ms):
 * - `v#<n>`: the per-region version number replay's write produced (things, thing groups). Exact: a later
 *   local change gets a higher number, so a match is always an echo.
 * - `h#<hash>`: the hash of the state replay applied (kinds without versions, and merged partial events).
 *   A hash can recur when a user sets the entity back to an earlier state, so it only matches events from
 *   the window in which it was the latest thing replay applied: from its record time until the next
 *   record, widened by `clockSkewMs` at both ends.
 *
 * Fingerprints accumulate (an echo of an earlier application may still be in flight when replay applies the
 * next one) until they expire after `ttlSeconds`. Capture `clear`s the entry when it journals a genuine
 * local change; replay `forget`s the fingerprints of a write that IoT refused without effect.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ECHO_ATTR } from './model';

export const versionFingerprint = (localVersion: number): string => `v#${localVersion}`;
export const hashFingerprint = (hash: string): string => `h#${hash}`;

const isFingerprint = (name: string): boolean => name.startsWith('v#') || name.startsWith('h#');

export interface EchoLedgerOptions {
  /** How long a recorded application counts as "ours". Registry events arrive within seconds. */
  readonly ttlSeconds?: number;
  /** Allowed difference between the Lambda clock and IoT's event timestamps. */
  readonly clockSkewMs?: number;
  readonly now?: () => number;
}

export class EchoLedger {
  private readonly ttlSeconds: number;
  private readonly clockSkewMs: number;
  private readonly now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: EchoLedgerOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    this.clockSkewMs = options.clockSkewMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Records that replay is about to apply `fingerprints` to entity `key`; drops expired fingerprints.
   * Re-recording what is already the latest application keeps its original time, so the window of a retried
   * plan still covers the echo of its first attempt.
   */
  async record(key: string, fingerprints: readonly string[]): Promise<void> {
    const now = this.now();
    const current = await this.entries(key);
    const latest = Math.max(0, ...Object.values(current));
    const expired = Object.entries(current)
      .filter(([name, at]) => at <= now - this.ttlSeconds * 1000 && !fingerprints.includes(name))
      .map(([name]) => name);
    const names: Record<string, string> = { '#ttl': ECHO_ATTR.ttl };
    const sets = ['#ttl = :ttl'];
    fingerprints
      .filter((f) => current[f] === undefined || current[f] !== latest)
      .forEach((f, i) => {
        names[`#f${i}`] = f;
        sets.push(`#f${i} = :now`);
      });
    expired.forEach((f, i) => (names[`#x${i}`] = f));
    const remove = expired.length > 0 ? ` REMOVE ${expired.map((_f, i) => `#x${i}`).join(', ')}` : '';
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [ECHO_ATTR.partitionKey]: key },
        UpdateExpression: `SET ${sets.join(', ')}${remove}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':ttl': Math.floor(now / 1000) + this.ttlSeconds,
          ...(sets.length > 1 ? { ':now': now } : {}),
        },
      }),
    );
  }

  /**
   * True when the registry event for `key` with `fingerprints`, stamped `eventTime` (ms) by IoT, is the
   * echo of something replay applied here (see the header for the matching rules).
   */
  async isEcho(key: string, fingerprints: readonly string[], eventTime: number): Promise<boolean> {
    const live = Object.entries(await this.entries(key)).filter(([, at]) => at > this.now() - this.ttlSeconds * 1000);
    const recordTimes = [...new Set(live.map(([, at]) => at))].sort((a, b) => a - b);
    return fingerprints.some((f) => {
      const at = live.find(([name]) => name === f)?.[1];
      if (at === undefined) return false;
      if (f.startsWith('v#')) return true;
      const next = recordTimes.find((t) => t > at);
      return eventTime >= at - this.clockSkewMs && (next === undefined || eventTime <= next + this.clockSkewMs);
    });
  }

  /** Forgets everything replay applied to `key`: the entity has since changed locally. */
  async clear(key: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [ECHO_ATTR.partitionKey]: key } }));
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

  /** Fingerprint → record time (ms) for `key`. */
  private async entries(key: string): Promise<Record<string, number>> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [ECHO_ATTR.partitionKey]: key }, ConsistentRead: true }),
    );
    return Object.fromEntries(Object.entries(res.Item ?? {}).filter(([name]) => isFingerprint(name))) as Record<string, number>;
  }
}
