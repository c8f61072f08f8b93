import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { type CaptureJournal, createCaptureHandler } from '../../../lambda/capture/capture-handler';
import { MAX_EVENT_CLOCK_SKEW_MS } from '../../../lambda/capture/registry-events';
import type { DeadLetter } from '../../../lambda/capture/dead-letters';
import type { RegistryReader } from '../../../lambda/shared/registry-adapter';
import { EchoLedgerStore, hashFingerprint, versionFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { stateHash, TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { JournalStore } from '../../../lambda/shared/journal-store';
import type { JournalItem, ThingGroupState, ThingState, ThingTypeState } from '../../../lambda/shared/model';
import type { Metric } from '../../../lambda/shared/telemetry';
import { makeVersion } from '../../../lambda/shared/version';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import {
  hierarchyEvent,
  membershipEvent,
  sqsBatch,
  thingEvent,
  thingGroupEvent,
  thingTypeAssociationEvent,
  thingTypeEvent,
} from './registry-event-builders';

const REGION = 'us-east-1';
const NOW = 1_700_000_000_000;
// Replay records fingerprints just before IoT stamps the echo: the ledger's clock precedes the builders' event
// times, and its windows are left open because the builders use the docs' fixed timestamps (the window
// rules themselves are tested in echo-ledger.test.ts).
const LEDGER_NOW = 1;
const TTL = 1000;

let tables: JournalTables;
let tableSeq = 0;

beforeAll(async () => {
  tables = await startJournalTables();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(async () => {
  jest.restoreAllMocks();
  await tables.close();
});

class FakeRegistry implements RegistryReader {
  readonly things = new Map<string, ThingState>();
  readonly groups = new Map<string, ThingGroupState>();
  readonly calls: string[] = [];
  async describeThing(name: string) {
    this.calls.push(`thing/${name}`);
    return this.things.get(name);
  }
  async describeThingGroup(name: string) {
    this.calls.push(`group/${name}`);
    return this.groups.get(name);
  }
  readonly types = new Map<string, ThingTypeState>();
  readonly members = new Set<string>();
  async describeThingType(name: string) {
    this.calls.push(`type/${name}`);
    return this.types.get(name);
  }
  async describeMembership(group: string, thing: string) {
    this.calls.push(`member/${group}/${thing}`);
    return this.members.has(`${group}/${thing}`) ? { thingGroupName: group, thingName: thing } : undefined;
  }
}

interface HarnessOptions {
  /** Wrap the journal (race injection). */
  readonly journal?: (real: JournalStore) => CaptureJournal;
  /** Use another DynamoDB document client for the journal (failure injection). */
  readonly doc?: DynamoDBDocumentClient;
  readonly deadLetters?: (letter: DeadLetter) => Promise<void>;
}

async function harness(options: HarnessOptions = {}) {
  const names = await tables.createTables(`h${++tableSeq}`);
  const store = new JournalStore(options.doc ?? tables.doc, names.journalTable);
  const reader = new JournalStore(tables.doc, names.journalTable);
  const ledger = new EchoLedgerStore(tables.doc, names.ledgerTable, { now: () => LEDGER_NOW, unconfirmedWindowMs: Number.MAX_SAFE_INTEGER / 2 });
  const dlq: DeadLetter[] = [];
  const iot = new FakeRegistry();
  const emitted: Metric[][] = [];
  const handler = createCaptureHandler({
    journal: options.journal ? options.journal(store) : store,
    ledger,
    deadLetters: { send: options.deadLetters ?? (async (l) => void dlq.push(l)) },
    iot,
    region: REGION,
    tombstoneTtlSeconds: TTL,
    now: () => NOW,
    emit: (namespace, dimensions, metrics) => {
      expect(namespace).toBe('IotDr');
      expect(dimensions).toEqual({});
      emitted.push([...metrics]);
    },
  });
  const get = (pk: string, sk = pk) => reader.get(pk, sk);
  /** Sends each body in its own invocation, in order; returns the failed message ids of all. */
  const sendEach = async (...bodies: Record<string, unknown>[]) => {
    const failed: string[] = [];
    for (const b of bodies) failed.push(...(await handler(sqsBatch(b))).batchItemFailures.map((f) => f.itemIdentifier));
    return failed;
  };
  /** Sums every metric across invocations. */
  const totals = () => {
    const t: Record<string, number> = {};
    for (const line of emitted) for (const m of line) t[m.name] = (t[m.name] ?? 0) + m.value;
    return t;
  };
  return { handler, store, reader, ledger, dlq, iot, emitted, get, sendEach, totals, names };
}

const v = (t: number, id: string, local = 0, region = REGION) => makeVersion({ eventTime: t, originRegion: region, localVersion: local, eventId: id });

describe('whole-entity events', () => {
  test('a thing is journaled with its state, version and origin; one EMF line per invocation', async () => {
    const h = await harness();
    const res = await h.handler(sqsBatch(thingEvent('Pump1', 'CREATED', { eventId: 'c1', timestamp: 1000, versionNumber: 1, thingTypeName: 'Pump' })));
    expect(res).toEqual({ batchItemFailures: [] });
    const state = { thingName: 'Pump1', thingTypeName: 'Pump', attributes: { attribute1: 'value1', attribute2: 'value2', attribute3: 'value3' } };
    expect(await h.get('thing#Pump1')).toEqual({
      pk: 'thing#Pump1',
      sk: 'thing#Pump1',
      kind: 'thing',
      version: v(1000, 'c1', 1),
      eventTime: 1000,
      eventId: 'c1',
      originRegion: REGION,
      deleted: false,
      state,
      stateHash: stateHash(state),
      capturedAt: NOW,
    });
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0]).toEqual([
      { name: 'EventsCaptured', value: 1, unit: 'Count' },
      { name: 'EventsSuperseded', value: 0, unit: 'Count' },
      { name: 'EchoesSuppressed', value: 0, unit: 'Count' },
      { name: 'MalformedEvents', value: 0, unit: 'Count' },
      { name: 'CascadeTombstones', value: 0, unit: 'Count' },
      { name: 'EventsSkipped', value: 0, unit: 'Count' },
    ]);
  });

  test('thing types and groups are journaled', async () => {
    const h = await harness();
    await h.handler(sqsBatch(thingTypeEvent('Pump', 'CREATED', { timestamp: 10 }), thingGroupEvent('Plant', 'CREATED', { timestamp: 11, parentGroupName: 'Site' })));
    expect((await h.get('thingType#Pump'))?.state).toEqual({
      thingTypeName: 'Pump',
      description: 'My thing type',
      searchableAttributes: ['attribute1', 'attribute2', 'attribute3'],
      deprecated: false,
    });
    expect((await h.get('thingGroup#Plant'))?.state).toMatchObject({ thingGroupName: 'Plant', parentGroupName: 'Site' });
    await h.sendEach(thingTypeEvent('Pump', 'UPDATED', { timestamp: 20, isDeprecated: true }));
    expect((await h.get('thingType#Pump'))?.state).toMatchObject({ deprecated: true });
    await h.sendEach(thingTypeEvent('Pump', 'DELETED', { timestamp: 30 }));
    expect(await h.get('thingType#Pump')).toMatchObject({ deleted: true, stateHash: TOMBSTONE_HASH, expiresAt: NOW / 1000 + TTL });
  });

  test('duplicates are superseded and change nothing', async () => {
    const h = await harness();
    const e = thingEvent('T', 'CREATED', { timestamp: 1000, versionNumber: 1 });
    await h.handler(sqsBatch(e, e));
    await h.sendEach(e);
    expect(h.totals()).toMatchObject({ EventsCaptured: 1, EventsSuperseded: 2 });
    expect((await h.get('thing#T'))?.eventId).toBe(e.eventId);
  });

  test('out of order: the newest state wins whatever the arrival order', async () => {
    const h = await harness();
    const c = thingEvent('T', 'CREATED', { timestamp: 1000, versionNumber: 1, attributes: { s: '1' } });
    const u2 = thingEvent('T', 'UPDATED', { timestamp: 2000, versionNumber: 2, attributes: { s: '2' } });
    const u3 = thingEvent('T', 'UPDATED', { timestamp: 3000, versionNumber: 3, attributes: { s: '3' } });
    await h.sendEach(u3, c, u2);
    expect((await h.get('thing#T'))?.state).toEqual({ thingName: 'T', attributes: { s: '3' } });
    expect(h.totals()).toMatchObject({ EventsCaptured: 1, EventsSuperseded: 2 });
  });

  test('a tombstone is not resurrected by an older update that arrives late', async () => {
    const h = await harness();
    await h.sendEach(
      thingEvent('T', 'CREATED', { timestamp: 1000, versionNumber: 1 }),
      thingEvent('T', 'DELETED', { timestamp: 3000, versionNumber: 2 }),
      thingEvent('T', 'UPDATED', { timestamp: 2000, versionNumber: 2 }),
    );
    expect(await h.get('thing#T')).toMatchObject({ deleted: true, eventTime: 3000 });
    expect(await h.get('thing#T')).not.toHaveProperty('state');
  });

  test('delete then recreate, in every arrival order, ends live with the recreated state', async () => {
    const create = thingEvent('T', 'CREATED', { timestamp: 1000, versionNumber: 1, attributes: { gen: '1' } });
    const del = thingEvent('T', 'DELETED', { timestamp: 2000, versionNumber: 1 });
    const recreate = thingEvent('T', 'CREATED', { timestamp: 3000, versionNumber: 1, attributes: { gen: '2' } });
    for (const order of [
      [create, del, recreate],
      [recreate, del, create],
      [del, recreate, create],
    ]) {
      const h = await harness();
      await h.sendEach(...order);
      expect(await h.get('thing#T')).toMatchObject({ deleted: false, eventTime: 3000, state: { attributes: { gen: '2' } } });
    }
  });

  test('memberships: added is an item under the group, removed a tombstone', async () => {
    const h = await harness();
    await h.sendEach(membershipEvent('G', 'T', 'ADDED', { timestamp: 10 }));
    expect(await h.get('thingGroup#G', 'member#G#T')).toMatchObject({ ref: 'thing#T', kind: 'member', deleted: false });
    await h.sendEach(membershipEvent('G', 'T', 'REMOVED', { timestamp: 20 }));
    expect(await h.get('thingGroup#G', 'member#G#T')).toMatchObject({ ref: 'thing#T', deleted: true, stateHash: TOMBSTONE_HASH });
    await h.sendEach(membershipEvent('G', 'T', 'ADDED', { timestamp: 15 }));
    expect(await h.get('thingGroup#G', 'member#G#T')).toMatchObject({ deleted: true });
  });
});

describe('cascades without events', () => {
  test('deleting a group tombstones its memberships with the same version', async () => {
    const h = await harness();
    await h.sendEach(
      thingGroupEvent('G', 'CREATED', { timestamp: 10 }),
      thingGroupEvent('Other', 'CREATED', { timestamp: 10 }),
      membershipEvent('G', 'A', 'ADDED', { timestamp: 20 }),
      membershipEvent('G', 'B', 'ADDED', { timestamp: 21 }),
      membershipEvent('Other', 'A', 'ADDED', { timestamp: 22 }),
    );
    const del = thingGroupEvent('G', 'DELETED', { timestamp: 100, versionNumber: 2, eventId: 'gdel' });
    await h.sendEach(del);
    const group = await h.get('thingGroup#G');
    expect(group).toMatchObject({ deleted: true, version: v(100, 'gdel', 2) });
    for (const t of ['A', 'B']) {
      expect(await h.get('thingGroup#G', `member#G#${t}`)).toEqual({
        pk: 'thingGroup#G',
        sk: `member#G#${t}`,
        ref: `thing#${t}`,
        kind: 'member',
        version: group!.version,
        eventTime: 100,
        eventId: 'gdel',
        originRegion: REGION,
        deleted: true,
        stateHash: TOMBSTONE_HASH,
        capturedAt: NOW,
        expiresAt: NOW / 1000 + TTL,
      });
    }
    expect(await h.get('thingGroup#Other', 'member#Other#A')).toMatchObject({ deleted: false });
    expect(h.totals().CascadeTombstones).toBe(2);
    // A duplicate delete finds nothing left to do.
    await h.sendEach(del);
    expect(h.totals().CascadeTombstones).toBe(2);
  });

  test('deleting a thing tombstones its memberships in every group (byRef)', async () => {
    const h = await harness();
    await h.sendEach(
      thingEvent('T', 'CREATED', { timestamp: 10 }),
      membershipEvent('G1', 'T', 'ADDED', { timestamp: 20 }),
      membershipEvent('G2', 'T', 'ADDED', { timestamp: 21 }),
      membershipEvent('G1', 'U', 'ADDED', { timestamp: 22 }),
      thingEvent('T', 'DELETED', { timestamp: 100, eventId: 'tdel' }),
    );
    expect(await h.get('thingGroup#G1', 'member#G1#T')).toMatchObject({ deleted: true, eventId: 'tdel', eventTime: 100 });
    expect(await h.get('thingGroup#G2', 'member#G2#T')).toMatchObject({ deleted: true, eventId: 'tdel' });
    expect(await h.get('thingGroup#G1', 'member#G1#U')).toMatchObject({ deleted: false });
    expect(h.totals().CascadeTombstones).toBe(2);
  });

  test('a cascade never overwrites a newer dependent', async () => {
    const h = await harness();
    await h.sendEach(
      membershipEvent('G', 'Old', 'ADDED', { timestamp: 20 }),
      membershipEvent('G', 'New', 'ADDED', { timestamp: 300 }),
      thingGroupEvent('G', 'DELETED', { timestamp: 100 }),
    );
    expect(await h.get('thingGroup#G', 'member#G#Old')).toMatchObject({ deleted: true, eventTime: 100 });
    expect(await h.get('thingGroup#G', 'member#G#New')).toMatchObject({ deleted: false, eventTime: 300 });
  });

  test('a delete that arrives after the recreate still drops what existed before it', async () => {
    const h = await harness();
    await h.sendEach(
      thingGroupEvent('G', 'CREATED', { timestamp: 10, versionNumber: 1 }),
      membershipEvent('G', 'Before', 'ADDED', { timestamp: 20 }),
      thingGroupEvent('G', 'CREATED', { timestamp: 300, versionNumber: 1 }),
      membershipEvent('G', 'After', 'ADDED', { timestamp: 400 }),
      thingGroupEvent('G', 'DELETED', { timestamp: 200, versionNumber: 1 }),
    );
    expect(await h.get('thingGroup#G')).toMatchObject({ deleted: false, eventTime: 300 });
    expect(await h.get('thingGroup#G', 'member#G#Before')).toMatchObject({ deleted: true, eventTime: 200 });
    expect(await h.get('thingGroup#G', 'member#G#After')).toMatchObject({ deleted: false });
  });

  test('a membership captured after its group or thing was deleted dies with it', async () => {
    const h = await harness();
    await h.sendEach(
      thingGroupEvent('G', 'DELETED', { timestamp: 100, eventId: 'gdel' }),
      membershipEvent('G', 'T', 'ADDED', { timestamp: 50 }),
      thingEvent('U', 'DELETED', { timestamp: 100, eventId: 'udel' }),
      membershipEvent('H', 'U', 'ADDED', { timestamp: 60 }),
    );
    expect(await h.get('thingGroup#G', 'member#G#T')).toMatchObject({ deleted: true, eventId: 'gdel', eventTime: 100 });
    expect(await h.get('thingGroup#H', 'member#H#U')).toMatchObject({ deleted: true, eventId: 'udel', eventTime: 100 });
    // A membership newer than the delete is a real one (group recreated meanwhile).
    await h.sendEach(membershipEvent('G', 'V', 'ADDED', { timestamp: 150 }));
    expect(await h.get('thingGroup#G', 'member#G#V')).toMatchObject({ deleted: false });
    expect(h.totals().CascadeTombstones).toBe(2);
  });

  test('a group delete and its memberships in one batch: no live membership survives', async () => {
    const h = await harness();
    await h.handler(
      sqsBatch(
        membershipEvent('G', 'A', 'ADDED', { timestamp: 20 }),
        thingGroupEvent('G', 'DELETED', { timestamp: 100 }),
        membershipEvent('G', 'B', 'ADDED', { timestamp: 30 }),
        membershipEvent('G', 'C', 'ADDED', { timestamp: 40 }),
      ),
    );
    for (const t of ['A', 'B', 'C']) expect(await h.get('thingGroup#G', `member#G#${t}`)).toMatchObject({ deleted: true, eventTime: 100 });
  });
});

describe('two changes in one millisecond (no IoT version number to order them)', () => {
  const pump = (deprecated: boolean): ThingTypeState => ({
    thingTypeName: 'Pump',
    description: 'My thing type',
    searchableAttributes: ['attribute1', 'attribute2', 'attribute3'],
    deprecated,
  });

  test.each([
    ['the later event id arrives first', ['b-deprecate', 'a-undo']],
    ['the later event id arrives last', ['a-undo', 'b-deprecate']],
  ])('a type deprecated and un-deprecated in the same ms is journaled as the registry has it (%s)', async (_name, order) => {
    const h = await harness();
    // The un-deprecation happened last; its event id happens to sort first.
    h.iot.types.set('Pump', pump(false));
    const events: Record<string, Record<string, unknown>> = {
      'b-deprecate': thingTypeEvent('Pump', 'UPDATED', { timestamp: 50, eventId: 'b-deprecate', isDeprecated: true }),
      'a-undo': thingTypeEvent('Pump', 'UPDATED', { timestamp: 50, eventId: 'a-undo', isDeprecated: false }),
    };
    await h.sendEach(...order.map((id) => events[id]));
    expect(await h.get('thingType#Pump')).toMatchObject({ version: v(50, 'b-deprecate'), state: pump(false) });
  });

  test('a membership added and removed in the same ms is journaled as removed when the registry says so', async () => {
    const h = await harness();
    await h.sendEach(
      membershipEvent('G', 'T', 'REMOVED', { timestamp: 60, eventId: 'a-remove' }),
      membershipEvent('G', 'T', 'ADDED', { timestamp: 60, eventId: 'b-add' }),
    );
    expect(await h.get('thingGroup#G', 'member#G#T')).toMatchObject({ deleted: true, version: v(60, 'b-add') });
    expect(h.iot.calls).toContain('member/G/T');
  });

  test('a thing created and deleted in the same ms (the delete carries the created version) ends deleted', async () => {
    const h = await harness();
    // Event ids order the create after the delete; the registry says the thing is gone.
    await h.sendEach(
      thingEvent('T', 'DELETED', { timestamp: 80, eventId: 'a-delete', versionNumber: 1 }),
      thingEvent('T', 'CREATED', { timestamp: 80, eventId: 'b-create', versionNumber: 1, attributes: { a: '1' } }),
    );
    expect(await h.get('thing#T')).toMatchObject({ deleted: true, version: v(80, 'b-create', 1) });
    expect(h.iot.calls).toContain('thing/T');
  });

  test('changes in different milliseconds never ask the registry', async () => {
    const h = await harness();
    await h.sendEach(thingTypeEvent('Pump', 'UPDATED', { timestamp: 70, isDeprecated: true }), thingTypeEvent('Pump', 'UPDATED', { timestamp: 71 }));
    expect(h.iot.calls).toEqual([]);
  });
});

describe('partial events merge into the owning item', () => {
  test('type association sets and clears thingTypeName on the journaled thing', async () => {
    const h = await harness();
    await h.sendEach(thingEvent('T', 'CREATED', { timestamp: 10, attributes: { a: '1' } }));
    await h.sendEach(thingTypeAssociationEvent('T', 'Pump', 'CREATED', { timestamp: 20, eventId: 'as1' }));
    expect(await h.get('thing#T')).toMatchObject({
      version: v(20, 'as1'),
      state: { thingName: 'T', thingTypeName: 'Pump', attributes: { a: '1' } },
    });
    // Removing another type leaves Pump alone; removing Pump clears it.
    await h.sendEach(thingTypeAssociationEvent('T', 'Valve', 'DELETED', { timestamp: 30 }));
    expect((await h.get('thing#T'))?.state).toMatchObject({ thingTypeName: 'Pump' });
    await h.sendEach(thingTypeAssociationEvent('T', 'Pump', 'DELETED', { timestamp: 40 }));
    expect((await h.get('thing#T'))?.state).toEqual({ thingName: 'T', attributes: { a: '1' } });
    expect(h.iot.calls).toEqual([]);
  });

  test('an association older than the journaled thing is superseded', async () => {
    const h = await harness();
    await h.sendEach(thingEvent('T', 'UPDATED', { timestamp: 100, versionNumber: 5 }), thingTypeAssociationEvent('T', 'Pump', 'CREATED', { timestamp: 50 }));
    expect((await h.get('thing#T'))?.state).not.toHaveProperty('thingTypeName');
    expect(h.totals()).toMatchObject({ EventsCaptured: 1, EventsSuperseded: 1 });
  });

  test('a thing that predates replication is read from this region’s registry', async () => {
    const h = await harness();
    h.iot.things.set('Legacy', { thingName: 'Legacy', attributes: { fw: '1.0' } });
    await h.sendEach(thingTypeAssociationEvent('Legacy', 'Pump', 'CREATED', { timestamp: 20 }));
    expect((await h.get('thing#Legacy'))?.state).toEqual({ thingName: 'Legacy', thingTypeName: 'Pump', attributes: { fw: '1.0' } });
    expect(h.iot.calls).toEqual(['thing/Legacy']);
  });

  test('a partial event for an entity gone from the registry is skipped', async () => {
    const h = await harness();
    await h.sendEach(thingTypeAssociationEvent('Gone', 'Pump', 'CREATED', { timestamp: 20 }), hierarchyEvent('P', 'GoneGroup', 'ADDED'));
    expect(await h.get('thing#Gone')).toBeUndefined();
    expect(await h.get('thingGroup#GoneGroup')).toBeUndefined();
    expect(h.totals()).toMatchObject({ EventsCaptured: 0, EventsSuperseded: 2 });
  });

  test('a partial event newer than a tombstone reads the (recreated) entity', async () => {
    const h = await harness();
    await h.sendEach(thingEvent('T', 'DELETED', { timestamp: 10 }));
    h.iot.things.set('T', { thingName: 'T', attributes: { gen: '2' } });
    await h.sendEach(thingTypeAssociationEvent('T', 'Pump', 'CREATED', { timestamp: 20 }));
    expect(await h.get('thing#T')).toMatchObject({ deleted: false, state: { thingTypeName: 'Pump', attributes: { gen: '2' } } });
    // Older than the tombstone: superseded without asking IoT.
    h.iot.calls.length = 0;
    await h.sendEach(thingTypeAssociationEvent('T', 'Pump', 'DELETED', { timestamp: 5 }));
    expect(h.iot.calls).toEqual([]);
  });

  test('hierarchy sets and clears parentGroupName on the child group', async () => {
    const h = await harness();
    await h.sendEach(thingGroupEvent('Child', 'CREATED', { timestamp: 10, description: 'c' }));
    await h.sendEach(hierarchyEvent('Parent', 'Child', 'ADDED', { timestamp: 20 }));
    expect((await h.get('thingGroup#Child'))?.state).toMatchObject({ thingGroupName: 'Child', parentGroupName: 'Parent', description: 'c' });
    await h.sendEach(hierarchyEvent('Parent', 'Child', 'REMOVED', { timestamp: 30 }));
    expect((await h.get('thingGroup#Child'))?.state).not.toHaveProperty('parentGroupName');
    h.iot.groups.set('Legacy', { thingGroupName: 'Legacy', attributes: { k: 'v' } });
    await h.sendEach(hierarchyEvent('Root', 'Legacy', 'ADDED', { timestamp: 40 }));
    expect((await h.get('thingGroup#Legacy'))?.state).toEqual({ thingGroupName: 'Legacy', parentGroupName: 'Root', attributes: { k: 'v' } });
  });

  test('a merge that loses a race re-reads and merges over the winner', async () => {
    let raced = false;
    const h = await harness({
      journal: (real) => ({
        get: real.get.bind(real),
        putIfNewer: real.putIfNewer.bind(real),
        replaceIfNewer: real.replaceIfNewer.bind(real),
        dependents: real.dependents.bind(real),
        tombstoneAll: real.tombstoneAll.bind(real),
        putIfVersion: async (item, expected) => {
          if (!raced) {
            raced = true;
            const rival = thingEvent('T', 'UPDATED', { timestamp: 15, versionNumber: 2, attributes: { rival: 'yes' } });
            await h.sendEach(rival);
          }
          return real.putIfVersion(item, expected);
        },
      }),
    });
    await h.sendEach(thingEvent('T', 'CREATED', { timestamp: 10, attributes: {} }));
    await h.sendEach(thingTypeAssociationEvent('T', 'Pump', 'CREATED', { timestamp: 20 }));
    expect((await h.get('thing#T'))?.state).toEqual({ thingName: 'T', thingTypeName: 'Pump', attributes: { rival: 'yes' } });
  });

  test('a merge that keeps losing is handed back to SQS', async () => {
    const h = await harness({
      journal: (real) => ({
        get: real.get.bind(real),
        putIfNewer: real.putIfNewer.bind(real),
        replaceIfNewer: real.replaceIfNewer.bind(real),
        dependents: real.dependents.bind(real),
        tombstoneAll: real.tombstoneAll.bind(real),
        putIfVersion: async () => false,
      }),
    });
    await h.sendEach(thingEvent('T', 'CREATED', { timestamp: 10 }));
    const batch = sqsBatch(thingTypeAssociationEvent('T', 'Pump', 'CREATED', { timestamp: 20 }));
    expect(await h.handler(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: batch.Records[0].messageId }] });
  });
});

