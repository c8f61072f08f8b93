import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RETRYABLE_ERRORS } from '../../lambda/contract';

/** Express workflows stop after five minutes; each item's retries must fit with room to spare. */
export const EXPRESS_LIMIT = Duration.minutes(5);

/** Each SendMessage attempt (to the parking or the dead-letter queue) is bounded by this task timeout. */
export const DEAD_LETTER_SEND_TIMEOUT = Duration.seconds(5);

/** A Retry rule, kept as data so the worst case can be computed from exactly what is deployed. */
export interface RetryPolicy {
  readonly errors: string[];
  readonly interval: Duration;
  readonly backoffRate: number;
  readonly maxAttempts: number;
  readonly maxDelay: Duration;
}

/**
 * The parent, type or thing is not in this region yet: wait for capture-and-replay to bring it. Or this
 * region holds a change its capture has not journaled yet: wait for capture to journal it.
 *
 * Short (1 + 2 + 4 + 8 = 15 s): a dependency in flight lands within seconds, and while one item waits its
 * whole batch waits — the pipe reads a shard's next batch only after the execution ends. Longer waits
 * (a CloudTrail event minutes late, a bulk copy's certificates still queued at their quota) are parking's
 * job, which holds no batch.
 */
export const DEPENDENCY_RETRY: RetryPolicy = {
  errors: [RETRYABLE_ERRORS.dependencyNotReady, RETRYABLE_ERRORS.localChangePending],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 4,
  maxDelay: Duration.seconds(8),
};

/**
 * Throttling, a concurrent local change, an IoT 5xx or network error, Lambda's own transient errors or a
 * function timeout: retry soon.
 */
export const TRANSIENT_RETRY: RetryPolicy = {
  errors: [
    RETRYABLE_ERRORS.throttled,
    RETRYABLE_ERRORS.conflict,
    RETRYABLE_ERRORS.unavailable,
    'Lambda.TooManyRequestsException',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.Unknown',
    'Sandbox.Timedout',
  ],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 4,
  maxDelay: Duration.seconds(10),
};

/** A failed SendMessage to the parking or the dead-letter queue. */
export const DEAD_LETTER_RETRY: RetryPolicy = {
  errors: [sfn.Errors.TASKS_FAILED],
  interval: Duration.seconds(1),
  backoffRate: 2,
  maxAttempts: 2,
  maxDelay: Duration.seconds(2),
};

/** Upper bound of the waits of one retrier: FULL jitter draws each wait from [0, min(maxDelay, interval × rate^n)]. */
function maxWaitSeconds(p: RetryPolicy): number {
  let total = 0;
  for (let n = 0; n < p.maxAttempts; n++) {
    total += Math.min(p.maxDelay.toSeconds(), p.interval.toSeconds() * p.backoffRate ** n);
  }
  return total;
}

/**
 * Worst case for one record, in seconds: every attempt of the replay task runs to the handler timeout and
 * every retrier is exhausted with its longest waits, then the send to the parking (or dead-letter) queue is
 * retried too (each SendMessage attempt bounded at 5 s; both sends share one policy, so one bound holds). With the defaults: 11 attempts × 15 s + (70 s + 15 s) waits +
 * 3 × 5 s + 3 s = 268 s, under Express's 300 s. Records of a batch run in parallel (Map concurrency equals
 * the batch size), so this is also the bound for the execution.
 */
export function replayWorstCaseSeconds(handlerTimeout: Duration): number {
  const attempts = 1 + DEPENDENCY_RETRY.maxAttempts + TRANSIENT_RETRY.maxAttempts;
  const deadLetter = (1 + DEAD_LETTER_RETRY.maxAttempts) * DEAD_LETTER_SEND_TIMEOUT.toSeconds() + maxWaitSeconds(DEAD_LETTER_RETRY);
  return attempts * handlerTimeout.toSeconds() + maxWaitSeconds(DEPENDENCY_RETRY) + maxWaitSeconds(TRANSIENT_RETRY) + deadLetter;
}

/** The Step Functions Retry rule of a policy, with full jitter. */
export function retryProps(p: RetryPolicy): sfn.RetryProps {
  return { ...p, jitterStrategy: sfn.JitterType.FULL };
}
