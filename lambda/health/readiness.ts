/**
 * This region's readiness to take over, as information beside the verdict (never part of it): how far
 * replication is behind, how many replays are parked, how much drift the reconciler found lately. Read from
 * the replication pipeline's own metrics and its parking queue.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DRIFT_METRICS, METRIC_NAMES, Readiness } from '../contract';
import { Clock, describeError, SYSTEM_CLOCK } from './run-checks';

export interface ReadinessOptions {
  readonly cloudwatch: CloudWatchClient;
  readonly metricsNamespace: string;
  /** Absent: parked records are not reported. */
  readonly sqs?: SQSClient;
  readonly parkingQueueUrl?: string;
  readonly clock?: Clock;
}

/** The lag window: the heartbeat keeps the lag metric alive every minute. */
const LAG_WINDOW_SECONDS = 5 * 60;
/** The drift window: the reconciler runs on a schedule of hours. */
const DRIFT_WINDOW_SECONDS = 24 * 60 * 60;

export async function readReadiness(options: ReadinessOptions, signal: AbortSignal): Promise<Readiness> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const errors: string[] = [];
  const [metrics, parked] = await Promise.all([
    readMetrics(options, clock.now(), signal).catch((error) => {
      errors.push(`metrics: ${describeError(error)}`);
      return {} as Pick<Readiness, 'replicationLagMs' | 'lastDriftFound' | 'errors'>;
    }),
    options.sqs && options.parkingQueueUrl
      ? readParked(options.sqs, options.parkingQueueUrl, signal).catch((error) => {
          errors.push(`parked: ${describeError(error)}`);
          return undefined;
        })
      : Promise.resolve(undefined),
  ]);
  const { errors: metricErrors, ...figures } = metrics;
  errors.unshift(...(metricErrors ?? []));
  return {
    ...figures,
    ...(parked !== undefined ? { parkedRecords: parked } : {}),
    ...(errors.length > 0 ? { errors } : {}),
  };
}

async function readMetrics(
  options: ReadinessOptions,
  nowMs: number,
  signal: AbortSignal,
): Promise<Pick<Readiness, 'replicationLagMs' | 'lastDriftFound' | 'errors'>> {
  const end = new Date(Math.ceil(nowMs / 60_000) * 60_000);
  const out = await options.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(end.getTime() - DRIFT_WINDOW_SECONDS * 1000),
      EndTime: end,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'lag',
          MetricStat: {
            Metric: { Namespace: options.metricsNamespace, MetricName: METRIC_NAMES.replicationLag },
            Period: LAG_WINDOW_SECONDS,
            Stat: 'Maximum',
          },
        },
        {
          Id: 'drift',
          MetricStat: {
            Metric: { Namespace: options.metricsNamespace, MetricName: DRIFT_METRICS.found },
            Period: DRIFT_WINDOW_SECONDS,
            Stat: 'Sum',
          },
        },
      ],
    }),
    { abortSignal: signal },
  );
  const result = (id: string) => out.MetricDataResults?.find((r) => r.Id === id);
  const lag = result('lag');
  const lagAt = lag?.Timestamps?.[0]?.getTime();
  // An old figure would look reassuring: a stalled pipeline stops emitting the lag metric altogether.
  const lagValue = lagAt !== undefined && lagAt >= end.getTime() - 2 * LAG_WINDOW_SECONDS * 1000 ? lag?.Values?.[0] : undefined;
  const drift = result('drift')?.Values?.[0];
  return {
    ...(lagValue !== undefined ? { replicationLagMs: Math.round(lagValue) } : {}),
    ...(drift !== undefined ? { lastDriftFound: drift } : {}),
    ...(lagValue === undefined
      ? { errors: [`no ${METRIC_NAMES.replicationLag} datapoint in the last ${(2 * LAG_WINDOW_SECONDS) / 60} minutes`] }
      : {}),
  };
}

async function readParked(sqs: SQSClient, queueUrl: string, signal: AbortSignal): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible'],
    }),
    { abortSignal: signal },
  );
  const attributes = out.Attributes ?? {};
  return (
    Number(attributes.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0) +
    Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}
