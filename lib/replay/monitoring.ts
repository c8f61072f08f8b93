import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/** The metrics replay's alarms and dashboard are built from (`RegistryReplay`'s metric methods). */
export interface ReplayMetrics {
  metricReplicationLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricItemsReplayed(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricFailedExecutions(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricParkedItems(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
  metricOldestParkedItemAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** How long items may stay parked before the alarm says replay into this region keeps failing. */
export const PARKED_ITEMS_ALARM_MINUTES = 15;

/** Oldest parked message age that means the consumer is not draining: twice the longest delay of one send (900 s). */
export const PARKING_AGE_ALARM_SECONDS = 1800;

/** Items parked for 15 minutes in a row, and a parking queue its consumer does not drain. */
export function createParkingAlarms(scope: Construct, metrics: ReplayMetrics): { parkedItemsAlarm: cloudwatch.Alarm; parkingAgeAlarm: cloudwatch.Alarm } {
  const parkedItemsAlarm = new cloudwatch.Alarm(scope, 'ParkedItemsAlarm', {
    metric: metrics.metricParkedItems(),
    alarmDescription:
      `cdk-iot-dr: replays into this region have kept failing for ${PARKED_ITEMS_ALARM_MINUTES} minutes and are parked for retry; ` +
      'check the peer IoT endpoint and the parking consumer logs',
    threshold: 1,
    evaluationPeriods: PARKED_ITEMS_ALARM_MINUTES,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const parkingAgeAlarm = metrics.metricOldestParkedItemAge().createAlarm(scope, 'ParkingAgeAlarm', {
    alarmDescription: 'cdk-iot-dr: the oldest parked replay has waited 30 minutes; the parking consumer is not draining its queue',
    threshold: PARKING_AGE_ALARM_SECONDS,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { parkedItemsAlarm, parkingAgeAlarm };
}

/** Any dead letter, and p99 replication lag beyond `lagThreshold` in three of five minutes. */
export function createReplayAlarms(
  scope: Construct,
  metrics: ReplayMetrics,
  lagThreshold: Duration,
): { deadLetterAlarm: cloudwatch.Alarm; replicationLagAlarm: cloudwatch.Alarm } {
  const deadLetterAlarm = metrics.metricDeadLetters().createAlarm(scope, 'DeadLetterAlarm', {
    alarmDescription:
      'cdk-iot-dr: journal items can never be replayed into this region as they are; read each dead letter\'s reason, fix the cause, ' +
      'then run the stack output RedriveCommand',
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
      [
        new cloudwatch.GraphWidget({ title: 'Parked replays', left: [metrics.metricParkedItems()], width: 12 }),
        new cloudwatch.GraphWidget({ title: 'Oldest parked message (s)', left: [metrics.metricOldestParkedItemAge()], width: 12 }),
      ],
      [new cloudwatch.AlarmStatusWidget({ title: 'Replay alarms', alarms, width: 24 })],
    ],
  });
}
