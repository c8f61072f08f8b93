/**
 * The library's steps in an ARC Region switch plan. ARC invokes the function of the region being activated
 * (`RegionToRun: activatingRegion`) with the step's payload `{ "action": ... }` merged with its execution
 * metadata (`PlanArn`, `ExecutionId`, `StepName`, `InvokedBy`). A step fails by throwing: ARC shows the
 * message and retries after the step's retry interval until its timeout.
 */
import type { FailoverNotice } from '../contract/failover';
import type { ManualMode } from '../contract/health';
import type { FailoverTargets, ManualModeResult } from './manual-mode';
import type { NoticeTarget, PublishOutcome } from './notice';
import { evaluateReadiness, type ReadinessFigures, type ReadinessThresholds, type ReadinessVerdict } from './readiness';

/** The step kinds, the payload's `action`. */
export const REGION_SWITCH_ACTIONS = ['check-readiness', 'switch-mode', 'publish-notice'] as const;
export type RegionSwitchAction = (typeof REGION_SWITCH_ACTIONS)[number];

export interface RegionSwitchEvent {
  readonly action?: string;
  readonly PlanArn?: string;
  readonly ExecutionId?: string;
  readonly StepName?: string;
}

export interface RegionSwitchConfig {
  /** The function's own region: the region being activated. */
  readonly region: string;
  readonly targets: FailoverTargets;
  readonly noticeTargets: readonly NoticeTarget[];
  readonly thresholds: ReadinessThresholds;
}

export interface RegionSwitchDependencies {
  readonly readReadiness: () => Promise<ReadinessFigures>;
  readonly applyManualMode: (mode: ManualMode) => Promise<ManualModeResult>;
  readonly publishNotice: (notice: FailoverNotice) => Promise<PublishOutcome[]>;
  readonly now: () => Date;
  readonly log: (message: string) => void;
}

/**
 * The mode that activates `region`: the secondary is forced; activating the primary (failing back) returns
 * to `auto`, so the health checks protect devices again and Route 53 prefers the primary while it is healthy.
 */
export function modeActivating(region: string, targets: FailoverTargets): ManualMode {
  if (region === targets.secondaryRegion) return 'force-secondary';
  if (region === targets.primaryRegion) return 'auto';
  throw new Error(`Region ${region} is neither the primary (${targets.primaryRegion}) nor the secondary (${targets.secondaryRegion}) of this plan`);
}

export type RegionSwitchResult =
  | { readonly action: 'check-readiness'; readonly verdict: ReadinessVerdict }
  | { readonly action: 'switch-mode'; readonly result: ManualModeResult }
  | { readonly action: 'publish-notice'; readonly notice: FailoverNotice; readonly outcomes: readonly PublishOutcome[] };

export function createRegionSwitchStep(config: RegionSwitchConfig, deps: RegionSwitchDependencies): (event: RegionSwitchEvent) => Promise<RegionSwitchResult> {
  return async (event) => {
    const where = `${event.StepName ?? 'step'} of ${event.ExecutionId ?? 'an execution'}`;
    switch (event.action) {
      case 'check-readiness': {
        const verdict = evaluateReadiness(config.region, await deps.readReadiness(), config.thresholds);
        deps.log(JSON.stringify({ action: event.action, where, ...verdict }));
        if (!verdict.ready) {
          throw new Error(`${config.region} is not ready to take over: ${verdict.problems.join('; ')}`);
        }
        return { action: 'check-readiness', verdict };
      }
      case 'switch-mode': {
        const result = await deps.applyManualMode(modeActivating(config.region, config.targets));
        deps.log(JSON.stringify({ action: event.action, where, ...result }));
        return { action: 'switch-mode', result };
      }
      case 'publish-notice': {
        const notice: FailoverNotice = { activeRegion: config.region, reason: `region-switch:${event.PlanArn ?? 'plan'}`, at: deps.now().toISOString() };
        const outcomes = await deps.publishNotice(notice);
        // Best effort, like the notifier: only a notice no region received fails the step (and is retried).
        if (outcomes.length > 0 && outcomes.every((o) => !o.ok)) {
          throw new Error(`The failover notice reached no region: ${outcomes.map((o) => `${o.region}: ${o.error}`).join('; ')}`);
        }
        return { action: 'publish-notice', notice, outcomes };
      }
      default:
        throw new Error(`Unknown region-switch action '${event.action}'; expected one of ${REGION_SWITCH_ACTIONS.join(', ')}`);
    }
  };
}
