/**
 * The telemetry forwarder (IoT topic rule → SQS buffer → Lambda → PutEvents to the analytics bus): what its
 * construct and its handler agree on. The handler also reads HANDLER_ENV's `deadLetterQueueUrl`,
 * `maxReceiveCount` and `metricsNamespace`.
 */

/** Environment variables of the forwarder function. */
export const TELEMETRY_ENV = {
  /** ARN of the analytics bus every entry names (`EventBusName`): the bus of the function's own region. */
  eventBusArn: 'TELEMETRY_EVENT_BUS_ARN',
  /**
   * The global endpoint's id (`abcde.veo`), when PutEvents goes through it: the request carries it as
   * `EndpointId` and is signed with SigV4a for every region. Absent: PutEvents to the regional endpoint, SigV4.
   */
  endpointId: 'TELEMETRY_ENDPOINT_ID',
  /**
   * URL PutEvents is sent to: `https://<endpointId>.endpoint.events.<suffix>` with a global endpoint,
   * `https://events.<region>.<suffix>` without. Tests point it at a loopback server.
   */
  endpointUrl: 'TELEMETRY_ENDPOINT_URL',
  /** URL of the buffer queue (the function changes the visibility of messages it holds back). */
  bufferQueueUrl: 'TELEMETRY_BUFFER_QUEUE_URL',
} as const;

/**
 * Attributes the topic rule adds to every message (`SELECT *, topic() AS topic, timestamp() AS receivedAt,
 * traceid() AS traceId`); a device's own attributes of these names are overwritten by the rule.
 */
export const TELEMETRY_RULE_FIELDS = {
  topic: 'topic',
  receivedAt: 'receivedAt',
  /** IoT's id of the MQTT message: the same on every delivery of it, so the forwarder's `messageId`. */
  traceId: 'traceId',
} as const;

/** Metric names the forwarder emits (Embedded Metric Format) and its construct charts and alarms on. */
export const TELEMETRY_METRICS = {
  /** Messages PutEvents accepted. */
  forwarded: 'TelemetryForwarded',
  /** Messages held back in the buffer after a failure that may pass (throttling, 5xx, network, no access). */
  heldBack: 'TelemetryHeldBack',
  /** Messages sent to the dead-letter queue (malformed, rejected by EventBridge, or held for too long). */
  deadLettered: 'TelemetryDeadLettered',
  /** PutEvents requests that failed as a whole or in part (each retry counts). */
  putEventsFailures: 'TelemetryPutEventsFailures',
  /**
   * Age (milliseconds) of the oldest message an invocation held back. The buffer's own
   * ApproximateAgeOfOldestMessage stops counting a message once it has been received three times, so
   * during a long outage only this one shows how late telemetry is.
   */
  heldMessageAge: 'TelemetryHeldMessageAge',
} as const;

/** `reason` of the forwarder's dead letters (also the `reason` message attribute). */
export const TELEMETRY_DEAD_LETTER_REASONS = {
  /** The message is not a JSON object (binary payload, truncated). */
  malformed: 'MalformedMessage',
  /** The event would exceed PutEvents' 256 KB limit. */
  tooLarge: 'EntryTooLarge',
  /** EventBridge rejected the entry for a reason retrying cannot fix (its ErrorCode is in `error`). */
  rejected: 'RejectedByEventBridge',
  /** The message still failed on its last receive (`maxReceiveCount`): held as long as the buffer allows. */
  holdExpired: 'HoldExpired',
} as const;

/** Visibility timeout after the first failed receive; doubled after each further one. */
export const TELEMETRY_FIRST_BACKOFF_SECONDS = 30;

/**
 * Longest wait between two receives of a held message: while the bus is unreachable a message costs one
 * receive per 15 minutes, and it flows at most 15 minutes after the bus is back.
 */
export const TELEMETRY_MAX_BACKOFF_SECONDS = 900;

/** How long a message is kept invisible after its `receiveCount`-th failed receive (seconds). */
export function telemetryBackoffSeconds(receiveCount: number): number {
  const n = Math.max(1, Math.floor(receiveCount));
  // 2^5 × 30 s already exceeds the cap; the exponent is bounded so the number never overflows.
  return Math.min(TELEMETRY_MAX_BACKOFF_SECONDS, TELEMETRY_FIRST_BACKOFF_SECONDS * 2 ** Math.min(n - 1, 20));
}

/**
 * How long a message whose delivery keeps failing is held before it is dead-lettered: the backoffs of its
 * first `maxReceiveCount - 1` receives (the last receive dead-letters it), in seconds.
 */
export function telemetryHoldSeconds(maxReceiveCount: number): number {
  let total = 0;
  for (let n = 1; n < maxReceiveCount; n++) total += telemetryBackoffSeconds(n);
  return total;
}

/** SQS's largest `maxReceiveCount`, and the forwarder's default: ≈ 10 days 9 hours of holding (telemetryHoldSeconds). */
export const DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT = 1000;

/** PutEvents takes at most this many entries per request. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** PutEvents' limit on the total size of a request's entries (and so on one entry), in bytes. */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
