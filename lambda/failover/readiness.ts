/**
 * The region-switch plan's first step: is the region being activated ready to serve? Reads the replication
 * pipeline's own metrics in that region (replication lag into it, replays parked for retry, drift the
 * reconciler could not repair) and fails the step, naming each figure and its threshold, when one is above
 * its threshold. A figure without data passes with a note: when the other region is down, no lag can be
 * measured, and that must not block the failover it calls for.
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DRIFT_METRICS, METRIC_NAMES } from '../contract';

export interface ReadinessThresholds {
  /** Largest acceptable replication lag into the region, seconds. */
  readonly maxReplicationLagSeconds: number;
  /** Most replays acceptable in the parking queue. */
  readonly maxParkedItems: number;
  /** Most unrepaired drift (DriftFailed) acceptable over the last two hours. */
  readonly maxDriftFailed: number;
}

export interface ReadinessFigures {
  readonly replicationLagSeconds?: number;
  readonly parkedItems?: number;
  readonly driftFailed?: number;
}

export interface ReadinessVerdict {
  readonly ready: boolean;
  readonly figures: ReadinessFigures;
  /** One line per figure above its threshold. */
  readonly problems: readonly string[];
  /** Figures that had no data. */
  readonly notes: readonly string[];
}

export function evaluateReadiness(region: string, figures: ReadinessFigures, t: ReadinessThresholds): ReadinessVerdict {
  const problems: string[] = [];
  const notes: string[] = [];
  const check = (value: number | undefined, max: number, what: string, unit: string, prop: string): void => {
    if (value === undefined) notes.push(`${what}: no data`);
    else if (value > max) problems.push(`${what} is ${value}${unit}, above ${max}${unit} (${prop})`);
  };
  check(figures.replicationLagSeconds, t.maxReplicationLagSeconds, `replication lag into ${region}`, ' s', 'maxReplicationLag');
  check(figures.parkedItems, t.maxParkedItems, `parked replays in ${region}`, '', 'maxParkedItems');
  check(figures.driftFailed, t.maxDriftFailed, `unrepaired drift in ${region} (last 2 h)`, '', 'maxDriftFailed');
  return { ready: problems.length === 0, figures, problems, notes };
}

export interface ReadinessSource {
  readonly namespace: string;
  /** Name of the replay parking queue in the region; parked items are not read without it. */
  readonly parkingQueueName?: string;
}

/** Reads the figures with one GetMetricData call. */
export async function readReadiness(cloudwatch: Pick<CloudWatchClient, 'send'>, source: ReadinessSource, now: Date): Promise<ReadinessFigures> {
  const queries: MetricDataQuery[] = [
    {
      Id: 'lag',
      MetricStat: { Metric: { Namespace: source.namespace, MetricName: METRIC_NAMES.replicationLag }, Period: 300, Stat: 'Maximum' },
    },
    {
      Id: 'drift',
      MetricStat: { Metric: { Namespace: source.namespace, MetricName: DRIFT_METRICS.failed }, Period: 7200, Stat: 'Sum' },
    },
  ];
  if (source.parkingQueueName) {
    queries.push({
      Id: 'parked',
      MetricStat: {
        Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: source.parkingQueueName }] },
        Period: 300,
        Stat: 'Maximum',
      },
    });
  }
  const out = await cloudwatch.send(
    new GetMetricDataCommand({
      MetricDataQueries: queries,
      StartTime: new Date(now.getTime() - 2 * 60 * 60 * 1000),
      EndTime: now,
      ScanBy: 'TimestampDescending',
    }),
  );
  const latest = (id: string): number | undefined => out.MetricDataResults?.find((r) => r.Id === id)?.Values?.[0];
  const lagMs = latest('lag');
  return {
    // ReplicationLag is emitted in milliseconds (createReplayAlarms compares it with toMilliseconds()).
    ...(lagMs !== undefined ? { replicationLagSeconds: Math.round(lagMs / 100) / 10 } : {}),
    ...(latest('drift') !== undefined ? { driftFailed: latest('drift') } : {}),
    ...(latest('parked') !== undefined ? { parkedItems: latest('parked') } : {}),
  };
}
