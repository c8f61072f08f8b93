import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct, IConstruct } from 'constructs';
import { DEFAULT_JOURNAL_TABLE_NAME } from './defaults';
import { JournalBase } from './journal-base';
import { ReplicaJournal } from './replica-journal';
import { JOURNAL_ATTR, JOURNAL_REF_INDEX } from '../../lambda/contract';
import { isRegionOrToken, regionHint } from '../private/regions';
import { checkTableName, propError } from '../private/validate';

/** What `IReplicationJournal.grantReadItems` allows besides `GetItem`. */
export interface JournalReadOptions {
  /**
   * Whether the grantee may also query the table (read every item of a partition).
   *
   * @default false - replaying one entity needs only its own item
   */
  readonly query?: boolean;
}

/**
 * The replication journal as the other constructs use it, whether this stack owns the global table
 * (`new ReplicationJournal`) or holds one of its replicas (`ReplicationJournal.fromReplica`).
 */
export interface IReplicationJournal extends IConstruct {
  /** The table in this stack's region (the owned table or the local replica). */
  readonly table: dynamodb.ITableV2;
  /** Physical table name, the same in every region. */
  readonly tableName: string;
  /** ARN of the table in this stack's region. */
  readonly tableArn: string;
  /** ARN of the `byRef` global secondary index in this region. */
  readonly refIndexArn: string;
  /** The exact ARN of this region's stream: a valid EventBridge Pipes source. */
  readonly streamArn: string;
  /** Region whose stack owns the `AWS::DynamoDB::GlobalTable` resource. */
  readonly owningRegion: string;
  /** The customer managed key encrypting this region's replica, when there is one. */
  readonly encryptionKey?: kms.IKey;

  /**
   * Lets `grantee` journal changes as capture does: read an item, write it conditionally, query a
   * partition and the `byRef` index (cascading deletes find dependents through it).
   */
  grantCaptureWrite(grantee: iam.IGrantable): iam.Grant;

  /** Lets `grantee` read items by key (and query partitions, with `options.query`). */
  grantReadItems(grantee: iam.IGrantable, options?: JournalReadOptions): iam.Grant;

  /** Lets `grantee` read this region's stream (an EventBridge Pipe, a Lambda event source). */
  grantStreamRead(grantee: iam.IGrantable): iam.Grant;
}

/** Journal settings the two regions of a pair share; the owning region applies them to the global table. */
export interface ReplicationJournalOptions {
  /**
   * Physical table name, identical in every region.
   *
   * @default 'iot-dr-journal' - deterministic, so a replica region finds it without cross-region exports
   */
  readonly tableName?: string;

  /**
   * Whether DynamoDB refuses to delete the table (every replica).
   *
   * @default true - the journal is the only copy of the registry's desired state outside IoT Core
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the table when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN - losing the journal means a full re-sync of the registry
   */
  readonly removalPolicy?: RemovalPolicy;
}

export interface ReplicationJournalProps extends ReplicationJournalOptions {
  /** Regions that hold a replica, besides this stack's region. */
  readonly replicaRegions: string[];

  /**
   * Customer managed KMS key for the table in this region.
   *
   * @default - the AWS managed key `aws/dynamodb` in every region, which needs no key policy
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * ARN of the customer managed key to use in each replica region, by region (required with
   * `encryptionKey`: a KMS key lives in one region).
   *
   * @default - none; only allowed without `encryptionKey`, as DynamoDB encrypts every replica alike
   */
  readonly replicaKeyArns?: { [region: string]: string };
}

/** How a replica region refers to the journal owned by another region's stack. */
export interface ReplicaJournalAttributes {
  /**
   * Physical table name, as given to the owning `ReplicationJournal`.
   *
   * @default 'iot-dr-journal' - the owning journal's default
   */
  readonly tableName?: string;

  /** Region whose stack owns the global table (and must deploy first). */
  readonly owningRegion: string;

