/**
 * Journal and echo-ledger tables on a loopback dynalite server, created with the real DynamoDB client.
 *
 * One server can host several regions' tables (`createTables('eu-west-1')`), so an end-to-end test can
 * run both halves of a replication against it. dynalite has conditional writes, queries and GSIs, but no
 * streams and no transactions: feed stream records to replay from the test.
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ECHO_ATTR, JOURNAL_ATTR, JOURNAL_REF_INDEX } from '../../lambda/contract';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export interface JournalTableNames {
  readonly journalTable: string;
  readonly ledgerTable: string;
}

export interface JournalTables extends JournalTableNames {
  /** `http://127.0.0.1:<port>`: give it to any DynamoDB client as `endpoint`. */
  readonly endpoint: string;
  readonly region: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** A new DynamoDB client for this server (e.g. one to decorate with failure-injecting middleware). */
  newClient(): DynamoDBClient;
  /** Creates another journal + ledger pair named `<base>-<suffix>`, e.g. one per region. */
  createTables(suffix: string): Promise<JournalTableNames>;
  close(): Promise<void>;
}

export interface JournalTablesOptions {
  /** @default 'iot-dr-journal' */
  readonly journalTableBase?: string;
  /** @default 'iot-dr-echo-ledger' */
  readonly ledgerTableBase?: string;
  /** Region the clients sign for; dynalite ignores it. @default 'us-east-1' */
  readonly region?: string;
  /**
   * Runs dynalite in a child process (test/support/dynalite-process.js), so its work runs on another core
   * than the handlers calling it: for a benchmark, where one thread doing both is the bottleneck.
   * @default false (in this process)
   */
  readonly ownProcess?: boolean;
}

/** A dynalite server on loopback: its endpoint and how to stop it. */
interface DynaliteServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

async function startInProcess(): Promise<DynaliteServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

async function startChildProcess(): Promise<DynaliteServer> {
  const child = fork(join(__dirname, 'dynalite-process.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the dynalite process exited (${code}) before it listened`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      child.disconnect();
      await exited;
    },
  };
}

export async function startJournalTables(options: JournalTablesOptions = {}): Promise<JournalTables> {
  const journalBase = options.journalTableBase ?? 'iot-dr-journal';
  const ledgerBase = options.ledgerTableBase ?? 'iot-dr-echo-ledger';
  const region = options.region ?? 'us-east-1';

  const server = options.ownProcess ? await startChildProcess() : await startInProcess();
  const endpoint = server.endpoint;

  const clients: DynamoDBClient[] = [];
  const newClient = (): DynamoDBClient => {
    const c = new DynamoDBClient({
      endpoint,
      region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    clients.push(c);
    return c;
  };
  const client = newClient();
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  const createTables = async (suffix: string): Promise<JournalTableNames> => {
    const names = suffix
      ? { journalTable: `${journalBase}-${suffix}`, ledgerTable: `${ledgerBase}-${suffix}` }
      : { journalTable: journalBase, ledgerTable: ledgerBase };
    await createJournalTable(client, names.journalTable);
    await createLedgerTable(client, names.ledgerTable);
    await Promise.all([waitActive(client, names.journalTable), waitActive(client, names.ledgerTable)]);
    return names;
  };

  const names = await createTables('');

  return {
    ...names,
    endpoint,
    region,
    client,
    doc,
    newClient,
    createTables,
    close: async () => {
      for (const c of clients) c.destroy();
      await server.close();
    },
  };
}

async function createJournalTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey: pk, sortKey: sk, ref } = JOURNAL_ATTR;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: pk, AttributeType: 'S' },
        { AttributeName: sk, AttributeType: 'S' },
        { AttributeName: ref, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: pk, KeyType: 'HASH' },
        { AttributeName: sk, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: JOURNAL_REF_INDEX,
          KeySchema: [
            { AttributeName: ref, KeyType: 'HASH' },
            { AttributeName: sk, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
}

async function createLedgerTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: ECHO_ATTR.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: ECHO_ATTR.partitionKey, KeyType: 'HASH' }],
    }),
  );
}

/** dynalite flips a table (and its indexes) to ACTIVE on a timer even with createTableMs 0. */
async function waitActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((ix) => ix.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`dynalite table ${tableName} did not become ACTIVE`);
}
