/**
 * What every replay Lambda does around its kind's reconcile step: validate the task, read the journal's
 * current item (never the stream image, so duplicates and out-of-order records converge), skip items this
 * region wrote, translate SDK errors into the names the workflow retries on, and emit one EMF line.
 */
import type { IoTClient } from '@aws-sdk/client-iot';
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { EchoLedgerStore, KnownState } from '../shared/echo-ledger-store';
import type { FunctionChecker } from '../shared/function-checker';
import { METRIC_NAMES, RETRYABLE_ERRORS } from '../contract';
import { ConcurrentModification, LocalChangePending, MalformedInput } from '../shared/errors';
import { TOMBSTONE_HASH, stateHash } from '../shared/hash';
import { isDefinitelyRejected, isNotFound, toRetryableError } from '../shared/iot-errors';
import type { JournalStore } from '../shared/journal-store';
import { parseKey } from '../shared/keys';
import type { EntityKind, EntityState, JournalItem, ReplayAction, ReplayTaskInput, ReplayTaskResult } from '../shared/model';
import { emitMetrics, log } from '../shared/telemetry';
import { compareVersions } from '../shared/version';

/** Plain dependencies of a replay handler; index.ts builds them from the environment, tests from fakes. */
export interface ReplayDeps {
  readonly iot: IoTClient;
  readonly journal: JournalStore;
  readonly ledger: EchoLedgerStore;
  /** This region (AWS_REGION). Items whose origin is this region are never replayed here. */
  readonly region: string;
  /** Epoch milliseconds; for the replication-lag metric. */
  readonly now: () => number;
  readonly metricsNamespace: string;
  /** What the device-identity replays need beyond the registry client. */
  readonly identity: IdentityDeps;
}

export interface IdentityDeps {
  /** This account (ACCOUNT_ID): region-neutral ARNs in policies and hooks are written back with it. */
  readonly accountId: string;
  /** IoT's data plane in this region: shadows. */
  readonly dataPlane: Pick<IoTDataPlaneClient, 'send'>;
  /** Lambda in this region: whether a provisioning template's pre-provisioning hook exists here. */
  readonly functions: FunctionChecker;
}

export type ReplayHandler = (input: ReplayTaskInput) => Promise<ReplayTaskResult>;

/** What reconciling one entity did to this region's registry. */
export type ReconcileOutcome = 'created' | 'updated' | 'deleted' | 'unchanged';

export interface ReconcileRequest {
  readonly deps: ReplayDeps;
  /** The journal's current item for the task's key; never one of this region's own. */
  readonly item: JournalItem;
  /** Name parts of the key, e.g. [group, thing] for a membership. */
  readonly names: readonly string[];
}

/** One entity kind's replay: how its items are partitioned and how to make this region match one. */
export interface KindReplayer {
  readonly kind: EntityKind;
  /** The journal partition (`pk`) that owns an identity with these name parts. */
  partitionOf(names: readonly string[]): string;
  reconcile(request: ReconcileRequest): Promise<ReconcileOutcome>;
}

function parseTask(input: ReplayTaskInput, replayer: KindReplayer): readonly string[] {
  if (typeof input?.key !== 'string' || typeof input.partition !== 'string') {
    throw new MalformedInput(`replay task needs string 'key' and 'partition', got ${JSON.stringify(input)}`);
  }
  let parsed;
  try {
    parsed = parseKey(input.key);
  } catch (err) {
    throw new MalformedInput((err as Error).message);
  }
  if (parsed.kind !== replayer.kind) {
    throw new MalformedInput(`the ${replayer.kind} replay cannot handle key '${input.key}' (kind ${parsed.kind})`);
  }
  const expected = replayer.partitionOf(parsed.parts);
  if (input.partition !== expected) {
    throw new MalformedInput(`key '${input.key}' belongs to partition '${expected}', not '${input.partition}'`);
  }
  return parsed.parts;
}

