/**
 * The echo ledger: a regional table where replay records what it applied, so that this region's capture
 * can tell its own replay's registry events ("echoes") from real local changes.
 *
 * Without it an echo (newer event time, older state) would travel back and overwrite a change the other
 * region made in the meantime. Fingerprints are exact where IoT gives a per-region version number
 * (`v#<n>`: the version replay's write produced) and state hashes elsewhere (`h#<hash>`).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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

  /** Records that replay is about to apply `fingerprint` to entity `key` in this region. */
  async record(key: string, fingerprint: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [ECHO_ATTR.partitionKey]: key,
          [ECHO_ATTR.sortKey]: fingerprint,
          [ECHO_ATTR.ttl]: Math.floor(this.now() / 1000) + this.ttlSeconds,
        },
      }),
    );
  }

  /** True when any of `fingerprints` was recorded for `key` and has not expired (TTL deletion is lazy). */
  async isEcho(key: string, fingerprints: readonly string[]): Promise<boolean> {
    const nowSeconds = Math.floor(this.now() / 1000);
    for (const fingerprint of fingerprints) {
      const res = await this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [ECHO_ATTR.partitionKey]: key, [ECHO_ATTR.sortKey]: fingerprint },
          ConsistentRead: true,
        }),
      );
      const expiresAt = res.Item?.[ECHO_ATTR.ttl] as number | undefined;
      if (expiresAt !== undefined && expiresAt > nowSeconds) return true;
    }
    return false;
  }
}
