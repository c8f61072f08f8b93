/**
 * The echo ledger: a regional table holding, per entity, what this region's replay last applied, so that
 * this region's capture can tell replay's own registry events ("echoes") from real local changes.
 *
 * Without it an echo (newer event time, older state) would travel back and overwrite a change the other
 * region made in the meantime. Fingerprints are exact where IoT gives a per-region version number
 * (`v#<n>`: the version replay's write produced) and state hashes elsewhere (`h#<hash>`).
 *
 * Lifecycle, per entity key:
 * - replay `record`s the fingerprints of what it is about to apply, replacing the previous entry;
 * - capture asks `isEcho`; a match is skipped (duplicate echoes match too, entries are not consumed);
 * - capture `clear`s the entry when it journals a genuine local change, so a user who later sets the
 *   entity back to the replayed state is not mistaken for an echo.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ECHO_ATTR } from './model';

export const versionFingerprint = (localVersion: number): string => `v#${localVersion}`;
export const hashFingerprint = (hash: string): string => `h#${hash}`;

export interface EchoLedgerOptions {
  /** How long a recorded application counts as "ours". Registry events arrive within seconds. */
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

export class EchoLedger {
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: EchoLedgerOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 3600;
    this.now = options.now ?? Date.now;
  }

  /** Records that replay is applying `fingerprints` to entity `key` here, replacing any earlier entry. */
  async record(key: string, fingerprints: readonly string[]): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [ECHO_ATTR.partitionKey]: key,
          [ECHO_ATTR.fingerprints]: [...fingerprints],
          [ECHO_ATTR.ttl]: Math.floor(this.now() / 1000) + this.ttlSeconds,
        },
      }),
    );
  }

  /** True when any of `fingerprints` is in the live entry for `key` (TTL deletion is lazy, so check it). */
  async isEcho(key: string, fingerprints: readonly string[]): Promise<boolean> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [ECHO_ATTR.partitionKey]: key }, ConsistentRead: true }),
    );
    const item = res.Item;
    if (!item || (item[ECHO_ATTR.ttl] as number) <= Math.floor(this.now() / 1000)) return false;
    const recorded = new Set(item[ECHO_ATTR.fingerprints] as string[]);
    return fingerprints.some((f) => recorded.has(f));
  }

  /** Forgets what replay applied to `key`: the entity has since changed locally. */
  async clear(key: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [ECHO_ATTR.partitionKey]: key } }));
  }
}
