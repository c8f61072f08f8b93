import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/** The metrics replay's alarms and dashboard are built from (`RegistryReplay`'s metric methods). */
export interface ReplayMetrics {
  metricReplicationLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricItemsReplayed(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricFailedExecutions(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** Any dead letter, and p99 replication lag beyond `lagThreshold` in three of five minutes. */
export function createReplayAlarms(
  scope: Construct,
  metrics: ReplayMetrics,
  lagThreshold: Duration,
): { deadLetterAlarm: cloudwatch.Alarm; replicationLagAlarm: cloudwatch.Alarm } {
  const deadLetterAlarm = metrics.metricDeadLetters().createAlarm(scope, 'DeadLetterAlarm', {
    alarmDescription: 'cdk-iot-dr: journal items could not be replayed into this region; inspect the replay dead-letter queue',
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const replicationLagAlarm = metrics.metricReplicationLag({ statistic: cloudwatch.Stats.p(99) }).createAlarm(scope, 'ReplicationLagAlarm', {
    alarmDescription: `cdk-iot-dr: p99 replication lag into this region exceeds ${lagThreshold.toHumanString()}`,
    threshold: lagThreshold.toMilliseconds(),
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { deadLetterAlarm, replicationLagAlarm };
}

/** Lag, throughput, dead letters, failed executions and the alarms' state. */
export function createReplayDashboard(scope: Construct, metrics: ReplayMetrics, alarms: cloudwatch.IAlarm[]): cloudwatch.Dashboard {
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    widgets: [
      [
        new cloudwatch.GraphWidget({
          title: 'Replication lag (ms)',
          left: [metrics.metricReplicationLag({ statistic: cloudwatch.Stats.p(50), label: 'p50' }), metrics.metricReplicationLag({ label: 'p99' })],
          width: 12,
        }),
        new cloudwatch.GraphWidget({ title: 'Items replayed', left: [metrics.metricItemsReplayed()], width: 12 }),
      ],
      [
        new cloudwatch.GraphWidget({ title: 'Replay dead letters', left: [metrics.metricDeadLetters()], width: 12 }),
        new cloudwatch.GraphWidget({ title: 'Failed replay executions', left: [metrics.metricFailedExecutions()], width: 12 }),
      ],
      [new cloudwatch.AlarmStatusWidget({ title: 'Replay alarms', alarms, width: 24 })],
    ],
  });
}
