import {
  aggregate,
  applyManualMode,
  healthApiResult,
  HEALTHY_SEARCH_STRING,
  httpStatusOf,
  MANUAL_MODES,
  NO_HEALTH_APIS,
  renderVerdict,
  VerdictCache,
  type HealthApiResult,
  type ManualMode,
  type RegionRole,
} from '../../../lambda/health/aggregate';

const at = new Date('2026-12-02T00:00:00.000Z');
const ok = (name: string): HealthApiResult => ({ name, healthy: true, ms: 12 });
const input = (results: HealthApiResult[], mode: ManualMode = 'auto', role: RegionRole = 'primary') => ({
  region: 'us-west-2',
  role,
  mode,
  results,
  evaluatedAt: at,
});

describe('aggregate', () => {
  test('every health API healthy: HEALTHY, 200, the search string first in the body', () => {
    const verdict = aggregate(input([ok('iot-services'), ok('command-control'), ok('data-analytics')]));
    expect(verdict).toMatchObject({ status: 'HEALTHY', healthy: true, failing: [], mode: 'auto', role: 'primary', region: 'us-west-2' });
    expect(httpStatusOf(verdict)).toBe(200);
    const body = renderVerdict(verdict);
    expect(body.startsWith(`{${HEALTHY_SEARCH_STRING}`)).toBe(true);
    expect(verdict.evaluatedAt).toBe(at.toISOString());
  });

  test('one failing check: UNHEALTHY, 503, the failing check named as <api>/<check>', () => {
    const failing: HealthApiResult = { name: 'iot-services', healthy: false, ms: 40, detail: 'iot-data-plane: mismatch', failedChecks: ['iot-data-plane'] };
    const verdict = aggregate(input([failing, ok('command-control')]));
    expect(verdict.status).toBe('UNHEALTHY');
    expect(verdict.failing).toEqual(['iot-services/iot-data-plane']);
    expect(httpStatusOf(verdict)).toBe(503);
    const body = renderVerdict(verdict);
    expect(body).not.toContain(HEALTHY_SEARCH_STRING);
    expect(body).toContain('"status":"UNHEALTHY"');
    expect(verdict.checks[0]).not.toHaveProperty('failedChecks');
  });

  test('an unreachable or timed-out API is named as a whole', () => {
    const verdict = aggregate(input([{ name: 'data-analytics', healthy: false, ms: 1500, detail: 'Timeout: no answer within 1500 ms' }, ok('iot-services')]));
    expect(verdict.failing).toEqual(['data-analytics']);
    expect(verdict.checks[0].detail).toContain('Timeout');
  });

  test('no health API configured is not healthy', () => {
    expect(aggregate(input([]))).toMatchObject({ healthy: false, failing: [NO_HEALTH_APIS] });
  });

  describe('manual modes', () => {
    const healthy = [ok('iot-services')];
    const broken: HealthApiResult[] = [{ name: 'iot-services', healthy: false, ms: 5, detail: 'x' }];

    test.each([
      // mode, role, checks healthy?, expected
      ['auto', 'primary', true, true],
      ['auto', 'primary', false, false],
      ['auto', 'secondary', true, true],
      ['auto', 'secondary', false, false],
      ['force-primary', 'primary', false, true],
      ['force-primary', 'secondary', true, false],
      ['force-secondary', 'primary', true, false],
      ['force-secondary', 'secondary', false, true],
    ] as const)('%s in the %s region with checks healthy=%s → healthy=%s', (mode, role, checksHealthy, expected) => {
      expect(applyManualMode(checksHealthy, mode, role)).toBe(expected);
      const verdict = aggregate(input(checksHealthy ? healthy : broken, mode, role));
      expect(verdict.healthy).toBe(expected);
      expect(verdict.mode).toBe(mode);
    });

    test('a mode that overrides healthy checks says so in failing', () => {
      expect(aggregate(input(healthy, 'force-secondary', 'primary')).failing).toEqual(['manual-mode:force-secondary']);
    });

    test('a forced-healthy region still shows its failing checks, but fails nothing', () => {
      const verdict = aggregate(input(broken, 'force-primary', 'primary'));
      expect(verdict.failing).toEqual([]);
      expect(verdict.checks[0].healthy).toBe(false);
    });

    test('the modes are the contract list', () => {
      expect(MANUAL_MODES).toEqual(['auto', 'force-primary', 'force-secondary']);
    });
  });
});

