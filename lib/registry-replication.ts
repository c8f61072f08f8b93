import { Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RegistryCapture } from './capture/registry-capture';
import type { RegistryCaptureOptions } from './capture/registry-capture-props';
import { DEFAULT_JOURNAL_TABLE_NAME } from './journal/defaults';
import { EchoLedger, type EchoLedgerProps, type IEchoLedger } from './journal/echo-ledger';
import { type IReplicationJournal, ReplicationJournal, type ReplicationJournalOptions } from './journal/replication-journal';
import { RegistryReconciler, type RegistryReconcilerOptions } from './reconcile/registry-reconciler';
import { RegistryReplay } from './replay/registry-replay';
import type { RegistryReplayOptions } from './replay/registry-replay-props';
import { type PairHalf, pairProblems } from './private/replication-pairs';
import { checkRegion, propError } from './private/validate';

/** The journal of a pair as one region's `IotRegistryReplication` creates (owner) or imports (peer) it. */
export interface PairedJournalProps extends ReplicationJournalOptions {
  /**
   * Customer managed KMS key for the journal in this region (the owned table, or this region's replica).
   * Both regions of a pair use a customer managed key, or neither does.
   *
   * @default - the AWS managed key `aws/dynamodb`, which needs no key policy
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * ARN of the customer managed key for the journal replica in `peerRegion`; required where `ownsJournal`
   * is true and `encryptionKey` is set (the owner's stack creates the replica).
   *
   * @default - none; only allowed with `encryptionKey` where `ownsJournal` is true
   */
  readonly peerEncryptionKeyArn?: string;
}

export interface IotRegistryReplicationProps {
  /** The other region of the pair: where the journal's replica (or its owner) lives. */
  readonly peerRegion: string;

  /**
   * Whether this stack creates the journal (the `AWS::DynamoDB::GlobalTable`, with a replica in
   * `peerRegion`). Exactly one region owns it; the peer's stack imports the replica and must deploy after
   * the owner's. Required unless `existingJournal` is given.
   *
   * @default - none; set true in the owning region and false in the peer region
   */
  readonly ownsJournal?: boolean;

  /**
   * A journal made elsewhere (its key schema, index and stream must match `ReplicationJournal`'s).
   * Not with `journalProps` or `ownsJournal`.
   *
   * @default - the journal is created (`ownsJournal: true`) or imported (`ownsJournal: false`) here
   */
  readonly existingJournal?: IReplicationJournal;

  /**
   * The journal this construct creates or imports: table name, encryption, and (where `ownsJournal` is
   * true) deletion protection and removal policy. Not with `existingJournal`.
   *
   * @default - table 'iot-dr-journal', AWS managed encryption, deletion protection on, retained on stack deletion
   */
  readonly journalProps?: PairedJournalProps;

  /**
   * An echo ledger made elsewhere (see `EchoLedger.fromTable`). Not with `echoLedgerProps`.
   *
   * @default - a new `EchoLedger`, shared by this region's capture and replay
   */
  readonly existingEchoLedger?: IEchoLedger;

  /**
   * Settings of the echo ledger this construct creates. Not with `existingEchoLedger`.
   *
   * @default - an `EchoLedger` encrypted with `journalProps.encryptionKey` when there is one (one key for
   * everything the pipeline stores), otherwise with the AWS managed key
   */
  readonly echoLedgerProps?: EchoLedgerProps;

  /**
   * Settings of capture (this region's registry events into the journal).
   *
   * @default - the defaults of `RegistryCaptureOptions`
   */
  readonly capture?: RegistryCaptureOptions;

  /**
   * Settings of replay (the other region's changes into this region's registry).
   *
   * @default - the defaults of `RegistryReplayOptions`
   */
  readonly replay?: RegistryReplayOptions;

  /**
   * CloudWatch namespace of every handler's metrics, capture's and replay's alike. Not with
   * `capture.metricsNamespace` or `replay.metricsNamespace`.
   *
   * @default 'IotDr' - unless capture or replay names its own
   */
  readonly metricsNamespace?: string;

  /**
   * Retention of every log group the pipeline creates. Not with `capture.logRetention` or
   * `replay.logRetention`.
   *
   * @default logs.RetentionDays.THREE_MONTHS - unless capture or replay names its own
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Where the alarms (capture and replay dead letters, replication lag) send their notifications. Actions
   * must be in this stack's region (an SNS topic of another region cannot receive CloudWatch alarms).
   *
   * @default - no actions; add some later with `addAlarmAction`
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * Whether device shadows (classic and named) are replicated: capture journals their changes, replay
   * writes them. Not with `capture.replicateShadows` or `replay.replicateShadows`.
   *
   * @default false - shadows are device state, often rebuilt by the devices themselves after a failover, and
   * every shadow change would become a journal write and a replay in the other region
   */
  readonly replicateShadows?: boolean;

