import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHeartbeatWriter, heartbeatItem } from '../../../lambda/heartbeat/heartbeat-writer';
import { createHeartbeatReplay } from '../../../lambda/replay/heartbeat';
import { heartbeatKey, heartbeatRegionOf, parseKey } from '../../../lambda/shared/keys';
import { compareVersions, parseVersion } from '../../../lambda/shared/version';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';

const REGION = 'us-west-2';
const PEER = 'us-east-1';
let tables: JournalTables;

beforeAll(async () => {
  tables = await startJournalTables();
});
afterAll(async () => {
  await tables.close();
});

async function stored(region: string) {
  const key = heartbeatKey(region);
  return (await tables.doc.send(new GetCommand({ TableName: tables.journalTable, Key: { pk: key, sk: key }, ConsistentRead: true }))).Item;
}

describe('heartbeat writer', () => {
  it('overwrites one item per region, heartbeat#<region>, with its origin and the time of writing', async () => {
    let now = 1_700_000_000_000;
    const write = createHeartbeatWriter({ doc: tables.doc, journalTableName: tables.journalTable, region: REGION, now: () => now });
    await expect(write()).resolves.toEqual({ key: `heartbeat#${REGION}`, eventTime: now, outcome: 'written' });
    now += 60_000;
    await write();
    const item = await stored(REGION);
    expect(item).toEqual(heartbeatItem(REGION, now));
    expect(item).toMatchObject({ pk: 'heartbeat#us-west-2', sk: 'heartbeat#us-west-2', kind: 'heartbeat', originRegion: REGION, eventTime: now, deleted: false });
    expect(parseVersion(item!.version)).toMatchObject({ eventTime: now, originRegion: REGION, localVersion: 0 });
  });

  it('never moves the heartbeat back in time (a late invocation is superseded)', async () => {
    const at = (t: number) => createHeartbeatWriter({ doc: tables.doc, journalTableName: tables.journalTable, region: 'eu-west-1', now: () => t });
    await at(2_000_000_000_000)();
    await expect(at(1_999_999_999_000)()).resolves.toMatchObject({ outcome: 'superseded' });
    expect((await stored('eu-west-1'))!.eventTime).toBe(2_000_000_000_000);
  });

  it('orders its versions like the journal: by time first', () => {
    expect(compareVersions(heartbeatItem(REGION, 1000).version, heartbeatItem(REGION, 2000).version)).toBeLessThan(0);
  });
});

describe('heartbeat keys', () => {
  it('are no entity kind: parseKey refuses them, heartbeatRegionOf reads them', () => {
    expect(() => parseKey(heartbeatKey(REGION))).toThrow(/Unknown journal key kind/);
    expect(heartbeatRegionOf('heartbeat#us-west-2')).toBe(REGION);
    expect(heartbeatRegionOf('heartbeat#')).toBeUndefined();
    expect(heartbeatRegionOf('thing#heartbeat#x')).toBeUndefined();
  });
});

describe('heartbeat replay', () => {
  const lines: string[] = [];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    lines.length = 0;
    process.env.IOT_DR_SILENT_METRICS = 'false';
    spy = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  });
  afterEach(() => {
    spy.mockRestore();
    delete process.env.IOT_DR_SILENT_METRICS;
  });
  const replay = createHeartbeatReplay({ region: PEER, now: () => 1_700_000_002_500, metricsNamespace: 'IotDr' });

  it("emits the replication lag (now − the peer's write time) and a received count, touching nothing else", async () => {
    const result = await replay({ key: `heartbeat#${REGION}`, partition: `heartbeat#${REGION}`, version: 'v', eventTime: 1_700_000_000_000 });
    expect(result).toEqual({ key: `heartbeat#${REGION}`, action: 'heartbeat', lagMs: 2500 });
    const emf = lines.map((l) => JSON.parse(l)).find((d) => d._aws);
    expect(emf).toMatchObject({ ReplicationLag: 2500, HeartbeatsReceived: 1, Kind: 'heartbeat' });
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'IotDr', Dimensions: [['Kind', 'Action'], []] });
  });

  it('measures nothing for its own region and refuses what is not a heartbeat as MalformedInput', async () => {
    await expect(replay({ key: `heartbeat#${PEER}`, partition: `heartbeat#${PEER}`, version: 'v', eventTime: 1 })).resolves.toMatchObject({ action: 'skipped-own-origin' });
    expect(lines.filter((l) => l.includes('_aws'))).toEqual([]);
    await expect(replay({ key: 'thing#a', partition: 'thing#a', version: 'v', eventTime: 1 })).rejects.toMatchObject({ name: 'MalformedInput' });
    await expect(replay({ key: `heartbeat#${REGION}`, partition: `heartbeat#${REGION}`, version: 'v', eventTime: 'x' as never })).rejects.toMatchObject({ name: 'MalformedInput' });
  });
});
