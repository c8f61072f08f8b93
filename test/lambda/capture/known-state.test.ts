/**
 * Capture records the local state the journal has now ordered — journaled, superseded by a newer change,
 * or recognised as replay's own echo — as this region's known state (replay's optimistic concurrency check).
 */
import { createCaptureHandler } from '../../../lambda/capture/capture-handler';
import { EchoLedgerStore, versionFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { thingState } from '../../../lambda/shared/entity-state';
import { stateHash, TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { JournalStore } from '../../../lambda/shared/journal-store';
import { thingKeys } from '../../../lambda/shared/keys';
import type { RegistryReader } from '../../../lambda/shared/registry-adapter';
import { makeVersion } from '../../../lambda/shared/version';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { membershipEvent, sqsBatch, thingEvent } from './registry-event-builders';

const REGION = 'us-east-1';
const NOW = 1_700_000_000_000;
const T0 = 1_600_000_000_000;

let tables: JournalTables;
let seq = 0;

beforeAll(async () => {
  tables = await startJournalTables();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(async () => {
  jest.restoreAllMocks();
  await tables.close();
});

const noRegistry: RegistryReader = {
  describeThing: async () => undefined,
  describeThingGroup: async () => undefined,
  describeThingType: async () => undefined,
  describeMembership: async () => undefined,
};

async function harness() {
  const names = await tables.createTables(`known${++seq}`);
  const journal = new JournalStore(tables.doc, names.journalTable);
  const ledger = new EchoLedgerStore(tables.doc, names.ledgerTable, { now: () => T0, unconfirmedWindowMs: Number.MAX_SAFE_INTEGER / 2 });
  const handler = createCaptureHandler({ journal, ledger, deadLetters: { send: async () => undefined }, iot: noRegistry, region: REGION, now: () => NOW, emit: () => undefined });
  return { journal, ledger, send: (body: Record<string, unknown>) => handler(sqsBatch(body)) };
}

const attrs = { a: '1' };
const hashOf = (attributes: Record<string, string>) => stateHash(thingState({ thingName: 'T', attributes }));

describe('capture records the known local state', () => {
  test('of a change it journals, with the event\'s version number and time', async () => {
    const h = await harness();
    await h.send(thingEvent('T', 'UPDATED', { versionNumber: 3, timestamp: T0 + 10, attributes: attrs }));
    expect(await h.ledger.knownState('thing#T')).toEqual({ localVersion: 3, stateHash: hashOf(attrs), at: T0 + 10 });
  });

  test('of a change the journal ordered before a newer one from the other region (superseded)', async () => {
    const h = await harness();
    const keys = thingKeys('T');
    const newer = thingState({ thingName: 'T', attributes: { a: 'remote' } });
    await h.journal.putIfNewer({
      ...keys,
      kind: 'thing',
      version: makeVersion({ eventTime: T0 + 100, originRegion: 'eu-west-1', localVersion: 9, eventId: 'e-remote' }),
      eventTime: T0 + 100,
      eventId: 'e-remote',
      originRegion: 'eu-west-1',
      deleted: false,
      state: newer,
      stateHash: stateHash(newer),
      capturedAt: T0 + 100,
    });
    await h.send(thingEvent('T', 'UPDATED', { versionNumber: 5, timestamp: T0 + 10, attributes: attrs }));
    expect((await h.journal.get('thing#T', 'thing#T'))?.originRegion).toBe('eu-west-1');
    expect(await h.ledger.knownState('thing#T')).toMatchObject({ localVersion: 5 });
  });

  test('of replay\'s own echo', async () => {
    const h = await harness();
    await h.ledger.record('thing#T', [versionFingerprint(4)]);
    await h.send(thingEvent('T', 'UPDATED', { versionNumber: 4, timestamp: T0 + 10, attributes: attrs }));
    expect(await h.journal.get('thing#T', 'thing#T')).toBeUndefined();
    expect(await h.ledger.knownState('thing#T')).toMatchObject({ localVersion: 4, stateHash: hashOf(attrs) });
  });

  test('of a delete, as a tombstone; a late event of the deleted thing does not replace it', async () => {
    const h = await harness();
    await h.send(thingEvent('T', 'DELETED', { versionNumber: 6, timestamp: T0 + 20 }));
    await h.send(thingEvent('T', 'UPDATED', { versionNumber: 5, timestamp: T0 + 10 }));
    expect(await h.ledger.knownState('thing#T')).toEqual({ stateHash: TOMBSTONE_HASH, at: T0 + 20 });
  });

  test('not of memberships, which replay does not check', async () => {
    const h = await harness();
    await h.send(membershipEvent('G', 'T', 'ADDED', { timestamp: T0 }));
    expect(await h.ledger.knownState('member#G#T')).toBeUndefined();
  });
});
