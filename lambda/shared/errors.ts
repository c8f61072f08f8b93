/**
 * Typed errors. Step Functions matches on the error name (Lambda's errorType), so the names come from
 * lambda/contract/errors.ts, which the state machine's Retry and Catch rules read too.
 */
import { MALFORMED_INPUT_ERROR, RETRYABLE_ERRORS } from '../contract';

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

/**
 * This region's registry holds a change its capture has not journaled yet: replay must not overwrite it and
 * waits (the workflow retries) until capture journals it and the journal orders both changes.
 */
export class LocalChangePending extends Error {
  constructor(message: string) {
    super(message);
    this.name = RETRYABLE_ERRORS.localChangePending;
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
    this.name = MALFORMED_INPUT_ERROR;
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
