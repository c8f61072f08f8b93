/** Read-only journal queries replay needs beyond `JournalStore.get`. */
import type { JournalStore } from '../shared/journal-store';
import { memberKey, thingGroupKey } from '../shared/keys';
import type { JournalItem } from '../shared/model';

/**
 * The live (non-tombstone) membership items the journal holds for a group: its partition, `sk` starting
 * with `member#<group>#`. Strongly consistent, paginated.
 */
export async function liveMembershipsOfGroup(journal: JournalStore, thingGroupName: string): Promise<JournalItem[]> {
  // The trailing '#' of the prefix keeps group 'a' from matching the members of group 'ab'.
  const items = await journal.partitionItems(thingGroupKey(thingGroupName), memberKey(thingGroupName, ''));
  return items.filter((item) => !item.deleted);
}
