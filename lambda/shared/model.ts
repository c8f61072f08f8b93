/**
 * The replication journal model: plain types shared by the handlers. Attribute, index and table names
 * the constructs need too live in lambda/contract/journal.ts.
 *
 * One journal item per registry entity holds the entity's latest desired state, never a log of operations.
 * Item layout (table `pk` + `sk`, global secondary index `byRef` on `ref` + `sk`):
 *
 * | entity          | sk (identity)              | pk (owning partition) | ref (second parent) |
 * | --------------- | -------------------------- | --------------------- | ------------------- |
 * | thing           | `thing#<name>`             | = sk                  | -                   |
 * | thing type      | `thingType#<name>`         | = sk                  | -                   |
 * | thing group     | `thingGroup#<name>`        | = sk                  | -                   |
 * | membership      | `member#<group>#<thing>`   | `thingGroup#<group>`  | `thing#<thing>`     |
 * | certificate     | `cert#<id>`                | = sk                  | -                   |
 * | CA certificate  | `caCert#<id>`              | = sk                  | -                   |
 * | policy          | `policy#<name>`            | = sk                  | -                   |
 * | policy target   | `policyTarget#<p>#<tgt>`   | `policy#<p>`          | target's key        |
 * | thing principal | `principal#<thing>#<cert>` | `thing#<thing>`       | `cert#<cert>`       |
 * | prov. template  | `provisioningTemplate#<n>` | = sk                  | -                   |
 * | role alias      | `roleAlias#<alias>`        | = sk                  | -                   |
 * | shadow          | `shadow#<thing>#<name>`    | `thing#<thing>`       | -                   |
 *
 * A policy target `<tgt>` is `cert/<certificateId>` or `thinggroup/<groupName>` (region-neutral: replay
 * builds the target region's ARN). A classic shadow's `<name>` is CLASSIC_SHADOW_NAME (`$classic`, which no
 * named shadow can be called).
 *
 * Deleting an entity tombstones its dependents: items in its own partition (strongly consistent query on
 * `pk`) and items whose `ref` is its key (query on `byRef`). New kinds slot in by choosing `pk` and `ref`.
 */
import { RECONCILED_KINDS } from '../contract';

/**
 * Every entity kind the journal holds. The reconciler covers them all, so the list is the contract's
 * RECONCILED_KINDS (constructs read it too); shadows are reconciled only when replicated.
 */
export const ENTITY_KINDS = RECONCILED_KINDS;
export type EntityKind = (typeof ENTITY_KINDS)[number];

// Entity states are always built by entity-state.ts, in one canonical form, so equal states hash equally.