describe('echo suppression', () => {
  test('a replayed thing update (its version recorded by replay) is not journaled', async () => {
    const h = await harness();
    await h.ledger.record('thing#T', [versionFingerprint(3)]);
    await h.sendEach(thingEvent('T', 'UPDATED', { timestamp: 10, versionNumber: 3 }));
    expect(await h.get('thing#T')).toBeUndefined();
    expect(h.totals()).toMatchObject({ EchoesSuppressed: 1, EventsCaptured: 0 });
    // Duplicate echoes match too.
    await h.sendEach(thingEvent('T', 'UPDATED', { timestamp: 10, versionNumber: 3 }));
    expect(h.totals().EchoesSuppressed).toBe(2);
  });

  test('the trap: an echo of an old state, newer than the journal, must not overwrite the journal', async () => {
    const h = await harness();
    // Region B replayed S1 (local version 5 here); meanwhile A changed the thing to S2, already in our journal.
    await h.ledger.record('thing#T', [versionFingerprint(5), hashFingerprint(stateHash({ thingName: 'T', attributes: { s: '1' } }))]);
    const s2 = thingEvent('T', 'UPDATED', { timestamp: 2000, versionNumber: 8, attributes: { s: '2' } });
    const s2Item: JournalItem = {
      pk: 'thing#T',
      sk: 'thing#T',
      kind: 'thing',
      version: v(2000, String(s2.eventId), 8, 'eu-west-1'),
      eventTime: 2000,
      eventId: String(s2.eventId),
      originRegion: 'eu-west-1',
      deleted: false,
      state: { thingName: 'T', attributes: { s: '2' } },
      stateHash: stateHash({ thingName: 'T', attributes: { s: '2' } }),
      capturedAt: 1,
    };
    await h.store.putIfNewer(s2Item);
    // The echo of S1 arrives later, with a later event time than S2.
    await h.sendEach(thingEvent('T', 'UPDATED', { timestamp: 3000, versionNumber: 5, attributes: { s: '1' } }));
    expect(await h.get('thing#T')).toEqual(s2Item);
    expect(h.totals().EchoesSuppressed).toBe(1);
  });

  test('a genuine change is journaled and clears the ledger entry', async () => {
    const h = await harness();
    await h.ledger.record('thing#T', [versionFingerprint(3)]);
    await h.sendEach(thingEvent('T', 'UPDATED', { timestamp: 10, versionNumber: 4 }));
    expect(await h.get('thing#T')).toMatchObject({ deleted: false });
    expect(await h.ledger.isEcho('thing#T', [versionFingerprint(3)], Date.now())).toBe(false);
  });

  test('an echo never clears the ledger (later duplicate echoes still match)', async () => {
    const h = await harness();
    await h.ledger.record('thing#T', [versionFingerprint(3)]);
    await h.sendEach(thingEvent('T', 'UPDATED', { versionNumber: 3 }));
    expect(await h.ledger.isEcho('thing#T', [versionFingerprint(3)], Date.now())).toBe(true);
  });

  test('a superseded genuine event does not clear the ledger', async () => {
    const h = await harness();
    await h.sendEach(thingEvent('T', 'UPDATED', { timestamp: 100, versionNumber: 9 }));
    await h.ledger.record('thing#T', [versionFingerprint(10)]);
    await h.sendEach(thingEvent('T', 'UPDATED', { timestamp: 50, versionNumber: 8 }));
    expect(await h.ledger.isEcho('thing#T', [versionFingerprint(10)], Date.now())).toBe(true);
  });

  test('hash fingerprints: thing types, memberships and deletes', async () => {
    const h = await harness();
    const typeState = { thingTypeName: 'Pump', description: 'My thing type', searchableAttributes: ['attribute1', 'attribute2', 'attribute3'], deprecated: false };
    await h.ledger.record('thingType#Pump', [hashFingerprint(stateHash(typeState))]);
    await h.ledger.record('member#G#T', [hashFingerprint(stateHash({ thingGroupName: 'G', thingName: 'T' }))]);
    await h.ledger.record('thingGroup#Gone', [hashFingerprint(TOMBSTONE_HASH)]);
    await h.sendEach(thingTypeEvent('Pump', 'CREATED'), membershipEvent('G', 'T', 'ADDED'), thingGroupEvent('Gone', 'DELETED'));
    expect(await h.get('thingType#Pump')).toBeUndefined();
    expect(await h.get('thingGroup#G', 'member#G#T')).toBeUndefined();
    expect(await h.get('thingGroup#Gone')).toBeUndefined();
    expect(h.totals()).toMatchObject({ EchoesSuppressed: 3, EventsCaptured: 0, CascadeTombstones: 0 });
    // A different state is a genuine change.
    await h.sendEach(thingTypeEvent('Pump', 'UPDATED', { isDeprecated: true }));
    expect(await h.get('thingType#Pump')).toMatchObject({ state: { deprecated: true } });
  });

  test('a user going back to a replayed state right after a local change is not taken for an echo', async () => {
    const h = await harness();
    const replayed = { thingTypeName: 'Pump', description: 'My thing type', searchableAttributes: ['attribute1', 'attribute2', 'attribute3'], deprecated: false };
    await h.ledger.record('thingType#Pump', [hashFingerprint(stateHash(replayed))]);
    // Deprecated here, then un-deprecated 2 ms later: both genuine, both inside the ledger's window.
    await h.handler(
      sqsBatch(
        thingTypeEvent('Pump', 'UPDATED', { timestamp: 102, eventId: 'undo', isDeprecated: false }),
        thingTypeEvent('Pump', 'UPDATED', { timestamp: 100, eventId: 'deprecate', isDeprecated: true }),
      ),
    );
    expect(await h.get('thingType#Pump')).toMatchObject({ eventId: 'undo', state: replayed });
    expect(h.totals()).toMatchObject({ EventsCaptured: 2, EchoesSuppressed: 0 });
  });

  test('an echoed delete does not cascade (the origin region already did)', async () => {
    const h = await harness();
    await h.sendEach(membershipEvent('G', 'T', 'ADDED', { timestamp: 10 }));
    await h.ledger.record('thingGroup#G', [hashFingerprint(TOMBSTONE_HASH)]);
    await h.sendEach(thingGroupEvent('G', 'DELETED', { timestamp: 20 }));
    expect(await h.get('thingGroup#G', 'member#G#T')).toMatchObject({ deleted: false });
  });

  test('a merge whose merged state is what replay applied is an echo', async () => {
    const h = await harness();
    await h.sendEach(thingEvent('T', 'CREATED', { timestamp: 10, attributes: { a: '1' } }));
    const replayed = { thingName: 'T', thingTypeName: 'Pump', attributes: { a: '1' } };
    await h.ledger.record('thing#T', [versionFingerprint(2), hashFingerprint(stateHash(replayed))]);
    await h.sendEach(thingTypeAssociationEvent('T', 'Pump', 'CREATED', { timestamp: 20 }));
    expect((await h.get('thing#T'))?.state).toEqual({ thingName: 'T', attributes: { a: '1' } });
    expect(h.totals().EchoesSuppressed).toBe(1);
  });

  test('cascade tombstones clear the dependents’ ledger entries', async () => {
    const h = await harness();
    await h.sendEach(membershipEvent('G', 'T', 'ADDED', { timestamp: 10 }));
    const fp = hashFingerprint(stateHash({ thingGroupName: 'G', thingName: 'T' }));
    await h.ledger.record('member#G#T', [fp]);
    await h.sendEach(thingGroupEvent('G', 'DELETED', { timestamp: 20 }));
    expect(await h.ledger.isEcho('member#G#T', [fp], Date.now())).toBe(false);
  });
});

