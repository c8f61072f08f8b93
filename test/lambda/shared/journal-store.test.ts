import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { MalformedInput } from '../../../lambda/shared/errors';
import { JournalItemRejected, JournalStore, tombstoneItem, type TombstoneFields } from '../../../lambda/shared/journal-store';
import { memberKeys, thingGroupKeys, thingKeys, type ItemKeys } from '../../../lambda/shared/keys';
import type { EntityKind, JournalItem } from '../../../lambda/shared/model';
import { makeVersion } from '../../../lambda/shared/version';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';

let tables: JournalTables;
let store: JournalStore;
let n = 0;

beforeAll(async () => {
  tables = await startJournalTables();
  store = new JournalStore(tables.doc, tables.journalTable);
});
afterAll(async () => {
  await tables.close();
});

/** A unique name per test so tests share one table without interfering. */
const uniq = (base: string): string => `${base}${++n}`;

function item(keys: ItemKeys, kind: EntityKind, v: { t: number; region?: string; local?: number; id?: string }, state?: Record<string, unknown>): JournalItem {
  const version = makeVersion({ eventTime: v.t, originRegion: v.region ?? 'us-east-1', localVersion: v.local, eventId: v.id ?? `e${v.t}` });
  return {
    ...keys,
    kind,
    version,
    eventTime: v.t,
    eventId: v.id ?? `e${v.t}`,
    originRegion: v.region ?? 'us-east-1',
    deleted: state === undefined,
    ...(state ? { state: state as never, stateHash: `h${v.t}` } : { stateHash: TOMBSTONE_HASH, expiresAt: 99 }),
    capturedAt: 1,
  };
}
const thing = (name: string, v: Parameters<typeof item>[2], attrs: Record<string, string> | null = {}) =>
  item(thingKeys(name), 'thing', v, attrs === null ? undefined : { thingName: name, attributes: attrs });

describe('putIfNewer', () => {
  test('first write and newer writes win', async () => {
    const name = uniq('t');
    expect(await store.putIfNewer(thing(name, { t: 100 }, { a: '1' }))).toBe('written');
    expect(await store.putIfNewer(thing(name, { t: 200 }, { a: '2' }))).toBe('written');
    expect((await store.get(`thing#${name}`, `thing#${name}`))?.state).toEqual({ thingName: name, attributes: { a: '2' } });
  });

  test('a duplicate or an older write is superseded and changes nothing', async () => {
    const name = uniq('t');
    const v2 = thing(name, { t: 200 }, { a: '2' });
    await store.putIfNewer(v2);
    expect(await store.putIfNewer(v2)).toBe('superseded');
    expect(await store.putIfNewer(thing(name, { t: 100 }, { a: '1' }))).toBe('superseded');
    expect(await store.get(v2.pk, v2.sk)).toEqual(v2);
  });

  test('a tombstone is not resurrected by an older write, but a newer one recreates', async () => {
    const name = uniq('t');
    await store.putIfNewer(thing(name, { t: 100 }, { a: '1' }));
    expect(await store.putIfNewer(thing(name, { t: 300 }, null))).toBe('written');
    expect(await store.putIfNewer(thing(name, { t: 200 }, { a: '2' }))).toBe('superseded');
    expect((await store.get(`thing#${name}`, `thing#${name}`))?.deleted).toBe(true);
    expect(await store.putIfNewer(thing(name, { t: 400 }, { a: '4' }))).toBe('written');
    expect((await store.get(`thing#${name}`, `thing#${name}`))?.deleted).toBe(false);
  });

  test('same millisecond: origin region orders first, then IoT version, then event id', async () => {
    const name = uniq('t');
    const east = thing(name, { t: 500, region: 'us-east-1', local: 9, id: 'zzz' }, { r: 'east' });
    const west = thing(name, { t: 500, region: 'us-west-2', local: 1, id: 'aaa' }, { r: 'west' });
    expect(await store.putIfNewer(west)).toBe('written');
    expect(await store.putIfNewer(east)).toBe('superseded');
    const westB = thing(name, { t: 500, region: 'us-west-2', local: 1, id: 'aab' }, { r: 'westB' });
    expect(await store.putIfNewer(westB)).toBe('written');
    expect(await store.putIfNewer(thing(name, { t: 500, region: 'us-west-2', local: 1, id: 'aaa' }, { r: 'late' }))).toBe('superseded');
    expect(await store.putIfNewer(thing(name, { t: 500, region: 'us-west-2', local: 2, id: 'a' }, { r: 'local2' }))).toBe('written');
    expect((await store.get(`thing#${name}`, `thing#${name}`))?.state).toEqual({ thingName: name, attributes: { r: 'local2' } });
  });
});

