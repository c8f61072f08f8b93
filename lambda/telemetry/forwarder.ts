/**
 * The telemetry forwarder: a batch of buffer messages → PutEvents, up to ten entries (and 256 KB) per
 * request, retrying only the entries that failed, a few times with jittered backoff, within the invocation.
 *
 * What still fails for a reason that may pass (throttling, 5xx, network, access not granted yet) is held
 * in the buffer: reported as a batch item failure and made invisible for a time growing with its receive
 * count (30 s, doubling, at most 15 minutes), so an outage of the bus costs few receives and the backlog
 * flows within 15 minutes of its recovery. On its last receive (`maxReceiveCount`) a message still failing
 * is dead-lettered with the reason. What can never succeed (malformed, too large, rejected by EventBridge)
 * is dead-lettered at once. Nothing is dropped: a message leaves the buffer only once EventBridge accepted
 * it or the dead-letter queue holds it.
 */
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES, TELEMETRY_DEAD_LETTER_REASONS, TELEMETRY_METRICS, telemetryBackoffSeconds } from '../contract';
import { type Metric, emitMetrics, log } from '../shared/telemetry';
import { type TelemetryDeadLetter, toEntry } from './messages';
import type { PutEvents, PutEventsEntry } from './put-events';

/** Per-entry error codes no retry can fix: the entry goes to the dead-letter queue. Any other code is retried. */
export const PERMANENT_ENTRY_ERRORS: ReadonlySet<string> = new Set(['MalformedDetail', 'InvalidArgument', 'ValidationException', 'SerializationException']);

/** A held message's new visibility timeout. */
export interface VisibilityChange {
  readonly receiptHandle: string;
  readonly timeoutSeconds: number;
}

export interface BufferQueue {
  /** Changes the visibility of held messages (best effort: on failure the queue's own timeout applies). */
  changeVisibility(changes: readonly VisibilityChange[]): Promise<void>;
  /** Sends a dead letter; rejects when the dead-letter queue did not take it. */
  deadLetter(letter: TelemetryDeadLetter): Promise<void>;
}

export interface InvocationRetry {
  /** PutEvents attempts per entry within one invocation (the first included). */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_INVOCATION_RETRY: InvocationRetry = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };

export interface ForwarderDeps {
  readonly putEvents: PutEvents;
  readonly queue: BufferQueue;
  readonly eventBusArn: string;
  /** The region whose IoT Core received the messages (`sourceRegion` in every detail). */
  readonly region: string;
  /** The buffer's maxReceiveCount: a message failing on that receive is dead-lettered by the forwarder. */
  readonly maxReceiveCount: number;
  readonly metricsNamespace: string;
  readonly retry?: InvocationRetry;
  /** Stops retrying within the invocation when less than this is left of it (ms); the rest is held. */
  readonly reserveMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

export type ForwarderHandler = (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<SQSBatchResponse>;

interface Pending {
  readonly record: SQSRecord;
  readonly messageId: string;
  /** The buffer message without dead-letter envelopes. */
  readonly body: string;
  readonly entry: PutEventsEntry;
  readonly size: number;
  /** Sent in a request of its own: a request with it was refused as a whole. */
  alone: boolean;
  lastError: string;
}

interface Rejected {
  readonly record: SQSRecord;
  readonly messageId: string;
  readonly body: string;
  readonly reason: string;
  readonly error: string;
}

/** A PutEvents request may take 5 s (index.ts); 2 s more for the dead letters and visibility changes. */
const DEFAULT_RESERVE_MS = 7000;

export function createTelemetryForwarder(deps: ForwarderDeps): ForwarderHandler {
  const retry = deps.retry ?? DEFAULT_INVOCATION_RETRY;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const reserveMs = deps.reserveMs ?? DEFAULT_RESERVE_MS;

  return async (event, context) => {
    const rejected: Rejected[] = [];
    let pending: Pending[] = [];
    for (const record of event.Records) {
      const parsed = toEntry(record.body, record.messageId, deps.eventBusArn, deps.region);
      if (parsed.ok) pending.push({ record, messageId: parsed.messageId, body: parsed.body, entry: parsed.entry, size: parsed.size, alone: false, lastError: '' });
      else rejected.push({ record, messageId: parsed.messageId, body: parsed.body, reason: parsed.reason, error: parsed.error });
    }

    let forwarded = 0;
    let requestFailures = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failed: Pending[] = [];
      for (const request of requests(pending)) {
        if (context && context.getRemainingTimeInMillis() < reserveMs) {
          // Too little time left for another request: held, as if it had failed.
          for (const p of request) failed.push(Object.assign(p, { lastError: p.lastError || 'the invocation ran out of time before sending it' }));
          continue;
        }
        const outcome = await deps.putEvents(request.map((p) => p.entry));
        if (outcome.kind === 'failed') {
          requestFailures++;
          if (!outcome.retryable && request.length === 1) {
            rejected.push({ ...request[0], reason: TELEMETRY_DEAD_LETTER_REASONS.rejected, error: outcome.error });
            continue;
          }
          // A refused request of several entries may hold one bad entry: each is sent alone from now on.
          for (const p of request) failed.push(Object.assign(p, { lastError: outcome.error, alone: p.alone || !outcome.retryable }));
          continue;
        }
        if (outcome.results.some((r) => r.errorCode !== undefined)) requestFailures++;
        outcome.results.forEach((result, i) => {
          const p = request[i];
          if (result.errorCode === undefined) forwarded++;
          else if (PERMANENT_ENTRY_ERRORS.has(result.errorCode)) {
            rejected.push({ ...p, reason: TELEMETRY_DEAD_LETTER_REASONS.rejected, error: describe(result.errorCode, result.errorMessage) });
          } else failed.push(Object.assign(p, { lastError: describe(result.errorCode, result.errorMessage) }));
        });
      }
      pending = failed;
      if (pending.length === 0 || attempt >= retry.maxAttempts) break;
      const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)) * (0.5 + random() / 2);
      if (context && context.getRemainingTimeInMillis() - delay < reserveMs) break;
      await sleep(delay);
    }

