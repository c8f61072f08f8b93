import {
  AddThingToThingGroupCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { type DriftSummary, Reconciler } from '../../../lambda/reconcile/reconcile';
import { GRACE_MS, type Harness, startHarness } from './harness';

const total = (d: DriftSummary, field: 'found' | 'repaired' | 'failed' | 'pending' | 'checked'): number =>
  Object.values(d).reduce((n, c) => n + (c?.[field] ?? 0), 0);

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function seedRegistry(): Promise<void> {
  const iot = h.a.admin;
  await iot.send(new CreateThingTypeCommand({ thingTypeName: 'sensor', thingTypeProperties: { thingTypeDescription: 'a sensor', searchableAttributes: ['floor'] } }));
  await iot.send(new CreateThingGroupCommand({ thingGroupName: 'site' }));
  await iot.send(new CreateThingGroupCommand({ thingGroupName: 'floor-1', parentGroupName: 'site', thingGroupProperties: { attributePayload: { attributes: { level: '1' } } } }));
  for (const n of ['t1', 't2', 't3']) {
    await iot.send(new CreateThingCommand({ thingName: n, thingTypeName: 'sensor', attributePayload: { attributes: { floor: '1' } } }));
  }
  await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'floor-1', thingName: 't1' }));
  await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'site', thingName: 't2' }));
}

describe('Reconciler', () => {
  test('initial copy: imports what existed before deployment and copies it to the other region; a second run finds no drift', async () => {
    await seedRegistry();
    const importA = await h.a.reconciler.runAll();
    expect(importA.thing).toMatchObject({ checked: 3, found: 3, repaired: 3, failed: 0 });
    expect(total(importA, 'repaired')).toBe(3 + 1 + 2 + 2);

    const copyB = await h.b.reconciler.runAll();
    expect(total(copyB, 'failed')).toBe(0);
    expect(total(copyB, 'repaired')).toBe(8);
    expect(h.b.emulator.snapshot()).toEqual(h.a.emulator.snapshot());

    for (const r of [h.a, h.b]) {
      const again = await r.reconciler.runAll();
      expect(total(again, 'found')).toBe(0);
      expect(total(again, 'checked')).toBe(8);
    }
  });

  test('a local change whose capture was lost is never reverted: journaled after the grace period and replicated', async () => {
    await seedRegistry();
    await h.a.reconciler.runAll();
    await h.b.reconciler.runAll();
    // A change in B whose registry event never reached capture.
    await h.b.admin.send(new UpdateThingCommand({ thingName: 't3', attributePayload: { attributes: { floor: '2' }, merge: true } }));

    const first = await h.b.reconciler.runAll();
    expect(first.thing).toMatchObject({ found: 1, pending: 1, repaired: 0 });
    h.advance(GRACE_MS / 2);
    expect((await h.b.reconciler.runAll()).thing).toMatchObject({ found: 1, pending: 1 });
    // A's pass leaves t3 alone meanwhile: the journal still holds the state A has.
    expect(total(await h.a.reconciler.runAll(), 'found')).toBe(0);

    h.advance(GRACE_MS / 2);
    expect((await h.b.reconciler.runAll()).thing).toMatchObject({ found: 1, repaired: 1 });
    expect((await h.a.reconciler.runAll()).thing).toMatchObject({ found: 1, repaired: 1 });
    expect(h.a.emulator.snapshot()).toEqual(h.b.emulator.snapshot());
    expect(h.a.emulator.snapshot().things.find((t) => t.name === 't3')?.attributes).toEqual({ floor: '2' });
    expect(total(await h.b.reconciler.runAll(), 'found')).toBe(0);
  });

  test('a local delete whose capture was lost is journaled as a tombstone and replicated', async () => {
    await seedRegistry();
    await h.a.reconciler.runAll();
    await h.b.reconciler.runAll();
    // t1 is in group floor-1: deleting it drops the membership too, without an event of its own.
    await h.a.admin.send(new DeleteThingCommand({ thingName: 't1' }));
    // A's own pass cannot see an absent entity through its registry pages; the journal segment does.
    expect((await h.a.reconciler.runAll()).thing).toMatchObject({ found: 1, pending: 1 });
    h.advance(GRACE_MS);
    expect((await h.a.reconciler.runAll()).thing).toMatchObject({ found: 1, repaired: 1 });
    expect((await h.b.reconciler.runAll()).thing).toMatchObject({ found: 1, repaired: 1 });
    expect(h.b.emulator.snapshot().things.map((t) => t.name)).toEqual(['t2', 't3']);
    expect(h.b.emulator.snapshot()).toEqual(h.a.emulator.snapshot());
    // The membership was tombstoned with its thing: no pass finds drift any more.
    for (const r of [h.a, h.b]) expect(total(await r.reconciler.runAll(), 'found')).toBe(0);
  });

  test('a replay that never happened (journal winner newer than what the region is at) is re-replayed', async () => {
    await seedRegistry();
    await h.a.reconciler.runAll();
    await h.b.reconciler.runAll();
    // A's change is journaled (here by A's reconciler after the grace period, as capture would) but its
    // stream record never reaches B.
    await h.a.admin.send(new UpdateThingCommand({ thingName: 't1', attributePayload: { attributes: { floor: '7' }, merge: true } }));
    await h.a.reconciler.runAll();
    h.advance(GRACE_MS);
    await h.a.reconciler.runAll();
    const b = await h.b.reconciler.runAll();
    expect(b.thing).toMatchObject({ found: 1, repaired: 1, failed: 0 });
    expect(h.b.emulator.snapshot()).toEqual(h.a.emulator.snapshot());
  });

  test('a live change always wins over an import: entities imported by both regions converge on one state', async () => {
    await h.a.admin.send(new CreateThingCommand({ thingName: 'x', attributePayload: { attributes: { v: 'a' } } }));
    await h.b.admin.send(new CreateThingCommand({ thingName: 'x', attributePayload: { attributes: { v: 'b' } } }));
    await h.a.reconciler.runAll();
    await h.b.reconciler.runAll();
    await h.a.reconciler.runAll();
    await h.b.reconciler.runAll();
    expect(h.a.emulator.snapshot()).toEqual(h.b.emulator.snapshot());
    expect(total(await h.a.reconciler.runAll(), 'found')).toBe(0);
    expect(total(await h.b.reconciler.runAll(), 'found')).toBe(0);
  });
});

