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
import { ConcurrentModification, MalformedInput } from '../shared/errors';
import { JournalItemRejected, mapLimit } from '../shared/journal-store';
import type { EntityState } from '../shared/model';
import type { RegistryReader } from '../shared/registry-adapter';
import { emitMetrics, log } from '../shared/telemetry';
import { compareVersions } from '../shared/version';
import { type CloudTrailCall, type IdentityCall, isEventBridgeEnvelope, isOwnWrite, parseCloudTrailEvent, redactCloudTrailEvent, redactPem } from './cloudtrail-events';
import { type DeadLetterSink, registryEventBody } from './dead-letters';
import { type ChangePlan, type MergePlan, mergedItem, mergeFingerprints, mergeState, planChange } from './desired-state';
import { entityKeys, type IdentityReader, planShadowChange } from './identity-capture';
import { type CaptureJournal, type CaptureLedger, createJournalWriter } from './journal-writer';
import { checkEventTime, parseRegistryEvent } from './registry-events';
import { isReplayEcho, isShadowMessage, parseShadowMessage } from './shadow-events';

export type { CaptureJournal, CaptureLedger } from './journal-writer';

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

  const writer = createJournalWriter({ journal, ledger, iot, identities: deps.identities, region, tombstoneTtlSeconds, now });
  const { replace, readIdentity } = writer;

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


