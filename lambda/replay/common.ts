/**
 * What every replay Lambda does around its kind's reconcile step: validate the task, read the journal's
 * current item (never the stream image, so duplicates and out-of-order records converge), skip items this
 * region wrote, translate SDK errors into the names the workflow retries on, and emit one EMF line.
 */
import type { IoTClient } from '@aws-sdk/client-iot';
import type { EchoLedgerStore } from '../shared/echo-ledger-store';
import { METRIC_NAMES, RETRYABLE_ERRORS } from '../contract';
import { ConcurrentModification, MalformedInput } from '../shared/errors';
import { isDefinitelyRejected, isNotFound, toRetryableError } from '../shared/iot-errors';
import type { JournalStore } from '../shared/journal-store';
import { parseKey } from '../shared/keys';
import type { EntityKind, JournalItem, ReplayAction, ReplayTaskInput, ReplayTaskResult } from '../shared/model';
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
  if (item.kind !== kind || typeof item.deleted !== 'boolean' || typeof item.version !== 'string' || !item.stateHash) {
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

export interface EchoGuardOptions {
  /**
   * Forget the plan's fingerprints when its first write is refused without effect (the default). Turn off
   * when an earlier attempt may already have applied part of the plan whose echo they must still recognise.
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


  async write<T>(op: () => Promise<T>): Promise<T> {
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
      if (!this.applied && (this.options.forgetWhenRejected ?? true) && isDefinitelyRejected(err)) {
        await this.ledger.forget(this.key, this.fingerprints).catch((forgetErr: unknown) =>
          log('WARN', 'could not forget echo fingerprints after a rejected write', { key: this.key, error: forgetErr }),
        );
      }
      throw err;
    }
  }
}