describe('putIfVersion', () => {
  test('writes only over the version it read (or over nothing)', async () => {
    const name = uniq('t');
    const v1 = thing(name, { t: 100 });
    expect(await store.putIfVersion(v1, undefined)).toBe(true);
    expect(await store.putIfVersion(thing(name, { t: 150 }), undefined)).toBe(false);
    expect(await store.putIfVersion(thing(name, { t: 200 }), 'not-the-version')).toBe(false);
    expect(await store.putIfVersion(thing(name, { t: 200 }, { ok: 'yes' }), v1.version)).toBe(true);
    expect((await store.get(v1.pk, v1.sk))?.state).toEqual({ thingName: name, attributes: { ok: 'yes' } });
  });
});

describe('dependents', () => {
  test('own partition (minus itself) and items referring to it', async () => {
    const g = uniq('G');
    const t = uniq('T');
    await store.putIfNewer(item(thingGroupKeys(g), 'thingGroup', { t: 1 }, { thingGroupName: g, attributes: {} }));
    await store.putIfNewer(item(memberKeys(g, t), 'member', { t: 2 }, { thingGroupName: g, thingName: t }));
    await store.putIfNewer(item(memberKeys(g, `${t}x`), 'member', { t: 3 }));
    const other = uniq('G');
    await store.putIfNewer(item(memberKeys(other, t), 'member', { t: 4 }, { thingGroupName: other, thingName: t }));
    await store.putIfNewer(item({ pk: `thing#${t}`, sk: `shadow#${t}#cfg` }, 'shadow', { t: 5 }, { x: 1 }));
    await store.putIfNewer(thing(t, { t: 1 }));

    const ofGroup = await store.dependents(`thingGroup#${g}`);
    expect(ofGroup.map((d) => d.sk).sort()).toEqual([`member#${g}#${t}`, `member#${g}#${t}x`]);
    expect(ofGroup.find((d) => d.sk === `member#${g}#${t}x`)?.deleted).toBe(true);

    const ofThing = await store.dependents(`thing#${t}`);
    expect(ofThing.map((d) => d.sk).sort()).toEqual([`member#${g}#${t}`, `member#${other}#${t}`, `shadow#${t}#cfg`]);
  });

  test('paginates both queries', async () => {
    const g = uniq('G');
    const t = uniq('T');
    for (let i = 0; i < 7; i++) {
      await store.putIfNewer(item(memberKeys(g, `${t}m${i}`), 'member', { t: 10 + i }, { thingGroupName: g, thingName: `${t}m${i}` }));
      await store.putIfNewer(item(memberKeys(`${g}o${i}`, t), 'member', { t: 10 + i }, { thingGroupName: `${g}o${i}`, thingName: t }));
    }
    expect(await store.dependents(`thingGroup#${g}`, { pageSize: 2 })).toHaveLength(7);
    expect(await store.dependents(`thing#${t}`, { pageSize: 2 })).toHaveLength(7);
  });
});

