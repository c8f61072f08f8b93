/**
 * The command API's own health check, for the command-control account's regional health API (which invokes
 * the function directly with `{}`): proves what a command needs in this region — the CommandAccessRole can be
 * assumed, IoT Core answers a registry read through it, and the journal can be read — without changing
 * anything. Healthy is `{ healthy: true }`; otherwise `{ healthy: false, detail }` naming the failed step.
 */
import { DescribeThingCommand } from '@aws-sdk/client-iot';
import { isNotFound } from '../shared/iot-errors';
import type { RegistryClient } from '../shared/registry-adapter';
import type { JournalStore } from '../shared/journal-store';

/** A thing name no device is expected to have: the read answers ResourceNotFound (or the thing, equally healthy). */
export const PROBE_THING_NAME = 'cdk-iot-dr:health-probe';
/** A journal key that is never written. */
const PROBE_KEY = 'health#probe';

export interface SelfCheckDeps {
  /** This region's IoT through the CommandAccessRole. */
  readonly iot: RegistryClient;
  /** This region's journal through the CommandAccessRole. */
  readonly journal: Pick<JournalStore, 'get'>;
}

export interface SelfCheckResult {
  readonly healthy: boolean;
  readonly detail?: string;
}

export async function commandSelfCheck(deps: SelfCheckDeps): Promise<SelfCheckResult> {
  try {
    await deps.iot.send(new DescribeThingCommand({ thingName: PROBE_THING_NAME }));
  } catch (err) {
    // The expected answer: the role was assumed and IoT read its registry (a thing of that name is as good).
    if (!isNotFound(err)) return { healthy: false, detail: `IoT registry read through the access role failed: ${describe(err)}` };
  }
  try {
    await deps.journal.get(PROBE_KEY, PROBE_KEY, false);
  } catch (err) {
    return { healthy: false, detail: `journal read through the access role failed: ${describe(err)}` };
  }
  return { healthy: true };
}

/** Whether `event` came from API Gateway (a REST proxy event) rather than a direct invocation. */
export function isApiGatewayEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && typeof (event as { httpMethod?: unknown }).httpMethod === 'string';
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`.slice(0, 300);
}
