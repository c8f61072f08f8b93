import { EchoLedger, hashFingerprint, versionFingerprint } from '../../../lambda/shared/echo-ledger';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';

let tables: JournalTables;
let clock = 1_000_000;
let ledger: EchoLedger;
let tableCount = 0;

beforeAll(async () => {
  tables = await startJournalTables();
});
afterAll(() => tables.close());
beforeEach(async () => {
  const names = await tables.createTables(`ledger-${++tableCount}`);
  ledger = new EchoLedger(tables.doc, names.ledgerTable, { now: () => clock, ttlSeconds: 60, clockSkewMs: 100 });
});

const H1 = hashFingerprint('one');
const H2 = hashFingerprint('two');

describe('echo ledger', () => {
  test('a version fingerprint matches whatever the event time', async () => {
    await ledger.record('thing#T', [versionFingerprint(3)]);
    expect(await ledger.isEcho('thing#T', [versionFingerprint(3)], 0)).toBe(true);
    expect(await ledger.isEcho('thing#T', [versionFingerprint(4)], clock)).toBe(false);
  });

  test('fingerprints accumulate: the echo of an earlier application still matches after a later one', async () => {
    await ledger.record('thing#T', [H1, versionFingerprint(1)]);
    clock += 1000;
    await ledger.record('thing#T', [H2, versionFingerprint(2)]);
    expect(await ledger.isEcho('thing#T', [versionFingerprint(1)], clock)).toBe(true);
    expect(await ledger.isEcho('thing#T', [H1], clock - 500)).toBe(true);
  });

  test('a hash only matches events from its own window: a user going back to an earlier state is genuine', async () => {
    await ledger.record('member#G#T', [H1]);
    clock += 1000;
    await ledger.record('member#G#T', [H2]);
    clock += 1000;
    expect(await ledger.isEcho('member#G#T', [H1], clock)).toBe(false);
    expect(await ledger.isEcho('member#G#T', [H2], clock)).toBe(true);
  });

  test('an event stamped before the record (beyond the clock skew) is not an echo', async () => {
    await ledger.record('thingType#X', [H1]);
    expect(await ledger.isEcho('thingType#X', [H1], clock - 50)).toBe(true);
    expect(await ledger.isEcho('thingType#X', [H1], clock - 5000)).toBe(false);
  });

  test('re-recording the latest application keeps its time, so a retry still covers the first echo', async () => {
    await ledger.record('thingType#X', [H1]);
    const first = clock;
    clock += 30_000;
    await ledger.record('thingType#X', [H1]);
    expect(await ledger.isEcho('thingType#X', [H1], first + 10)).toBe(true);
  });

  test('entries expire after the TTL even before DynamoDB removes them', async () => {
    await ledger.record('thing#T', [versionFingerprint(1)]);
    clock += 61_000;
    expect(await ledger.isEcho('thing#T', [versionFingerprint(1)], clock)).toBe(false);
  });

  test('clear forgets everything; forget only the given fingerprints', async () => {
    await ledger.record('thing#T', [H1, versionFingerprint(1)]);
    await ledger.forget('thing#T', [versionFingerprint(1)]);
    expect(await ledger.isEcho('thing#T', [versionFingerprint(1)], clock)).toBe(false);
    expect(await ledger.isEcho('thing#T', [H1], clock)).toBe(true);
    await ledger.clear('thing#T');
    expect(await ledger.isEcho('thing#T', [H1], clock)).toBe(false);
    await expect(ledger.forget('thing#absent', [H1])).resolves.toBeUndefined();
  });
});
