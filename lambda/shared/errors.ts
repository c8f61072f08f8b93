/**
 * Typed errors. Step Functions matches on the error name (Lambda's errorType), so names are part of the
 * contract with the state machine's Retry and Catch rules in lib/iot-services/registry-replay.ts.
 */

/** Names the workflow retries on; keep in sync with the state machine definition. */
export const RETRYABLE_ERRORS = {
  /** A dependency (a parent group, a thing type, a thing) does not exist yet in this region. */
  dependencyNotReady: 'DependencyNotReady',
  /** IoT or DynamoDB throttled us after the SDK's own retries. */
  throttled: 'RegistryThrottled',
  /** Someone changed the entity in this region between our read and our write. */
  conflict: 'ConcurrentModification',
  /** IoT answered 5xx (InternalFailure, ServiceUnavailable) after the SDK's own retries. */
  unavailable: 'RegistryUnavailable',
} as const;

export class DependencyNotReady extends Error {
  constructor(
    message: string,
    readonly missing: string,
  ) {
    super(message);
    this.name = RETRYABLE_ERRORS.dependencyNotReady;
  }
}

export class RegistryThrottled extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = RETRYABLE_ERRORS.throttled;
  }
}

export class ConcurrentModification extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = RETRYABLE_ERRORS.conflict;
  }
}

export class RegistryUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = RETRYABLE_ERRORS.unavailable;
  }
}

/** True for SDK errors that mean the service failed on its side (HTTP 5xx). */
export function isServerFault(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const fault = (err as { $fault?: string }).$fault;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return fault === 'server' || (status !== undefined && status >= 500);
}

/** Input that can never succeed (bad event, unknown key): goes to a dead-letter queue, never retried. */
export class MalformedInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedInput';
  }
}

const THROTTLE_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'Throttling',
]);

/** True for SDK errors that mean "slow down" (name, or HTTP 429). */
export function isThrottle(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return THROTTLE_NAMES.has(err.name) || status === 429;
}
