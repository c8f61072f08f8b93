/**
 * Parking: replays that failed for a reason that may pass (throttling, 5xx, timeouts, a dependency or a
 * local change not there yet) wait in the parking queue and are retried with growing delays; only what can
 * never succeed reaches the dead-letter queue, with its reason. Both queues carry the same message shape,
 * so a dead-letter queue redrive into the parking queue replays its items again.
 */
import { RETRYABLE_ERRORS } from './errors';

/** Environment variables of the parking consumer (besides HANDLER_ENV's, including `deadLetterQueueUrl`). */
export const PARKING_ENV = {
  parkingQueueUrl: 'PARKING_QUEUE_URL',
  retentionSeconds: 'PARKING_RETENTION_SECONDS',
} as const;

/** How long a parked item is retried before it is dead-lettered as `ParkingExpired`: one day. */
export const DEFAULT_PARKING_RETENTION_SECONDS = 24 * 60 * 60;

/** Delay before the first retry of an item the workflow parks. */
export const FIRST_PARKING_DELAY_SECONDS = 30;

/** Longest wait between two retries of a parked item (SQS DelaySeconds allows at most 900 s per send). */
export const MAX_PARKING_DELAY_SECONDS = 900;

/** `reason` of an item dead-lettered because it was still failing when its parking retention ran out. */
export const PARKING_EXPIRED_REASON = 'ParkingExpired';

/**
 * Errors that may pass with time: the workflow parks them after its short in-execution retries, and the
 * parking consumer parks them again. Lambda's own service errors and timeouts are among them.
 */
export const PARKED_ERRORS: readonly string[] = [
  ...Object.values(RETRYABLE_ERRORS),
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
  'States.Timeout',
];

/**
 * A parked item (the parking queue's messages) and a dead letter (the dead-letter queue's messages): the
 * journal key to re-read, plus how it has failed so far. A dead letter adds `reason`; receiving one
 * (after a redrive) restarts its parking clock.
 */
export interface ParkedItem {
  readonly key: string;
  readonly partition: string;
  /** The journal version the first failure was about; replay always applies the current item. */
  readonly version?: string;
  readonly originRegion?: string;
  readonly eventTime?: number;
  /** Replay attempts so far (the workflow's counts as one). */
  readonly attempt: number;
  /** ISO 8601 time of the first failure; the parking retention runs from it. */
  readonly firstFailedAt: string;
  /** ISO 8601 time before which the item is not retried (SQS delays a send by 15 minutes at most). */
  readonly notBefore?: string;
  /** The latest failure: error name and cause. */
  readonly error?: string;
  readonly cause?: string;
  /** Only on dead letters: why the item was given up on (an error name, or `ParkingExpired`). */
  readonly reason?: string;
  /** Only on dead letters: when it was given up on. */
  readonly deadLetteredAt?: string;
}
