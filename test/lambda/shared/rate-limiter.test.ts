import { CreateThingCommand, DescribeThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_IOT_QUOTAS, ECHO_ATTR, HANDLER_ENV, RATE_LIMIT_ENV } from '../../../lambda/contract';
import { replayDepsFromEnv } from '../../../lambda/replay/config';
import { isThrottle } from '../../../lambda/shared/errors';
import {
  LedgerWindowCounter,
  RateLimiter,
  rateLimitClient,
  rateWindowKey,
  readRateLimitConfig,
  type WindowCounter,
} from '../../../lambda/shared/rate-limiter';
import { DEFAULT_TPS_QUOTAS, type IotEmulator, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A clock the test moves, and a sleep that moves it. */
function fakeTime(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Counts slots in memory and records every attempt (api, window). */
class RecordingCounter implements WindowCounter {
  readonly taken: Array<{ api: string; window: number }> = [];
  readonly used = new Map<string, number>();
  async tryTake(api: string, window: number, limit: number): Promise<boolean> {
    const key = `${api}#${window}`;
    const used = this.used.get(key) ?? 0;
    if (used >= limit) return false;
    this.used.set(key, used + 1);
    this.taken.push({ api, window });
    return true;
  }
}

describe('LedgerWindowCounter (dynalite)', () => {
  let tables: JournalTables;
  beforeAll(async () => {
    tables = await startJournalTables();
  });
  afterAll(async () => {
    await tables.close();
  });

  const windowItems = async (api: string): Promise<Record<string, unknown>[]> => {
    const res = await tables.doc.send(new ScanCommand({ TableName: tables.ledgerTable, ConsistentRead: true }));
    return (res.Items ?? []).filter((i) => String(i[ECHO_ATTR.partitionKey]).startsWith(`rate#${api}#`));
  };

  test('a window fills up to its limit, the next one starts empty; items expire a minute later', async () => {
    const counter = new LedgerWindowCounter(tables.doc, tables.ledgerTable);
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) results.push(await counter.tryTake('Fill', 100, 3, 5_000));
    expect(results).toEqual([true, true, true, false]);
    expect(await counter.tryTake('Fill', 101, 3, 5_001)).toBe(true);
    const items = await windowItems('Fill');
    expect(items.map((i) => [i[ECHO_ATTR.partitionKey], i.used, i[ECHO_ATTR.ttl]]).sort()).toEqual([
      [rateWindowKey('Fill', 100), 3, 5_000],
      [rateWindowKey('Fill', 101), 1, 5_001],
    ]);
  });

  test('many concurrent takers of one API never exceed any window’s limit, and all get through', async () => {
    const limiter = new RateLimiter(new LedgerWindowCounter(tables.doc, tables.ledgerTable), { quotas: { Crowd: 40 } });
    await Promise.all(Array.from({ length: 40 }, () => limiter.take('Crowd')));
    const items = await windowItems('Crowd');
    const total = items.reduce((n, i) => n + Number(i.used), 0);
    expect(total).toBe(40);
    for (const item of items) {
      const window = Number(String(item[ECHO_ATTR.partitionKey]).split('#')[2]);
      // No throttle here, so the factor stayed 1 and each window's limit is its share of 36/s.
      expect(Number(item.used)).toBeLessThanOrEqual(limiter.limitOf('Crowd', window)!);
    }
    // 40 calls at 36/s (9 per quarter second): at least five windows.
    expect(items.length).toBeGreaterThanOrEqual(5);
  }, 30_000);
});

describe('RateLimiter', () => {
  test('a window’s share of the rate, fractions carried: 9 per second is 2, 2, 2, 3', () => {
    const limiter = new RateLimiter(new RecordingCounter(), { quotas: { ListThings: 10 } });
    const slots = [0, 1, 2, 3].map((w) => limiter.limitOf('ListThings', 4000 + w) ?? 0);
    expect(slots.reduce((a, b) => a + b, 0)).toBe(9);
    expect(Math.max(...slots)).toBe(3);
    expect(limiter.limitOf('NotPaced', 1)).toBeUndefined();
  });

  test('takes a slot per call, waits for the next window when the window is full, never busy-loops', async () => {
    const time = fakeTime(0);
    const counter = new RecordingCounter();
    const sleeps: number[] = [];
    const limiter = new RateLimiter(counter, {
      quotas: { AttachPolicy: 15 },
      now: time.now,
      sleep: async (ms) => {
        sleeps.push(ms);
        await time.sleep(ms);
      },
      random: () => 0.5,
    });
    for (let i = 0; i < 27; i++) await limiter.take('AttachPolicy');
    // 13.5 per second: 27 calls take two seconds of windows, none with more than its share.
    const perWindow = new Map<number, number>();
    for (const t of counter.taken) perWindow.set(t.window, (perWindow.get(t.window) ?? 0) + 1);
    for (const [window, used] of perWindow) expect(used).toBeLessThanOrEqual(limiter.limitOf('AttachPolicy', window)!);
    expect(time.now()).toBeGreaterThanOrEqual(1750);
    expect(time.now()).toBeLessThan(2250);
    expect(sleeps.every((ms) => ms > 0)).toBe(true);
    await limiter.take('NotPaced');
    expect(counter.taken).toHaveLength(27);
  });

  test('the adaptive factor halves on a throttle (once a second), recovers additively, never below its floor', () => {
    const time = fakeTime();
    const limiter = new RateLimiter(new RecordingCounter(), { quotas: { CreateThing: 100 }, now: time.now, minFactor: 0.1 });
    expect(limiter.rateOf('CreateThing')).toBeCloseTo(90);
    limiter.onThrottle('CreateThing');
    limiter.onThrottle('CreateThing'); // the same overload, seen by another call in flight
    expect(limiter.factorOf('CreateThing')).toBeCloseTo(0.5);
    expect(limiter.rateOf('CreateThing')).toBeCloseTo(45);
    time.advance(2_000);
    expect(limiter.factorOf('CreateThing')).toBeCloseTo(0.7);
    for (let i = 0; i < 10; i++) {
      limiter.onThrottle('CreateThing');
      time.advance(1_000);
    }
    expect(limiter.factorOf('CreateThing')).toBeCloseTo(0.2); // the floor, plus one second of recovery
    time.advance(10_000);
    expect(limiter.factorOf('CreateThing')).toBe(1);
    limiter.onThrottle('NotPaced');
    expect(limiter.factorOf('NotPaced')).toBe(1);
  });

  test('gives up after maxWaitMs with a throttle-shaped error that does not lower the factor', async () => {
    const time = fakeTime();
    const full: WindowCounter = { tryTake: async () => false };
    const limiter = new RateLimiter(full, { quotas: { DescribeCertificate: 10 }, now: time.now, sleep: time.sleep, maxWaitMs: 5_000 });
    const err = await limiter.take('DescribeCertificate').catch((e: unknown) => e);
    expect(isThrottle(err)).toBe(true);
    expect((err as Error).message).toContain('DescribeCertificate');
  });

  test('fails open when the window table cannot be written', async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const broken: WindowCounter = {
      tryTake: async () => {
        throw Object.assign(new Error('no'), { name: 'AccessDeniedException' });
      },
    };
    const limiter = new RateLimiter(broken, { quotas: { CreateThing: 100 } });
    await expect(limiter.take('CreateThing')).resolves.toBeUndefined();
    jest.restoreAllMocks();
  });
});

