/**
 * The capture pipeline for one SQS batch: parse, plan, suppress echoes, write the journal conditionally,
 * cascade deletes. Built from plain dependencies so tests can point it at dynalite, an IoT emulator and an
 * in-memory dead-letter sink.
 *
 * Three message shapes share the queue, told apart by shape: a registry event (topic rule message, `topic`
 * under `$aws/events/`), a shadow message (`topic` under `$aws/things/`), and a CloudTrail management event
 * (an EventBridge envelope with `detail-type`). For a CloudTrail call capture reads the entity's current
 * state from IoT (identity-capture.ts); the other two carry their state.
 *
 * Per record: malformed → dead-letter queue and reported as done (never retry poison); any other failure
 * (throttling, 5xx, a lost merge race) → reported in batchItemFailures so SQS redelivers that record only.
 * A CloudTrail event's dead letter is redacted (redactCloudTrailEvent): no certificate or template body leaves.
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
import { type CloudTrailCall, type IdentityCall, isEventBridgeEnvelope, isOwnWrite, parseCloudTrailEvent, redactCloudTrailEvent, redactPem } from './cloudtrail-events';
import { type DeadLetterSink, registryEventBody } from './dead-letters';
import { type ChangePlan, type MergePlan, mergedItem, mergeFingerprints, mergeState, planChange, type ReplacePlan, tombstoneExpiry } from './desired-state';
import { entityKeys, entityOfKey, type IdentityReader, planIdentityCapture, planShadowChange } from './identity-capture';
import { checkEventTime, parseRegistryEvent } from './registry-events';
import { isReplayEcho, isShadowMessage, parseShadowMessage } from './shadow-events';

export type CaptureJournal = Pick<JournalStore, 'get' | 'putIfNewer' | 'replaceIfNewer' | 'putIfVersion' | 'dependents' | 'tombstoneAll'>;
export type CaptureLedger = Pick<EchoLedgerStore, 'isEcho' | 'clear' | 'recordKnownState'>;

export interface CaptureDeps {
  readonly journal: CaptureJournal;
  readonly ledger: CaptureLedger;
  readonly deadLetters: DeadLetterSink;
  readonly iot: RegistryReader;
  /**
   * Device identities and shadows in this region: what a CloudTrail call changed is read through it.
   * @default - none: CloudTrail events fail (and are retried by SQS) until one is configured
   */
  readonly identities?: IdentityReader;
  /**
   * Identities (`roleIdentity`) of the pipeline's own roles: their CloudTrail calls are echoes.
   * @default - none
   */
  readonly ownRoles?: ReadonlySet<string>;
  /** Whether shadow messages are journaled; when false they are skipped. @default false */
  readonly shadowsEnabled?: boolean;
  /**
   * The capture queue's maxReceiveCount. A CloudTrail event that fails on its last receive is dead-lettered
   * by capture, redacted, instead of moved by SQS as it is (with any certificate body it holds).
   * @default - none: SQS moves such a record to the dead-letter queue unchanged
   */
  readonly maxReceiveCount?: number;
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

