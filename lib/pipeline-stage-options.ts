import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

/** Settings every stage of the replication pipeline (capture, replay, the reconciler) has. */
export interface PipelineStageOptions {
  /**
   * CloudWatch namespace of the stage's handler metrics.
   *
   * @default 'IotDr' - the namespace every handler of this library uses unless told otherwise
   */
  readonly metricsNamespace?: string;

  /**
   * Customer managed KMS key for the stage's queues (capture: its queue and dead-letter queue; replay: its
   * dead-letter and parking queues; the reconciler has none).
   *
   * @default - SQS managed encryption (SSE-SQS), which needs no key policy
   */
  readonly queueEncryptionKey?: kms.IKey;

  /**
   * Retention of the stage's log groups (functions; for replay and the reconciler also their state
   * machines', and for replay the pipe's).
   *
   * @default logs.RetentionDays.THREE_MONTHS - long enough to reconstruct a failover after the fact
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Customer managed KMS key for the stage's log groups (capture: its function's; replay: its functions',
   * the state machine's and the pipe's). The construct adds a key policy statement letting CloudWatch Logs
   * in this region use the key for this account's log groups; for a key imported from elsewhere, add that
   * statement to its key policy yourself.
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}
