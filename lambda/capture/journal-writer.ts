/**
 * The journaling core capture runs for every whole-state change (ReplacePlan), and the identity read that
 * turns a CloudTrail call into one — shared with the command API, whose writes are journaled synchronously
 * by the writer "exactly as capture would": echo check, conditional replace, same-millisecond tie settling,
 * known-state record, cascades of deletes and dependents that outlived their parent.
 */
import { stateHash } from '../shared/hash';
import { type JournalStore, tombstoneItem } from '../shared/journal-store';
import type { EchoLedgerStore } from '../shared/echo-ledger-store';
import type { EntityState, JournalItem } from '../shared/model';
import type { RegistryReader } from '../shared/registry-adapter';
import { log } from '../shared/telemetry';
import { compareVersions } from '../shared/version';
import type { IdentityCall } from './cloudtrail-events';
import { type ReplacePlan, tombstoneExpiry } from './desired-state';
import { entityOfKey, type IdentityReader, planIdentityCapture } from './identity-capture';

export type CaptureJournal = Pick<JournalStore, 'get' | 'putIfNewer' | 'replaceIfNewer' | 'putIfVersion' | 'dependents' | 'tombstoneAll'>;
export type CaptureLedger = Pick<EchoLedgerStore, 'isEcho' | 'clear' | 'recordKnownState'>;

export interface JournalWriterDeps {
  readonly journal: CaptureJournal;
  readonly ledger: CaptureLedger;
  /** This region's registry: ties of things, groups, types and memberships are settled by reading it. */
  readonly iot: RegistryReader;
  /**
   * Device identities in this region: read for a CloudTrail call and to settle ties of identity kinds.
   * @default - none: identity reads fail
   */
  readonly identities?: IdentityReader;
  /** This region: the origin of every change the writer journals. */
  readonly region: string;
  readonly tombstoneTtlSeconds: number;
  readonly now: () => number;
}

/** What one journal write did: `captured` (written), `superseded` (a newer item won) or `echo` (replay's own write). */
export interface ReplaceResult {
  readonly outcome: 'captured' | 'superseded' | 'echo';
  /** Dependent items tombstoned because of this write. */
  readonly cascaded: number;
}

export interface JournalWriter {
  /** Writes a whole-state plan the way capture does (see the module header). */
  replace(plan: ReplacePlan): Promise<ReplaceResult>;
  /** Reads the entity a CloudTrail call (or a call made like one) changed from this region's IoT, and plans its journal item. */
  readIdentity(call: IdentityCall): Promise<ReplacePlan>;
}