  /**
   * This account's raised AWS IoT TPS quotas, per API name (e.g. `{ RegisterCertificateWithoutCA: 50 }`),
   * for the one rate limiter replay, parking and the reconciler share in this region. Not with
   * `replay.iotQuotas` or `reconciler.iotQuotas`.
   *
   * @default - the AWS default quotas (DEFAULT_IOT_QUOTAS in lambda/contract/quotas.ts)
   */
  readonly iotQuotas?: { [api: string]: number };

  /**
   * Adds a RegistryReconciler (anti-entropy, initial copy) with these settings; its alarms get
   * `alarmActions` too.
   *
   * @default - no reconciler
   */
  readonly reconciler?: RegistryReconcilerOptions;
}

/**
 * Registry replication for one region, to drop into an existing stack: the journal (created or imported),
 * the echo ledger, capture of this region's registry events, and replay of the other region's changes.
 * Deploy one in each region of the pair, with `ownsJournal: true` in exactly one of them. When both halves
 * are in one app, synthesis checks that they fit together.
 */
export class IotRegistryReplication extends Construct {
  /** The other region of the pair. */
  readonly peerRegion: string;
  /** The journal: created here (`ownsJournal: true`), this region's replica, or `existingJournal`. */
  readonly journal: IReplicationJournal;
  /** The echo ledger shared by this region's capture and replay. */
  readonly echoLedger: IEchoLedger;
  /** Capture of this region's registry events into the journal. */
  readonly capture: RegistryCapture;
  /** Replay of the other region's journaled changes into this region's registry. */
  readonly replay: RegistryReplay;
  /** The reconciler, when `reconciler` settings were given. */
  readonly reconciler?: RegistryReconciler;

  constructor(scope: Construct, id: string, props: IotRegistryReplicationProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (Token.isUnresolved(props.peerRegion)) {
      throw propError(this, "peerRegion must be a literal region name such as 'us-east-1', not a token: the journal's replica is created there");
    }
    checkRegion(this, 'peerRegion', props.peerRegion, 'us-east-1');
    if (!Token.isUnresolved(region) && props.peerRegion === region) {
      throw propError(this, `peerRegion must differ from this stack's region '${region}'`);
    }
    this.peerRegion = props.peerRegion;
    this.journal = this.resolveJournal(props);
    this.echoLedger = this.resolveEchoLedger(props);

    const wiring = { journal: this.journal, echoLedger: this.echoLedger };
    const replicateShadows = this.shadowSetting(props);
    if (props.iotQuotas && (props.replay?.iotQuotas || props.reconciler?.iotQuotas)) {
      throw propError(this, 'give either iotQuotas (for replay and the reconciler, which share one rate limiter) or replay.iotQuotas and reconciler.iotQuotas, not both');
    }
    const quotas = props.iotQuotas ? { iotQuotas: props.iotQuotas } : {};
    this.replay = new RegistryReplay(this, 'Replay', { ...this.withSharedSettings('replay', props), ...wiring, replicateShadows, ...quotas });
    this.capture = new RegistryCapture(this, 'Capture', { ...this.withSharedSettings('capture', props), ...wiring, replicateShadows });
    if (props.reconciler) {
      this.reconciler = new RegistryReconciler(this, 'Reconciler', { ...this.withSharedSettings('reconciler', props), ...wiring, replicateShadows, ...quotas });
    }
    // Their IoT calls are the pipeline's own: capture recognises their CloudTrail events as echoes.
    const ownWriters = [...Object.values(this.replay.functions), this.replay.parkingFunction, this.reconciler?.function];
    this.capture.recogniseOwnWrites(...ownWriters.flatMap((f) => (f?.role ? [f.role] : [])));
    if (props.alarmActions?.length) {
      this.addAlarmAction(...props.alarmActions);
    }
    this.node.addValidation({ validate: () => pairProblems(this.pairHalf(), this.otherHalves()) });
  }

