/**
 * Conditional reads and writes of journal items. Every write is "replace only if newer": registry events
 * arrive at least once and in any order, so an older or duplicate event must never overwrite a newer state,
 * and a tombstone must never be resurrected by an older write.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { MalformedInput } from './errors';
import { TOMBSTONE_HASH } from './hash';
import { JOURNAL_REF_INDEX } from '../contract';
import type { JournalItem } from './model';

export type PutOutcome = 'written' | 'superseded';

/**
 * DynamoDB refused a journal write for what the item is (`ValidationException`: over 400 KB, an attribute
 * value it cannot hold) or the item holds something the document marshaller cannot represent. Retrying can
 * never succeed: it is MalformedInput (same error name), so capture dead-letters it at once with this message
 * and the workflow never retries it.
 */
export class JournalItemRejected extends MalformedInput {
  constructor(
    readonly key: string,
    /** DynamoDB's error name (`ValidationException`), or `Unrepresentable` for a refusal before the write. */
    readonly errorName: string,
    detail: string,
  ) {
    super(`journal item ${key} refused: ${errorName}: ${detail}`);
  }
}

export interface DependentsOptions {
  /** Items per query page; DynamoDB's 1 MB page limit applies either way. For tests of pagination. */
  readonly pageSize?: number;
}

export class JournalStore {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Reads the current item for an identity; strongly consistent by default (same-region reads). */
  async get(pk: string, sk: string, consistent = true): Promise<JournalItem | undefined> {
    const res = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: consistent }));
    return res.Item as JournalItem | undefined;
  }

  /**
   * Writes `item` unless the stored item has the same or a newer version. Returns 'superseded' when the
   * stored state already wins (a duplicate, an out-of-order event, or a write older than a tombstone).
   */
  async putIfNewer(item: JournalItem): Promise<PutOutcome> {
    return (await this.replaceIfNewer(item)).outcome;
  }

  /**
   * `putIfNewer` that also says what the write replaced, read atomically with it (`ALL_OLD`): two writers
   * racing on one item each learn about the other, whichever lands second.
   */
  async replaceIfNewer(item: JournalItem): Promise<{ outcome: PutOutcome; previous?: JournalItem }> {
    assertStorable(item);
    try {
      const res = await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#sk) OR #version < :version',
          ExpressionAttributeNames: { '#sk': 'sk', '#version': 'version' },
          ExpressionAttributeValues: { ':version': item.version },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { outcome: 'written', previous: res.Attributes as JournalItem | undefined };
    } catch (err) {
      if (isConditionFailure(err)) return { outcome: 'superseded' };
      throw rejectionOf(err, item);
    }
  }

  /**
   * Writes `item` only if the stored item still has `expectedVersion` (or, when undefined, there is no
   * stored item): the write half of a read-modify-write. Returns false when someone wrote in between.
   */
  async putIfVersion(item: JournalItem, expectedVersion: string | undefined): Promise<boolean> {
    assertStorable(item);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(#sk)', ExpressionAttributeNames: { '#sk': 'sk' } }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw rejectionOf(err, item);
    }
  }

  /**
   * The items that must die with the entity `key` (deleting it drops them without events of their own):
   * the rest of its partition (strongly consistent) and the items whose `ref` is `key` (the `byRef` index,
   * eventually consistent like every GSI). Tombstones are included; callers decide what to skip.
   * One level deep: the model's dependents have no dependents of their own.
   */
  async dependents(key: string, options: DependentsOptions = {}): Promise<JournalItem[]> {
    const [own, referring] = await Promise.all([
      this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :key',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':key': key },
        ConsistentRead: true,
        Limit: options.pageSize,
      }),
      this.queryAll({
        TableName: this.tableName,
        IndexName: JOURNAL_REF_INDEX,
        KeyConditionExpression: '#ref = :key',
        ExpressionAttributeNames: { '#ref': 'ref' },
        ExpressionAttributeValues: { ':key': key },
        Limit: options.pageSize,
      }),
    ]);
    const seen = new Set<string>();
    const out: JournalItem[] = [];
    for (const item of [...own, ...referring]) {
      const id = `${item.pk}\u0000${item.sk}`;
      if (item.sk === key || seen.has(id)) continue;
      seen.add(id);
      out.push(item);
    }
    return out;
  }

  /**
   * Tombstones every target with the same version fields (a cascade inherits the version of the delete
   * that caused it). Each write is a conditional `putIfNewer`, so a newer item is never overwritten.
   */
  async tombstoneAll(targets: readonly TombstoneTarget[], fields: TombstoneFields, concurrency = 8): Promise<TombstoneResult[]> {
    return mapLimit(targets, concurrency, async (target) => {
      const item = tombstoneItem(target, fields);
      return { item, outcome: await this.putIfNewer(item) };
    });
  }

  /** Every item of partition `pk` whose `sk` starts with `skPrefix`; strongly consistent, all pages. */
  async partitionItems(pk: string, skPrefix: string): Promise<JournalItem[]> {
    return this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ConsistentRead: true,
    });
  }

  private async queryAll(input: QueryCommandInput): Promise<JournalItem[]> {
    const items: JournalItem[] = [];
    let startKey: QueryCommandInput['ExclusiveStartKey'];
    do {
      const res = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...((res.Items ?? []) as JournalItem[]));
      startKey = res.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

/**
 * An own property named `__proto__` (a legal IoT attribute name, and JSON.parse keeps it) does not survive
 * the DynamoDB document marshaller: it sends an empty attribute value and DynamoDB answers with an opaque
 * ValidationException. Refused before the write, with a reason that says so.
 */
function assertStorable(item: JournalItem): void {
  const visit = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      const at = Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`;
      if (k === '__proto__') {
        throw new JournalItemRejected(item.sk, 'Unrepresentable', `${at.slice(1)}: an attribute named '__proto__' cannot be stored (the DynamoDB document marshaller drops it)`);
      }
      visit(v, at);
    }
  };
  visit(item.state, '.state');
}

/** DynamoDB's ValidationException on a write (item too large, invalid value): the item itself is at fault. */
function rejectionOf(err: unknown, item: JournalItem): unknown {
  const name = (err as Error | undefined)?.name;
  return name === 'ValidationException' ? new JournalItemRejected(item.sk, name, (err as Error).message) : err;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

/** The version fields a delete hands down to the items that die with it. */
export interface TombstoneFields {
  readonly version: string;
  readonly eventTime: number;
  readonly eventId: string;
  readonly originRegion: string;
  /** When the tombstone is written, epoch milliseconds. */
  readonly capturedAt: number;
  /** TTL, epoch seconds. */
  readonly expiresAt: number;
}

/** What identifies an item to tombstone: its keys and kind (state and version are replaced). */
export type TombstoneTarget = Pick<JournalItem, 'pk' | 'sk' | 'ref' | 'kind'>;

export interface TombstoneResult {
  readonly item: JournalItem;
  readonly outcome: PutOutcome;
}

/** A tombstone for `target` carrying `fields`: no state, `deleted`, the constant tombstone hash. */
export function tombstoneItem(target: TombstoneTarget, fields: TombstoneFields): JournalItem {
  return {
    pk: target.pk,
    sk: target.sk,
    ...(target.ref !== undefined ? { ref: target.ref } : {}),
    kind: target.kind,
    version: fields.version,
    eventTime: fields.eventTime,
    eventId: fields.eventId,
    originRegion: fields.originRegion,
    deleted: true,
    stateHash: TOMBSTONE_HASH,
    capturedAt: fields.capturedAt,
    expiresAt: fields.expiresAt,
  };
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, worker));
  return results;
}