    // Still failing for a reason that may pass: held in the buffer, or dead-lettered on the last receive.
    const held: Pending[] = [];
    for (const p of pending) {
      if (receiveCount(p.record) >= deps.maxReceiveCount) {
        rejected.push({ ...p, reason: TELEMETRY_DEAD_LETTER_REASONS.holdExpired, error: `still failing after ${receiveCount(p.record)} receives: ${p.lastError}` });
      } else held.push(p);
    }

    const failures: SQSBatchItemFailure[] = [];
    const holdBack: SQSRecord[] = held.map((p) => p.record);
    let deadLettered = 0;
    for (const r of rejected) {
      const letter: TelemetryDeadLetter = {
        reason: r.reason,
        error: r.error,
        messageId: r.messageId,
        body: r.body,
        deadLetteredAt: new Date(now()).toISOString(),
        receiveCount: receiveCount(r.record),
      };
      try {
        await deps.queue.deadLetter(letter);
        deadLettered++;
        log('WARN', 'telemetry message dead-lettered', { messageId: r.messageId, reason: r.reason, error: r.error });
      } catch (err) {
        // Not in the dead-letter queue, so not acknowledged: it stays in the buffer and comes back.
        log('ERROR', 'telemetry dead letter not sent; the message stays in the buffer', { messageId: r.messageId, reason: r.reason, error: err });
        holdBack.push(r.record);
      }
    }
    for (const record of holdBack) failures.push({ itemIdentifier: record.messageId });
    if (holdBack.length > 0) {
      try {
        await deps.queue.changeVisibility(holdBack.map((record) => ({ receiptHandle: record.receiptHandle, timeoutSeconds: telemetryBackoffSeconds(receiveCount(record)) })));
      } catch (err) {
        log('WARN', "held telemetry messages keep the buffer's visibility timeout", { error: err });
      }
      log('WARN', 'telemetry messages held in the buffer', { count: held.length, lastError: held[0]?.lastError });
    }

    const metrics: Metric[] = [
      { name: TELEMETRY_METRICS.forwarded, value: forwarded, unit: 'Count' },
      { name: TELEMETRY_METRICS.heldBack, value: holdBack.length, unit: 'Count' },
      { name: TELEMETRY_METRICS.deadLettered, value: deadLettered, unit: 'Count' },
      { name: TELEMETRY_METRICS.putEventsFailures, value: requestFailures, unit: 'Count' },
    ];
    if (holdBack.length > 0) {
      const oldest = Math.min(...holdBack.map((r) => Number(r.attributes.SentTimestamp) || now()));
      metrics.push({ name: TELEMETRY_METRICS.heldMessageAge, value: Math.max(0, now() - oldest), unit: 'Milliseconds' });
    }
    emitMetrics(deps.metricsNamespace, {}, metrics);
    return { batchItemFailures: failures };
  };
}

/** Splits entries into PutEvents requests: at most ten entries and 256 KB each; an entry marked `alone` goes by itself. */
export function requests<T extends { readonly size: number; readonly alone: boolean }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (item.alone) {
      out.push([item]);
      continue;
    }
    if (current.length > 0 && (current.length === PUT_EVENTS_MAX_ENTRIES || bytes + item.size > PUT_EVENTS_MAX_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function receiveCount(record: SQSRecord): number {
  const n = Number(record.attributes.ApproximateReceiveCount);
  return Number.isFinite(n) && n >= 1 ? n : 1;
}

function describe(code: string, message: string | undefined): string {
  return message ? `${code}: ${message}` : code;
}
