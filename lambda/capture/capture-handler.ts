/**
 * The capture pipeline for one SQS batch of registry events: parse, plan, suppress echoes, write the
 * journal conditionally, cascade deletes. Built from plain dependencies so tests can point it at dynalite,
 * an IoT emulator and an in-memory dead-letter sink.
 *
 * Per record: malformed → dead-letter queue and reported as done (never retry poison); any other failure
 * (throttling, 5xx, a lost merge race) → reported in batchItemFailures so SQS redelivers that record only.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_TOMBSTONE_TTL_SECONDS, METRIC_NAMES } from '../contract';
import type { EchoLedgerStore } from '../shared/echo-ledger-store';
import { ConcurrentModification, MalformedInput } from '../shared/errors';
import { JournalItemRejected, type JournalStore, mapLimit, tombstoneItem } from '../shared/journal-store';
import { stateHash } from '../shared/hash';
import type { EntityState, JournalItem } from '../shared/model';
import type { RegistryReader } from '../shared/registry-adapter';
import { emitMetrics, log } from '../shared/telemetry';
import { compareVersions } from '../shared/version';
import { type DeadLetterSink, registryEventBody } from './dead-letters';
import { type ChangePlan, type MergePlan, mergedItem, mergeFingerprints, mergeState, planChange, type ReplacePlan, tombstoneExpiry } from './desired-state';
import { checkEventTime, parseRegistryEvent } from './registry-events';

export type CaptureJournal = Pick<JournalStore, 'get' | 'putIfNewer' | 'replaceIfNewer' | 'putIfVersion' | 'dependents' | 'tombstoneAll'>;
export type CaptureLedger = Pick<EchoLedgerStore, 'isEcho' | 'clear' | 'recordKnownState'>;

export interface CaptureDeps {
  readonly journal: CaptureJournal;
  readonly ledger: CaptureLedger;
  readonly deadLetters: DeadLetterSink;
  readonly iot: RegistryReader;
  /** This Lambda's region: the origin of every event it captures. */
  readonly region: string;
  /** @default DEFAULT_TOMBSTONE_TTL_SECONDS (14 days) */
  readonly tombstoneTtlSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default DEFAULT_METRICS_NAMESPACE */
  readonly metricsNamespace?: string;
  /** Records processed at once. @default 10, SQS's default batch size */
  readonly concurrency?: number;
  /** Read-merge-write attempts for partial events before giving the record back to SQS. @default 5 */
  readonly mergeAttempts?: number;
  /** @default emitMetrics: one EMF line per invocation */
  readonly emit?: typeof emitMetrics;
}

export type CaptureOutcome = 'captured' | 'superseded' | 'echo' | 'malformed';

interface RecordResult {
  readonly outcome: CaptureOutcome;
  /** Dependent items tombstoned because of this record. */
  readonly cascaded: number;
}

