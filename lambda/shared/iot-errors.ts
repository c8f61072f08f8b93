/**
 * Classifying AWS IoT (and DynamoDB) SDK errors by name, so handlers can tell "already there", "already gone",
 * "someone changed it" and "slow down" apart without importing every exception class.
 */
import { ConcurrentModification, RegistryThrottled, RegistryUnavailable, isServerFault, isThrottle } from './errors';

const nameOf = (err: unknown): string | undefined => (err instanceof Error ? err.name : undefined);

const httpStatusOf = (err: unknown): number | undefined =>
  (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

export const isNotFound = (err: unknown): boolean => nameOf(err) === 'ResourceNotFoundException';
export const isAlreadyExists = (err: unknown): boolean => nameOf(err) === 'ResourceAlreadyExistsException';
export const isVersionConflict = (err: unknown): boolean => nameOf(err) === 'VersionConflictException';
export const isInvalidRequest = (err: unknown): boolean => nameOf(err) === 'InvalidRequestException';

/** Lower-cased error message, for the few IoT refusals that share InvalidRequestException. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message.toLowerCase() : '');

const REJECTED_NAMES = new Set([
  'ResourceNotFoundException',
  'ResourceAlreadyExistsException',
  'VersionConflictException',
  'InvalidRequestException',
  'UnauthorizedException',
  'ConditionalCheckFailedException',
]);

/**
 * True when the request was refused before it changed anything: a 4xx answer or a throttle. A 5xx or a
 * network error may have been applied on the server, so it is not "definitely rejected".
 */
export function isDefinitelyRejected(err: unknown): boolean {
  if (isThrottle(err)) return true;
  const name = nameOf(err);
  if (name !== undefined && REJECTED_NAMES.has(name)) return true;
  const status = httpStatusOf(err);
  return status !== undefined && status >= 400 && status < 500;
}

// The SDK's own transient classes (@smithy/service-error-classification): timeouts and network failures.
const NETWORK_ERROR_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError', 'NetworkingError']);
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True for a request that never got an answer: a socket error, a DNS failure, a timeout. */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return NETWORK_ERROR_NAMES.has(err.name) || (typeof code === 'string' && NETWORK_ERROR_CODES.has(code));
}

/**
 * Maps the SDK errors the replay workflow retries on to the typed errors Step Functions matches by name
 * (throttles → RegistryThrottled, version conflicts → ConcurrentModification, 5xx, timeouts and network
 * errors → RegistryUnavailable);
 * anything else is returned as is.
 */
export function toRetryableError(err: unknown, context: string): unknown {
  if (isThrottle(err)) {
    return new RegistryThrottled(`${context}: throttled after the SDK's retries (${nameOf(err)})`, { cause: err });
  }
  if (isVersionConflict(err)) {
    return new ConcurrentModification(`${context}: the entity changed in this region between read and write`, { cause: err });
  }
  if (isServerFault(err)) {
    return new RegistryUnavailable(`${context}: the registry failed after the SDK's retries (${nameOf(err)})`, { cause: err });
  }
  if (isNetworkError(err)) {
    return new RegistryUnavailable(`${context}: the request got no answer after the SDK's retries (${nameOf(err)})`, { cause: err });
  }
  return err;
}
