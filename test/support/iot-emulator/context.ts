import type { ArnFactory } from './arns';
import type { DataPlaneBus } from './data-plane-bus';
import type { RegistryEventBus } from './events';
import type { RegistryState } from './state';

/** What every entity module needs: the region's state, its event stream and its clock. */
export interface EmulatorContext {
  readonly region: string;
  readonly accountId: string;
  readonly arns: ArnFactory;
  readonly state: RegistryState;
  readonly events: RegistryEventBus;
  /** Emulator clock in epoch ms (event timestamps, creation and deprecation dates, cooldowns). */
  readonly now: () => number;
  readonly thingTypeDeleteCooldownMs: number;
  /** Data-plane messages (shadow documents, publishes), not gated by event configurations. */
  readonly messages: DataPlaneBus;
  /** ARNs of the Lambda functions that exist in this region (GetFunctionConfiguration). */
  readonly lambdaFunctions: Set<string>;
}

/** AWS IoT returns timestamps in JSON as epoch seconds with a fraction. */
export function toEpochSeconds(ms: number): number {
  return ms / 1000;
}
