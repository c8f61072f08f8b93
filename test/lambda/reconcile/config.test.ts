import { DEFAULT_RECONCILE_QUOTAS, RECONCILE_ENV } from '../../../lambda/contract';
import { readReconcileConfig, summarize } from '../../../lambda/reconcile';
import { Pacer } from '../../../lambda/reconcile/pacer';

describe('readReconcileConfig', () => {
  test('defaults: 15 minutes grace, one processor, the AWS default quotas', () => {
    expect(readReconcileConfig({})).toEqual({ graceMs: 900_000, concurrency: 1, pageSize: 100, quotas: DEFAULT_RECONCILE_QUOTAS });
  });

  test('reads its settings and quota overrides', () => {
    const config = readReconcileConfig({
      [RECONCILE_ENV.graceSeconds]: '60',
      [RECONCILE_ENV.concurrency]: '4',
      [RECONCILE_ENV.pageSize]: '250',
      [RECONCILE_ENV.quotas]: '{"CreateThing":200}',
    });
    expect(config).toMatchObject({ graceMs: 60_000, concurrency: 4, pageSize: 250 });
    expect(config.quotas.CreateThing).toBe(200);
    expect(config.quotas.ListThings).toBe(10);
  });

  test('refuses what it cannot use, naming the variable', () => {
    expect(() => readReconcileConfig({ [RECONCILE_ENV.concurrency]: '0' })).toThrow(RECONCILE_ENV.concurrency);
    expect(() => readReconcileConfig({ [RECONCILE_ENV.quotas]: 'nope' })).toThrow(RECONCILE_ENV.quotas);
  });
});

describe('Pacer', () => {
  test('shares each quota among the processors, below the limit', () => {
    expect(Pacer.share({ ListThings: 10, CreateThing: 100 }, 4)).toEqual({ ListThings: 2, CreateThing: 20 });
  });

  test('spaces calls of one API 1/rate apart and leaves other APIs alone', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const pacer = new Pacer({ ListThings: 10 }, () => now, async (ms) => {
      sleeps.push(ms);
    });
    await Promise.all([pacer.take('ListThings'), pacer.take('ListThings'), pacer.take('ListThings'), pacer.take('DescribeThing')]);
    expect(sleeps).toEqual([100, 200]);
    now = 1000;
    await pacer.take('ListThings');
    expect(sleeps).toEqual([100, 200]);
  });
});

describe('summarize', () => {
  test("sums every item's drift per kind and in total", () => {
    const counts = (found: number, repaired: number, failed: number) => ({ checked: 10, found, repaired, failed, pending: found - repaired - failed });
    expect(summarize([{ drift: { thing: counts(3, 2, 1) } }, { drift: { thing: counts(1, 1, 0), member: counts(2, 2, 0) } }, {}])).toEqual({
      drift: { thing: { ...counts(4, 3, 1), checked: 20 }, member: counts(2, 2, 0) },
      found: 6,
      repaired: 5,
      failed: 1,
      pending: 0,
    });
  });
});
