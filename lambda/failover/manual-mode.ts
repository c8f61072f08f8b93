/**
 * The manual failover mode, acted out on the Route 53 health checks themselves, so it works when an
 * aggregator or its whole region is down. Route 53 facts it relies on (UpdateHealthCheck, Developer Guide
 * "Inverting health checks"):
 * - a disabled health check is always considered healthy (Route 53 stops sending requests);
 * - an inverted health check is considered unhealthy when its status is healthy and vice versa;
 * - so disabled + inverted is always unhealthy ("to stop routing traffic to a resource, change Inverted");
 * - with failover records, Route 53 answers with the PRIMARY while its check is healthy, else with the
 *   SECONDARY; when both are unhealthy it answers with the PRIMARY.
 *
 * | mode            | primary check                  | secondary check              |
 * | --------------- | ------------------------------ | ---------------------------- |
 * | auto            | enabled, not inverted          | enabled, not inverted        |
 * | force-primary   | disabled (always healthy)      | enabled, not inverted        |
 * | force-secondary | disabled + inverted (unhealthy)| disabled (always healthy)    |
 *
 * The forced-healthy check is updated first, so there is never a moment with both records unhealthy
 * (which would send devices to the primary). The SSM mode parameter is written in each region too (best
 * effort: the aggregators read it, and a region may be unreachable), then the TXT record naming the
 * active region is UPSERTed.
 */
