/** The buffer and dead-letter queues as the forwarder uses them, over the SQS client. */
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BufferQueue } from './forwarder';

/** ChangeMessageVisibilityBatch takes ten entries at most. */
const MAX_BATCH = 10;

export function sqsBufferQueue(sqs: Pick<SQSClient, 'send'>, bufferQueueUrl: string, deadLetterQueueUrl: string): BufferQueue {
  return {
    async changeVisibility(changes) {
      for (let i = 0; i < changes.length; i += MAX_BATCH) {
        const entries = changes.slice(i, i + MAX_BATCH).map((c, j) => ({ Id: `m${i + j}`, ReceiptHandle: c.receiptHandle, VisibilityTimeout: c.timeoutSeconds }));
        const answer = await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: bufferQueueUrl, Entries: entries }));
        if (answer.Failed && answer.Failed.length > 0) {
          throw new Error(`ChangeMessageVisibilityBatch failed for ${answer.Failed.length} messages: ${answer.Failed[0].Code ?? ''} ${answer.Failed[0].Message ?? ''}`);
        }
      }
    },
    async deadLetter(letter) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: JSON.stringify(letter),
          MessageAttributes: { reason: { DataType: 'String', StringValue: letter.reason } },
        }),
      );
    },
  };
}
