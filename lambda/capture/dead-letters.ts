/**
 * Poison events go straight to the dead-letter queue: retrying them can never succeed.
 *
 * The capture dead-letter queue receives these shapes, and a redrive into the capture queue
 * (`aws sqs start-message-move-task`) brings each back to the handler, which reads them all:
 * - the message as the queue got it (a topic rule message `SELECT *, topic() AS topic`, or a CloudTrail
 *   event's EventBridge envelope), moved by SQS after 5 receives, or by EventBridge when the queue refused it;
 * - the IoT rule error action's message: the original payload in `base64OriginalPayload`, the topic beside it;
 * - this module's `DeadLetter`, whose `body` is always the queue message shape (unwrapped from the other two);
 *   for a CloudTrail event, redacted (see redactCloudTrailEvent in cloudtrail-events.ts).
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MalformedInput } from '../shared/errors';
import { parseJsonObject } from '../shared/json';

export interface DeadLetter {
  /** Short category, e.g. 'MalformedEvent'. */
  readonly reason: string;
  /** What exactly was wrong. */
  readonly error: string;
  /** The SQS message body as received. */
  readonly body: string;
  readonly messageId: string;
}

export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

export function sqsDeadLetters(sqs: Pick<SQSClient, 'send'>, queueUrl: string): DeadLetterSink {
  return {
    async send(letter) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(letter) }));
    },
  };
}

/** Letters inside letters are unwrapped this deep at most (a handler letter never nests; this is a guard). */
const MAX_UNWRAP_DEPTH = 4;

/**
 * The registry event (rule message shape) inside any message of the capture dead-letter queue; a rule
 * message is returned as it is. Throws MalformedInput when an error-action payload cannot be decoded.
 */
export function registryEventBody(body: string): string {
  let current = body;
  for (let depth = 0; depth < MAX_UNWRAP_DEPTH; depth++) {
    const parsed = parseJsonObject(current);
    if (!parsed) return current;
    if (typeof parsed.base64OriginalPayload === 'string') {
      const payload = parseJsonObject(Buffer.from(parsed.base64OriginalPayload, 'base64').toString('utf8'));
      if (!payload) throw new MalformedInput('base64OriginalPayload is not a base64-encoded JSON object');
      // The rule's SELECT adds the topic; the original MQTT payload has none, the error message has it.
      // Spread keeps an own `__proto__` attribute (it defines properties, it does not assign them).
      return JSON.stringify(payload.topic === undefined && parsed.topic !== undefined ? { ...payload, topic: parsed.topic } : payload);
    }
    if (isDeadLetter(parsed)) {
      current = parsed.body;
      continue;
    }
    return current;
  }
  return current;
}

function isDeadLetter(o: Record<string, unknown>): o is Record<string, unknown> & DeadLetter {
  return typeof o.reason === 'string' && typeof o.error === 'string' && typeof o.body === 'string' && o.topic === undefined;
}
