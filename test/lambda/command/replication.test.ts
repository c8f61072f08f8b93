/**
 * What the synchronous journaling buys: the journal items the API wrote, replicated to the other region's
 * journal (the global table, copied here) and replayed there by the real replay handlers, make the other
 * region hold the same device — with no capture run and no CloudTrail event. Both ways: a device onboarded in
 * the secondary during an outage reaches the primary the same way after failback.
 */
import { IoTClient } from '@aws-sdk/client-iot';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { kindReplayers } from '../../../lambda/replay/parking';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { JournalStore } from '../../../lambda/shared/journal-store';
import type { EntityKind, JournalItem } from '../../../lambda/shared/model';
import { identityDeps } from '../../support/identity-deps';
import { createCsr } from '../../support/x509';
import { GROUP, type Harness, OWN, PEER, POLICY, type World, harness, setUpRegion, startWorld } from './harness';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  jest.restoreAllMocks();
  await world.close();
});
beforeEach(() => {
  world.own.reset();
  world.peer.reset();
});

/** Dependencies first, as the reconciler orders an initial copy. */
const ORDER: EntityKind[] = ['thing', 'cert', 'policy', 'thingGroup', 'policyTarget', 'principal', 'member'];
let seq = 0;

/** Copies the API region's journal into a journal of the other region and replays every item there. */
async function replicate(h: Harness, target: string): Promise<void> {
  const emulator = target === world.own.region ? world.own : world.peer;
  const names = await world.tables.createTables(`replica${++seq}`);
  const items = ((await world.tables.doc.send(new ScanCommand({ TableName: h.journal.tableName }))).Items ?? []) as JournalItem[];
  for (const item of items) await world.tables.doc.send(new PutCommand({ TableName: names.journalTable, Item: item }));
  const iot = new IoTClient({ region: target, endpoint: emulator.endpoint, credentials: { accessKeyId: 'replay-role', secretAccessKey: 'x' }, maxAttempts: 1 });
  const replayers = kindReplayers({
    iot,
    journal: new JournalStore(world.tables.doc, names.journalTable),
    ledger: new EchoLedgerStore(world.tables.doc, names.ledgerTable),
    region: target,
    now: Date.now,
    metricsNamespace: 'IotDrTest',
    identity: identityDeps(target, emulator.endpoint, 'replay-role'),
  });
  const sorted = [...items].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  for (const item of replayOrder(sorted)) {
    await replayers[item.kind]({ key: item.sk, partition: item.pk, version: item.version, eventTime: item.eventTime });
  }
  iot.destroy();
}

/** Deletes replay in reverse: links before what they link. */
function replayOrder(sorted: JournalItem[]): JournalItem[] {
  const live = sorted.filter((i) => !i.deleted);
  const deleted = sorted.filter((i) => i.deleted).reverse();
  return [...live, ...deleted];
}

let keySeq = 0;
const key = () => `replication-${++keySeq}-key`;

test.each([
  ['onboarded in the primary reaches the secondary', false],
  ['onboarded in the secondary during an outage reaches the primary after failback', true],
])('a device %s through the journal items the API wrote', async (_title, swap) => {
  const h = await harness(world, { swapRegions: swap });
  const other = swap ? OWN : PEER;
  await setUpRegion(h.peerIot);
  const onboarded = await h.call('POST', '/devices', {
    key: key(),
    body: { thingName: 'replicated-1', policyName: POLICY, thingGroupName: GROUP, attributes: { model: 'x1' }, csr: createCsr('replicated-1') },
  });
  expect(onboarded.statusCode).toBe(201);
  expect((await h.call('GET', '/devices/{thingName}', { thingName: 'replicated-1' })).body.replicated).toBe(false);

  await replicate(h, other);
  const status = await h.call('GET', '/devices/{thingName}', { thingName: 'replicated-1' });
  expect(status.body.replicated).toBe(true);
  expect(status.body.regions[1]).toMatchObject({
    region: other,
    device: { exists: true, groups: [GROUP], certificates: [{ certificateId: onboarded.body.certificateId, status: 'ACTIVE', policies: [POLICY] }] },
  });

  // Suspended here: suspended there once replayed.
  await h.call('POST', '/devices/{thingName}/suspend', { thingName: 'replicated-1', key: key() });
  await replicate(h, other);
  const suspended = await h.call('GET', '/devices/{thingName}', { thingName: 'replicated-1' });
  expect(suspended.body.regions[1].device.certificates[0].status).toBe('INACTIVE');
  expect(suspended.body.replicated).toBe(true);

  // Decommissioned here: gone there once replayed.
  expect((await h.call('DELETE', '/devices/{thingName}', { thingName: 'replicated-1', key: key() })).statusCode).toBe(200);
  await replicate(h, other);
  expect((await h.call('GET', '/devices/{thingName}', { thingName: 'replicated-1' })).statusCode).toBe(404);
});
