import { HANDLER_ENV, RECONCILE_ENV, RECONCILED_KINDS } from '../../../lambda/contract';
import { readReconcileConfig, summarize } from '../../../lambda/reconcile';

describe('readReconcileConfig', () => {
  test('defaults: 15 minutes grace, one processor, every kind but shadows', () => {
    expect(readReconcileConfig({})).toEqual({ graceMs: 900_000, concurrency: 1, pageSize: 100, kinds: RECONCILED_KINDS.filter((k) => k !== 'shadow') });
  });

  test('reads its settings; shadows only when they are replicated', () => {
    const config = readReconcileConfig({
      [RECONCILE_ENV.graceSeconds]: '60',
      [RECONCILE_ENV.concurrency]: '4',
      [RECONCILE_ENV.pageSize]: '250',
      [HANDLER_ENV.shadowsEnabled]: 'true',
    });
    expect(config).toMatchObject({ graceMs: 60_000, concurrency: 4, pageSize: 250 });
    expect(config.kinds).toEqual(RECONCILED_KINDS);
  });

  test('refuses what it cannot use, naming the variable', () => {
    expect(() => readReconcileConfig({ [RECONCILE_ENV.concurrency]: '0' })).toThrow(RECONCILE_ENV.concurrency);
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