describe('healthApiResult', () => {
  const verdict = (healthy: boolean, checks: { name: string; healthy: boolean; detail?: string }[]) =>
    JSON.stringify({ healthy, region: 'us-west-2', checks: checks.map((c) => ({ ms: 3, ...c })) });

  test('200 with a healthy verdict is healthy', () => {
    expect(healthApiResult('iot-services', 200, verdict(true, [{ name: 'iot-data-plane', healthy: true }]), 20)).toEqual({
      name: 'iot-services',
      healthy: true,
      ms: 20,
    });
  });

  test('503 with a verdict names its failing checks', () => {
    const result = healthApiResult(
      'iot-services',
      503,
      verdict(false, [
        { name: 'iot-data-plane', healthy: false, detail: 'ThrottlingException: Rate exceeded' },
        { name: 'iot-registry', healthy: true },
      ]),
      30,
    );
    expect(result).toMatchObject({ healthy: false, failedChecks: ['iot-data-plane'] });
    expect(result.detail).toBe('iot-data-plane: ThrottlingException: Rate exceeded');
  });

  test("anything that is not a verdict (a resource policy's 403) fails the API as a whole", () => {
    const result = healthApiResult('command-control', 403, '{"Message":"User: x is not authorized"}', 8);
    expect(result).toMatchObject({ healthy: false, detail: 'HTTP 403: {"Message":"User: x is not authorized"}' });
    expect(result.failedChecks).toBeUndefined();
  });

  test('a healthy-looking body with a non-200 status is not healthy', () => {
    expect(healthApiResult('x', 500, verdict(true, [{ name: 'a', healthy: true }]), 1).healthy).toBe(false);
  });
});

describe('VerdictCache', () => {
  function clock(start = 0) {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  test('50 concurrent callers share exactly one evaluation', async () => {
    const cache = new VerdictCache<number>({ ttlMs: 5000, clock: clock() });
    let release!: (v: number) => void;
    const evaluate = jest.fn(() => new Promise<number>((resolve) => (release = resolve)));
    const callers = Array.from({ length: 50 }, () => cache.get(evaluate));
    release(42);
    expect(await Promise.all(callers)).toEqual(Array(50).fill(42));
    expect(evaluate).toHaveBeenCalledTimes(1);
    expect(cache.evaluations).toBe(1);
  });

  test('reuses the verdict within the TTL, evaluates again after it', async () => {
    const c = clock(1000);
    const cache = new VerdictCache<number>({ ttlMs: 5000, clock: c });
    let n = 0;
    const evaluate = async () => ++n;
    expect(await cache.get(evaluate)).toBe(1);
    c.advance(4999);
    expect(await cache.get(evaluate)).toBe(1);
    c.advance(1);
    expect(await cache.get(evaluate)).toBe(2);
    expect(cache.evaluations).toBe(2);
  });

  test('callers at any rate cause at most one evaluation per TTL', async () => {
    const c = clock();
    const cache = new VerdictCache<number>({ ttlMs: 5000, clock: c });
    const evaluate = jest.fn(async () => 1);
    // 1,000 callers a second for 60 virtual seconds.
    for (let ms = 0; ms < 60_000; ms += 10) {
      await Promise.all(Array.from({ length: 10 }, () => cache.get(evaluate)));
      c.advance(10);
    }
    expect(evaluate).toHaveBeenCalledTimes(12);
  });

  test('a failed evaluation is shared by its callers and not cached', async () => {
    const cache = new VerdictCache<number>({ ttlMs: 5000, clock: clock() });
    const failing = jest.fn(async () => {
      throw new Error('boom');
    });
    const results = await Promise.allSettled([cache.get(failing), cache.get(failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(await cache.get(async () => 7)).toBe(7);
  });

  test('ttl 0 evaluates every call that does not overlap another', async () => {
    const cache = new VerdictCache<number>({ ttlMs: 0, clock: clock() });
    let n = 0;
    await cache.get(async () => ++n);
    await cache.get(async () => ++n);
    expect(n).toBe(2);
  });

  test('rejects a negative TTL', () => {
    expect(() => new VerdictCache({ ttlMs: -1 })).toThrow(/ttlMs must be a finite number >= 0, got -1/);
  });
});
