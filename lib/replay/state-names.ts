/** Names of the replay state machine's states; stable, so tests and runbooks can refer to them. */
export const REPLAY_STATE_NAMES = {
  /** Map over the batch of stream records the pipe delivers. */
  replayEachRecord: 'ReplayEachRecord',
  /** Choice on the journal key's kind prefix. */
  routeByEntityKind: 'RouteByEntityKind',
  replayThing: 'ReplayThing',
  replayThingType: 'ReplayThingType',
  replayThingGroup: 'ReplayThingGroup',
  replayMembership: 'ReplayMembership',
  replayCertificate: 'ReplayCertificate',
  replayCaCertificate: 'ReplayCaCertificate',
  replayPolicy: 'ReplayPolicy',
  replayPolicyTarget: 'ReplayPolicyTarget',
  replayPrincipal: 'ReplayPrincipal',
  replayProvisioningTemplate: 'ReplayProvisioningTemplate',
  replayRoleAlias: 'ReplayRoleAlias',
  /** Only when shadows are replicated (`replicateShadows`). */
  replayShadow: 'ReplayShadow',
  /** Lambda task recording the arrival of the peer's heartbeat (`heartbeat#<region>`): lag metric, no IoT call. */
  replayHeartbeat: 'ReplayHeartbeat',
  /** Ends an iteration whose heartbeat could not be recorded: never parked or dead-lettered (the next one comes in a minute). */
  heartbeatDropped: 'HeartbeatDropped',
  /** Pass state describing a key of no known kind as an `UnknownEntityKind` error. */
  markUnknownEntityKind: 'MarkUnknownEntityKind',
  /** SQS SendMessage of an item that failed for a reason that may pass to the parking queue, delayed. */
  sendToParkingQueue: 'SendToParkingQueue',
  /** Ends an iteration whose item was parked, so the rest of the batch is unaffected. */
  parked: 'Parked',
  /** SQS SendMessage of an item that can never succeed to the replay dead-letter queue, with its reason. */
  sendToDeadLetterQueue: 'SendToDeadLetterQueue',
  /** Ends an iteration whose item was dead-lettered, so the rest of the batch is unaffected. */
  deadLettered: 'DeadLettered',
} as const;

/** States that write to the replay dead-letter queue (an end-to-end test overrides these with local handlers). */
export const REPLAY_DEAD_LETTER_STATE_NAMES: readonly string[] = [REPLAY_STATE_NAMES.sendToDeadLetterQueue];

/** States that write to the parking queue (an end-to-end test overrides these with local handlers). */
export const REPLAY_PARKING_STATE_NAMES: readonly string[] = [REPLAY_STATE_NAMES.sendToParkingQueue];
