import { type Duration, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RegistryCapture } from './registry-capture';
import { RegistryReplay } from './registry-replay';
import {
  DEFAULT_JOURNAL_TABLE_NAME,
  type IReplicationJournal,
  ReplicationJournal,
  type ReplicationJournalOptions,
} from './replication-journal';
import { isRegionName, propError } from '../private/validate';

export interface IotRegistryReplicationProps {
  /** The other region of the pair: where the journal's replica (or its owner) lives. */
  readonly peerRegion: string;

  /**
   * Whether this stack creates the journal (the `AWS::DynamoDB::GlobalTable`, with a replica in
   * `peerRegion`). Exactly one region owns it; the peer's stack imports the replica and must deploy after
   * the owner's. Required unless `existingTable` is given.
   *
   * @default - none; set true in the owning region and false in the peer region
   */
  readonly ownsJournal?: boolean;

  /**
   * A journal made elsewhere (its key schema, index and stream must match `ReplicationJournal`'s).
   * Not with `tableProps`, `ownsJournal`, `tableName`, `encryptionKey` or `peerEncryptionKeyArn`.
   *
   * @default - the journal is created (`ownsJournal: true`) or imported (`ownsJournal: false`) here
   */
  readonly existingTable?: IReplicationJournal;

  /**
   * Settings of the journal this construct creates (only where `ownsJournal` is true). Not with `existingTable`.
   *
   * @default - deletion protection on, retained on stack deletion
   */
  readonly tableProps?: ReplicationJournalOptions;

  /**
   * The journal's physical name, the same in both regions.
   *
   * @default 'iot-dr-journal'
   */
  readonly tableName?: string;

  /**
   * Customer managed KMS key for the journal in this region (and for the echo ledger).
   *
   * @default - AWS managed keys
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * ARN of the customer managed key for the journal replica in `peerRegion`; required where `ownsJournal`
   * is true and `encryptionKey` is set.
   *
   * @default - none
   */
  readonly peerEncryptionKeyArn?: string;

  /**
   * How long deleted entities' tombstones stay in the journal.
   *
   * @default Duration.days(14) - see `RegistryCaptureProps.tombstoneTtl`
   */
  readonly tombstoneTtl?: Duration;

  /**
   * CloudWatch namespace of the handlers' metrics.
   *
   * @default 'IotDr'
   */
  readonly metricsNamespace?: string;

  /**
   * The p99 replication lag that raises the lag alarm.
   *
   * @default Duration.minutes(5) - see `RegistryReplayProps.replicationLagThreshold`
   */
  readonly replicationLagThreshold?: Duration;

  /**
   * Where the alarms (capture and replay dead letters, replication lag) send their notifications.
   *
   * @default - no actions; add some later with `addAlarmAction`
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * Whether to create the replay dashboard.
   *
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * Whether to turn on the registry event types capture needs.
   *
   * @default true - see `RegistryCaptureProps.enableRegistryEvents`
   */
  readonly enableRegistryEvents?: boolean;

  /**
   * Retention of every log group the pipeline creates.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Registry replication for one region, to drop into an existing stack: the journal (created or imported),
 * capture of this region's registry events, and replay of the other region's changes. Deploy one in each
 * region of the pair, with `ownsJournal: true` in exactly one of them.
 */
export class IotRegistryReplication extends Construct {
  readonly journal: IReplicationJournal;
  readonly capture: RegistryCapture;
  readonly replay: RegistryReplay;

  constructor(scope: Construct, id: string, props: IotRegistryReplicationProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (Token.isUnresolved(props.peerRegion) || !isRegionName(props.peerRegion)) {
      throw propError(this, `peerRegion must be a region name such as 'us-east-1', got '${props.peerRegion}'`);
    }
    if (!Token.isUnresolved(region) && props.peerRegion === region) {
      throw propError(this, `peerRegion must differ from this stack's region '${region}'`);
    }
    this.journal = this.resolveJournal(props);

    this.replay = new RegistryReplay(this, 'Replay', {
      journal: this.journal,
      echoLedgerProps: props.encryptionKey ? { encryptionKey: props.encryptionKey } : undefined,
      metricsNamespace: props.metricsNamespace,
      replicationLagThreshold: props.replicationLagThreshold,
      dashboard: props.dashboard,
      logRetention: props.logRetention,
    });
    this.capture = new RegistryCapture(this, 'Capture', {
      journal: this.journal,
      echoLedger: this.replay.echoLedger,
      tombstoneTtl: props.tombstoneTtl,
      metricsNamespace: props.metricsNamespace,
      enableRegistryEvents: props.enableRegistryEvents,
      logRetention: props.logRetention,
    });
    if (props.alarmActions?.length) {
      this.addAlarmAction(...props.alarmActions);
    }
  }

  /** The echo ledger shared by this region's capture and replay. */
  get echoLedger(): dynamodb.ITableV2 {
    return this.replay.echoLedger;
  }

  /** Sends every alarm of the pipeline (capture and replay) to `actions`. */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.capture.addAlarmAction(...actions);
    this.replay.addAlarmAction(...actions);
  }

  private resolveJournal(props: IotRegistryReplicationProps): IReplicationJournal {
    if (props.existingTable) {
      const conflicting = (['tableProps', 'ownsJournal', 'tableName', 'encryptionKey', 'peerEncryptionKeyArn'] as const).filter(
        (p) => props[p] !== undefined,
      );
      if (conflicting.length > 0) {
        throw propError(
          this,
          `give either existingTable or ${conflicting.join(', ')}, not both: those describe the journal this construct would create`,
        );
      }
      return props.existingTable;
    }
    if (props.ownsJournal === undefined) {
      throw propError(
        this,
        'set ownsJournal: true in the region whose stack creates the journal and false in the peer region (or pass existingTable)',
      );
    }
    if (props.peerEncryptionKeyArn && !props.encryptionKey) {
      throw propError(this, 'peerEncryptionKeyArn is only used with encryptionKey');
    }
    const tableName = props.tableName ?? DEFAULT_JOURNAL_TABLE_NAME;
    if (!props.ownsJournal) {
      if (props.tableProps) {
        throw propError(this, 'tableProps applies only where ownsJournal is true: the peer region creates the table');
      }
      if (props.peerEncryptionKeyArn) {
        throw propError(this, 'peerEncryptionKeyArn applies only where ownsJournal is true');
      }
      return ReplicationJournal.fromReplica(this, 'Journal', {
        tableName,
        owningRegion: props.peerRegion,
        encryptionKey: props.encryptionKey,
      });
    }
    if (props.encryptionKey && !props.peerEncryptionKeyArn) {
      throw propError(this, `with encryptionKey, peerEncryptionKeyArn must name the key for the replica in ${props.peerRegion}`);
    }
    return new ReplicationJournal(this, 'Journal', {
      ...props.tableProps,
      tableName,
      replicaRegions: [props.peerRegion],
      encryptionKey: props.encryptionKey,
      replicaKeyArns: props.peerEncryptionKeyArn ? { [props.peerRegion]: props.peerEncryptionKeyArn } : undefined,
    });
  }
}
