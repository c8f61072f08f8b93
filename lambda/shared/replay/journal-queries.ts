/** Read-only journal queries replay needs beyond `JournalStore.get`. */
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { JournalStore } from '../journal-store';
import { memberKey, thingGroupKey } from '../keys';
import type { JournalItem } from '../model';

/**
 * The live (non-tombstone) membership items the journal holds for a group: its partition, `sk` starting
 * with `member#<group>#`. Strongly consistent, paginated.
 */
export async function liveMembershipsOfGroup(journal: JournalStore, thingGroupName: string): Promise<JournalItem[]> {
  const items: JournalItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page: QueryCommandOutput = await journal.doc.send(
      new QueryCommand({
        TableName: journal.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        // The trailing '#' keeps group 'a' from matching the members of group 'ab'.
        ExpressionAttributeValues: { ':pk': thingGroupKey(thingGroupName), ':prefix': `${memberKey(thingGroupName, '')}` },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of (page.Items ?? []) as JournalItem[]) {
      if (!item.deleted) items.push(item);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
