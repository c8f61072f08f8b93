import {
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT,
  HANDLER_ENV,
  PUT_EVENTS_MAX_BYTES,
  TELEMETRY_ENV,
  TELEMETRY_MAX_BACKOFF_SECONDS,
  telemetryBackoffSeconds,
  telemetryHoldSeconds,
} from '../../../lambda/contract';
import { readTelemetryConfig } from '../../../lambda/telemetry/config';
import { requests } from '../../../lambda/telemetry/forwarder';
import { entrySize } from '../../../lambda/telemetry/messages';
import { interpret } from '../../../lambda/telemetry/put-events';

describe('backoff schedule', () => {
  test('30 s, doubling, capped at 15 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 500].map(telemetryBackoffSeconds)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    expect(telemetryBackoffSeconds(0)).toBe(30);
    expect(telemetryBackoffSeconds(1e9)).toBe(TELEMETRY_MAX_BACKOFF_SECONDS);
  });

  test('hold time: the backoffs of every receive but the last', () => {
    expect(telemetryHoldSeconds(1)).toBe(0);
    expect(telemetryHoldSeconds(3)).toBe(90);
    // The default: 930 s of ramp, then 994 receives 15 minutes apart ≈ 10 days 9 hours.
    expect(telemetryHoldSeconds(DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT)).toBe(895_530);
  });
});

describe('requests', () => {
  const item = (size: number, alone = false) => ({ size, alone });
  test('at most ten entries per request', () => {
    expect(requests(Array.from({ length: 23 }, () => item(10))).map((r) => r.length)).toEqual([10, 10, 3]);
  });
  test('at most 256 KB per request', () => {
    const big = PUT_EVENTS_MAX_BYTES / 2;
    expect(requests([item(big), item(big), item(1), item(big)]).map((r) => r.length)).toEqual([2, 2]);
  });
  test('an entry marked alone travels by itself', () => {
    expect(requests([item(1), item(1, true), item(1)]).map((r) => r.length)).toEqual([1, 2]);
  });
  test('nothing to send, no request', () => {
    expect(requests([])).toEqual([]);
  });
});

test("entry size counts Time as 14 bytes and the strings' UTF-8 bytes", () => {
  expect(entrySize({ Source: 'ab', DetailType: 'c', Detail: '{"t":"é"}', EventBusName: 'bus', Time: 1 })).toBe(14 + 2 + 1 + 10 + 3);
});

describe('interpret', () => {
  test('per-entry results in order', () => {
    const answer = { status: 200, body: JSON.stringify({ FailedEntryCount: 1, Entries: [{ EventId: 'e1' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] }) };
    expect(interpret(answer, 2)).toEqual({ kind: 'answered', results: [{ eventId: 'e1' }, { errorCode: 'InternalFailure', errorMessage: 'x' }] });
  });
  test('a 200 with the wrong number of results is a retryable failure', () => {
    expect(interpret({ status: 200, body: '{"Entries":[]}' }, 1)).toMatchObject({ kind: 'failed', retryable: true });
    expect(interpret({ status: 200, body: '<html>' }, 1)).toMatchObject({ kind: 'failed', retryable: true });
  });
  test.each([
    [500, 'InternalException', true],
    [503, 'ServiceUnavailable', true],
    [400, 'ThrottlingException', true],
    [400, 'AccessDeniedException', true],
    [403, 'UnrecognizedClientException', true],
    [400, 'ValidationException', false],
    [400, 'com.amazon.coral.validate#ValidationException', false],
  ])('HTTP %d %s: retryable %s', (status, type, retryable) => {
    expect(interpret({ status, body: JSON.stringify({ __type: type, message: 'm' }) }, 1)).toEqual({
      kind: 'failed',
      error: `${type.split('#').pop()}: m`,
      retryable,
    });
  });
});

describe('config', () => {
  const env = {
    AWS_REGION: 'us-west-2',
    [TELEMETRY_ENV.eventBusArn]: 'arn:aws:events:us-west-2:333333333333:event-bus/b',
    [TELEMETRY_ENV.endpointUrl]: 'https://events.us-west-2.amazonaws.com',
    [TELEMETRY_ENV.bufferQueueUrl]: 'https://sqs/buffer',
    [HANDLER_ENV.deadLetterQueueUrl]: 'https://sqs/dlq',
  };
  test('defaults', () => {
    expect(readTelemetryConfig(env)).toEqual({
      region: 'us-west-2',
      eventBusArn: env[TELEMETRY_ENV.eventBusArn],
      endpointUrl: env[TELEMETRY_ENV.endpointUrl],
      bufferQueueUrl: 'https://sqs/buffer',
      deadLetterQueueUrl: 'https://sqs/dlq',
      maxReceiveCount: DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT,
      metricsNamespace: DEFAULT_METRICS_NAMESPACE,
    });
  });
  test('endpoint id and receive count', () => {
    expect(readTelemetryConfig({ ...env, [TELEMETRY_ENV.endpointId]: 'abcde.veo', [HANDLER_ENV.maxReceiveCount]: '50' })).toMatchObject({ endpointId: 'abcde.veo', maxReceiveCount: 50 });
  });
  test('fails loudly on a missing or bad setting', () => {
    expect(() => readTelemetryConfig({ ...env, [TELEMETRY_ENV.eventBusArn]: undefined })).toThrow(/TELEMETRY_EVENT_BUS_ARN must be set/);
    expect(() => readTelemetryConfig({ ...env, [HANDLER_ENV.maxReceiveCount]: 'x' })).toThrow(/MAX_RECEIVE_COUNT must be a positive whole number/);
    expect(() => readTelemetryConfig({ ...env, [TELEMETRY_ENV.endpointUrl]: 'nope' })).toThrow(/must be a URL/);
  });
});
