/**
 * A short virtual drill in-process: real brokers and the real device helper, small timings (the virtual
 * clock makes the figures independent of this machine's speed).
 */
import { runDrill } from '../../scripts/drill';
import { estimateRto } from '../../lib/shared-services/rto';

jest.setTimeout(60_000);

test('failover and failback: each within 10 % of the estimate, no QoS 1 message lost', async () => {
  const timeline: string[] = [];
  const inputs = {
    healthCheckIntervalSeconds: 10,
    failureThreshold: 1,
    recordTtlSeconds: 2,
    aggregatorTimeoutSeconds: 1,
    deviceResolvePeriodSeconds: 3,
  };
  const drill = await runDrill({ ...inputs, publishIntervalSeconds: 2, seed: 7, log: (line) => timeline.push(line) });

  const estimate = estimateRto(inputs);
  expect(drill.results.map((r) => r.direction)).toEqual(['failover', 'failback']);
  for (const r of drill.results) {
    expect(Object.keys(r)).toEqual(
      expect.arrayContaining(['direction', 'detectionSeconds', 'dnsSwitchSeconds', 'reconnectSeconds', 'rtoSeconds', 'estimatedRto', 'messagesSent', 'messagesLost']),
    );
    expect(r.estimatedRto).toBe(estimate.totalSeconds);
    expect(Math.abs(r.rtoSeconds - r.estimatedRto)).toBeLessThanOrEqual(0.1 * r.estimatedRto);
    expect(r.detectionSeconds + r.dnsSwitchSeconds + r.reconnectSeconds).toBeCloseTo(r.rtoSeconds, 3);
    // Each stage lands near its own term of the estimate, not just the total.
    expect(r.detectionSeconds).toBeCloseTo(estimate.detectionSeconds, 0);
    expect(r.dnsSwitchSeconds).toBe(estimate.dnsSwitchSeconds);
    expect(r.messagesSent).toBeGreaterThan(5);
    expect(r.messagesLost).toBe(0);
    expect(r.withinTolerance).toBe(true);
    // One JSON line per direction, as the CLI prints it.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  }
  expect(drill.ok).toBe(true);
  expect(timeline.some((l) => l.includes('FAULT'))).toBe(true);
  expect(timeline.some((l) => l.includes('RECOVERY'))).toBe(true);
});