describe('failures', () => {
  test('malformed records go to the dead-letter queue without affecting batch-mates', async () => {
    const h = await harness();
    const good1 = thingEvent('A', 'CREATED');
    const bad = { ...thingEvent('B', 'CREATED'), timestamp: 'yesterday' };
    const good2 = membershipEvent('G', 'A', 'ADDED');
    const batch = sqsBatch(good1, bad, 'not json', good2);
    expect(await h.handler(batch)).toEqual({ batchItemFailures: [] });
    expect(await h.get('thing#A')).toBeDefined();
    expect(await h.get('thingGroup#G', 'member#G#A')).toBeDefined();
    expect(h.dlq).toEqual([
      { reason: 'MalformedEvent', error: expect.stringMatching(/timestamp/), body: batch.Records[1].body, messageId: batch.Records[1].messageId },
      { reason: 'MalformedEvent', error: 'body is not JSON', body: 'not json', messageId: batch.Records[2].messageId },
    ]);
    expect(h.totals()).toMatchObject({ MalformedEvents: 2, EventsCaptured: 2 });
  });

  test('a dead-letter send that fails hands the record back to SQS', async () => {
    const h = await harness({
      deadLetters: async () => {
        throw new Error('SQS unavailable');
      },
    });
    const batch = sqsBatch('{}', thingEvent('A', 'CREATED'));
    expect(await h.handler(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: batch.Records[0].messageId }] });
    expect(await h.get('thing#A')).toBeDefined();
  });

  test('a transient DynamoDB failure fails only that record, and its redelivery succeeds', async () => {
    let failing = true;
    const client = tables.newClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (failing && context.commandName === 'PutItemCommand' && JSON.stringify(args.input).includes('thing#Flaky')) {
          throw new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectThrottle' },
    );
    const doc = DynamoDBDocumentClient.from(client);
    const h = await harness({ doc });
    const flaky = thingEvent('Flaky', 'CREATED', { timestamp: 10 });
    const batch = sqsBatch(thingEvent('Steady', 'CREATED'), flaky, membershipEvent('G', 'Steady', 'ADDED'));
    expect(await h.handler(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: batch.Records[1].messageId }] });
    expect(await h.get('thing#Steady')).toBeDefined();
    expect(await h.get('thingGroup#G', 'member#G#Steady')).toBeDefined();
    expect(await h.get('thing#Flaky')).toBeUndefined();
    failing = false;
    expect(await h.handler({ Records: [batch.Records[1]] })).toEqual({ batchItemFailures: [] });
    expect(await h.get('thing#Flaky')).toMatchObject({ eventTime: 10 });
  });

  test('a redelivery after a failed cascade finishes the cascade and clears the ledger', async () => {
    let failDependents = true;
    const h = await harness({
      journal: (real) => ({
        get: real.get.bind(real),
        putIfNewer: real.putIfNewer.bind(real),
        replaceIfNewer: real.replaceIfNewer.bind(real),
        putIfVersion: real.putIfVersion.bind(real),
        tombstoneAll: real.tombstoneAll.bind(real),
        dependents: async (key, o) => {
          if (failDependents) throw Object.assign(new Error('Internal server error'), { name: 'InternalServerError' });
          return real.dependents(key, o);
        },
      }),
    });
    await h.sendEach(membershipEvent('G', 'T', 'ADDED', { timestamp: 10 }));
    await h.ledger.record('thingGroup#G', [hashFingerprint('something-replayed-earlier')]);
    const del = sqsBatch(thingGroupEvent('G', 'DELETED', { timestamp: 20 }));
    expect((await h.handler(del)).batchItemFailures).toHaveLength(1);
    expect(await h.get('thingGroup#G')).toMatchObject({ deleted: true });
    expect(await h.get('thingGroup#G', 'member#G#T')).toMatchObject({ deleted: false });
    failDependents = false;
    await h.ledger.record('thingGroup#G', [hashFingerprint('something-replayed-earlier')]);
    expect((await h.handler(del)).batchItemFailures).toHaveLength(0);
    expect(await h.get('thingGroup#G', 'member#G#T')).toMatchObject({ deleted: true, eventTime: 20 });
    expect(await h.ledger.isEcho('thingGroup#G', [hashFingerprint('something-replayed-earlier')], Date.now())).toBe(false);
  });

  test('many records in one batch are processed with bounded concurrency', async () => {
    const h = await harness();
    const bodies = Array.from({ length: 40 }, (_, i) => thingEvent(`T${i}`, 'CREATED', { timestamp: 10 + i }));
    expect(await h.handler(sqsBatch(...bodies))).toEqual({ batchItemFailures: [] });
    expect(h.totals().EventsCaptured).toBe(40);
  });
});

