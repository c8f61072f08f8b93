import { RETRYABLE_ERRORS } from '../../../lambda/contract';
import { isDefinitelyRejected, toRetryableError } from '../../../lambda/shared/iot-errors';

const sdkError = (name: string, status: number, fault: 'client' | 'server') =>
  Object.assign(new Error(`${name} from the SDK`), { name, $fault: fault, $metadata: { httpStatusCode: status } });

describe('toRetryableError', () => {
  test.each([
    ['ThrottlingException', 429, 'client', RETRYABLE_ERRORS.throttled],
    ['VersionConflictException', 409, 'client', RETRYABLE_ERRORS.conflict],
    ['InternalFailureException', 500, 'server', RETRYABLE_ERRORS.unavailable],
    ['ServiceUnavailableException', 503, 'server', RETRYABLE_ERRORS.unavailable],
  ] as const)('%s (HTTP %d) becomes %s, keeping the cause', (name, status, fault, expected) => {
    const original = sdkError(name, status, fault);
    const mapped = toRetryableError(original, 'CreateThing lamp-1') as Error;
    expect(mapped.name).toBe(expected);
    expect(mapped.cause).toBe(original);
  });

  test.each([
    ['TimeoutError', undefined],
    ['RequestTimeout', undefined],
    ['Error', 'ECONNRESET'],
    ['Error', 'ECONNREFUSED'],
    ['Error', 'ETIMEDOUT'],
    ['Error', 'ENOTFOUND'],
    ['Error', 'EAI_AGAIN'],
  ])('a request that got no answer (%s %s) becomes RegistryUnavailable, keeping the cause', (name, code) => {
    const original = Object.assign(new Error('socket hang up'), { name, ...(code ? { code } : {}) });
    const mapped = toRetryableError(original, 'DescribeThing lamp-1') as Error;
    expect(mapped.name).toBe(RETRYABLE_ERRORS.unavailable);
    expect(mapped.message).toMatch(/got no answer/);
    expect(mapped.cause).toBe(original);
    expect(isDefinitelyRejected(original)).toBe(false);
  });

  test('a request error that can never succeed is returned as is (the workflow sends it to the DLQ)', () => {
    const original = sdkError('InvalidRequestException', 400, 'client');
    expect(toRetryableError(original, 'CreateThing')).toBe(original);
    expect(isDefinitelyRejected(original)).toBe(true);
  });

  test('a 5xx may have been applied, so it is not "definitely rejected"', () => {
    expect(isDefinitelyRejected(sdkError('InternalFailureException', 500, 'server'))).toBe(false);
  });
});