describe('Reconciler: a registry page imports a link once the journal holds its ends', () => {
  const membershipOnly = (options: { parentWaitMs: number; sleep: (ms: number) => Promise<void> }) =>
    new Reconciler({ replay: h.a.deps, ledgerTableName: h.a.ledgerTable, graceMs: GRACE_MS, kinds: ['thingGroup', 'thing', 'member'], ...options });

  async function groupWithMember(): Promise<void> {
    await h.a.admin.send(new CreateThingGroupCommand({ thingGroupName: 'floor-1' }));
    await h.a.admin.send(new CreateThingCommand({ thingName: 't1' }));
    await h.a.admin.send(new AddThingToThingGroupCommand({ thingGroupName: 'floor-1', thingName: 't1' }));
  }

  test('waits for its thing and group to be journaled (by their own pages), then imports it', async () => {
    await groupWithMember();
    const journaledAt: Record<string, number> = {};
    let naps = 0;
    const reconciler = membershipOnly({
      parentWaitMs: 60_000,
      // While the membership's page waits, the other items of the pass journal its ends.
      sleep: async () => {
        naps++;
        if (naps === 1) await h.a.reconciler.registryPage('thingGroup');
        if (naps === 2) await h.a.reconciler.registryPage('thing');
      },
    });
    const page = await reconciler.registryPage('member');
    expect(page.drift.member).toMatchObject({ found: 1, repaired: 1 });
    expect(naps).toBe(2);
    for (const key of ['thingGroup#floor-1', 'thing#t1', 'member#floor-1#t1']) {
      const item = await h.a.deps.journal.get(key.startsWith('member#') ? 'thingGroup#floor-1' : key, key);
      expect(item).toBeDefined();
      journaledAt[key] = item!.capturedAt;
    }
    expect(journaledAt['member#floor-1#t1']).toBeGreaterThanOrEqual(journaledAt['thing#t1']);
  });

  test('imports it anyway when its ends do not arrive within parentWaitMs (an end this pass does not import)', async () => {
    await groupWithMember();
    const reconciler = membershipOnly({ parentWaitMs: 0, sleep: async () => undefined });
    const page = await reconciler.registryPage('member');
    expect(page.drift.member).toMatchObject({ found: 1, repaired: 1 });
    expect(await h.a.deps.journal.get('thing#t1', 'thing#t1')).toBeUndefined();
  });
});