function checkItem(item: JournalItem, kind: EntityKind): void {
  if (
    item.kind !== kind ||
    typeof item.deleted !== 'boolean' ||
    typeof item.version !== 'string' ||
    !item.stateHash ||
    // Without an origin, replay cannot tell this region's own changes from the peer's.
    typeof item.originRegion !== 'string' ||
    item.originRegion === ''
  ) {
    throw new MalformedInput(`journal item ${item.sk} is not a well-formed ${kind} item`);
  }
}

const RETRYABLE = new Set<string>(Object.values(RETRYABLE_ERRORS));

/** Wraps a kind's reconcile step into the handler the state machine invokes. */
export function createReplayHandler(deps: ReplayDeps, replayer: KindReplayer): ReplayHandler {
  return async (input) => {
    const key = input?.key;
    try {
      const names = parseTask(input, replayer);
      const item = await deps.journal.get(input.partition, input.key);
      if (!item) {
        throw new MalformedInput(`no journal item ${input.key} in partition ${input.partition}`);
      }
      checkItem(item, replayer.kind);
      let action: ReplayAction;
      if (item.originRegion === deps.region) {
        // A newer change made here has replaced the item since the stream record: capture journaled it already.
        action = 'skipped-own-origin';
      } else {
        const outcome = await replayer.reconcile({ deps, item, names });
        action = outcome === 'unchanged' && compareVersions(item.version, input.version) > 0 ? 'superseded' : outcome;
      }
      // Clocks of two regions differ by a little; a negative lag is skew, not time travel.
      const lagMs = Math.max(0, deps.now() - item.eventTime);
      emitMetrics(deps.metricsNamespace, { Kind: replayer.kind, Action: action }, [
        { name: METRIC_NAMES.replayed, value: 1, unit: 'Count' },
        { name: METRIC_NAMES.replicationLag, value: lagMs, unit: 'Milliseconds' },
      ]);
      log('INFO', 'replayed', {
        key,
        kind: replayer.kind,
        action,
        version: item.version,
        taskVersion: input.version,
        originRegion: item.originRegion,
        deleted: item.deleted,
        lagMs,
      });
      return { key: input.key, action, lagMs };
    } catch (err) {
      const thrown = toRetryableError(err, `replay of ${key}`);
      const retryable = thrown instanceof Error && RETRYABLE.has(thrown.name);
      log(retryable ? 'WARN' : 'ERROR', 'replay failed', { key, kind: replayer.kind, taskVersion: input?.version, error: thrown });
      throw thrown;
    }
  };
}

/** A kind's handler factory (what index.ts and the tests call with their dependencies). */
export function replayHandlerFor(replayer: KindReplayer): (deps: ReplayDeps) => ReplayHandler {
  return (deps) => createReplayHandler(deps, replayer);
}

/**
 * Runs a write to an entity described a moment ago. When IoT no longer finds it, it vanished in between:
 * ConcurrentModification, so the workflow's retry describes it again.
 */
export async function writeToDescribed<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isNotFound(err)) throw new ConcurrentModification(`${what} disappeared while replaying`, { cause: err });
    throw err;
  }
}

/** Two describe-then-write passes both lost a race with local changes: let the workflow retry later. */
export function keepsChanging(what: string): ConcurrentModification {
  return new ConcurrentModification(`${what} keeps changing in this region while replaying`);
}

/** `[...new Set(fingerprints)]` without the undefined entries. */
export function fingerprints(...list: readonly (string | undefined)[]): string[] {
  return [...new Set(list.filter((f): f is string => f !== undefined))];
}

/**
 * An entity as replay found it in this region: the hash of its state (TOMBSTONE_HASH when it does not exist
 * here) and IoT's version number (things and thing groups).
 */
export interface LocalSnapshot {
  readonly stateHash: string;
  readonly localVersion?: number;
}

/** What a region holds of an entity it does not hold: the known state of a deletion. */
export const TOMBSTONE: LocalSnapshot = { stateHash: TOMBSTONE_HASH };

