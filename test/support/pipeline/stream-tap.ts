/**
 * dynalite has no DynamoDB Streams. The tap is SDK middleware on a region's DynamoDB client: after every
 * successful write to the journal table it hands the test a stream record shaped like the real
 * NEW_AND_OLD_IMAGES record (the old image read before the write, the new one a PutItem's item or read
 * back), which the test then "replicates" and feeds to the pipe.
 */
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

export interface StreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly dynamodb: {
    readonly Keys: Record<string, AttributeValue>;
    readonly NewImage?: Record<string, AttributeValue>;
    readonly OldImage?: Record<string, AttributeValue>;
    readonly SequenceNumber: string;
    readonly StreamViewType: 'NEW_AND_OLD_IMAGES';
  };
}

let sequence = 0;

/** Builds a stream record from the images around one write. */
export function streamRecord(
  region: string,
  keys: Record<string, AttributeValue>,
  oldImage: Record<string, AttributeValue> | undefined,
  newImage: Record<string, AttributeValue> | undefined,
): StreamRecord {
  sequence += 1;
  return {
    eventID: `evt-${sequence}`,
    eventName: !oldImage ? 'INSERT' : newImage ? 'MODIFY' : 'REMOVE',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      Keys: keys,
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SequenceNumber: String(sequence).padStart(21, '0'),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

/**
 * Adds the tap to `client` for `tableName`. `reader` must be a separate client (no tap) used to read
 * images; `onRecord` receives each record synchronously after the write succeeds.
 */
export function tapJournalWrites(
  client: DynamoDBClient,
  reader: DynamoDBClient,
  tableName: string,
  region: string,
  onRecord: (r: StreamRecord) => void,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      if (!WRITES.has(name)) return next(args);
      const input = args.input as Record<string, unknown>;
      const keysWritten = keysOf(name, input, tableName);
      if (keysWritten.length === 0) return next(args);
      const before = await Promise.all(keysWritten.map((k) => read(reader, tableName, k)));
      const result = await next(args);
      // A PutItem that succeeded left exactly its item: no need to read it back.
      const written = name === 'PutItemCommand' ? (input.Item as Record<string, AttributeValue>) : undefined;
      for (const [i, k] of keysWritten.entries()) {
        const after = written ?? (await read(reader, tableName, k));
        // As in DynamoDB Streams, a write that changed nothing makes no record.
        if (!sameImage(after, before[i])) onRecord(streamRecord(region, k, before[i], after));
      }
      return result;
    },
    { step: 'build', name: 'journalStreamTap' },
  );
}

function keysOf(command: string, input: Record<string, unknown>, tableName: string): Record<string, AttributeValue>[] {
  const pick = (item: Record<string, AttributeValue>) => ({ pk: item.pk, sk: item.sk });
  if (command === 'BatchWriteItemCommand') {
    const requests = ((input.RequestItems ?? {}) as Record<string, Array<Record<string, { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> }>>>)[tableName] ?? [];
    return requests.map((r) => pick((r.PutRequest?.Item ?? r.DeleteRequest?.Key)!));
  }
  if (input.TableName !== tableName) return [];
  const source = (command === 'PutItemCommand' ? input.Item : input.Key) as Record<string, AttributeValue>;
  return [pick(source)];
}

/** Whether two images hold the same attributes, in whatever order (a write that changed nothing makes no record). */
export function sameImage(a: Record<string, AttributeValue> | undefined, b: Record<string, AttributeValue> | undefined): boolean {
  const canonical = (image: Record<string, AttributeValue> | undefined): string =>
    JSON.stringify(image, (_key, value: unknown) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)))
        : value,
    );
  return canonical(a) === canonical(b);
}

async function read(reader: DynamoDBClient, tableName: string, key: Record<string, AttributeValue>) {
  const res = await reader.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return res.Item;
}

export { DynamoDBClient };
