import * as fc from 'fast-check';
import { FailoverRouting } from '../../../lib';
import { DEFAULT_RECOVERY_TIME_OBJECTIVE_SECONDS, DEFAULT_RTO_INPUTS, describeRto, estimateRto } from '../../../lib/shared-services/rto';

describe('estimateRto', () => {
  test('worst case: interval × threshold + aggregator timeout, then TTL, then the device re-resolve period', () => {
    expect(
      estimateRto({ recordTtlSeconds: 60, healthCheckIntervalSeconds: 30, failureThreshold: 3, aggregatorTimeoutSeconds: 4, deviceResolvePeriodSeconds: 60 }),
    ).toEqual({ detectionSeconds: 94, dnsSwitchSeconds: 60, reconnectSeconds: 60, totalSeconds: 214 });
  });

  test('the defaults: 10 s × 3 + 2 s + 10 s + 15 s = 57 s, within the 60 s objective', () => {
    expect(DEFAULT_RTO_INPUTS).toEqual({
      recordTtlSeconds: 10,
      healthCheckIntervalSeconds: 10,
      failureThreshold: 3,
      aggregatorTimeoutSeconds: 2,
      deviceResolvePeriodSeconds: 15,
    });
    const estimate = estimateRto(DEFAULT_RTO_INPUTS);
    expect(estimate).toEqual({ detectionSeconds: 32, dnsSwitchSeconds: 10, reconnectSeconds: 15, totalSeconds: 57 });
    expect(estimate.totalSeconds).toBeLessThanOrEqual(DEFAULT_RECOVERY_TIME_OBJECTIVE_SECONDS);
  });

  test('the total is the sum of the parts and grows with every input', () => {
    const input = fc.record({
      recordTtlSeconds: fc.integer({ min: 0, max: 3600 }),
      healthCheckIntervalSeconds: fc.constantFrom(10, 30),
      failureThreshold: fc.integer({ min: 1, max: 10 }),
      aggregatorTimeoutSeconds: fc.double({ min: 0, max: 10, noNaN: true }),
      deviceResolvePeriodSeconds: fc.integer({ min: 1, max: 600 }),
    });
    fc.assert(
      fc.property(input, (i) => {
        const e = estimateRto(i);
        expect(e.totalSeconds).toBeCloseTo(e.detectionSeconds + e.dnsSwitchSeconds + e.reconnectSeconds);
        expect(estimateRto({ ...i, failureThreshold: i.failureThreshold + 1 }).totalSeconds).toBeGreaterThan(e.totalSeconds);
        expect(estimateRto({ ...i, recordTtlSeconds: i.recordTtlSeconds + 1 }).totalSeconds).toBeGreaterThan(e.totalSeconds);
      }),
    );
  });

  test('refuses negative or non-finite inputs, naming them', () => {
    expect(() => estimateRto({ ...DEFAULT_RTO_INPUTS, recordTtlSeconds: -1 })).toThrow('recordTtlSeconds must be a finite number >= 0, got -1');
    expect(() => estimateRto({ ...DEFAULT_RTO_INPUTS, failureThreshold: Number.NaN })).toThrow('failureThreshold');
  });

  test('describes the breakdown in one line', () => {
    expect(describeRto(DEFAULT_RTO_INPUTS)).toBe(
      'detection 32 s (interval 10 s × threshold 3 + aggregator timeout 2 s) + DNS 10 s (record TTL) + reconnect 15 s (device re-resolve period) = 57 s',
    );
  });

  test('is public as FailoverRouting.estimateRto', () => {
    expect(FailoverRouting.estimateRto(DEFAULT_RTO_INPUTS)).toEqual(estimateRto(DEFAULT_RTO_INPUTS));
  });
});
