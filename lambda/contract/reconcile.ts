/** Names and defaults the RegistryReconciler construct and its handler share. */

export const RECONCILE_ENV = {
  /** How long a local change the journal has not seen must stay unchanged before it is journaled, seconds. */
  graceSeconds: 'RECONCILE_GRACE_SECONDS',
  /** How many item processors run at once (the Distributed Map's MaxConcurrency). */
  concurrency: 'RECONCILE_CONCURRENCY',
  /** Registry entities (or journal items) per page. */
  pageSize: 'RECONCILE_PAGE_SIZE',
} as const;

/** 15 minutes: longer than capture normally takes, so the reconciler does not journal a change capture is about to. */
export const DEFAULT_RECONCILE_GRACE_SECONDS = 15 * 60;

export const DEFAULT_RECONCILE_PAGE_SIZE = 100;

/**
 * Every kind the reconciler covers, in the order a pass lists them: one Distributed Map item per kind (its
 * registry pages), shadows only when shadows are replicated.
 */
export const RECONCILED_KINDS = [
  'thing',
  'thingType',
  'thingGroup',
  'member',
  'cert',
  'caCert',
  'policy',
  'policyTarget',
  'principal',
  'provisioningTemplate',
  'roleAlias',
  'shadow',
] as const;
export type ReconciledKind = (typeof RECONCILED_KINDS)[number];

/**
 * Kinds that link two entities (a membership, a principal, a policy attachment) or hang off one (a shadow).
 * A pass reconciles them after every other kind, and the journal segments last: an initial copy then
 * journals things and certificates before what needs them, so the other region's replays of the links find
 * their ends there instead of waiting (and holding their batch) for them.
 */
export const RELATIONSHIP_KINDS: readonly ReconciledKind[] = ['member', 'principal', 'policyTarget', 'shadow'];

/** The kinds of a pass: all of them, or all but shadows when shadows are not replicated. */
export function reconciledKinds(shadowsEnabled: boolean): readonly ReconciledKind[] {
  return shadowsEnabled ? RECONCILED_KINDS : RECONCILED_KINDS.filter((k) => k !== 'shadow');
}

/** Metrics the reconciler emits per run item, with dimensions `Region` and `Kind` (and without any). */
export const DRIFT_METRICS = { found: 'DriftFound', repaired: 'DriftRepaired', failed: 'DriftFailed', pending: 'DriftPending' } as const;
