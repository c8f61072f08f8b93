/**
 * Replay handler test harness: real JournalStore and EchoLedgerStore on dynalite (fresh tables per test), and an
 * IoT client whose commands are stubbed with aws-sdk-client-mock (any unstubbed command fails loudly).
 */
import { IoTClient, ResourceAlreadyExistsException, ResourceNotFoundException, ThrottlingException, VersionConflictException, InvalidRequestException } from '@aws-sdk/client-iot';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { stateHash } from '../../../lambda/shared/hash';
import { JournalStore } from '../../../lambda/shared/journal-store';
import type { ItemKeys } from '../../../lambda/shared/keys';
import type { EntityKind, EntityState, JournalItem, ReplayTaskInput } from '../../../lambda/shared/model';
import type { ReplayDeps } from '../../../lambda/replay/common';
import { makeVersion } from '../../../lambda/shared/version';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { identityDeps } from '../../support/identity-deps';

export const LOCAL = 'us-west-2';
export const REMOTE = 'us-east-1';
export const NOW = 1_750_000_000_000;

export type IotMock = AwsClientStub<IoTClient>;

export interface ReplayTestContext {
  readonly deps: ReplayDeps;
  readonly iotMock: IotMock;
  /** Puts a journal item as capture (or the other region's replication) would have. */
  putItem(item: JournalItem): Promise<void>;
  /** The raw echo-ledger entry's fingerprints, or undefined when there is none. */
  ledgerEntry(key: string): Promise<string[] | undefined>;
  /** Seeds a ledger entry, as an earlier replay would have. */
  seedLedger(key: string, fingerprints: string[]): Promise<void>;
}

let tables: JournalTables | undefined;
let counter = 0;

/** Call in beforeAll/afterAll of a test file. */
export async function startTables(): Promise<void> {
  tables = await startJournalTables({ region: LOCAL });
}
export async function stopTables(): Promise<void> {
  await tables?.close();
  tables = undefined;
}

export async function newContext(): Promise<ReplayTestContext> {
  if (!tables) throw new Error('call startTables() in beforeAll');
  const t = tables;
  const names = await t.createTables(`replay${++counter}`);
  const iot = new IoTClient({ region: LOCAL, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const iotMock: IotMock = mockClient(iot);
  iotMock.onAnyCommand().callsFake((input: unknown) => {
    throw new Error(`unexpected IoT call with ${JSON.stringify(input)}`);
  });
  const deps: ReplayDeps = {
    iot,
    journal: new JournalStore(t.doc, names.journalTable),
    ledger: new EchoLedgerStore(t.doc, names.ledgerTable, { now: () => NOW }),
    region: LOCAL,
    now: () => NOW,
    metricsNamespace: 'IotDrTest',
    identity: identityDeps(LOCAL),
  };
  return {
    deps,
    iotMock,
    putItem: async (item) => {
      await t.doc.send(new PutCommand({ TableName: names.journalTable, Item: item }));
    },
    ledgerEntry: async (key) => {
      const res = await t.doc.send(new GetCommand({ TableName: names.ledgerTable, Key: { key }, ConsistentRead: true }));
      const fingerprints = Object.keys(res.Item ?? {}).filter((k) => k.startsWith('v#') || k.startsWith('h#')).sort();
      return fingerprints.length > 0 ? fingerprints : undefined;
    },
    seedLedger: async (key, fingerprints) => {
      await deps.ledger.record(key, fingerprints);
    },
  };
}

export interface ItemOptions {
  readonly keys: ItemKeys;
  readonly kind: EntityKind;
  /** Omit for a tombstone. */
  readonly state?: EntityState;
  readonly origin?: string;
  readonly eventTime?: number;
  readonly eventId?: string;
  readonly localVersion?: number;
}

export function journalItem(o: ItemOptions): JournalItem {
  const eventTime = o.eventTime ?? NOW - 1500;
  const originRegion = o.origin ?? REMOTE;
  const eventId = o.eventId ?? `evt-${eventTime}`;
  return {
    pk: o.keys.pk,
    sk: o.keys.sk,
    ...(o.keys.ref !== undefined ? { ref: o.keys.ref } : {}),
    kind: o.kind,
    version: makeVersion({ eventTime, originRegion, localVersion: o.localVersion, eventId }),
    eventTime,
    eventId,
    originRegion,
    deleted: o.state === undefined,
    ...(o.state !== undefined ? { state: o.state } : {}),
    stateHash: stateHash(o.state),
    capturedAt: eventTime + 100,
    ...(o.state === undefined ? { expiresAt: Math.floor(eventTime / 1000) + 86400 } : {}),
  };
}

/** The task the state machine would hand replay for a stream record carrying `item`. */
export function taskFor(item: JournalItem): ReplayTaskInput {
  return { key: item.sk, partition: item.pk, version: item.version, eventTime: item.eventTime };
}

const meta = { $metadata: {} };
export const notFound = (message = 'not found'): Error => new ResourceNotFoundException({ message, ...meta });
export const alreadyExists = (message = 'already exists'): Error =>
  new ResourceAlreadyExistsException({ message, resourceId: 'id', resourceArn: 'arn', ...meta });
export const versionConflict = (message = 'version conflict'): Error => new VersionConflictException({ message, ...meta });
export const invalidRequest = (message: string): Error => new InvalidRequestException({ message, ...meta });
export const throttled = (): Error => new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });

/** Names of the IoT commands the client sent, in order. */
export function sentCommands(iotMock: IotMock): string[] {
  return iotMock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));
}

const READS = new Set(['DescribeThing', 'DescribeThingType', 'DescribeThingGroup', 'ListThingGroupsForThing', 'ListThingPrincipals']);
/** Names of the IoT writes the client sent, in order. */
export function sentWrites(iotMock: IotMock): string[] {
  return sentCommands(iotMock).filter((n) => !READS.has(n));
}

/** Silences handler logs and EMF lines; returns the parsed JSON lines written to stdout/stderr. */
export function captureOutput(): () => Record<string, unknown>[] {
  const lines: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  jest.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
  return () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The EMF documents among captured lines. */
export function emfLines(lines: Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.filter((l) => '_aws' in l);
}