export type CaptureOutcome = 'captured' | 'superseded' | 'echo' | 'malformed' | 'skipped';

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
  const ownRoles = deps.ownRoles ?? new Set<string>();
  const shadowsEnabled = deps.shadowsEnabled ?? false;

  const parse = (record: SQSRecord): Parsed => {
    // Redriven dead letters come back in any of the capture dead-letter queue's shapes (see dead-letters.ts).
    let body = record.body;
    let source: Parsed['source'] = 'registry';
    try {
      body = registryEventBody(record.body);
      const message = jsonObject(body);
      if (message && isEventBridgeEnvelope(message)) {
        source = 'cloudtrail';
        // What a dead letter keeps of a CloudTrail event: never a certificate, key or template body.
        body = JSON.stringify(redactCloudTrailEvent(message));
        return { record, body, source, ...judgeCall(parseCloudTrailEvent(message)) };
      }
      if (message && isShadowMessage(message)) {
        source = 'shadow';
        if (!shadowsEnabled) return { record, body, source, skip: { outcome: 'skipped', why: 'shadows are not replicated' } };
        const change = parseShadowMessage(message);
        const key = entityKeys({ kind: 'shadow', thingName: change.thingName, shadowName: change.shadowName }).sk;
        if (isReplayEcho(change)) return { record, body, source, skip: { outcome: 'echo', why: 'replay wrote this shadow (clientToken)', key } };
        const at = now();
        checkEventTime(change, at);
        return { record, body, source, plan: planShadowChange(change, { originRegion: region, now: at, tombstoneTtlSeconds }) };
      }
      // Anything else is judged as a registry event; a body that is not JSON could hold anything: no PEM kept.
      if (!message) body = redactPem(body);
      const event = parseRegistryEvent(body);
      const at = now();
      checkEventTime(event, at);
      return { record, body, source, plan: planChange(event, { originRegion: region, now: at, tombstoneTtlSeconds }) };
    } catch (err) {
      if (err instanceof MalformedInput) return { record, body, source, malformed: err };
      throw err;
    }
  };

  /** A CloudTrail call: skipped (failed, unreplicated), an echo of the pipeline's own role, or an entity to read. */
  const judgeCall = (call: CloudTrailCall): Pick<Parsed, 'skip' | 'identity'> => {
    if (call.outcome === 'skipped') return { skip: { outcome: 'skipped', why: call.reason, eventName: call.eventName } };
    const key = entityKeys(call.entity).sk;
    if (isOwnWrite(call, ownRoles)) return { skip: { outcome: 'echo', why: 'the pipeline\'s own role made the call', eventName: call.eventName, key } };
    checkEventTime(call, now());
    return { identity: call };
  };

  const processRecord = async ({ record, body, source, plan, identity, skip, malformed }: Parsed): Promise<RecordResult> => {
    const deadLetter = async (reason: string, error: string): Promise<RecordResult> => {
      await deadLetters.send({ reason, error, body, messageId: record.messageId });
      log('WARN', `malformed ${SOURCE_NAMES[source]} sent to the dead-letter queue`, { messageId: record.messageId, reason, error });
      return { outcome: 'malformed', cascaded: 0 };
    };
    if (skip) {
      log('INFO', skip.outcome === 'echo' ? `echo of the pipeline's own write suppressed` : `${SOURCE_NAMES[source]} skipped`, {
        messageId: record.messageId,
        why: skip.why,
        ...(skip.eventName ? { eventName: skip.eventName } : {}),
        ...(skip.key ? { key: skip.key } : {}),
      });
      return { outcome: skip.outcome, cascaded: 0 };
    }
    if (!plan && !identity) return deadLetter(MALFORMED_REASONS[source], malformed?.message ?? 'unparseable record');
    try {
      if (identity) return await replace(await readIdentity(identity));
      if (!plan) throw new Error('unreachable: a parsed record has a plan');
      return await (plan.mode === 'replace' ? replace(plan) : merge(plan));
    } catch (err) {
      // DynamoDB refused the item itself (too large, unrepresentable): no retry can ever write it.
      if (err instanceof JournalItemRejected) return deadLetter('JournalWriteRejected', err.message);
      throw err;
    }
  };

  /** Reads what the call changed from this region's IoT (failures propagate: SQS retries the record). */
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

  const replace = async (plan: ReplacePlan): Promise<RecordResult> => {
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

  /**
   * On a CloudTrail event's last receive, sends its redacted copy to the dead-letter queue and reports it
   * done: SQS would move the whole event there, certificate bodies and all. True when it did.
   */
  const deadLetterLastAttempt = async (p: Parsed, err: unknown): Promise<boolean> => {
    const receives = Number(p.record.attributes?.ApproximateReceiveCount);
    if (p.source !== 'cloudtrail' || deps.maxReceiveCount === undefined || !(receives >= deps.maxReceiveCount)) return false;
    const error = redactPem(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    try {
      await deadLetters.send({ reason: 'CaptureFailed', error, body: p.body, messageId: p.record.messageId });
    } catch (sendErr) {
      log('ERROR', 'could not dead-letter a failing CloudTrail event; SQS will move it', { messageId: p.record.messageId, error: sendErr });
      return false;
    }
    log('WARN', `CloudTrail event failed on its last receive (${receives}); sent to the dead-letter queue, redacted`, { messageId: p.record.messageId, error: err });
    return true;
  };

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const counts: Record<CaptureOutcome, number> = { captured: 0, superseded: 0, echo: 0, malformed: 0, skipped: 0 };
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
          if (await deadLetterLastAttempt(p, err)) continue;
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
      { name: METRIC_NAMES.skipped, value: counts.skipped, unit: 'Count' },
    ]);
    return { batchItemFailures };
  };
}

type MessageSource = 'registry' | 'cloudtrail' | 'shadow';

const SOURCE_NAMES: Record<MessageSource, string> = { registry: 'registry event', cloudtrail: 'CloudTrail event', shadow: 'shadow message' };
const MALFORMED_REASONS: Record<MessageSource, string> = { registry: 'MalformedEvent', cloudtrail: 'MalformedCloudTrailEvent', shadow: 'MalformedShadowMessage' };

interface Parsed {
  readonly record: SQSRecord;
  /**
   * The message, unwrapped from a redriven dead letter; what a dead letter keeps (a CloudTrail event
   * redacted, see redactCloudTrailEvent).
   */
  readonly body: string;
  readonly source: MessageSource;
  readonly plan?: ChangePlan;
  /** A CloudTrail call whose entity capture reads from IoT in its lane. */
  readonly identity?: IdentityCall;
  /** Nothing to journal: why, for the log and the metrics. */
  readonly skip?: { readonly outcome: 'echo' | 'skipped'; readonly why: string; readonly eventName?: string; readonly key?: string };
  readonly malformed?: MalformedInput;
}

/** Groups parsed records by entity key, each group sorted by event time (malformed and skipped ones alone). */
function lanes(parsed: readonly Parsed[]): Parsed[][] {
  const byKey = new Map<string, Parsed[]>();
  for (const p of parsed) {
    const key = p.plan
      ? p.plan.mode === 'replace'
        ? p.plan.item.sk
        : p.plan.keys.sk
      : p.identity
        ? entityKeys(p.identity.entity).sk
        : `alone#${p.record.messageId}`;
    byKey.set(key, [...(byKey.get(key) ?? []), p]);
  }
  const timeOf = (p: Parsed) => (p.plan ? (p.plan.mode === 'replace' ? p.plan.item.eventTime : p.plan.eventTime) : (p.identity?.eventTime ?? 0));
  return [...byKey.values()].map((lane) => [...lane].sort((a, b) => timeOf(a) - timeOf(b)));
}

/** The body as a JSON object, or undefined when it is not one. */
function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
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
