/**
 * A device's status in both regions: what each region's registry holds (thing, certificates with their
 * status and policies, groups), whether the two agree (`replicated`), and the replication figures each
 * region's pipeline publishes (lag of the last five minutes, drift the reconciler found in the last day).
 * A region that cannot be read (the peer during an outage) is reported as unreachable, never a 500.
 */
import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeCertificateCommand, DescribeThingCommand } from '@aws-sdk/client-iot';
import { DRIFT_METRICS, METRIC_NAMES } from '../contract';
import { certificateIdOf, policiesOf, principalsOf } from '../shared/identity-adapter';
import { isNotFound } from '../shared/iot-errors';
import { groupsOfThing, type RegistryClient } from '../shared/registry-adapter';
import { toCommandError } from './errors';

/** One region's IoT (and metrics), through that region's CommandAccessRole. */
export interface RegionAccess {
  readonly region: string;
  readonly iot: RegistryClient;
  /** @default - replication figures are not reported for the region */
  readonly cloudwatch?: Pick<CloudWatchClient, 'send'>;
}

export interface DeviceCertificate {
  readonly certificateId: string;
  readonly status: string;
  readonly policies: readonly string[];
}

/** A device as one region's registry holds it (sorted, region-neutral: comparable across regions). */
export interface DeviceView {
  readonly exists: boolean;
  readonly thingTypeName?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly certificates: readonly DeviceCertificate[];
  readonly groups: readonly string[];
}

export interface ReplicationFigures {
  /** The largest replication lag into this region over the last five minutes, ms. */
  readonly lagMs?: number;
  /** Drift the reconciler found in this region over the last day. */
  readonly driftFound?: number;
  readonly errors?: readonly string[];
}

export type RegionStatus =
  | { readonly region: string; readonly reachable: true; readonly device: DeviceView; readonly replication?: ReplicationFigures }
  | { readonly region: string; readonly reachable: false; readonly error: { readonly code: string; readonly message: string } };

export interface StatusOptions {
  readonly metricsNamespace: string;
  /** How long a region may take to answer before it is reported unreachable, ms. */
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** Reads one region's view of the device. */
export async function readDevice(iot: RegistryClient, thingName: string): Promise<DeviceView> {
  let thing: { thingTypeName?: string; attributes?: Record<string, string> };
  try {
    thing = await iot.send(new DescribeThingCommand({ thingName }));
  } catch (err) {
    if (isNotFound(err)) return { exists: false, certificates: [], groups: [] };
    throw err;
  }
  const [principals, groups] = await Promise.all([principalsOf(iot, thingName), groupsOfThing(iot, thingName)]);
  const certificates = await Promise.all(
    (principals ?? []).flatMap((principal) => {
      const certificateId = certificateIdOf(principal);
      if (!certificateId) return [];
      return [
        (async (): Promise<DeviceCertificate> => {
          const [described, policies] = await Promise.all([iot.send(new DescribeCertificateCommand({ certificateId })), policiesOf(iot, principal)]);
          return { certificateId, status: described.certificateDescription?.status ?? 'UNKNOWN', policies: [...(policies ?? [])].sort() };
        })(),
      ];
    }),
  );
  return {
    exists: true,
    ...(thing.thingTypeName ? { thingTypeName: thing.thingTypeName } : {}),
    attributes: sortedRecord(thing.attributes ?? {}),
    certificates: certificates.sort((a, b) => a.certificateId.localeCompare(b.certificateId)),
    groups: [...(groups ?? [])].sort(),
  };
}

const LAG_WINDOW_SECONDS = 5 * 60;
const DRIFT_WINDOW_SECONDS = 24 * 60 * 60;

/** The region's replication figures, from the metrics its replay and reconciler publish there. */
export async function readReplication(cloudwatch: Pick<CloudWatchClient, 'send'>, namespace: string, nowMs: number): Promise<ReplicationFigures> {
  const end = new Date(Math.ceil(nowMs / 60_000) * 60_000);
  const out = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(end.getTime() - DRIFT_WINDOW_SECONDS * 1000),
      EndTime: end,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        { Id: 'lag', MetricStat: { Metric: { Namespace: namespace, MetricName: METRIC_NAMES.replicationLag }, Period: LAG_WINDOW_SECONDS, Stat: 'Maximum' } },
        { Id: 'drift', MetricStat: { Metric: { Namespace: namespace, MetricName: DRIFT_METRICS.found }, Period: DRIFT_WINDOW_SECONDS, Stat: 'Sum' } },
      ],
    }),
  );
  const result = (id: string) => out.MetricDataResults?.find((r) => r.Id === id);
  const lag = result('lag');
  const lagAt = lag?.Timestamps?.[0]?.getTime();
  // A stale figure would look reassuring: a stalled pipeline stops publishing the lag altogether.
  const lagMs = lagAt !== undefined && lagAt >= end.getTime() - 2 * LAG_WINDOW_SECONDS * 1000 ? lag?.Values?.[0] : undefined;
  const driftFound = result('drift')?.Values?.[0];
  return {
    ...(lagMs !== undefined ? { lagMs: Math.round(lagMs) } : {}),
    ...(driftFound !== undefined ? { driftFound } : {}),
    ...(lagMs === undefined ? { errors: [`no ${METRIC_NAMES.replicationLag} datapoint in the last ${(2 * LAG_WINDOW_SECONDS) / 60} minutes`] } : {}),
  };
}

/** One region's status; any failure (or no answer within the timeout) is reported as unreachable. */
export async function regionStatus(access: RegionAccess, thingName: string, options: StatusOptions): Promise<RegionStatus> {
  try {
    const device = await withTimeout(readDevice(access.iot, thingName), options.timeoutMs, access.region);
    let replication: ReplicationFigures | undefined;
    if (access.cloudwatch) {
      replication = await withTimeout(readReplication(access.cloudwatch, options.metricsNamespace, options.now()), options.timeoutMs, access.region).catch(
        (err: unknown) => ({ errors: [`metrics: ${toCommandError(err, 'GetMetricData').message}`] }),
      );
    }
    return { region: access.region, reachable: true, device, ...(replication ? { replication } : {}) };
  } catch (err) {
    const mapped = toCommandError(err, `reading ${access.region}`);
    const name = err instanceof Error ? err.name : 'Error';
    return { region: access.region, reachable: false, error: { code: mapped.code, message: `${mapped.message} (${name})` } };
  }
}

/** Fields in which two regions' views differ (empty: replicated). */
export function differences(a: DeviceView, b: DeviceView): string[] {
  const fields: (keyof DeviceView)[] = ['exists', 'thingTypeName', 'attributes', 'certificates', 'groups'];
  return fields.filter((f) => JSON.stringify(a[f] ?? null) !== JSON.stringify(b[f] ?? null));
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([x], [y]) => x.localeCompare(y)));
}

class RegionTimeout extends Error {
  constructor(region: string, ms: number) {
    super(`${region} did not answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, region: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new RegionTimeout(region, ms)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
