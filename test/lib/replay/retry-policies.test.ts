import { Duration } from 'aws-cdk-lib';
import { DEAD_LETTER_RETRY, DEPENDENCY_RETRY, EXPRESS_LIMIT, TRANSIENT_RETRY, replayWorstCaseSeconds } from '../../../lib/replay/retry-policies';

describe('replay retry policies', () => {
  it('bound one record at 268 s with the default 15 s handler timeout, under the Express limit', () => {
    expect(replayWorstCaseSeconds(Duration.seconds(15))).toBe(268);
    expect(replayWorstCaseSeconds(Duration.seconds(15))).toBeLessThan(EXPRESS_LIMIT.toSeconds());
  });

  it('grow by one handler timeout per attempt', () => {
    const attempts = 1 + DEPENDENCY_RETRY.maxAttempts + TRANSIENT_RETRY.maxAttempts;
    expect(replayWorstCaseSeconds(Duration.seconds(16)) - replayWorstCaseSeconds(Duration.seconds(15))).toBe(attempts);
    expect(replayWorstCaseSeconds(Duration.seconds(30))).toBe(433);
  });

  it('retry the typed errors the handlers throw, and only failed dead-letter sends', () => {
    expect(DEPENDENCY_RETRY.errors).toEqual(['DependencyNotReady']);
    expect(TRANSIENT_RETRY.errors.slice(0, 3)).toEqual(['RegistryThrottled', 'ConcurrentModification', 'RegistryUnavailable']);
    expect(DEAD_LETTER_RETRY.errors).toEqual(['States.TaskFailed']);
  });
});