describe('bad input: dead-lettered at once, with its reason', () => {
  /** The IoT rule error action's message: the original MQTT payload (no `topic`, the rule's SELECT adds it) in base64. */
  const ruleErrorAction = (event: Record<string, unknown>): Record<string, unknown> => {
    const { topic, ...payload } = event;
    return {
      ruleName: 'iot_dr_thing_events',
      topic,
      cloudwatchTraceId: '7e146a2c-95b5-6caf-98b9-50e3969734c7',
      clientId: 'iot-registry',
      base64OriginalPayload: Buffer.from(JSON.stringify(payload)).toString('base64'),
      failures: [{ failedAction: 'SqsAction', failedResource: 'iot-dr-capture', errorMessage: 'Failed to send message to SQS' }],
    };
  };

  test('an item DynamoDB refuses (over 400 KB) is dead-lettered on the first receive with the ValidationException', async () => {
    const h = await harness();
    const big = thingEvent('Big', 'CREATED', { attributes: { blob: 'x'.repeat(410_000) } });
    const batch = sqsBatch(big, thingEvent('Small', 'CREATED'));
    expect(await h.handler(batch)).toEqual({ batchItemFailures: [] });
    expect(h.dlq).toEqual([
      {
        reason: 'JournalWriteRejected',
        error: expect.stringMatching(/^journal item thing#Big refused: ValidationException: Item size has exceeded the maximum allowed size/),
        body: batch.Records[0].body,
        messageId: batch.Records[0].messageId,
      },
    ]);
    expect(await h.get('thing#Big')).toBeUndefined();
    expect(await h.get('thing#Small')).toBeDefined();
    expect(h.totals()).toMatchObject({ MalformedEvents: 1, EventsCaptured: 1 });
  });

  test('an attribute named __proto__ survives parsing and is dead-lettered naming it (DynamoDB cannot hold it)', async () => {
    const h = await harness();
    // JSON.parse makes '__proto__' an own property, exactly as the rule delivers it.
    const body = JSON.stringify(thingEvent('Proto', 'CREATED')).replace('"attributes":{', '"attributes":{"__proto__":"legal in IoT",');
    expect(Object.keys((JSON.parse(body) as { attributes: object }).attributes)).toContain('__proto__');
    expect(await h.handler(sqsBatch(body))).toEqual({ batchItemFailures: [] });
    expect(h.dlq).toEqual([
      expect.objectContaining({ reason: 'JournalWriteRejected', error: expect.stringMatching(/state\.attributes\.__proto__: an attribute named '__proto__' cannot be stored/), body }),
    ]);
    expect(await h.get('thing#Proto')).toBeUndefined();
  });

  test('a merge DynamoDB refuses is dead-lettered too, not retried', async () => {
    const h = await harness();
    h.iot.things.set('Wide', { thingName: 'Wide', attributes: { blob: 'x'.repeat(410_000) } });
    const batch = sqsBatch(thingTypeAssociationEvent('Wide', 'Sensor', 'CREATED'));
    expect(await h.handler(batch)).toEqual({ batchItemFailures: [] });
    expect(h.dlq).toEqual([expect.objectContaining({ reason: 'JournalWriteRejected', error: expect.stringMatching(/ValidationException/) })]);
  });

  test('an event stamped beyond now + the allowed clock skew is malformed (it would lock its entity forever)', async () => {
    const h = await harness();
    const future = thingEvent('Future', 'CREATED', { timestamp: 9e14 });
    const justAhead = thingEvent('Ahead', 'CREATED', { timestamp: NOW + MAX_EVENT_CLOCK_SKEW_MS });
    const batch = sqsBatch(future, justAhead);
    expect(await h.handler(batch)).toEqual({ batchItemFailures: [] });
    expect(h.dlq).toEqual([
      {
        reason: 'MalformedEvent',
        error: `timestamp 900000000000000 (${new Date(9e14).toISOString()}) is later than now + the allowed clock skew of 300 s (${new Date(NOW + 300_000).toISOString()})`,
        body: batch.Records[0].body,
        messageId: batch.Records[0].messageId,
      },
    ]);
    expect(await h.get('thing#Future')).toBeUndefined();
    expect(await h.get('thing#Ahead')).toBeDefined();
    // A later genuine change is journaled: nothing was locked.
    await h.sendEach(thingEvent('Future', 'UPDATED', { timestamp: NOW, attributes: { a: '1' } }));
    expect(await h.get('thing#Future')).toMatchObject({ state: { attributes: { a: '1' } } });
  });

  describe('every shape in the capture dead-letter queue is processable on redrive', () => {
    test('SQS redrive after maxReceiveCount: the rule message as it was', async () => {
      const h = await harness();
      expect(await h.sendEach(thingEvent('Raw', 'CREATED'))).toEqual([]);
      expect(await h.get('thing#Raw')).toBeDefined();
    });

    test('the IoT rule error action: base64OriginalPayload unwrapped, topic taken from the error message', async () => {
      const h = await harness();
      const event = thingEvent('Errored', 'CREATED', { timestamp: 10 });
      expect(await h.sendEach(ruleErrorAction(event))).toEqual([]);
      expect(h.dlq).toEqual([]);
      expect(await h.get('thing#Errored')).toMatchObject({ eventTime: 10, eventId: event.eventId, state: { thingName: 'Errored' } });
      // Membership events name their entities only in the topic.
      expect(await h.sendEach(ruleErrorAction(membershipEvent('G', 'Errored', 'ADDED')))).toEqual([]);
      expect(await h.get('thingGroup#G', 'member#G#Errored')).toMatchObject({ deleted: false });
    });

    test("the capture handler's own dead letter: its body is the rule message; dead-lettered again, it does not nest", async () => {
      const h = await harness();
      const batch = sqsBatch(thingEvent('Late', 'CREATED', { timestamp: 9e14 }));
      await h.handler(batch);
      const [letter] = h.dlq.splice(0);
      expect(letter.body).toBe(batch.Records[0].body);
      // Redriven while still malformed: the same reason, the same body, no letter inside a letter.
      const again = sqsBatch(JSON.stringify(letter));
      expect(await h.handler(again)).toEqual({ batchItemFailures: [] });
      expect(h.dlq).toEqual([{ ...letter, messageId: again.Records[0].messageId }]);
      // A letter whose cause is fixed (here: an event the handler once refused) is captured.
      const fixed = { reason: 'JournalWriteRejected', error: 'was refused', body: JSON.stringify(thingEvent('Fixed', 'CREATED')), messageId: 'm-1' };
      expect(await h.sendEach(fixed)).toEqual([]);
      expect(await h.get('thing#Fixed')).toBeDefined();
    });

    test('a malformed error-action message is dead-lettered with the decoded rule message and its reason', async () => {
      const h = await harness();
      const event = { ...thingEvent('Bad', 'CREATED'), timestamp: 'yesterday' };
      const batch = sqsBatch(ruleErrorAction(event));
      await h.handler(batch);
      expect(h.dlq).toEqual([
        {
          reason: 'MalformedEvent',
          error: expect.stringMatching(/timestamp/),
          body: JSON.stringify(event),
          messageId: batch.Records[0].messageId,
        },
      ]);
      // The stored body is the one shape: redriven once fixed, it is a plain rule message.
      expect(JSON.parse(h.dlq[0].body)).toMatchObject({ topic: '$aws/events/thing/Bad/created' });
    });

    test('an error-action message whose payload is not a JSON object is dead-lettered as it came', async () => {
      const h = await harness();
      const body = { topic: '$aws/events/thing/X/created', base64OriginalPayload: Buffer.from('not json').toString('base64'), failures: [] };
      const batch = sqsBatch(body);
      await h.handler(batch);
      expect(h.dlq).toEqual([
        { reason: 'MalformedEvent', error: 'base64OriginalPayload is not a base64-encoded JSON object', body: batch.Records[0].body, messageId: batch.Records[0].messageId },
      ]);
    });
  });
});

describe('an empty batch', () => {
  test('still emits one metrics line', async () => {
    const h = await harness();
    const empty: SQSEvent = { Records: [] };
    expect(await h.handler(empty)).toEqual({ batchItemFailures: [] });
    expect(h.emitted).toHaveLength(1);
  });
});
