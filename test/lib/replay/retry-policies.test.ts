import { Duration } from 'aws-cdk-lib';
import { PARKED_ERRORS } from '../../../lambda/contract';
import { DEAD_LETTER_RETRY, DEPENDENCY_RETRY, EXPRESS_LIMIT, TRANSIENT_RETRY, replayWorstCaseSeconds } from '../../../lib/replay/retry-policies';

describe('replay retry policies', () => {
  it('retry, within the workflow, every error the workflow parks (parking is for what outlasts these retries)', () => {
    const retried = [...DEPENDENCY_RETRY.errors, ...TRANSIENT_RETRY.errors];
    // States.Timeout is the task's own timeout, which the replay tasks leave to the function's.
    expect(PARKED_ERRORS.filter((e) => !retried.includes(e))).toEqual(['States.Timeout']);
  });

  it('bound one record at 183 s with the default 15 s handler timeout, under the Express limit', () => {
    expect(replayWorstCaseSeconds(Duration.seconds(15))).toBe(183);
    expect(replayWorstCaseSeconds(Duration.seconds(15))).toBeLessThan(EXPRESS_LIMIT.toSeconds());
  });

  it('grow by one handler timeout per attempt', () => {
    const attempts = 1 + DEPENDENCY_RETRY.maxAttempts + TRANSIENT_RETRY.maxAttempts;
    expect(replayWorstCaseSeconds(Duration.seconds(16)) - replayWorstCaseSeconds(Duration.seconds(15))).toBe(attempts);
    expect(replayWorstCaseSeconds(Duration.seconds(30))).toBe(318);
  });

  it('retry the typed errors the handlers throw, function timeouts, and only failed queue sends', () => {
    expect(DEPENDENCY_RETRY.errors).toEqual(['DependencyNotReady', 'LocalChangePending']);
    expect(TRANSIENT_RETRY.errors.slice(0, 3)).toEqual(['RegistryThrottled', 'ConcurrentModification', 'RegistryUnavailable']);
    expect(TRANSIENT_RETRY.errors).toEqual(expect.arrayContaining(['Lambda.Unknown', 'Sandbox.Timedout']));
    expect(DEAD_LETTER_RETRY.errors).toEqual(['States.TaskFailed']);
  });
});
