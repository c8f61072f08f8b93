import { EchoLedgerStore, hashFingerprint, versionFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';

let tables: JournalTables;
let clock = 1_000_000;
let ledger: EchoLedgerStore;
let tableCount = 0;

beforeAll(async () => {
  tables = await startJournalTables();
});
afterAll(() => tables.close());
beforeEach(async () => {
  const names = await tables.createTables(`ledger-${++tableCount}`);
  ledger = new EchoLedgerStore(tables.doc, names.ledgerTable, { now: () => clock, ttlSeconds: 600, clockSkewMs: 100, unconfirmedWindowMs: 60_000 });
});

const H1 = hashFingerprint('one');
const H2 = hashFingerprint('two');

describe('echo ledger', () => {
  test('a version fingerprint matches only within its write window: a re-created entity restarts at 1', async () => {
    await ledger.record('thing#T', [versionFingerprint(1)]);
    await ledger.confirm('thing#T', [versionFingerprint(1)]);
    expect(await ledger.isEcho('thing#T', [versionFingerprint(1)], clock)).toBe(true);
    expect(await ledger.isEcho('thing#T', [versionFingerprint(2)], clock)).toBe(false);
    clock += 10_000;
    expect(await ledger.isEcho('thing#T', [versionFingerprint(1)], clock)).toBe(false);
  });

  test('fingerprints accumulate: the echo of an earlier application still matches after a later one', async () => {
    await ledger.record('thing#T', [H1, versionFingerprint(1)]);
    await ledger.confirm('thing#T', [H1, versionFingerprint(1)]);
    const firstWrite = clock;
    clock += 1000;
    await ledger.record('thing#T', [H2, versionFingerprint(2)]);
    expect(await ledger.isEcho('thing#T', [versionFingerprint(1)], firstWrite)).toBe(true);
    expect(await ledger.isEcho('thing#T', [H1], firstWrite)).toBe(true);
  });

  test('a hash only matches events stamped while replay wrote: a user going back to that state later is genuine', async () => {
    await ledger.record('member#G#T', [H1]);
    clock += 30;
    await ledger.confirm('member#G#T', [H1]);
    expect(await ledger.isEcho('member#G#T', [H1], clock - 10)).toBe(true);
    expect(await ledger.isEcho('member#G#T', [H1], clock + 100)).toBe(true);
    clock += 1000;
    expect(await ledger.isEcho('member#G#T', [H1], clock)).toBe(false);
  });

  test('an unconfirmed hash (the function stopped after writing) matches for the unconfirmed window', async () => {
    await ledger.record('thingType#X', [H1]);
    expect(await ledger.isEcho('thingType#X', [H1], clock + 5_000)).toBe(true);
    expect(await ledger.isEcho('thingType#X', [H1], clock + 120_000)).toBe(false);
  });

  test('a retried plan keeps the window of its first attempt, whose echo may still be in flight', async () => {
    await ledger.record('thingType#X', [H1]);
    await ledger.confirm('thingType#X', [H1]);
    const first = clock;
    clock += 300_000;
    await ledger.record('thingType#X', [H1]);
    await ledger.confirm('thingType#X', [H1]);
    expect(await ledger.isEcho('thingType#X', [H1], first)).toBe(true);
    expect(await ledger.isEcho('thingType#X', [H1], first + 100_000)).toBe(false);
    expect(await ledger.isEcho('thingType#X', [H1], clock)).toBe(true);
  });

  test('an event stamped before the record (beyond the clock skew) is not an echo', async () => {
    await ledger.record('thingType#X', [H1]);
    expect(await ledger.isEcho('thingType#X', [H1], clock - 50)).toBe(true);
    expect(await ledger.isEcho('thingType#X', [H1], clock - 5000)).toBe(false);
  });

  test('clear keeps applications recorded after the local change: their echoes are still on the way', async () => {
    await ledger.record('thing#T', [H1]);
    const localChange = clock - 5_000;
    await ledger.clear('thing#T', localChange);
    expect(await ledger.isEcho('thing#T', [H1], clock)).toBe(true);
    await ledger.clear('thing#T', clock);
    expect(await ledger.isEcho('thing#T', [H1], clock)).toBe(false);
  });

  test('entries expire after the TTL even before DynamoDB removes them', async () => {
    await ledger.record('thing#T', [versionFingerprint(1)]);
    clock += 601_000;
    expect(await ledger.isEcho('thing#T', [versionFingerprint(1)], clock)).toBe(false);
  });

  test('clear forgets everything; forget only the given fingerprints', async () => {
    await ledger.record('thing#T', [H1, versionFingerprint(1)]);
    await ledger.forget('thing#T', [versionFingerprint(1)]);
    expect(await ledger.isEcho('thing#T', [versionFingerprint(1)], clock)).toBe(false);
    expect(await ledger.isEcho('thing#T', [H1], clock)).toBe(true);
    await ledger.clear('thing#T', clock);
    expect(await ledger.isEcho('thing#T', [H1], clock)).toBe(false);
    await expect(ledger.forget('thing#absent', [H1])).resolves.toBeUndefined();
  });
});

describe('known local state', () => {
  test('is its own item, apart from the fingerprints, without their TTL; a tombstone expires with the journal tombstone', async () => {
    await ledger.record('thing#T', [versionFingerprint(1)]);
    expect(await ledger.recordKnownState('thing#T', { localVersion: 1, stateHash: 'a', at: clock })).toBe(true);
    await ledger.clear('thing#T', clock + 10_000);
    expect(await ledger.knownState('thing#T')).toEqual({ localVersion: 1, stateHash: 'a', at: clock });
    clock += 10_000_000;
    expect(await ledger.knownState('thing#T')).toEqual({ localVersion: 1, stateHash: 'a', at: clock - 10_000_000 });

    const expiresAt = Math.floor(clock / 1000) + 60;
    expect(await ledger.recordKnownState('thing#T', { stateHash: TOMBSTONE_HASH, at: clock }, expiresAt)).toBe(true);
    expect(await ledger.knownState('thing#T')).toEqual({ stateHash: TOMBSTONE_HASH, at: clock });
    clock += 61_000;
    expect(await ledger.knownState('thing#T')).toBeUndefined();
  });

  test('a higher version of the same incarnation wins whatever the clocks say; a lower one never replaces it', async () => {
    await ledger.recordKnownState('thing#T', { localVersion: 3, stateHash: 'c', at: clock });
    expect(await ledger.recordKnownState('thing#T', { localVersion: 2, stateHash: 'b', at: clock + 5 })).toBe(false);
    expect(await ledger.recordKnownState('thing#T', { localVersion: 4, stateHash: 'd', at: clock - 5 })).toBe(true);
    expect(await ledger.knownState('thing#T')).toMatchObject({ localVersion: 4 });
  });

  test('tombstones, re-creations (version 1) and kinds without versions are ordered by time', async () => {
    await ledger.recordKnownState('thing#T', { localVersion: 4, stateHash: 'd', at: clock });
    expect(await ledger.recordKnownState('thing#T', { stateHash: TOMBSTONE_HASH, at: clock - 1 })).toBe(false);
    expect(await ledger.recordKnownState('thing#T', { stateHash: TOMBSTONE_HASH, at: clock + 1 })).toBe(true);
    // A late event of the deleted incarnation does not bring it back.
    expect(await ledger.recordKnownState('thing#T', { localVersion: 3, stateHash: 'c', at: clock - 10 })).toBe(false);
    expect(await ledger.recordKnownState('thing#T', { localVersion: 1, stateHash: 'new', at: clock + 2 })).toBe(true);
    expect(await ledger.knownState('thing#T')).toEqual({ localVersion: 1, stateHash: 'new', at: clock + 2 });

    await ledger.recordKnownState('thingType#P', { stateHash: 'live', at: clock });
    expect(await ledger.recordKnownState('thingType#P', { stateHash: 'older', at: clock - 1 })).toBe(false);
    expect(await ledger.recordKnownState('thingType#P', { stateHash: 'deprecated', at: clock + 1 })).toBe(true);
  });
});
