import type { Duration } from 'aws-cdk-lib';
import type { IEchoLedger } from '../journal/echo-ledger';
import type { IReplicationJournal } from '../journal/replication-journal';
import type { PipelineStageOptions } from '../pipeline-stage-options';

/**
 * Where the CloudTrail management events of device identities (certificates, policies, attachments,
 * principals, provisioning templates, role aliases) come from. EventBridge only receives
 * `AWS API Call via CloudTrail` events of API calls some trail records.
 */
export enum ManagementEventsTrail {
  /**
   * Capture creates a single-region trail in its own region: write-only management events, delivered to an
   * encrypted, TLS-only, access-logged S3 bucket whose objects expire after 90 days (EventBridge receives the
   * events whatever happens to the files). Single-region because each region's capture needs only its own
   * region's events, and a multi-region trail in both regions would record every event twice, paying for
   * the second copy.
   */
  CREATE = 'CREATE',
  /**
   * An existing trail records this region's management events (write or all): an organization trail, an
   * account's multi-region trail, or one made elsewhere. Nothing is created; EventBridge in this region
   * receives this region's events from it.
   */
  EXISTING = 'EXISTING',
}

/** Capture settings: everything but the journal and echo ledger it is wired to. */
export interface RegistryCaptureOptions extends PipelineStageOptions {
  /**
   * How long a tombstone (a deleted entity's journal item) is kept before DynamoDB's TTL removes it.
   *
   * While a tombstone exists, an older event for the same entity cannot bring it back. It must outlive any
   * message still waiting in a queue, so it is at least a day.
   *
   * @default Duration.days(14) - SQS's maximum retention, so even a message redriven from the dead-letter
   * queue at the last moment cannot resurrect a deleted entity
   */
  readonly tombstoneTtl?: Duration;

  /**
   * Whether to turn on the six registry event types capture listens to (`iot:UpdateEventConfigurations`).
   *
   * Deleting the stack leaves them on: other consumers in the account may rely on them, and leaving them
   * on costs nothing while nobody subscribes. Set to false when the account manages event configurations
   * elsewhere.
   *
   * @default true - without these events nothing is captured
   */
  readonly enableRegistryEvents?: boolean;

  /**
   * The trail whose management events tell capture about device identities (see ManagementEventsTrail).
   *
   * Cost: CloudTrail delivers the first copy of an account's management events in each region free and
   * charges for further copies. When an organization or account trail already records this region's
   * management events, a created trail is such a further copy (of every write-only management event of the
   * account, not only IoT's: management events cannot be filtered by service): choose EXISTING then.
   *
   * @default ManagementEventsTrail.CREATE - device identities are captured out of the box; with no trail at
   * all they would only reach the other region through the reconciler
   */
  readonly managementEventsTrail?: ManagementEventsTrail;

  /**
   * Whether to replicate device shadows (classic and named): topic rules on the shadow
   * `/update/documents` and `/delete/accepted` topics send every shadow change to capture.
   *
   * Off by default: shadows change as often as devices report, and each change becomes a journal write
   * and a replay in the other region (and IoT messaging and rule charges).
   *
   * @default false - shadows are device state, often rebuilt by the devices themselves after a failover
   */
  readonly replicateShadows?: boolean;
}

export interface RegistryCaptureProps extends RegistryCaptureOptions {
  /** The journal capture writes to (the owned table or this region's replica). */
  readonly journal: IReplicationJournal;

  /** The echo ledger replay writes in this region; capture reads and clears it. */
  readonly echoLedger: IEchoLedger;
}
