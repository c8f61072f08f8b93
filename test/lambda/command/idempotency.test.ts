import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyStore } from '../../../lambda/command/idempotency';
import { IDEMPOTENCY_ATTR } from '../../../lambda/contract';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';

let tables: JournalTables;
let seq = 0;
let clock = 1_700_000_000_000;

beforeAll(async () => {
  tables = await startJournalTables();
});
afterAll(async () => {
  await tables.close();
});

async function store(leaseMs = 10_000, ttlSeconds = 3600): Promise<{ store: IdempotencyStore; table: string }> {
  const table = `idem-${++seq}`;
  await tables.client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_ATTR.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: IDEMPOTENCY_ATTR.partitionKey, KeyType: 'HASH' }],
    }),
  );
  for (let i = 0; i < 200; i++) {
    if ((await tables.client.send(new DescribeTableCommand({ TableName: table }))).Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return { store: new IdempotencyStore(tables.doc, table, { leaseMs, ttlSeconds, now: () => clock }), table };
}

describe('IdempotencyStore', () => {
  test('first begin starts; a second while the lease runs is in flight; after it, the retry takes over with the progress', async () => {
    const { store: s } = await store();
    expect(await s.begin('k', 'f')).toEqual({ kind: 'started' });
    expect(await s.begin('k', 'f')).toEqual({ kind: 'in-flight' });
    await s.saveProgress('k', { certificateId: 'c'.repeat(64), certificateSource: 'csr' });
    clock += 10_001;
    expect(await s.begin('k', 'f')).toEqual({ kind: 'started', progress: { certificateId: 'c'.repeat(64), certificateSource: 'csr' } });
    // Taken over: the lease runs again.
    expect(await s.begin('k', 'f')).toEqual({ kind: 'in-flight' });
  });

  test('another fingerprint is refused whatever the state', async () => {
    const { store: s } = await store();
    await s.begin('k', 'f');
    expect(await s.begin('k', 'other')).toEqual({ kind: 'fingerprint-mismatch' });
    await s.complete('k', { statusCode: 200, body: { ok: true } });
    expect(await s.begin('k', 'other')).toEqual({ kind: 'fingerprint-mismatch' });
  });

  test('completed: the stored answer, progress dropped; abandoned: retried at once', async () => {
    const { store: s, table } = await store();
    await s.begin('done', 'f');
    await s.saveProgress('done', { thingCreated: true });
    await s.complete('done', { statusCode: 201, body: { thingName: 't' } });
    expect(await s.begin('done', 'f')).toEqual({ kind: 'completed', response: { statusCode: 201, body: { thingName: 't' } } });
    const item = (await tables.doc.send(new GetCommand({ TableName: table, Key: { key: 'done' } }))).Item;
    expect(item?.progress).toBeUndefined();

    await s.begin('failed', 'f');
    await s.abandon('failed');
    expect(await s.begin('failed', 'f')).toEqual({ kind: 'started' });
    await s.abandon('failed', { certificateId: 'd'.repeat(64), certificateSource: 'keys' });
    expect(await s.begin('failed', 'f')).toEqual({ kind: 'started', progress: { certificateId: 'd'.repeat(64), certificateSource: 'keys' } });
  });

  test('journal pending: the retry gets the answer and the entities, under a lease of its own', async () => {
    const { store: s } = await store();
    await s.begin('k', 'f');
    await s.journalPending('k', { statusCode: 200, body: { a: 1 } }, [{ kind: 'thing', thingName: 't' }]);
    expect(await s.begin('k', 'f')).toEqual({ kind: 'journal-pending', response: { statusCode: 200, body: { a: 1 } }, entities: [{ kind: 'thing', thingName: 't' }] });
    expect(await s.begin('k', 'f')).toEqual({ kind: 'in-flight' });
  });

  test('an expired record (TTL not yet applied by DynamoDB) counts as absent', async () => {
    const { store: s } = await store(10_000, 60);
    await s.begin('k', 'f');
    await s.complete('k', { statusCode: 200, body: {} });
    clock += 61_000;
    expect(await s.begin('k', 'another request after a day')).toEqual({ kind: 'started' });
  });
});