  /** Sends every alarm of the pipeline (capture, replay and the reconciler, if any) to `actions`. */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.capture.addAlarmAction(...actions);
    this.replay.addAlarmAction(...actions);
    this.reconciler?.addAlarmAction(...actions);
  }

  private resolveJournal(props: IotRegistryReplicationProps): IReplicationJournal {
    const journalProps = props.journalProps ?? {};
    if (props.existingJournal) {
      if (props.journalProps) {
        throw propError(this, 'give either existingJournal or journalProps, not both: journalProps describes the journal this construct would create');
      }
      if (props.ownsJournal !== undefined) {
        throw propError(this, 'ownsJournal decides whether this construct creates or imports the journal; remove it when passing existingJournal');
      }
      return props.existingJournal;
    }
    if (props.ownsJournal === undefined) {
      throw propError(
        this,
        'set ownsJournal: true in the region whose stack creates the journal and false in the peer region (or pass existingJournal)',
      );
    }
    if (journalProps.peerEncryptionKeyArn && !journalProps.encryptionKey) {
      throw propError(this, 'journalProps.peerEncryptionKeyArn is only used with journalProps.encryptionKey');
    }
    const tableName = journalProps.tableName ?? DEFAULT_JOURNAL_TABLE_NAME;
    if (!props.ownsJournal) {
      const ownerOnly = (['deletionProtection', 'removalPolicy', 'peerEncryptionKeyArn'] as const).filter((p) => journalProps[p] !== undefined);
      if (ownerOnly.length > 0) {
        throw propError(
          this,
          `journalProps.${ownerOnly.join(', journalProps.')} applies only where ownsJournal is true: the peer region's stack creates the table and its replicas`,
        );
      }
      return ReplicationJournal.fromReplica(this, 'Journal', {
        tableName,
        owningRegion: props.peerRegion,
        encryptionKey: journalProps.encryptionKey,
      });
    }
    if (journalProps.encryptionKey && !journalProps.peerEncryptionKeyArn) {
      throw propError(
        this,
        `with journalProps.encryptionKey, journalProps.peerEncryptionKeyArn must name the key for the replica in ${props.peerRegion}`,
      );
    }
    return new ReplicationJournal(this, 'Journal', {
      tableName,
      deletionProtection: journalProps.deletionProtection,
      removalPolicy: journalProps.removalPolicy,
      replicaRegions: [props.peerRegion],
      encryptionKey: journalProps.encryptionKey,
      replicaKeyArns: journalProps.peerEncryptionKeyArn ? { [props.peerRegion]: journalProps.peerEncryptionKeyArn } : undefined,
    });
  }

  private resolveEchoLedger(props: IotRegistryReplicationProps): IEchoLedger {
    if (props.existingEchoLedger) {
      if (props.echoLedgerProps) {
        throw propError(this, 'give either existingEchoLedger or echoLedgerProps, not both: echoLedgerProps describes the ledger this construct would create');
      }
      return props.existingEchoLedger;
    }
    return new EchoLedger(this, 'EchoLedger', {
      ...props.echoLedgerProps,
      encryptionKey: props.echoLedgerProps?.encryptionKey ?? props.journalProps?.encryptionKey,
    });
  }

  /** Capture and replay replicate shadows alike: captured shadows nobody replays (or the reverse) help no one. */
  private shadowSetting(props: IotRegistryReplicationProps): boolean {
    const capture = props.capture?.replicateShadows;
    const replay = props.replay?.replicateShadows;
    if (props.replicateShadows !== undefined && (capture !== undefined || replay !== undefined)) {
      throw propError(this, 'give either replicateShadows (for capture and replay) or capture.replicateShadows and replay.replicateShadows, not both');
    }
    if (capture !== undefined && replay !== undefined && capture !== replay) {
      throw propError(this, `capture.replicateShadows (${capture}) and replay.replicateShadows (${replay}) must agree; or set replicateShadows once`);
    }
    return props.replicateShadows ?? capture ?? replay ?? false;
  }

  /** A part's options with the pipeline-wide settings filled in; a setting given for both is refused. */
  private withSharedSettings<P extends 'capture' | 'replay' | 'reconciler'>(part: P, props: IotRegistryReplicationProps): NonNullable<IotRegistryReplicationProps[P]> {
    const options: NonNullable<IotRegistryReplicationProps[P]> = props[part] ?? {};
    for (const prop of ['metricsNamespace', 'logRetention'] as const) {
      if (props[prop] !== undefined && options[prop] !== undefined) {
        throw propError(this, `give either ${prop} (for capture and replay) or ${part}.${prop}, not both`);
      }
    }
    return {
      ...options,
      metricsNamespace: options.metricsNamespace ?? props.metricsNamespace,
      logRetention: options.logRetention ?? props.logRetention,
    };
  }

  private pairHalf(): PairHalf {
    const stack = Stack.of(this);
    return {
      path: this.node.path,
      region: stack.region,
      account: stack.account,
      peerRegion: this.peerRegion,
      tableName: this.journal.tableName,
      owningRegion: this.journal.owningRegion,
    };
  }

  private otherHalves(): PairHalf[] {
    return this.node.root.node
      .findAll()
      .filter((c): c is IotRegistryReplication => c instanceof IotRegistryReplication && c !== this)
      .map((c) => c.pairHalf());
  }
}