/** The snapshot of a described entity (undefined: it does not exist here). */
export function snapshotOf(state: EntityState | undefined, localVersion?: number): LocalSnapshot {
  if (state === undefined) return { stateHash: TOMBSTONE_HASH };
  return { stateHash: stateHash(state), ...(localVersion !== undefined ? { localVersion } : {}) };
}

/**
 * Whether this region is still at the state the pipeline last knew: by IoT's per-region version number
 * when both have one (exact; it also catches a change back to an earlier state), by state hash otherwise.
 * A local delete (live known, nothing here) or a local creation (tombstone known, something here) differ.
 */
function atKnownState(local: LocalSnapshot, known: KnownState): boolean {
  if (local.localVersion !== undefined && known.localVersion !== undefined) return local.localVersion === known.localVersion;
  return local.stateHash === known.stateHash;
}

/**
 * Optimistic concurrency at replay: call right before writing an entity described as `local`. Throws
 * LocalChangePending (retried by the workflow) when this region has moved past the state its pipeline last
 * knew — a local change (update, delete or creation) capture has not journaled yet, which replay must not
 * overwrite: once capture journals it, the journal orders both changes and replays the winner.
 *
 * No record at all (an entity that predates this release or replication, or a record lost): nothing says
 * the region moved, and blocking would strand every replay of such entities (this release has no
 * reconciler to record them yet), so replay proceeds as it always did and logs it. The common cases need
 * no record anyway: an entity absent here is created, one already at the desired state is left alone.
 */
export async function assertNoPendingLocalChange(deps: ReplayDeps, key: string, local: LocalSnapshot): Promise<void> {
  const known = await deps.ledger.knownState(key);
  if (!known) {
    if (local.stateHash !== TOMBSTONE_HASH) log('INFO', 'no known local state recorded; replaying over the entity as found', { key, local });
    return;
  }
  if (atKnownState(local, known)) return;
  throw new LocalChangePending(
    `${key} changed in this region (${describeSnapshot(local)}) since the state the journal knows (${describeSnapshot(known)}); waiting for capture to journal it`,
  );
}

/**
 * Whether replay may write a creation without describing the entity first ("write first"): when the
 * pipeline last knew it absent here (or knows nothing of it), a create that IoT accepts cannot overwrite a
 * local change — the entity did not exist — and one that IoT refuses as existing falls back to describing
 * it. When the pipeline knew it present, it may have been deleted here since (a local delete capture has not
 * journaled): only the describe-first path can tell, so it is taken. In a bulk copy this saves a read per
 * entity on the 10 TPS quotas (DescribeCertificate, ListThingPrincipals, GetPolicy).
 */
export async function mayCreateBlind(deps: ReplayDeps, key: string): Promise<boolean> {
  const known = await deps.ledger.knownState(key);
  return known === undefined || known.stateHash === TOMBSTONE_HASH;
}

const describeSnapshot = (s: LocalSnapshot): string =>
  s.stateHash === TOMBSTONE_HASH ? 'absent' : s.localVersion !== undefined ? `version ${s.localVersion}` : `state ${s.stateHash}`;

/**
 * Records what replay's own write left in this region (`at`: when the write started) as the known state.
 * A tombstone's record expires with the journal's tombstone (`tombstoneExpiresAt`, epoch s).
 */
export async function recordWritten(deps: ReplayDeps, key: string, written: LocalSnapshot, at: number, tombstoneExpiresAt?: number): Promise<void> {
  await deps.ledger.recordKnownState(key, { ...written, at }, tombstoneExpiresAt);
}

/**
 * The entity is already at the journal's state: make that the known state if it is not, so a record lost
 * (or never made, e.g. for an entity that predates replication) is repaired by any replay that finds the
 * region in step — that state cannot hide a change the journal has not seen, since it is the journal's.
 */