export function createJournalWriter(deps: JournalWriterDeps): JournalWriter {
  const { journal, ledger, iot, region, now, tombstoneTtlSeconds } = deps;

  /** Reads what the call changed from this region's IoT (failures propagate to the caller). */
  const readIdentity = async (call: IdentityCall): Promise<ReplacePlan> => {
    if (!deps.identities) throw new Error('capture has no identity reader: CloudTrail events cannot be captured');
    // Taken before the read: the state read is at least as new as this moment (the known-state record's time).
    const at = now();
    const state = await deps.identities.describe(call.entity);
    return planIdentityCapture(call, state, { originRegion: region, now: at, tombstoneTtlSeconds });
  };

  /**
   * A hash match is no echo when the journal already holds a local change older than the event with
   * another state: replay never applies over a local change, so the event is a user going back to a state
   * replay once applied. (Version fingerprints are exact and need no such check.)
   */
  const revertsLocalChange = async (plan: ReplacePlan): Promise<boolean> => {
    if (!plan.fingerprints.every((f) => f.startsWith('h#'))) return false;
    const current = await journal.get(plan.item.pk, plan.item.sk);
    return (
      current !== undefined &&
      current.originRegion === region &&
      current.eventTime < plan.item.eventTime &&
      current.stateHash !== plan.item.stateHash
    );
  };

  const replace = async (plan: ReplacePlan): Promise<ReplaceResult> => {
    const { item } = plan;
    // Before any version comparison: an echo carries a newer event time than the state it brings back.
    // (Plans without fingerprints were judged exactly before: CloudTrail callers, shadow client tokens.)
    if (plan.fingerprints.length > 0 && (await ledger.isEcho(item.sk, plan.fingerprints, item.eventTime)) && !(await revertsLocalChange(plan))) {
      log('INFO', 'echo of a replayed change suppressed', { key: item.sk, version: item.version });
      await recordKnown(plan);
      return { outcome: 'echo', cascaded: 0 };
    }
    const { outcome, previous } = await journal.replaceIfNewer(item);
    // Of two racing writes one lands second: it replaced the other (previous) or lost to it (stored).
    const rival = outcome === 'written' ? previous : await journal.get(item.pk, item.sk);
    if (rival && isSameMillisecondTie(rival, item)) await settleTie(outcome === 'written' ? item : rival);
    // A redelivery after a failure below finds its own earlier write: finish the job it left.
    const landed = outcome === 'written' || (await journal.get(item.pk, item.sk))?.version === item.version;
    if (landed) await ledger.clear(item.sk, item.eventTime);
    // Written or superseded, the journal has now ordered this local state: replay may write over it.
    await recordKnown(plan);
    let cascaded = 0;
    if (item.deleted && plan.cascade) {
      // Even when superseded (deleted and recreated since): the delete still dropped what existed before it.
      cascaded = await cascade(item);
    } else if (landed && !item.deleted) {
      cascaded = await dieWithDeletedParent(item, plan.observedAt);
    }
    return { outcome: outcome === 'written' ? 'captured' : 'superseded', cascaded };
  };

  /**
   * Records the local state an event shows as what this region's pipeline knows (replay's optimistic
   * concurrency check, see assertNoPendingLocalChange in lambda/replay/common.ts) — after the journal
   * write, never before. Memberships are not checked by replay, so not recorded.
   */
  const recordKnown = async ({ item, fingerprints, known }: ReplacePlan): Promise<void> => {
    if (item.kind === 'member') return;
    const versioned = fingerprints.find((f) => f.startsWith('v#'));
    const localVersion = item.deleted ? undefined : known ? known.localVersion : versioned !== undefined ? Number(versioned.slice(2)) : undefined;
    await ledger.recordKnownState(
      item.sk,
      {
        stateHash: item.stateHash,
        at: known?.at ?? item.eventTime,
        ...(localVersion !== undefined && Number.isInteger(localVersion) ? { localVersion } : {}),
      },
      item.expiresAt,
    );
  };

  const describeEntity = async (item: JournalItem): Promise<EntityState | undefined> => {
    const [, first, second] = item.sk.split('#');
    switch (item.kind) {
      case 'thing':
        return iot.describeThing(first);
      case 'thingGroup':
        return iot.describeThingGroup(first);
      case 'thingType':
        return iot.describeThingType(first);
      case 'member':
        return iot.describeMembership(first, second);
      default: {
        const entity = entityOfKey(item.sk);
        if (!entity || !deps.identities) throw new Error(`no registry reader for journal kind '${item.kind}'`);
        return deps.identities.describe(entity);
      }
    }
  };

  /**
   * Two changes of one entity from this region stamped with the same millisecond: the journal ordered them
   * by IoT's version number (none on thing types and memberships, and a delete carries the version of the
   * state it deleted) and then by event id, which says nothing about which came last. This region's
   * registry knows: journal its current state under the winning version. Equal states need nothing; a
   * later event supersedes the result as usual.
   */
  const settleTie = async (stored: JournalItem): Promise<void> => {
    const actual = await describeEntity(stored);
    if (stateHash(actual) === stored.stateHash) return;
    const { expiresAt: _ttl, ...base } = stored;
    const settled: JournalItem = actual
      ? { ...base, deleted: false, state: actual, stateHash: stateHash(actual), capturedAt: now() }
      : tombstoneItem(stored, { ...stored, capturedAt: now(), expiresAt: expiry() });
    if (await journal.putIfVersion(settled, stored.version)) {
      log('INFO', 'same-millisecond changes settled from this region\'s registry', { key: stored.sk, version: stored.version, deleted: settled.deleted });
    }
  };

  /** Tombstones what the deleted entity took with it, under the delete's own version. */
  const cascade = async (deleted: JournalItem): Promise<number> => {
    const targets = (await journal.dependents(deleted.sk)).filter((d) => !d.deleted && compareVersions(d.version, deleted.version) < 0);
    if (targets.length === 0) return 0;
    const results = await journal.tombstoneAll(targets, { ...deleted, capturedAt: now(), expiresAt: expiry() });
    const written = results.filter((r) => r.outcome === 'written').map((r) => r.item);
    await Promise.all(written.map((w) => ledger.clear(w.sk, deleted.eventTime)));
    if (written.length > 0) {
      log('INFO', 'dependents tombstoned with their parent', { key: deleted.sk, version: deleted.version, dependents: written.map((w) => w.sk) });
    }
    return written.length;
  };

  /**
   * A dependent (membership) written after its parent's delete was captured — late, or racing the
   * cascade's query — would live on. Written first and checked after, one of the two always sees the other.
   */
  const dieWithDeletedParent = async (item: JournalItem, observedAt?: number): Promise<number> => {
    const parentKeys = [...new Set([item.pk !== item.sk ? item.pk : undefined, item.ref].filter((k): k is string => k !== undefined))];
    if (parentKeys.length === 0) return 0;
    const parents = await Promise.all(parentKeys.map((k) => journal.get(k, k)));
    const killer = parents
      .filter((p): p is JournalItem => p !== undefined && p.deleted && compareVersions(p.version, item.version) > 0)
      .sort((a, b) => compareVersions(b.version, a.version))[0];
    if (!killer) return 0;
    // IoT read the dependent live well after the parent's delete: the parent has been created again since
    // (an attachment needs its certificate, thing or group), its event just not captured yet. A CloudTrail
    // time's second precision alone made the delete look later.
    if (observedAt !== undefined && killer.eventTime < observedAt - OBSERVATION_MARGIN_MS) {
      log('INFO', 'dependent read live after its parent\'s journaled delete; the parent was created again', { key: item.sk, parent: killer.sk });
      return 0;
    }
    const outcome = await journal.putIfNewer(tombstoneItem(item, { ...killer, capturedAt: now(), expiresAt: expiry() }));
    if (outcome !== 'written') return 0;
    await ledger.clear(item.sk, killer.eventTime);
    log('INFO', 'dependent captured after its parent was deleted; tombstoned', { key: item.sk, parent: killer.sk, version: killer.version });
    return 1;
  };

  const expiry = (): number => tombstoneExpiry({ now: now(), tombstoneTtlSeconds });

  return { replace, readIdentity };
}

/**
 * How much later than a parent's delete (IoT's clock) this Lambda's clock must have read a dependent live for
 * the read to prove the parent was created again: clock skew between the two, generously.
 */
const OBSERVATION_MARGIN_MS = 2000;

/** Same origin, same millisecond, different events and states: the order between them is not known. */
function isSameMillisecondTie(stored: JournalItem, incoming: JournalItem): boolean {
  return (
    stored.originRegion === incoming.originRegion &&
    stored.eventTime === incoming.eventTime &&
    stored.eventId !== incoming.eventId &&
    stored.stateHash !== incoming.stateHash
  );
}