describe('rateLimitClient on the IoT emulator', () => {
  let emulator: IotEmulator;
  let admin: IoTClient;
  beforeEach(async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    emulator = await startIotEmulator();
    admin = new IoTClient({ region: 'us-west-2', endpoint: emulator.endpoint, credentials });
    await admin.send(new CreateThingCommand({ thingName: 'paced' }));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    admin.destroy();
    await emulator.close();
  });

  test('paces every attempt inside the SDK retries; a throttle answer lowers the factor and no 429 reaches the caller', async () => {
    const counter = new RecordingCounter();
    const limiter = new RateLimiter(counter, { quotas: { DescribeThing: 350 } });
    const iot = rateLimitClient(new IoTClient({ region: 'us-west-2', endpoint: emulator.endpoint, credentials, maxAttempts: 3 }), limiter);
    emulator.throttleNext(2, ['DescribeThing']);
    const res = await iot.send(new DescribeThingCommand({ thingName: 'paced' }));
    expect(res.thingName).toBe('paced');
    expect(emulator.injectedFaults()).toEqual({ answered: 2, pending: 0 });
    // Three attempts reached IoT, each took a slot first.
    expect(emulator.callCounts().DescribeThing).toBe(3);
    expect(counter.taken.filter((t) => t.api === 'DescribeThing')).toHaveLength(3);
    expect(limiter.factorOf('DescribeThing')).toBeLessThan(1);
    // The limiter sits inside the retry loop and before signing.
    const order = iot.middlewareStack.identify().map((m) => m.split(' ')[0]);
    expect(order.indexOf('retryMiddleware')).toBeLessThan(order.indexOf('iotDrRateLimit'));
    expect(order.indexOf('iotDrRateLimit')).toBeLessThan(order.indexOf('httpSigningMiddleware'));
    iot.destroy();
  });

  test('a throttling storm during a bulk run: the factor backs off and every call succeeds', async () => {
    const limiter = new RateLimiter(new RecordingCounter(), { quotas: { CreateThing: 100 } });
    const iot = rateLimitClient(new IoTClient({ region: 'us-west-2', endpoint: emulator.endpoint, credentials, maxAttempts: 5 }), limiter);
    emulator.throttleNext(10, ['CreateThing']);
    const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => iot.send(new CreateThingCommand({ thingName: `bulk-${i}` }))));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(emulator.injectedFaults().answered).toBe(10);
    expect(limiter.factorOf('CreateThing')).toBeLessThan(1);
    iot.destroy();
  }, 30_000);
});

