/** SQS-shaped telemetry messages and an in-memory buffer that redelivers what the forwarder holds back. */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { TelemetryDeadLetter } from '../../../lambda/telemetry/messages';
import type { BufferQueue, VisibilityChange } from '../../../lambda/telemetry/forwarder';

/** The topic rule's output for message `i`. */
export function ruleMessage(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ seq: i, temperature: 20 + (i % 5), ...extra, topic: `dt/plant-1/sensor-${i % 3}`, receivedAt: 1_760_000_000_000 + i, traceId: `trace-${i}` });
}

export function sqsRecord(body: string, messageId: string, receiveCount = 1, sentTimestamp = 1_760_000_000_000): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}-${receiveCount}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(sentTimestamp),
      SenderId: 'AROAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(sentTimestamp),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-west-2:222222222222:buffer',
    awsRegion: 'us-west-2',
  };
}

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

interface Stored {
  readonly messageId: string;
  readonly body: string;
  receiveCount: number;
}

/**
 * The buffer queue, driven by rounds instead of time: each round delivers every message still in it (as
 * if its visibility timeout had passed), in batches, with its receive count incremented; a message leaves
 * only when the forwarder acknowledges it (not in batchItemFailures).
 */
export class FakeBuffer implements BufferQueue {
  readonly deadLetters: TelemetryDeadLetter[] = [];
  /** Visibility timeouts asked for, per message id, in order. */
  readonly visibility = new Map<string, number[]>();
  failDeadLetterSends = 0;
  private readonly messages: Stored[] = [];
  private readonly byReceipt = new Map<string, string>();

  add(body: string, messageId: string): void {
    this.messages.push({ messageId, body, receiveCount: 0 });
  }

  get size(): number {
    return this.messages.length;
  }

  /** One round: receive every message (batches of `batchSize`), hand each batch to `handle`, drop what it acknowledged. */
  async round(handle: (event: SQSEvent) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>, batchSize = 10): Promise<void> {
    const batch = [...this.messages];
    for (let i = 0; i < batch.length; i += batchSize) {
      const records = batch.slice(i, i + batchSize).map((m) => {
        m.receiveCount++;
        const record = sqsRecord(m.body, m.messageId, m.receiveCount);
        this.byReceipt.set(record.receiptHandle, m.messageId);
        return record;
      });
      const { batchItemFailures } = await handle(sqsEvent(records));
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      for (const r of records) {
        if (failed.has(r.messageId)) continue;
        this.messages.splice(
          this.messages.findIndex((m) => m.messageId === r.messageId),
          1,
        );
      }
    }
  }

  async changeVisibility(changes: readonly VisibilityChange[]): Promise<void> {
    for (const c of changes) {
      const id = this.byReceipt.get(c.receiptHandle);
      if (id === undefined) throw new Error(`unknown receipt handle ${c.receiptHandle}`);
      this.visibility.set(id, [...(this.visibility.get(id) ?? []), c.timeoutSeconds]);
    }
  }

  async deadLetter(letter: TelemetryDeadLetter): Promise<void> {
    if (this.failDeadLetterSends > 0) {
      this.failDeadLetterSends--;
      throw new Error('dead-letter queue unreachable');
    }
    this.deadLetters.push(letter);
  }
}
