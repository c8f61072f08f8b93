/** Names and defaults the RegistryReconciler construct and its handler share. */

export const RECONCILE_ENV = {
  /** How long a local change the journal has not seen must stay unchanged before it is journaled, seconds. */
  graceSeconds: 'RECONCILE_GRACE_SECONDS',
  /** How many item processors run at once (the Distributed Map's MaxConcurrency): each gets its share of the quotas. */
  concurrency: 'RECONCILE_CONCURRENCY',
  /** JSON object of IoT API name → TPS quota, overriding DEFAULT_RECONCILE_QUOTAS. */
  quotas: 'RECONCILE_TPS_QUOTAS',
  /** Registry entities (or journal items) per page. */
  pageSize: 'RECONCILE_PAGE_SIZE',
} as const;

/** 15 minutes: longer than capture normally takes, so the reconciler does not journal a change capture is about to. */
export const DEFAULT_RECONCILE_GRACE_SECONDS = 15 * 60;

export const DEFAULT_RECONCILE_PAGE_SIZE = 100;

/** The IoT control-plane TPS quotas the reconciler paces to (AWS defaults; override per account). */
export const DEFAULT_RECONCILE_QUOTAS: Readonly<Record<string, number>> = {
  ListThings: 10,
  ListThingTypes: 10,
  ListThingGroups: 10,
  ListThingsInThingGroup: 10,
  ListThingGroupsForThing: 10,
  DescribeThing: 350,
  DescribeThingType: 50,
  DescribeThingGroup: 100,
  CreateThing: 100,
  UpdateThing: 100,
  DeleteThing: 100,
  CreateThingGroup: 25,
  UpdateThingGroup: 25,
  DeleteThingGroup: 25,
  AddThingToThingGroup: 60,
  RemoveThingFromThingGroup: 60,
  CreateThingType: 15,
  DeprecateThingType: 15,
  DeleteThingType: 15,
};

/** Metrics the reconciler emits per run item, with dimensions `Region` and `Kind` (and without any). */
export const DRIFT_METRICS = { found: 'DriftFound', repaired: 'DriftRepaired', failed: 'DriftFailed', pending: 'DriftPending' } as const;
