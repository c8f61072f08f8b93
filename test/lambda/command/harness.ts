/**
 * The command handler against two IoT emulator regions and the journal, echo-ledger and idempotency tables on
 * dynalite: the real SDK clients, the real journal writer (capture's core), faults injected by call count.
 */
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreatePolicyCommand, CreateThingGroupCommand, IoTClient } from '@aws-sdk/client-iot';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { iotIdentityReader } from '../../../lambda/capture/identity-capture';
import { createJournalWriter, type JournalWriter } from '../../../lambda/capture/journal-writer';
import { createCommandHandler } from '../../../lambda/command/command-handler';
import { IdempotencyStore } from '../../../lambda/command/idempotency';
import type { RegionAccess } from '../../../lambda/command/status';
import { IDEMPOTENCY_ATTR } from '../../../lambda/contract';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { JournalStore } from '../../../lambda/shared/journal-store';
import type { JournalItem } from '../../../lambda/shared/model';
import { iotRegistryReader } from '../../../lambda/shared/registry-adapter';
import { type IotEmulator, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';

export const OWN = 'us-east-1';
export const PEER = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const POLICY = 'device-policy';
export const GROUP = 'fleet-a';
export const CALLER = 'arn:aws:sts::999999999999:assumed-role/operator/session';

export interface World {
  readonly own: IotEmulator;
  readonly peer: IotEmulator;
  readonly tables: JournalTables;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const own = await startIotEmulator({ region: OWN, accountId: ACCOUNT, quotaScale: 1000 });
  const peer = await startIotEmulator({ region: PEER, accountId: ACCOUNT, quotaScale: 1000 });
  const tables = await startJournalTables({ region: OWN });
  return {
    own,
    peer,
    tables,
    close: async () => {
      await Promise.all([own.close(), peer.close(), tables.close()]);
    },
  };
}

export function iotClient(emulator: IotEmulator | { endpoint: string; region: string }, role = 'command-access'): IoTClient {
  return new IoTClient({ region: emulator.region, endpoint: emulator.endpoint, credentials: { accessKeyId: role, secretAccessKey: 'x' }, maxAttempts: 1 });
}

export interface HarnessOptions {
  /** Wraps the journal writer (fault injection). */
  readonly writer?: (real: JournalWriter) => JournalWriter;
  /** The peer region's access. @default the peer emulator */
  readonly peer?: RegionAccess | null;
  /** The own region's metrics. */
  readonly cloudwatch?: RegionAccess['cloudwatch'];
  /** Run the API in the peer emulator's region instead (its peer is then the own emulator). */
  readonly swapRegions?: boolean;
  /** The idempotency table's clock (lease expiry). @default Date.now */
  readonly idempotencyNow?: () => number;
}

export interface Harness {
  readonly region: string;
  readonly journal: JournalStore;
  readonly ledger: EchoLedgerStore;
  readonly iot: IoTClient;
  readonly peerIot: IoTClient;
  call(method: string, resource: string, options?: CallOptions): Promise<Answer>;
  item(pk: string, sk?: string): Promise<JournalItem | undefined>;
}

export interface CallOptions {
  readonly thingName?: string;
  readonly body?: unknown;
  readonly key?: string;
  readonly caller?: string;
}

export interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
   
  readonly body: any;
}

let seq = 0;

export async function harness(world: World, options: HarnessOptions = {}): Promise<Harness> {
  const names = await world.tables.createTables(`cmd${++seq}`);
  const idempotencyTable = `idempotency-${seq}`;
  await world.tables.client.send(
    new CreateTableCommand({
      TableName: idempotencyTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: IDEMPOTENCY_ATTR.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: IDEMPOTENCY_ATTR.partitionKey, KeyType: 'HASH' }],
    }),
  );
  for (let i = 0; i < 200; i++) {
    const { Table } = await world.tables.client.send(new DescribeTableCommand({ TableName: idempotencyTable }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const [ownEmulator, peerEmulator] = options.swapRegions ? [world.peer, world.own] : [world.own, world.peer];
  const region = ownEmulator.region;
  const iot = iotClient(ownEmulator);
  const peerIot = iotClient(peerEmulator);
  const journal = new JournalStore(world.tables.doc, names.journalTable);
  const ledger = new EchoLedgerStore(world.tables.doc, names.ledgerTable);
  const noDataPlane = { send: () => Promise.reject(new Error('no shadows')) };
  const real = createJournalWriter({
    journal,
    ledger,
    iot: iotRegistryReader(iot),
    identities: iotIdentityReader(iot, noDataPlane, { region, accountId: ACCOUNT }),
    region,
    tombstoneTtlSeconds: 3600,
    now: Date.now,
  });
  const peerAccess: RegionAccess | undefined = options.peer === null ? undefined : (options.peer ?? { region: peerEmulator.region, iot: peerIot });
  const handler = createCommandHandler({
    own: { region, iot, ...(options.cloudwatch ? { cloudwatch: options.cloudwatch } : {}) },
    ...(peerAccess ? { peer: peerAccess } : {}),
    accountId: ACCOUNT,
    writer: options.writer ? options.writer(real) : real,
    idempotency: new IdempotencyStore(world.tables.doc, idempotencyTable, { ttlSeconds: 3600, leaseMs: 60_000, now: options.idempotencyNow ?? Date.now }),
    tombstoneTtlSeconds: 3600,
    metricsNamespace: 'IotDr',
    regionTimeoutMs: 2000,
  });
  await setUpRegion(iot);
  return {
    region,
    journal,
    ledger,
    iot,
    peerIot,
    call: async (method, resource, o = {}) => {
      const event = apiEvent(method, resource, o);
      const res: APIGatewayProxyResult = await handler(event);
      return { statusCode: res.statusCode, headers: (res.headers ?? {}) as Record<string, string>, body: JSON.parse(res.body) };
    },
    item: (pk, sk) => journal.get(pk, sk ?? pk),
  };
}

/** The policy and group every onboarding here uses. */
export async function setUpRegion(iot: IoTClient): Promise<void> {
  const policyDocument = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
  await iot.send(new CreatePolicyCommand({ policyName: POLICY, policyDocument })).catch((e: Error) => {
    if (e.name !== 'ResourceAlreadyExistsException') throw e;
  });
  await iot.send(new CreateThingGroupCommand({ thingGroupName: GROUP }));
}

let requestSeq = 0;

export function apiEvent(method: string, resource: string, o: CallOptions): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    resource,
    path: resource.replace('{thingName}', o.thingName ?? ''),
    headers: o.key !== undefined ? { 'idempotency-key': o.key } : {},
    multiValueHeaders: {},
    pathParameters: o.thingName !== undefined ? { thingName: o.thingName } : null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    body: o.body === undefined ? null : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    isBase64Encoded: false,
    requestContext: { requestId: `req-${++requestSeq}`, identity: { userArn: o.caller ?? CALLER } },
  } as unknown as APIGatewayProxyEvent;
}
