/**
 * What a reconciler run works on and reports: the kinds it covers, its units of work (a page of one
 * registry kind, or a journal scan segment) and the drift counts each returns, merged into a run's summary.
 */

import type { ReconciledKind } from '../contract';

export { RECONCILED_KINDS, reconciledKinds, type ReconciledKind } from '../contract';

/** Drift counts of one kind. `found` = repaired + failed + pending. */
export interface DriftCounts {
  checked: number;
  found: number;
  repaired: number;
  failed: number;
  /** Local changes waiting for their grace period. */
  pending: number;
}

export type DriftSummary = Partial<Record<ReconciledKind, DriftCounts>>;

/** One unit of work of a reconciler run. */
export type ReconcileItem =
  | { readonly source: 'registry'; readonly kind: ReconciledKind; readonly nextToken?: string }
  | { readonly source: 'journal'; readonly segment: number; readonly totalSegments: number; readonly exclusiveStartKey?: Record<string, unknown> };

export interface ReconcileItemResult {
  readonly drift: DriftSummary;
  /** Where the next page of the same listing starts; absent when the listing is done. */
  readonly next?: ReconcileItem;
}

export const emptyCounts = (): DriftCounts => ({ checked: 0, found: 0, repaired: 0, failed: 0, pending: 0 });

export function mergeDrift(a: DriftSummary, b: DriftSummary): DriftSummary {
  const out: DriftSummary = { ...a };
  for (const [kind, counts] of Object.entries(b) as [ReconciledKind, DriftCounts][]) {
    const c = out[kind] ? { ...out[kind] } : emptyCounts();
    c.checked += counts.checked;
    c.found += counts.found;
    c.repaired += counts.repaired;
    c.failed += counts.failed;
    c.pending += counts.pending;
    out[kind] = c;
  }
  return out;
}