export interface ThingState {
  readonly thingName: string;
  /** Omitted when the thing has no type. */
  readonly thingTypeName?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ThingTypeState {
  readonly thingTypeName: string;
  /** Omitted when IoT has none (absent or ''). */
  readonly description?: string;
  readonly searchableAttributes: readonly string[];
  readonly deprecated: boolean;
}

export interface ThingGroupState {
  readonly thingGroupName: string;
  /** Omitted for a root group. Immutable in IoT: a different parent means delete and recreate. */
  readonly parentGroupName?: string;
  /** Omitted when IoT has none (absent or ''). */
  readonly description?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface MembershipState {
  readonly thingGroupName: string;
  readonly thingName: string;
}

/**
 * A device certificate. Its id is the SHA-256 fingerprint of the certificate, so it is the same in every
 * region. `certificatePem` is the public certificate (never key material), which replay registers in the
 * target region; it is never logged, put in a metric, a dead letter or a workflow's input.
 */
export interface CertificateState {
  readonly certificateId: string;
  readonly certificatePem: string;
  /** ACTIVE, INACTIVE, REVOKED (or another IoT status, replayed as INACTIVE: see replay). */
  readonly status: string;
  /** The issuing CA's certificate id when the CA is registered in the source region. */
  readonly caCertificateId?: string;
}

/** A CA certificate; replay registers it in SNI_ONLY (multi-account) mode, which needs no verification certificate. */
export interface CaCertificateState {
  readonly certificateId: string;
  readonly certificatePem: string;
  /** ACTIVE or INACTIVE. */
  readonly status: string;
  /** ENABLE or DISABLE (just-in-time registration of the certificates it issues). */
  readonly autoRegistration: string;
}

/**
 * A policy with its version history (IoT keeps at most five versions). Documents are canonical JSON with the
 * ARNs of their own region and account made region-neutral (see identity-state.ts), so the same policy hashes
 * equally in both regions; replay writes them back with the target's region and account.
 */
export interface PolicyState {
  readonly policyName: string;
  /** Documents of the versions, in the order IoT created them (ascending version id). */
  readonly documents: readonly string[];
  /** Index of the default version in `documents`. */
  readonly defaultIndex: number;
}

/** A policy attached to a certificate or a thing group. */
export interface PolicyTargetState {
  readonly policyName: string;
  /** `cert/<certificateId>` or `thinggroup/<groupName>`. */
  readonly target: string;
}

/** A certificate attached to a thing as its principal. */
export interface PrincipalState {
  readonly thingName: string;
  readonly certificateId: string;
}

export interface PreProvisioningHookState {
  /** The hook Lambda's ARN, region-neutral. */
  readonly targetArn: string;
  readonly payloadVersion?: string;
}

/** A fleet-provisioning (or JITP) template: its default version's body and settings. */
export interface ProvisioningTemplateState {
  readonly templateName: string;
  readonly description?: string;
  /** Canonical JSON of the default version's body (ARNs region-neutral). */
  readonly templateBody: string;
  readonly enabled: boolean;
  /** IAM role ARN (IAM is global: no region to rewrite). */
  readonly provisioningRoleArn: string;
  readonly preProvisioningHook?: PreProvisioningHookState;
  /** FLEET_PROVISIONING or JITP. */
  readonly type?: string;
}

export interface RoleAliasState {
  readonly roleAlias: string;
  readonly roleArn: string;
  readonly credentialDurationSeconds: number;
}

/** A classic (`shadowName` absent) or named shadow's desired and reported state. */
export interface ShadowState {
  readonly thingName: string;
  readonly shadowName?: string;
  readonly desired?: Readonly<Record<string, unknown>>;
  readonly reported?: Readonly<Record<string, unknown>>;
}

export type IdentityState =
  | CertificateState
  | CaCertificateState
  | PolicyState
  | PolicyTargetState
  | PrincipalState
  | ProvisioningTemplateState
  | RoleAliasState
  | ShadowState;

export type EntityState = ThingState | ThingTypeState | ThingGroupState | MembershipState | IdentityState;

/** A journal item as stored (DynamoDB document form). */
export interface JournalItem {
  readonly pk: string;
  readonly sk: string;
  readonly ref?: string;
  readonly kind: EntityKind;
  /** Total order across regions; see version.ts. */
  readonly version: string;
  /** Source event time, epoch milliseconds. */
  readonly eventTime: number;
  readonly eventId: string;
  /** Region whose IoT Core produced the change. Replay skips items whose origin is its own region. */
  readonly originRegion: string;
  /** True for a tombstone: the entity must not exist. */
  readonly deleted: boolean;
  /** Desired state; absent on tombstones. */
  readonly state?: EntityState;
  /** Hash of `state` (or of the tombstone) used for echo suppression. */
  readonly stateHash: string;
  /** When the item was written, epoch milliseconds (journal latency metric). */
  readonly capturedAt: number;
  /** TTL, epoch seconds; tombstones only. */
  readonly expiresAt?: number;
}

/** What the Step Functions workflow hands each replay Lambda (one per stream record). */
export interface ReplayTaskInput {
  /** The item's identity (`sk`). */
  readonly key: string;
  /** The item's owning partition (`pk`). */
  readonly partition: string;
  /** Version seen on the stream; replay always applies the journal's current item, this is for logs. */
  readonly version: string;
  /** Source event time (ms) from the stream image, for the lag metric. */
  readonly eventTime: number;
}

export type ReplayAction = 'created' | 'updated' | 'deleted' | 'unchanged' | 'superseded' | 'skipped-own-origin' | 'heartbeat';

/**
 * A region's heartbeat in the journal (`heartbeat#<region>` as `pk` and `sk`), overwritten every minute:
 * the peer's replay measures replication lag on it when nobody changes the registry. Same attribute names
 * as a journal item, so the pipe's filter and the workflow's item selector treat it alike; `kind` is
 * `heartbeat`, which is no entity kind.
 */
export interface HeartbeatItem {
  readonly pk: string;
  readonly sk: string;
  readonly kind: 'heartbeat';
  /** Orders like the journal's versions (see version.ts), so a late write never replaces a newer one. */
  readonly version: string;
  /** When the heartbeat was written, epoch milliseconds. */
  readonly eventTime: number;
  readonly eventId: string;
  readonly originRegion: string;
  readonly deleted: false;
  readonly stateHash: string;
  readonly capturedAt: number;
}

export interface ReplayTaskResult {
  readonly key: string;
  readonly action: ReplayAction;
  /** now − source event time, milliseconds. */
  readonly lagMs: number;
}