export async function recordInStep(deps: ReplayDeps, key: string, local: LocalSnapshot, tombstoneExpiresAt?: number): Promise<void> {
  const known = await deps.ledger.knownState(key);
  if (known && known.stateHash === local.stateHash && known.localVersion === local.localVersion) return;
  await deps.ledger.recordKnownState(key, { ...local, at: deps.now() }, tombstoneExpiresAt);
}

/**
 * Whether a write whose answer was lost (5xx, timeout, network) took effect: describes the entity and
 * compares it with what the write would have left. Used by EchoGuard to keep a fingerprint only for a
 * write known to have happened.
 */
export type AppliedCheck = () => Promise<boolean>;

/** An AppliedCheck: the entity described now has `expected` (version too, when given). */
export function appliedWhen(describe: () => Promise<LocalSnapshot>, expected: LocalSnapshot): AppliedCheck {
  return async () => {
    const now = await describe();
    return now.stateHash === expected.stateHash && (expected.localVersion === undefined || now.localVersion === expected.localVersion);
  };
}

export interface EchoGuardOptions {
  /**
   * Forget the plan's fingerprints when its first write is refused without effect, or failed uncertainly and
   * did not take effect (the default). Turn off when an earlier attempt may already have applied part of the
   * plan whose echo they must still recognise.
   * @default true
   */
  readonly forgetWhenRejected?: boolean;
}

/**
 * Records the echo fingerprints of a plan of IoT writes right before its first write, then runs the writes.
 *
 * When the first write is refused without effect (throttled, version conflict, not found), nothing was
 * applied, so the plan's fingerprints are forgotten: a stale `v#<n+1>` would make capture swallow the
 * concurrent local change that caused a version conflict, and a stale state hash a later genuine change.
 * When it fails uncertainly (5xx, timeout, network), the write's AppliedCheck describes the entity again
 * and the fingerprints stay only if the write took effect.
 */
export class EchoGuard {
  private recorded = false;
  private applied = false;
  private readonly fingerprints: readonly string[];

  constructor(
    private readonly ledger: EchoLedgerStore,
    private readonly key: string,
    fingerprintList: readonly string[],
    private readonly options: EchoGuardOptions = {},
  ) {
    this.fingerprints = fingerprints(...fingerprintList);
  }

  private async forget(why: string): Promise<void> {
    await this.ledger.forget(this.key, this.fingerprints).catch((forgetErr: unknown) =>
      log('WARN', `could not forget echo fingerprints of a write ${why}`, { key: this.key, error: forgetErr }),
    );
  }

  /**
   * Runs one write of the plan. `applied`, when given, is asked after a failure that may have been applied
   * anyway (5xx, timeout, network): a fingerprint must only stand for a write known to have happened, or
   * capture would take a genuine local change with the same version or state, made within the echo window,
   * for this write's echo. So the plan's fingerprints are kept only when the registry shows the write
   * applied; when it does not, or cannot be asked, they are forgotten (an echo journaled as a local change
   * only brings back the state the journal already holds; a swallowed change would never replicate).
   */
  async write<T>(op: () => Promise<T>, applied?: AppliedCheck): Promise<T> {
    if (!this.recorded) {
      await this.ledger.record(this.key, this.fingerprints);
      this.recorded = true;
    }
    try {
      const result = await op();
      this.applied = true;
      // Closes the window in which a matching hash counts as our echo (see echo-ledger-store.ts).
      await this.ledger.confirm(this.key, this.fingerprints);
      return result;
    } catch (err) {
      if (this.applied) throw err;
      if (isDefinitelyRejected(err)) {
        if (this.options.forgetWhenRejected ?? true) await this.forget('rejected');
      } else if (applied) {
        const tookEffect = await applied().catch((checkErr: unknown) => {
          log('WARN', 'could not tell whether a failed write took effect', { key: this.key, error: checkErr });
          return false;
        });
        if (tookEffect) {
          this.applied = true;
          await this.ledger.confirm(this.key, this.fingerprints);
        } else if (this.options.forgetWhenRejected ?? true) {
          await this.forget('not applied');
        }
      }
      throw err;
    }
  }
}