  /**
   * The customer managed key encrypting the replica in this region.
   *
   * @default - the replica uses the AWS managed key, as it must when the owner does
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The replication journal: one DynamoDB global table item per registry entity, holding its latest desired
 * state. Key schema `pk`/`sk` (strings), index `byRef` on `ref`/`sk` (all attributes, so a cascade can read
 * dependents without a second call), stream with new and old images, point-in-time recovery, TTL on
 * `expiresAt` (tombstones only), on-demand billing, deletion protection and KMS encryption.
 *
 * The stack that creates it owns the `AWS::DynamoDB::GlobalTable`; every other region imports its replica
 * with `ReplicationJournal.fromReplica`.
 */
export class ReplicationJournal extends JournalBase {
  /** Table name used when none is given: both regions must agree on it, so it is fixed rather than generated. */
  static readonly DEFAULT_TABLE_NAME = DEFAULT_JOURNAL_TABLE_NAME;

  /**
   * Imports the replica of a journal owned by another region's stack.
   *
   * A replica's stream ARN carries a creation timestamp that no template can know, so a custom resource
   * reads it at deploy time (`DescribeTable` → `Table.LatestStreamArn`, allowed on this one table only).
   * The owning stack must deploy first: add a stack dependency.
   *
   * The stream ARN is read when the custom resource is created or its properties change; if the global
   * table's stream is ever disabled and re-enabled, change `tableName` or replace this construct.
   */
  static fromReplica(scope: Construct, id: string, attrs: ReplicaJournalAttributes): IReplicationJournal {
    return new ReplicaJournal(scope, id, attrs);
  }

  readonly table: dynamodb.ITableV2;
  readonly tableName: string;
  readonly tableArn: string;
  readonly refIndexArn: string;
  readonly streamArn: string;
  readonly owningRegion: string;
  readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: ReplicationJournalProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const tableName = props.tableName ?? DEFAULT_JOURNAL_TABLE_NAME;
    checkTableName(this, 'tableName', tableName);
    if (Token.isUnresolved(region)) {
      throw propError(this, "a global table needs a stack with an explicit region: set env.region on the stack that owns the journal");
    }
    validateReplicaRegions(this, region, props.replicaRegions);
    if (props.replicaKeyArns && !props.encryptionKey) {
      throw propError(this, 'replicaKeyArns is only used with encryptionKey; remove it or set encryptionKey');
    }
    if (props.encryptionKey) {
      const missing = props.replicaRegions.filter((r) => !props.replicaKeyArns?.[r]);
      if (missing.length > 0) {
        throw propError(this, `with encryptionKey, replicaKeyArns must name a key for every replica region; missing ${missing.join(', ')}`);
      }
    }

    this.table = new dynamodb.TableV2(this, 'Resource', {
      tableName,
      partitionKey: { name: JOURNAL_ATTR.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: JOURNAL_ATTR.sortKey, type: dynamodb.AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: JOURNAL_REF_INDEX,
          partitionKey: { name: JOURNAL_ATTR.ref, type: dynamodb.AttributeType.STRING },
          sortKey: { name: JOURNAL_ATTR.sortKey, type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
      billing: dynamodb.Billing.onDemand(),
      dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      timeToLiveAttribute: JOURNAL_ATTR.ttl,
      encryption: props.encryptionKey
        ? dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey, props.replicaKeyArns)
        : dynamodb.TableEncryptionV2.awsManagedKey(),
      replicas: props.replicaRegions.map((r) => ({ region: r })),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.tableName = tableName;
    this.tableArn = this.table.tableArn;
    this.refIndexArn = `${this.table.tableArn}/index/${JOURNAL_REF_INDEX}`;
    // In the owning region the GlobalTable's StreamArn attribute is this region's exact stream ARN.
    this.streamArn = this.table.tableStreamArn!;
    this.owningRegion = region;
    this.encryptionKey = props.encryptionKey;
  }



}

function validateReplicaRegions(scope: IConstruct, region: string, replicaRegions: string[]): void {
  if (replicaRegions.length === 0) {
    throw propError(scope, 'replicaRegions must name at least one region: a journal without a replica protects nothing');
  }
  const seen = new Set<string>();
  for (const r of replicaRegions) {
    if (Token.isUnresolved(r) || !isRegionOrToken(r)) {
      throw propError(scope, `replicaRegions must hold literal region names such as 'us-east-1', got '${r}'${Token.isUnresolved(r) ? '' : regionHint(r)}`);
    }
    if (r === region) {
      throw propError(scope, `replicaRegions must not include this stack's own region '${region}'`);
    }
    if (seen.has(r)) {
      throw propError(scope, `replicaRegions lists '${r}' twice`);
    }
    seen.add(r);
  }
}
