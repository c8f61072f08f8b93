/** Poison registry events go straight to the dead-letter queue: retrying them can never succeed. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

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
