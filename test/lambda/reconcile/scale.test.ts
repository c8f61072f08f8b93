import { CreateThingCommand } from '@aws-sdk/client-iot';
import { DEFAULT_TPS_QUOTAS } from '../../support/iot-emulator';
import { mapLimit } from '../../../lambda/shared/journal-store';
import type { DriftSummary } from '../../../lambda/reconcile/reconcile';
import { type Harness, startHarness } from './harness';

/** Every IoT quota ×10 (emulator and rate limiter alike), so the runs take seconds; the pacing math is the same. */
const QUOTAS = Object.fromEntries(Object.entries(DEFAULT_TPS_QUOTAS).map(([api, tps]) => [api, tps * 10]));

const total = (d: DriftSummary, field: 'found' | 'repaired' | 'failed' | 'checked'): number =>
  Object.values(d).reduce((n, c) => n + (c?.[field] ?? 0), 0);

let h: Harness;
beforeEach(async () => {
  // Thousands of log and metric lines would dominate the run time.
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  // Things only: the identity kinds would list each thing's principals too (identities.test.ts covers them).
  h = await startHarness({ quotas: QUOTAS, pageSize: 250, concurrency: 16, kinds: ['thing', 'thingType', 'thingGroup', 'member'] });
});
afterEach(async () => {
  jest.restoreAllMocks();
  await h.close();
});

async function seed(count: number): Promise<void> {
  await mapLimit(
    Array.from({ length: count }, (_, i) => `device-${i}`),
    20,
    (thingName) => h.a.admin.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { n: thingName } } })),
  );
}

test('an import of 2,000 things stays under the IoT quotas, and a second run finds drift 0', async () => {
  await seed(2000);
  const imported = await h.a.reconciler.runAll(4);
  expect(imported.thing).toMatchObject({ checked: 2000, found: 2000, repaired: 2000, failed: 0 });
  const again = await h.a.reconciler.runAll(4);
  expect(total(again, 'found')).toBe(0);
  expect(total(again, 'checked')).toBe(2000);
  // Paced: no call was throttled (the reconciler's client makes one attempt, so none is hidden by a retry).
  expect(h.a.throttled()).toBe(0);
}, 240_000);

test('a copy into the other region (paced CreateThing) converges without throttling, and a second run finds drift 0', async () => {
  await seed(300);
  await h.a.reconciler.runAll(4);
  const copied = await h.b.reconciler.runAll(4);
  expect(copied.thing).toMatchObject({ found: 300, repaired: 300, failed: 0 });
  expect(h.b.emulator.snapshot()).toEqual(h.a.emulator.snapshot());
  expect(h.b.emulator.callCounts().CreateThing).toBe(300);
  const again = await h.b.reconciler.runAll(4);
  expect(total(again, 'found')).toBe(0);
  expect(h.a.throttled() + h.b.throttled()).toBe(0);
}, 240_000);
