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
 * registry pages), shadows only when shadows are replicated. What others depend on comes first (CA
 * certificates, types, groups, policies: quick listings), then things — listed with their principals and
 * the certificates and policy attachments those name (see LISTED_AFTER_THINGS) — and memberships.
 */
export const RECONCILED_KINDS = [
  'caCert',
  'thingType',
  'thingGroup',
  'policy',
  'thing',
  'principal',
  'member',
  'cert',
  'policyTarget',
  'provisioningTemplate',
  'roleAlias',
  'shadow',
] as const;
export type ReconciledKind = (typeof RECONCILED_KINDS)[number];

/**
 * Kinds that link two entities (a membership, a principal, a policy attachment) or hang off one (a shadow).
 * A registry page imports a link only once the journal holds its ends, so an initial copy journals things
 * and certificates before what needs them and the other region's replays of the links find their ends there
 * instead of waiting (and holding their batch) for them.
 */
export const RELATIONSHIP_KINDS: readonly ReconciledKind[] = ['member', 'principal', 'policyTarget', 'shadow'];

/**
 * Kinds a pass lists in its second phase, with the journal segments, after the first phase's things: a page
 * of things the journal lacks reads each one's certificates (DescribeCertificate, 10 TPS), their policy
 * attachments and its memberships (ListThingGroupsForThing, 10 TPS) as it goes, so an initial copy journals
 * each device's thing, certificate, principal, attachments and memberships together and at one pace (the
 * other region replays the stream in order: a block of one kind would hold up the others behind it); the
 * listings after it find those journaled and only read what no new thing names (a certificate attached to
 * no thing, an attachment to a thing group, a membership of a thing journaled before).
 */
export const LISTED_AFTER_THINGS: readonly ReconciledKind[] = ['member', 'cert', 'policyTarget'];

/** The kinds of a pass: all of them, or all but shadows when shadows are not replicated. */
export function reconciledKinds(shadowsEnabled: boolean): readonly ReconciledKind[] {
  return shadowsEnabled ? RECONCILED_KINDS : RECONCILED_KINDS.filter((k) => k !== 'shadow');
}

/** Metrics the reconciler emits per run item, with dimensions `Region` and `Kind` (and without any). */
export const DRIFT_METRICS = { found: 'DriftFound', repaired: 'DriftRepaired', failed: 'DriftFailed', pending: 'DriftPending' } as const;