import {
  ChangeResourceRecordSetsCommand,
  GetHealthCheckStatusCommand,
  UpdateHealthCheckCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import type { ManualMode, RegionRole } from '../contract/health';

/** What the manual mode acts on. */
export interface FailoverTargets {
  readonly primaryRegion: string;
  readonly secondaryRegion: string;
  /** Route 53 health check id of each region's failover records. */
  readonly healthCheckIds: { readonly primary: string; readonly secondary: string };
  /** Zone and full name of the TXT record naming the active region; not updated when absent. */
  readonly hostedZoneId?: string;
  readonly activeRegionRecordName?: string;
  readonly recordTtlSeconds?: number;
  /** SSM parameter of the manual mode, written in both regions. */
  readonly modeParameterName: string;
}

/** One UpdateHealthCheck call. */
export interface HealthCheckOverride {
  readonly role: RegionRole;
  readonly healthCheckId: string;
  readonly disabled: boolean;
  readonly inverted: boolean;
}

/** The UpdateHealthCheck calls a mode takes, in the order they must be made. */
export function planHealthChecks(mode: ManualMode, ids: FailoverTargets['healthCheckIds']): HealthCheckOverride[] {
  const auto = (role: RegionRole): HealthCheckOverride => ({ role, healthCheckId: ids[role], disabled: false, inverted: false });
  switch (mode) {
    case 'auto':
      return [auto('primary'), auto('secondary')];
    case 'force-primary':
      return [{ role: 'primary', healthCheckId: ids.primary, disabled: true, inverted: false }, auto('secondary')];
    case 'force-secondary':
      return [
        { role: 'secondary', healthCheckId: ids.secondary, disabled: true, inverted: false },
        { role: 'primary', healthCheckId: ids.primary, disabled: true, inverted: true },
      ];
  }
}

/**
 * Route 53 considers an endpoint healthy when more than 18 % of its checkers report it healthy; a status
 * report reads `Success: HTTP Status Code 200, OK` or `Failure: ...`.
 */
export function healthyFromObservations(statuses: readonly (string | undefined)[]): boolean {
  if (statuses.length === 0) return false;
  const healthy = statuses.filter((s) => s?.startsWith('Success')).length;
  return healthy / statuses.length > 0.18;
}

/** The region devices end up on: forced modes name it; `auto` follows the primary's observed health. */
export function activeRegionFor(mode: ManualMode, targets: FailoverTargets, primaryHealthy: boolean): string {
  if (mode === 'force-primary') return targets.primaryRegion;
  if (mode === 'force-secondary') return targets.secondaryRegion;
  return primaryHealthy ? targets.primaryRegion : targets.secondaryRegion;
}

export interface ManualModeDependencies {
  readonly route53: Pick<Route53Client, 'send'>;
  /** Writes the mode parameter in one region; may throw (the region may be down). */
  readonly putModeParameter: (region: string, name: string, mode: ManualMode) => Promise<void>;
  readonly log?: (message: string) => void;
}

export interface ManualModeResult {
  readonly mode: ManualMode;
  readonly activeRegion: string;
  readonly healthChecks: readonly HealthCheckOverride[];
  /** Per region: `ok` or why the parameter could not be written. */
  readonly modeParameter: Readonly<Record<string, string>>;
  /** `ok`, `skipped` (no zone configured) or why the TXT record could not be written. */
  readonly activeRegionRecord: string;
}

/**
 * Applies `mode`: the health checks (must succeed, else it throws and nothing later runs), then the SSM
 * parameter in each region and the TXT record (best effort, reported in the result).
 */
export async function applyManualMode(mode: ManualMode, targets: FailoverTargets, deps: ManualModeDependencies): Promise<ManualModeResult> {
  const log = deps.log ?? (() => undefined);
  const healthChecks = planHealthChecks(mode, targets.healthCheckIds);
  for (const o of healthChecks) {
    try {
      await deps.route53.send(new UpdateHealthCheckCommand({ HealthCheckId: o.healthCheckId, Disabled: o.disabled, Inverted: o.inverted }));
    } catch (err) {
      throw new Error(`Could not update the ${o.role} health check ${o.healthCheckId} (Disabled=${o.disabled}, Inverted=${o.inverted}): ${(err as Error).message}`, {
        cause: err,
      });
    }
    log(`health check ${o.healthCheckId} (${o.role}): Disabled=${o.disabled} Inverted=${o.inverted}`);
  }

  const modeParameter: Record<string, string> = {};
  await Promise.all(
    [targets.primaryRegion, targets.secondaryRegion].map(async (region) => {
      try {
        await deps.putModeParameter(region, targets.modeParameterName, mode);
        modeParameter[region] = 'ok';
      } catch (err) {
        modeParameter[region] = (err as Error).message || String(err);
        log(`could not write ${targets.modeParameterName} in ${region} (the health checks are switched anyway): ${modeParameter[region]}`);
      }
    }),
  );

  let primaryHealthy = true;
  if (mode === 'auto') {
    try {
      const status = await deps.route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: targets.healthCheckIds.primary }));
      primaryHealthy = healthyFromObservations((status.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status));
    } catch (err) {
      log(`could not read the primary health check's status, assuming healthy: ${(err as Error).message}`);
    }
  }
  const activeRegion = activeRegionFor(mode, targets, primaryHealthy);
  const activeRegionRecord = await upsertActiveRegion(activeRegion, targets, deps.route53).catch((err: Error) => err.message || String(err));
  if (activeRegionRecord !== 'ok' && activeRegionRecord !== 'skipped') log(`could not update the active-region record: ${activeRegionRecord}`);
  return { mode, activeRegion, healthChecks, modeParameter, activeRegionRecord };
}

/** UPSERTs `active-region.<domain>` TXT `"<region>"`; `skipped` when no zone is configured. */
export async function upsertActiveRegion(
  region: string,
  targets: Pick<FailoverTargets, 'hostedZoneId' | 'activeRegionRecordName' | 'recordTtlSeconds'>,
  route53: Pick<Route53Client, 'send'>,
): Promise<string> {
  if (!targets.hostedZoneId || !targets.activeRegionRecordName) return 'skipped';
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: targets.hostedZoneId,
      ChangeBatch: {
        Comment: `cdk-iot-dr: active region ${region}`,
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: targets.activeRegionRecordName,
              Type: 'TXT',
              TTL: targets.recordTtlSeconds ?? 10,
              ResourceRecords: [{ Value: `"${region}"` }],
            },
          },
        ],
      },
    }),
  );
  return 'ok';
}
