import { TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { type PlanInput, planEntity } from '../../../lambda/reconcile/planner';

const REGION = 'us-west-2';
const PEER = 'us-east-1';
const NOW = 1_750_000_000_000;
const GRACE = 15 * 60_000;

const base = (over: Partial<PlanInput>): PlanInput => ({ region: REGION, local: { stateHash: 'a', localVersion: 3 }, now: NOW, graceMs: GRACE, ...over });
const winner = (stateHash: string, originRegion = PEER) => ({ stateHash, deleted: stateHash === TOMBSTONE_HASH, originRegion });

describe('planEntity', () => {
  test('in the registry, not in the journal: import', () => {
    expect(planEntity(base({}))).toEqual({ action: 'import' });
    expect(planEntity(base({ known: { stateHash: 'a', localVersion: 3, at: 1 } }))).toEqual({ action: 'import' });
  });

  test('absent here and not in the journal, or absent and a tombstone: in sync', () => {
    expect(planEntity(base({ local: { stateHash: TOMBSTONE_HASH } }))).toEqual({ action: 'in-sync' });
    expect(planEntity(base({ local: { stateHash: TOMBSTONE_HASH }, journal: winner(TOMBSTONE_HASH) }))).toEqual({ action: 'in-sync' });
  });

  test('same state as the journal: in sync', () => {
    expect(planEntity(base({ journal: winner('a') }))).toEqual({ action: 'in-sync' });
  });

  test('at the known state, the journal holds another winner: replay it', () => {
    expect(planEntity(base({ known: { stateHash: 'a', localVersion: 3, at: 1 }, journal: winner('b') }))).toEqual({ action: 'replay' });
    // Kinds without versions compare hashes.
    expect(planEntity(base({ local: { stateHash: 'a' }, known: { stateHash: 'a', at: 1 }, journal: winner('b') }))).toEqual({ action: 'replay' });
  });

  test('live in the journal, absent from a region that never deleted it: replay', () => {
    expect(planEntity(base({ local: { stateHash: TOMBSTONE_HASH }, journal: winner('b') }))).toEqual({ action: 'replay' });
    expect(planEntity(base({ local: { stateHash: TOMBSTONE_HASH }, known: { stateHash: 'b', localVersion: 1, at: 1 }, journal: winner('b') }))).toEqual({
      action: 'wait',
      firstSeen: NOW,
      mark: true,
    });
  });

  test('present with no known state and a different journal winner: import (the winner then applies)', () => {
    expect(planEntity(base({ journal: winner('b') }))).toEqual({ action: 'import' });
  });

  test('moved past the known state: never reverted; marked, waits for the grace period, then journaled', () => {
    const known = { stateHash: 'x', localVersion: 2, at: 1 };
    expect(planEntity(base({ known, journal: winner('x') }))).toEqual({ action: 'wait', firstSeen: NOW, mark: true });
    const marker = { stateHash: 'a', firstSeen: NOW - GRACE + 1 };
    expect(planEntity(base({ known, journal: winner('x'), marker }))).toEqual({ action: 'wait', firstSeen: marker.firstSeen, mark: false });
    const stable = { stateHash: 'a', firstSeen: NOW - GRACE };
    expect(planEntity(base({ known, journal: winner('x'), marker: stable }))).toEqual({ action: 'journal-local', firstSeen: NOW - GRACE });
  });

  test('a marker of another local state starts the grace period again', () => {
    const known = { stateHash: 'x', localVersion: 2, at: 1 };
    expect(planEntity(base({ known, journal: winner('x'), marker: { stateHash: 'old', firstSeen: 0 } }))).toEqual({ action: 'wait', firstSeen: NOW, mark: true });
  });

  test("the journal's winner is this region's own, the region differs: a local change, even when at the known state", () => {
    const known = { stateHash: 'a', localVersion: 3, at: 1 };
    expect(planEntity(base({ known, journal: winner('b', REGION) }))).toEqual({ action: 'wait', firstSeen: NOW, mark: true });
    expect(planEntity(base({ journal: winner('b', REGION) }))).toEqual({ action: 'wait', firstSeen: NOW, mark: true });
  });

  test('a local delete the journal has not seen is not reverted', () => {
    const known = { stateHash: 'b', localVersion: 4, at: 1 };
    expect(planEntity(base({ local: { stateHash: TOMBSTONE_HASH }, known, journal: winner('b') }))).toMatchObject({ action: 'wait' });
  });
});
