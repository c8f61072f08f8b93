/** The capture Lambda's environment, validated once at cold start so a misconfiguration fails loudly. */
import { DEFAULT_TOMBSTONE_TTL_SECONDS, HANDLER_ENV } from '../contract';
import { type Environment, HandlerEnvironment, type JournalHandlerConfig, readJournalHandlerConfig } from '../shared/config';

export interface CaptureConfig extends JournalHandlerConfig {
  readonly deadLetterQueueUrl: string;
  readonly tombstoneTtlSeconds: number;
}

export function readCaptureConfig(environment: Environment): CaptureConfig {
  const env = new HandlerEnvironment(environment, 'capture');
  return {
    ...readJournalHandlerConfig(env),
    deadLetterQueueUrl: env.required(HANDLER_ENV.deadLetterQueueUrl),
    tombstoneTtlSeconds: env.seconds(HANDLER_ENV.tombstoneTtlSeconds, DEFAULT_TOMBSTONE_TTL_SECONDS),
  };
}
