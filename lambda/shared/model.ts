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
 * | policy          | `policy#<name>`            | = sk                  | -                   |
 * | policy target   | `policyTarget#<p>#<tgt>`   | `policy#<p>`          | target's key        |
 * | thing principal | `principal#<thing>#<cert>` | `thing#<thing>`       | `cert#<cert>`       |
 * | shadow          | `shadow#<thing>#<name>`    | `thing#<thing>`       | -                   |
 *
 * Deleting an entity tombstones its dependents: items in its own partition (strongly consistent query on
 * `pk`) and items whose `ref` is its key (query on `byRef`). New kinds slot in by choosing `pk` and `ref`.
 */

export const ENTITY_KINDS = [
  'thing',
  'thingType',
  'thingGroup',
  'member',
  'cert',
  'policy',
  'policyTarget',
  'principal',
  'shadow',
] as const;
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

export type EntityState = ThingState | ThingTypeState | ThingGroupState | MembershipState;

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
