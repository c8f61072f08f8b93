import type * as logs from 'aws-cdk-lib/aws-logs';
import type { RegistryCaptureOptions } from '../capture/registry-capture-props';
import type { EchoLedgerProps } from '../journal/echo-ledger';
import type { ReplicationJournalOptions } from '../journal/replication-journal';
import type { RegistryReconcilerOptions } from '../reconcile/registry-reconciler';
import type { RegistryReplayOptions } from '../replay/registry-replay-props';

/**
 * Registry replication settings both regions share. The topology decides each region's peer and which one
 * owns the journal; what belongs to one region (a KMS key, an SNS topic) goes in `RegionalReplicationSettings`.
 * KMS keys cannot be shared by two regions, so `echoLedgerProps.encryptionKey` and the parts'
 * `queueEncryptionKey` are refused here: use `RegionalReplicationSettings.encryptionKeyArn`.
 */
export interface RegistryReplicationOptions {
  /**
   * The journal: table name, and the deletion protection and removal policy the primary region's stack
   * (which owns the global table) applies.
   *
   * @default - table 'iot-dr-journal', deletion protection on, retained on stack deletion
   */
  readonly journalProps?: ReplicationJournalOptions;

  /**
   * The echo ledger each region creates (`encryptionKey` excepted: see `RegionalReplicationSettings`).
   *
   * @default - the defaults of `EchoLedgerProps`
   */
  readonly echoLedgerProps?: EchoLedgerProps;

  /**
   * Capture settings (`queueEncryptionKey` excepted: see `RegionalReplicationSettings`).
   *
   * @default - the defaults of `RegistryCaptureOptions`
   */
  readonly capture?: RegistryCaptureOptions;

  /**
   * Replay settings (`queueEncryptionKey` excepted: see `RegionalReplicationSettings`).
   *
   * @default - the defaults of `RegistryReplayOptions`
   */
  readonly replay?: RegistryReplayOptions;

  /**
   * Whether device shadows are replicated (capture and replay in both regions). Not with
   * `capture.replicateShadows` or `replay.replicateShadows`.
   *
   * @default false - shadows are device state, often rebuilt by the devices themselves after a failover
   */
  readonly replicateShadows?: boolean;

  /**
   * Whether each region runs a `RegistryReconciler` (anti-entropy and initial copy).
   *
   * @default true - without it, entities that predate the deployment are never copied and a lost event
   * leaves the regions apart until someone notices
   */
  readonly enableReconciler?: boolean;

  /**
   * Reconciler settings (`logEncryptionKey` excepted: see `RegionalReplicationSettings`).
   *
   * @default - the defaults of `RegistryReconcilerOptions`
   */
  readonly reconciler?: RegistryReconcilerOptions;

  /**
   * CloudWatch namespace of every handler's metrics. Not with `capture.metricsNamespace` or
   * `replay.metricsNamespace`.
   *
   * @default 'IotDr' - unless capture or replay names its own
   */
  readonly metricsNamespace?: string;

  /**
   * Retention of every log group the pipeline creates. Not with `capture.logRetention` or `replay.logRetention`.
   *
   * @default logs.RetentionDays.THREE_MONTHS - unless capture or replay names its own
   */
  readonly logRetention?: logs.RetentionDays;
}

/** What belongs to one region of the pair: resources of that region, referred to by ARN. */
export interface RegionalReplicationSettings {
  /**
   * ARN of a customer managed KMS key in this region. It encrypts this region's journal replica, echo
   * ledger, and the capture and replay queues. Set it in both regions or in neither: the journal is one
   * global table, encrypted with a customer managed key in every region or in none. The key policy must let
   * the account's IAM policies grant its use (the default key policy does).
   *
   * @default - AWS managed keys (`aws/dynamodb`) and SQS managed encryption, which need no key policy
   */
  readonly encryptionKeyArn?: string;

  /**
   * ARN of an SNS topic in this region that receives every alarm of this region's pipeline (capture and
   * replay dead letters, capture queue age, replication lag, missing heartbeats, pipe and workflow failures,
   * parked items). CloudWatch alarms notify topics of their own region only; a topic under a customer
   * managed key must let `cloudwatch.amazonaws.com` use that key.
   *
   * @default - the region's IoT services stack creates a topic (KMS-encrypted with a key of its own, TLS only)
   */
  readonly alarmTopicArn?: string;
}

/** `RegionalReplicationSettings` for each region role. */
export interface PerRegionReplicationSettings {
  /**
   * Settings of the primary region.
   *
   * @default - none: AWS managed encryption, no alarm actions
   */
  readonly primary?: RegionalReplicationSettings;

  /**
   * Settings of the secondary region.
   *
   * @default - none: AWS managed encryption, no alarm actions
   */
  readonly secondary?: RegionalReplicationSettings;
}