describe('configuration', () => {
  test('the quota table with IOT_QUOTAS overrides and the utilization; errors name the variable', () => {
    expect(readRateLimitConfig({}, 'replay')).toEqual({ quotas: DEFAULT_IOT_QUOTAS, utilization: 0.9 });
    const raised = readRateLimitConfig({ [RATE_LIMIT_ENV.iotQuotas]: '{"RegisterCertificateWithoutCA":50}', [RATE_LIMIT_ENV.utilization]: '0.5' }, 'replay');
    expect(raised.quotas.RegisterCertificateWithoutCA).toBe(50);
    expect(raised.quotas.AttachPolicy).toBe(15);
    expect(raised.utilization).toBe(0.5);
    expect(() => readRateLimitConfig({ [RATE_LIMIT_ENV.iotQuotas]: 'nope' }, 'replay')).toThrow(RATE_LIMIT_ENV.iotQuotas);
    expect(() => readRateLimitConfig({ [RATE_LIMIT_ENV.iotQuotas]: '{"CreateThing":0}' }, 'replay')).toThrow(RATE_LIMIT_ENV.iotQuotas);
    expect(() => readRateLimitConfig({ [RATE_LIMIT_ENV.utilization]: '2' }, 'replay')).toThrow(RATE_LIMIT_ENV.utilization);
  });

  test('the quota table agrees with the IoT emulator’s for every API both list', () => {
    const shared = Object.keys(DEFAULT_TPS_QUOTAS).filter((api) => api in DEFAULT_IOT_QUOTAS);
    expect(shared.length).toBeGreaterThan(20);
    for (const api of shared) expect([api, DEFAULT_IOT_QUOTAS[api]]).toEqual([api, DEFAULT_TPS_QUOTAS[api]]);
  });

  test('replayDepsFromEnv paces the registry and data-plane clients with one limiter', () => {
    const deps = replayDepsFromEnv({
      AWS_REGION: 'us-west-2',
      [HANDLER_ENV.journalTableName]: 'journal',
      [HANDLER_ENV.echoLedgerTableName]: 'ledger',
      [HANDLER_ENV.accountId]: '123456789012',
    });
    expect(deps.iot.middlewareStack.identify().some((m) => m.startsWith('iotDrRateLimit'))).toBe(true);
    const dataPlane = deps.identity.dataPlane as unknown as IoTClient;
    expect(dataPlane.middlewareStack.identify().some((m) => m.startsWith('iotDrRateLimit'))).toBe(true);
    deps.iot.destroy();
  });
});