export function createCaptureHandler(deps: CaptureDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const { journal, ledger, deadLetters, iot, region } = deps;
  const now = deps.now ?? Date.now;
  const tombstoneTtlSeconds = deps.tombstoneTtlSeconds ?? DEFAULT_TOMBSTONE_TTL_SECONDS;
  const namespace = deps.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
  const concurrency = deps.concurrency ?? 10;
  const mergeAttempts = deps.mergeAttempts ?? 5;
  const emit = deps.emit ?? emitMetrics;

  const parse = (record: SQSRecord): Parsed => {
    // Redriven dead letters come back in any of the capture dead-letter queue's shapes (see dead-letters.ts).
    let body = record.body;
    try {
      body = registryEventBody(record.body);
      const event = parseRegistryEvent(body);
      const at = now();
      checkEventTime(event, at);
      return { record, body, plan: planChange(event, { originRegion: region, now: at, tombstoneTtlSeconds }) };
    } catch (err) {
      if (err instanceof MalformedInput) return { record, body, malformed: err };
      throw err;
    }
  };

  const processRecord = async ({ record, body, plan, malformed }: Parsed): Promise<RecordResult> => {
    const deadLetter = async (reason: string, error: string): Promise<RecordResult> => {
      await deadLetters.send({ reason, error, body, messageId: record.messageId });
      log('WARN', 'malformed registry event sent to the dead-letter queue', { messageId: record.messageId, reason, error });
      return { outcome: 'malformed', cascaded: 0 };
    };
    if (!plan) return deadLetter('MalformedEvent', malformed?.message ?? 'unparseable record');
    try {
      return await (plan.mode === 'replace' ? replace(plan) : merge(plan));
    } catch (err) {
      // DynamoDB refused the item itself (too large, unrepresentable): no retry can ever write it.
      if (err instanceof JournalItemRejected) return deadLetter('JournalWriteRejected', err.message);
      throw err;
    }
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

  const replace = async (plan: ReplacePlan): Promise<RecordResult> => {
    const { item } = plan;
    // Before any version comparison: an echo carries a newer event time than the state it brings back.
    if ((await ledger.isEcho(item.sk, plan.fingerprints, item.eventTime)) && !(await revertsLocalChange(plan))) {
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
      cascaded = await dieWithDeletedParent(item);
    }
    return { outcome: outcome === 'written' ? 'captured' : 'superseded', cascaded };
  };

  /**
   * Records the local state an event shows as what this region's pipeline knows (replay's optimistic
   * concurrency check, see assertNoPendingLocalChange in lambda/replay/common.ts) — after the journal
   * write, never before. Memberships are not checked by replay, so not recorded.
   */
  const recordKnown = async ({ item, fingerprints }: ReplacePlan): Promise<void> => {
    if (item.kind === 'member') return;
    const versioned = fingerprints.find((f) => f.startsWith('v#'));
    const localVersion = versioned !== undefined && !item.deleted ? Number(versioned.slice(2)) : undefined;
    await ledger.recordKnownState(
      item.sk,
      { stateHash: item.stateHash, at: item.eventTime, ...(localVersion !== undefined && Number.isInteger(localVersion) ? { localVersion } : {}) },
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
      default:
        throw new Error(`no registry reader for journal kind '${item.kind}'`);
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
  const dieWithDeletedParent = async (item: JournalItem): Promise<number> => {
    const parentKeys = [...new Set([item.pk !== item.sk ? item.pk : undefined, item.ref].filter((k): k is string => k !== undefined))];
    if (parentKeys.length === 0) return 0;
    const parents = await Promise.all(parentKeys.map((k) => journal.get(k, k)));
    const killer = parents
      .filter((p): p is JournalItem => p !== undefined && p.deleted && compareVersions(p.version, item.version) > 0)
      .sort((a, b) => compareVersions(b.version, a.version))[0];
    if (!killer) return 0;
    const outcome = await journal.putIfNewer(tombstoneItem(item, { ...killer, capturedAt: now(), expiresAt: expiry() }));
    if (outcome !== 'written') return 0;
    await ledger.clear(item.sk, killer.eventTime);
    log('INFO', 'dependent captured after its parent was deleted; tombstoned', { key: item.sk, parent: killer.sk, version: killer.version });
    return 1;
  };

  const merge = async (plan: MergePlan): Promise<RecordResult> => {
    const { pk, sk } = plan.keys;
    for (let attempt = 1; attempt <= mergeAttempts; attempt++) {
      const current = await journal.get(pk, sk);
      if (current && compareVersions(plan.version, current.version) <= 0) return { outcome: 'superseded', cascaded: 0 };
      let base: EntityState | undefined = current && !current.deleted ? current.state : undefined;
      if (!base) {
        // Not journaled yet (it predates replication) or journaled as deleted: ask this region's registry.
        base = plan.kind === 'thing' ? await iot.describeThing(plan.thingName) : await iot.describeThingGroup(plan.thingGroupName);
        if (!base) {
          log('INFO', 'partial event for an entity that no longer exists; its delete event carries the truth', { key: sk, version: plan.version });
          return { outcome: 'superseded', cascaded: 0 };
        }
      }
      const item = mergedItem(plan, mergeState(plan, base));
      if (await ledger.isEcho(sk, mergeFingerprints(item), item.eventTime)) {
        log('INFO', 'echo of a replayed change suppressed', { key: sk, version: item.version });
        return { outcome: 'echo', cascaded: 0 };
      }
      if (await journal.putIfVersion(item, current?.version)) {
        await ledger.clear(sk, item.eventTime);
        return { outcome: 'captured', cascaded: 0 };
      }
    }
    throw new ConcurrentModification(`journal item ${sk} kept changing during ${mergeAttempts} read-merge-write attempts`);
  };

  const expiry = (): number => tombstoneExpiry({ now: now(), tombstoneTtlSeconds });

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const counts: Record<CaptureOutcome, number> = { captured: 0, superseded: 0, echo: 0, malformed: 0 };
    let cascaded = 0;
    const batchItemFailures: SQSBatchItemFailure[] = [];
    const parsed: Parsed[] = [];
    for (const record of event.Records) {
      try {
        parsed.push(parse(record));
      } catch (err) {
        batchItemFailures.push({ itemIdentifier: record.messageId });
        log('ERROR', 'capture failed; SQS will redeliver the record', { messageId: record.messageId, error: err });
      }
    }
    // One lane per entity, in event-time order: a genuine change clears the echo ledger before the next
    // event of that entity is judged. Entities run in parallel.
    await mapLimit(lanes(parsed), concurrency, async (lane) => {
      for (const p of lane) {
        try {
          const result = await processRecord(p);
          counts[result.outcome]++;
          cascaded += result.cascaded;
        } catch (err) {
          batchItemFailures.push({ itemIdentifier: p.record.messageId });
          log('ERROR', 'capture failed; SQS will redeliver the record', { messageId: p.record.messageId, error: err });
        }
      }
    });
    emit(namespace, {}, [
      { name: METRIC_NAMES.captured, value: counts.captured, unit: 'Count' },
      { name: METRIC_NAMES.superseded, value: counts.superseded, unit: 'Count' },
      { name: METRIC_NAMES.echoSuppressed, value: counts.echo, unit: 'Count' },
      { name: METRIC_NAMES.malformed, value: counts.malformed, unit: 'Count' },
      { name: METRIC_NAMES.cascadeTombstones, value: cascaded, unit: 'Count' },
    ]);
    return { batchItemFailures };
  };
}

interface Parsed {
  readonly record: SQSRecord;
  /** The registry event's rule message, unwrapped from a redriven dead letter; what a dead letter keeps. */
  readonly body: string;
  readonly plan?: ChangePlan;
  readonly malformed?: MalformedInput;
}

/** Groups parsed records by entity key, each group sorted by event time (malformed ones alone). */
function lanes(parsed: readonly Parsed[]): Parsed[][] {
  const byKey = new Map<string, Parsed[]>();
  for (const p of parsed) {
    const key = p.plan ? (p.plan.mode === 'replace' ? p.plan.item.sk : p.plan.keys.sk) : `malformed#${p.record.messageId}`;
    byKey.set(key, [...(byKey.get(key) ?? []), p]);
  }
  const timeOf = (p: Parsed) => (p.plan ? (p.plan.mode === 'replace' ? p.plan.item.eventTime : p.plan.eventTime) : 0);
  return [...byKey.values()].map((lane) => [...lane].sort((a, b) => timeOf(a) - timeOf(b)));
}


/** Same origin, same millisecond, different events and states: the order between them is not known. */
function isSameMillisecondTie(stored: JournalItem, incoming: JournalItem): boolean {
  return (
    stored.originRegion === incoming.originRegion &&
    stored.eventTime === incoming.eventTime &&
    stored.eventId !== incoming.eventId &&
    stored.stateHash !== incoming.stateHash
  );
}
