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
  metricHeartbeatsReceived(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricPipeFailures(props?: cloudwatch.MetricOptions): cloudwatch.IMetric;
}

/** Minutes without any heartbeat from the peer before the heartbeat alarm fires. */
export const HEARTBEAT_MISSING_ALARM_MINUTES = 5;

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
    alarmDescription:
      `cdk-iot-dr: p99 replication lag into this region exceeds ${lagThreshold.toHumanString()}, or no lag is measured at all ` +
      "(the peer's heartbeat arrives every minute, so missing data means a stalled pipeline); check the pipe, the replay " +
      "workflow's failed executions and the peer region's heartbeat function",
    threshold: lagThreshold.toMilliseconds(),
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    // The peer's heartbeat keeps the series alive on a quiet registry: no data means nothing arrives.
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  return { deadLetterAlarm, replicationLagAlarm };
}

/**
 * Liveness: no heartbeat from the peer for `HEARTBEAT_MISSING_ALARM_MINUTES` minutes (missing data is
 * breaching), pipe executions that failed or timed out, and replay executions that failed as a whole.
 */
export function createLivenessAlarms(
  scope: Construct,
  metrics: ReplayMetrics,
): { heartbeatMissingAlarm: cloudwatch.Alarm; pipeFailureAlarm: cloudwatch.Alarm; failedExecutionsAlarm: cloudwatch.Alarm } {
  const heartbeatMissingAlarm = metrics.metricHeartbeatsReceived().createAlarm(scope, 'HeartbeatMissingAlarm', {
    alarmDescription:
      `cdk-iot-dr: no heartbeat of the peer region has been replayed here for ${HEARTBEAT_MISSING_ALARM_MINUTES} minutes: ` +
      "replication into this region is stalled (pipe, workflow, journal stream or global table replication) or the peer's " +
      'heartbeat function stopped; check the pipe and workflow alarms here, then the peer region',
    threshold: 1,
    evaluationPeriods: HEARTBEAT_MISSING_ALARM_MINUTES,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  const pipeFailureAlarm = new cloudwatch.Alarm(scope, 'PipeFailureAlarm', {
    metric: metrics.metricPipeFailures(),
    alarmDescription:
      'cdk-iot-dr: the replay pipe failed or timed out delivering journal stream batches (it retries them, then dead-letters ' +
      'their description); read the pipe log group and the replay dead-letter queue',
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const failedExecutionsAlarm = metrics.metricFailedExecutions({ period: Duration.minutes(5) }).createAlarm(scope, 'FailedExecutionsAlarm', {
    alarmDescription:
      'cdk-iot-dr: replay executions failed as a whole (the workflow parks or dead-letters single items, so this is not one bad ' +
      "item): read the workflow's log group; the pipe retries the batch",
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { heartbeatMissingAlarm, pipeFailureAlarm, failedExecutionsAlarm };
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
        new cloudwatch.GraphWidget({ title: 'Peer heartbeats received', left: [metrics.metricHeartbeatsReceived()], width: 12 }),
        new cloudwatch.GraphWidget({ title: 'Pipe failures', left: [metrics.metricPipeFailures()], width: 12 }),
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
