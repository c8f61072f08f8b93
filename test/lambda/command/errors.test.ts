import { CommandError, errorBody, toCommandError } from '../../../lambda/command/errors';

const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${name} happened`), { name, ...extra });

describe('toCommandError', () => {
  test.each([
    ['ResourceNotFoundException', 404, 'NotFound'],
    ['InvalidRequestException', 400, 'InvalidRequest'],
    ['CertificateValidationException', 422, 'InvalidCertificateRequest'],
    ['ResourceAlreadyExistsException', 409, 'Conflict'],
    ['DeleteConflictException', 409, 'Conflict'],
    ['ThrottlingException', 429, 'Throttled'],
    ['LimitExceededException', 429, 'Throttled'],
    ['ServiceUnavailableException', 503, 'ServiceUnavailable'],
    ['SomethingNew', 500, 'InternalError'],
  ])('%s → %i %s', (name, status, code) => {
    const extra = name === 'ServiceUnavailableException' ? { $fault: 'server' } : {};
    const mapped = toCommandError(named(name, extra), 'Step');
    expect([mapped.statusCode, mapped.code]).toEqual([status, code]);
  });

  test('throttles and outages are retryable with Retry-After; the body is JSON with the request id', () => {
    const throttled = toCommandError(named('ThrottlingException'), 'AttachPolicy');
    expect(throttled.retryable).toBe(true);
    expect(throttled.options.retryAfterSeconds).toBe(2);
    expect(errorBody(throttled, 'r-1')).toEqual({
      error: { code: 'Throttled', message: 'AttachPolicy was throttled; retry with the same Idempotency-Key', retryable: true, requestId: 'r-1' },
    });
    expect(toCommandError(named('Error', { code: 'ECONNRESET' }), 'x').statusCode).toBe(503);
    const own = new CommandError(404, 'ThingNotFound', 'gone');
    expect(toCommandError(own, 'x')).toBe(own);
    expect(errorBody(own, undefined)).toEqual({ error: { code: 'ThingNotFound', message: 'gone' } });
  });
});
