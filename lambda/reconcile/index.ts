/**
 * The reconcile bundle: the RegistryReconciler's item processor. Each invocation reconciles one page of one
 * registry kind or of one journal scan segment and returns the page's drift and where the next page starts;
 * the state machine invokes it again until the listing is done. Dependencies are built once per container.
 */
import { DEFAULT_RECONCILE_GRACE_SECONDS, DEFAULT_RECONCILE_PAGE_SIZE, HANDLER_ENV, RECONCILE_ENV } from '../contract';
import { replayDepsFromEnv } from '../replay/config';
import { type Environment, HandlerEnvironment } from '../shared/config';
import { type ReconciledKind, reconciledKinds } from './drift';
import { type DriftSummary, mergeDrift, type ReconcileItem, type ReconcileItemResult, Reconciler } from './reconcile';

export interface ReconcileConfig {
  readonly graceMs: number;
  readonly concurrency: number;
  readonly pageSize: number;
  /** Every kind, shadows only when they are replicated (SHADOWS_ENABLED). */
  readonly kinds: readonly ReconciledKind[];
}

export function readReconcileConfig(environment: Environment): ReconcileConfig {
  const env = new HandlerEnvironment(environment, 'reconcile');
  const count = (name: string, fallback: number): number => {
    const raw = env.optional(name, String(fallback));
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`reconcile Lambda: ${name} must be a positive whole number, got '${raw}'`);
    return n;
  };
  return {
    graceMs: env.seconds(RECONCILE_ENV.graceSeconds, DEFAULT_RECONCILE_GRACE_SECONDS) * 1000,
    concurrency: count(RECONCILE_ENV.concurrency, 1),
    pageSize: count(RECONCILE_ENV.pageSize, DEFAULT_RECONCILE_PAGE_SIZE),
    kinds: reconciledKinds(env.optional(HANDLER_ENV.shadowsEnabled, 'false') === 'true'),
  };
}

let reconciler: Reconciler | undefined;

function build(environment: Environment = process.env): Reconciler {
  const config = readReconcileConfig(environment);
  // Its IoT clients are paced by the region's shared rate limiter (IOT_QUOTAS), like replay's and parking's.
  const replay = replayDepsFromEnv(environment);
  return new Reconciler({
    replay,
    ledgerTableName: new HandlerEnvironment(environment, 'reconcile').required(HANDLER_ENV.echoLedgerTableName),
    graceMs: config.graceMs,
    pageSize: config.pageSize,
    kinds: config.kinds,
  });
}

/** What the state machine hands the function: one page to reconcile, or every item's result to sum up. */
export type ReconcileEvent =
  | { readonly item: ReconcileItem; readonly drift?: DriftSummary }
  | { readonly results: ReadonlyArray<{ readonly drift?: DriftSummary } | ReadonlyArray<{ readonly drift?: DriftSummary }>> };

/** A run's summary: drift per kind and the totals (the execution's output). */
export interface ReconcileSummary {
  readonly drift: DriftSummary;
  readonly found: number;
  readonly repaired: number;
  readonly failed: number;
  readonly pending: number;
}

export function summarize(
  phases: ReadonlyArray<{ readonly drift?: DriftSummary } | ReadonlyArray<{ readonly drift?: DriftSummary }>>,
): ReconcileSummary {
  // One array per phase of the pass (entities, then relationships and the journal), or one flat array.
  const results = phases.flatMap((r) => (Array.isArray(r) ? r : [r])) as ReadonlyArray<{ readonly drift?: DriftSummary }>;
  const drift = results.reduce<DriftSummary>((sum, r) => mergeDrift(sum, r.drift ?? {}), {});
  const sum = (field: 'found' | 'repaired' | 'failed' | 'pending'): number => Object.values(drift).reduce((n, c) => n + (c?.[field] ?? 0), 0);
  return { drift, found: sum('found'), repaired: sum('repaired'), failed: sum('failed'), pending: sum('pending') };
}

/**
 * The item processor: `{ item, drift? }` in — one page, and the drift of the item's earlier pages — out the
 * drift so far and the next page's item, if any. `{ results }` (the Distributed Map's output) in: the summary.
 */
export async function reconcileItem(event: ReconcileEvent): Promise<ReconcileItemResult | ReconcileSummary> {
  if ('results' in event) return summarize(event.results);
  reconciler ??= build();
  const result = await reconciler.run(event.item);
  return { ...result, drift: mergeDrift(event.drift ?? {}, result.drift) };
}