describe('tombstoneAll', () => {
  test('tombstones with the shared version and never overwrites a newer item', async () => {
    const g = uniq('G');
    const old = item(memberKeys(g, 'a'), 'member', { t: 10 }, { thingGroupName: g, thingName: 'a' });
    const newer = item(memberKeys(g, 'b'), 'member', { t: 30 }, { thingGroupName: g, thingName: 'b' });
    await store.putIfNewer(old);
    await store.putIfNewer(newer);
    const fields: TombstoneFields = {
      version: makeVersion({ eventTime: 20, originRegion: 'us-east-1', eventId: 'del' }),
      eventTime: 20,
      eventId: 'del',
      originRegion: 'us-east-1',
      capturedAt: 1234,
      expiresAt: 5678,
    };
    const results = await store.tombstoneAll([old, newer], fields, 1);
    expect(results.map((r) => r.outcome)).toEqual(['written', 'superseded']);
    expect(await store.get(old.pk, old.sk)).toEqual({
      pk: `thingGroup#${g}`,
      sk: `member#${g}#a`,
      ref: 'thing#a',
      kind: 'member',
      version: fields.version,
      eventTime: 20,
      eventId: 'del',
      originRegion: 'us-east-1',
      deleted: true,
      stateHash: TOMBSTONE_HASH,
      capturedAt: 1234,
      expiresAt: 5678,
    });
    expect(await store.get(newer.pk, newer.sk)).toEqual(newer);
    expect(await store.tombstoneAll([], fields)).toEqual([]);
  });

  test('tombstoneItem omits ref when the target has none', () => {
    const t = tombstoneItem({ pk: 'thing#x', sk: 'thing#x', kind: 'thing' }, {
      version: 'v',
      eventTime: 1,
      eventId: 'e',
      originRegion: 'r',
      capturedAt: 2,
      expiresAt: 3,
    });
    expect(t).not.toHaveProperty('ref');
    expect(t).not.toHaveProperty('state');
  });
});

describe('items DynamoDB can never take', () => {
  const rejection = async (write: Promise<unknown>): Promise<JournalItemRejected> => {
    const err = await write.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JournalItemRejected);
    // Step Functions and capture match on the name: never retried, dead-lettered with its message.
    expect(err).toBeInstanceOf(MalformedInput);
    expect((err as Error).name).toBe('MalformedInput');
    return err as JournalItemRejected;
  };

  test('an item over 400 KB is refused as malformed input, with DynamoDB\'s error name and message', async () => {
    const big = thing(uniq('t'), { t: 1 }, { blob: 'x'.repeat(410_000) });
    const err = await rejection(store.putIfNewer(big));
    expect(err.message).toMatch(/^journal item thing#t\d+ refused: ValidationException: Item size has exceeded the maximum allowed size/);
    expect(err.errorName).toBe('ValidationException');
    await rejection(store.putIfVersion(big, undefined));
    await rejection(store.replaceIfNewer(big));
    expect(await store.get(big.pk, big.sk)).toBeUndefined();
  });

  test('an attribute named __proto__ is refused before the write, saying why', async () => {
    const attrs = JSON.parse('{"__proto__":"legal in IoT","a":"1"}') as Record<string, string>;
    expect(Object.keys(attrs)).toEqual(['__proto__', 'a']);
    const x = thing(uniq('t'), { t: 1 }, attrs);
    const err = await rejection(store.putIfNewer(x));
    expect(err.message).toMatch(/state\.attributes\.__proto__.*cannot be stored/);
    expect(await store.get(x.pk, x.sk)).toBeUndefined();
  });

  test('other failures keep their own type (retried by the caller)', async () => {
    const broken = new JournalStore(tables.doc, 'no-such-table');
    const err = await broken.putIfNewer(thing(uniq('t'), { t: 1 })).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(MalformedInput);
    expect((err as Error).name).toBe('ResourceNotFoundException');
  });
});

describe('journal-tables fixture', () => {
  test('hosts several regions on one server', async () => {
    const eu = await tables.createTables('eu-west-1');
    expect(eu).toEqual({ journalTable: 'iot-dr-journal-eu-west-1', ledgerTable: 'iot-dr-echo-ledger-eu-west-1' });
    const euStore = new JournalStore(tables.doc, eu.journalTable);
    const x = thing(uniq('t'), { t: 1 });
    await euStore.putIfNewer(x);
    expect(await store.get(x.pk, x.sk)).toBeUndefined();
    expect(await euStore.get(x.pk, x.sk)).toEqual(x);
    const ledger = await tables.doc.send(new GetCommand({ TableName: eu.ledgerTable, Key: { key: 'nothing' } }));
    expect(ledger.Item).toBeUndefined();
  });
});
