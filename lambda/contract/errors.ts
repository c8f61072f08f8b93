/**
 * Error names. Step Functions matches on a Lambda's errorType, so these names are the contract between the
 * handlers that throw them and the state machine's Retry and Catch rules.
 */

/** Names the replay workflow retries on. */
export const RETRYABLE_ERRORS = {
  /** A dependency (a parent group, a thing type, a thing) does not exist yet in this region. */
  dependencyNotReady: 'DependencyNotReady',
  /** IoT or DynamoDB throttled us after the SDK's own retries. */
  throttled: 'RegistryThrottled',
  /** Someone changed the entity in this region between our read and our write. */
  conflict: 'ConcurrentModification',
  /** IoT answered 5xx (InternalFailure, ServiceUnavailable) after the SDK's own retries. */
  unavailable: 'RegistryUnavailable',
  /**
   * This region's registry holds a change its capture has not journaled yet: replay must not overwrite it,
   * and waits for capture to journal it (the journal then orders both changes).
   */
  localChangePending: 'LocalChangePending',
} as const;

/** Input that can never succeed (a bad event, an unknown key): dead-lettered, never retried. */
export const MALFORMED_INPUT_ERROR = 'MalformedInput';

/** Error name in dead-letter messages for journal keys no replay handler understands. */
export const UNKNOWN_ENTITY_KIND_ERROR = 'UnknownEntityKind';
