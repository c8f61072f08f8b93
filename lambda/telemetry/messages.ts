/**
 * Buffer messages → PutEvents entries.
 *
 * The buffer holds the topic rule's output (`SELECT *, topic() AS topic, timestamp() AS receivedAt,
 * traceid() AS traceId`). After a redrive from the dead-letter queue it may also hold the forwarder's own
 * dead letters (`TelemetryDeadLetter`) and the topic rule's error-action messages (the MQTT payload in
 * `base64OriginalPayload`); both are unwrapped to the message they carry, keeping its `messageId`.
 *
 * Every event's detail is `{ messageId, topic, receivedAt, sourceRegion, message }`: `messageId` is the
 * same on every delivery of one MQTT message (IoT's trace id, else the first buffer message id), so
 * consumers drop duplicates by it and get each message exactly once in effect.
 */
import { PUT_EVENTS_MAX_BYTES, TELEMETRY_DEAD_LETTER_REASONS, TELEMETRY_DETAIL_TYPE, TELEMETRY_EVENT_SOURCE, TELEMETRY_RULE_FIELDS } from '../contract';
import { parseJsonObject } from '../shared/json';
import type { PutEventsEntry } from './put-events';

/** A dead letter the forwarder writes: why, the message's stable id, and the buffer message body as received. */
export interface TelemetryDeadLetter {
  readonly reason: string;
  readonly error: string;
  readonly messageId: string;
  readonly body: string;
  readonly deadLetteredAt: string;
  readonly receiveCount: number;
}

/** The detail of every event the forwarder puts. */
export interface TelemetryDetail {
  readonly messageId: string;
  readonly topic?: string;
  /** Epoch milliseconds at which IoT received the message. */
  readonly receivedAt?: number;
  /** The region whose IoT Core received the message. */
  readonly sourceRegion: string;
  /** The device's message, without the attributes the rule added. */
  readonly message: Record<string, unknown>;
}

/**
 * `body` is the buffer message without any dead-letter envelope, what a new dead letter keeps: letters
 * redriven and dead-lettered again do not nest.
 */
export type ParsedMessage =
  | { readonly ok: true; readonly messageId: string; readonly body: string; readonly entry: PutEventsEntry; readonly size: number }
  | { readonly ok: false; readonly messageId: string; readonly body: string; readonly reason: string; readonly error: string };

/** Dead letters inside dead letters are unwrapped this deep at most (a guard; the forwarder never nests them). */
const MAX_UNWRAP_DEPTH = 4;

/** Turns one buffer message into its PutEvents entry, or says why it can never be one. */
export function toEntry(body: string, sqsMessageId: string, eventBusArn: string, sourceRegion: string): ParsedMessage {
  let messageId = sqsMessageId;
  let current = body;
  let unwrapped = body;
  let fields: Record<string, unknown> | undefined;
  let errorActionTopic: unknown;
  for (let depth = 0; depth <= MAX_UNWRAP_DEPTH; depth++) {
    fields = parseJsonObject(current);
    if (!fields) break;
    if (isDeadLetter(fields)) {
      messageId = fields.messageId;
      current = fields.body;
      unwrapped = fields.body;
      continue;
    }
    if (typeof fields.base64OriginalPayload === 'string') {
      errorActionTopic = fields.topic;
      current = Buffer.from(fields.base64OriginalPayload, 'base64').toString('utf8');
      continue;
    }
    break;
  }
  if (!fields) {
    return { ok: false, messageId, body: unwrapped, reason: TELEMETRY_DEAD_LETTER_REASONS.malformed, error: 'the message is not a JSON object' };
  }
  const { [TELEMETRY_RULE_FIELDS.topic]: topic, [TELEMETRY_RULE_FIELDS.receivedAt]: receivedAt, [TELEMETRY_RULE_FIELDS.traceId]: traceId, ...message } = fields;
  if (typeof traceId === 'string' && traceId !== '') messageId = traceId;
  const topicName = typeof topic === 'string' ? topic : typeof errorActionTopic === 'string' ? errorActionTopic : undefined;
  const detail: TelemetryDetail = {
    messageId,
    ...(topicName !== undefined ? { topic: topicName } : {}),
    ...(typeof receivedAt === 'number' && Number.isFinite(receivedAt) ? { receivedAt } : {}),
    sourceRegion,
    message,
  };
  const entry: PutEventsEntry = {
    Source: TELEMETRY_EVENT_SOURCE,
    DetailType: TELEMETRY_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
    EventBusName: eventBusArn,
    ...(detail.receivedAt !== undefined ? { Time: detail.receivedAt / 1000 } : {}),
  };
  const size = entrySize(entry);
  if (size > PUT_EVENTS_MAX_BYTES) {
    return { ok: false, messageId, body: unwrapped, reason: TELEMETRY_DEAD_LETTER_REASONS.tooLarge, error: `the event would be ${size} bytes; PutEvents takes at most ${PUT_EVENTS_MAX_BYTES}` };
  }
  return { ok: true, messageId, body: unwrapped, entry, size };
}

/**
 * An entry's size as EventBridge counts it (14 bytes for Time, UTF-8 bytes of Source, DetailType and
 * Detail), plus the bus ARN's, to stay on the safe side of the 256 KB request limit.
 */
export function entrySize(entry: PutEventsEntry): number {
  return (
    (entry.Time !== undefined ? 14 : 0) +
    Buffer.byteLength(entry.Source) +
    Buffer.byteLength(entry.DetailType) +
    Buffer.byteLength(entry.Detail) +
    Buffer.byteLength(entry.EventBusName)
  );
}

function isDeadLetter(o: Record<string, unknown>): o is Record<string, unknown> & TelemetryDeadLetter {
  return typeof o.reason === 'string' && typeof o.error === 'string' && typeof o.body === 'string' && typeof o.messageId === 'string' && typeof o.deadLetteredAt === 'string';
}
