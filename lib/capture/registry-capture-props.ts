import type { Duration } from 'aws-cdk-lib';
import type { IEchoLedger } from '../journal/echo-ledger';
import type { IReplicationJournal } from '../journal/replication-journal';
import type { PipelineStageOptions } from '../pipeline-stage-options';

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
}

export interface RegistryCaptureProps extends RegistryCaptureOptions {
  /** The journal capture writes to (the owned table or this region's replica). */
  readonly journal: IReplicationJournal;

  /** The echo ledger replay writes in this region; capture reads and clears it. */
  readonly echoLedger: IEchoLedger;
}
