/** Metric names the handlers emit (Embedded Metric Format) and the constructs alarm and chart on. */
export const METRIC_NAMES = {
  captured: 'EventsCaptured',
  superseded: 'EventsSuperseded',
  echoSuppressed: 'EchoesSuppressed',
  malformed: 'MalformedEvents',
  cascadeTombstones: 'CascadeTombstones',
  /**
   * Capture messages that change nothing replicated: failed CloudTrail calls, policies attached to (or
   * principals that are) neither certificates nor thing groups, shadow messages while shadows are off.
   */
  skipped: 'EventsSkipped',
  replayed: 'ItemsReplayed',
  replicationLag: 'ReplicationLag',
  /** Peer heartbeats that reached this region's replay (see HEARTBEAT_KEY_PREFIX). */
  heartbeatsReceived: 'HeartbeatsReceived',
} as const;
