/**
 * Conditional reads and writes of journal items. Every write is "replace only if newer": registry events
 * arrive at least once and in any order, so an older or duplicate event must never overwrite a newer state,
 * and a tombstone must never be resurrected by an older write.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { JournalItem } from './model';

export type PutOutcome = 'written' | 'superseded';

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
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#sk) OR #version < :version',
          ExpressionAttributeNames: { '#sk': 'sk', '#version': 'version' },
          ExpressionAttributeValues: { ':version': item.version },
        }),
      );
      return 'written';
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') {
        return 'superseded';
      }
      throw err;
    }
  }
}
