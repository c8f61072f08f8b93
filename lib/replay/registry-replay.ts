import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { createHeartbeatReplayFunction, createHeartbeatWriter } from './heartbeat';
import { createLivenessAlarms, createParkingAlarms, createReplayAlarms, createReplayDashboard } from './monitoring';
import { createParkingConsumer, createParkingQueue, replayQueueProps } from './parking';
import { createReplayPipe } from './pipe';
import { type RegistryReplayProps, replaySettings } from './registry-replay-props';
import { createReplayFunction } from './replay-functions';
import { replayKinds } from './replay-kinds';
import { createReplayWorkflow } from './workflow';
import { METRIC_NAMES } from '../../lambda/contract';
import type { IEchoLedger } from '../journal/echo-ledger';
import { acknowledgeFinding } from '../private/acknowledge';
import { deadLetterDepth, handlerMetric } from '../private/metrics';

/**
 * Replay: makes this region's registry match what the other region journaled.
 *
 * An EventBridge Pipe reads this region's journal stream (from the trim horizon) and keeps only inserts and
 * modifications written by another region — the journal's own `originRegion`, since current global tables
 * mark nothing, and TTL deletions have no new image. Each batch starts a synchronous Express execution
 * that maps over the records, routes each by its key's kind to a replay function, retries typed
 * errors with exponential backoff and full jitter, and parks what still fails for a reason that may pass
 * (throttling, 5xx, timeouts, network, a dependency or a local change not there yet) in a parking queue,
 * whose consumer retries it with growing delays for `parkingRetention`, re-reading the journal item by key
 * each time. Only what can never succeed, or still fails when the retention ends, reaches the dead-letter
 * queue, with its reason; `redriveCommand` moves dead letters back into the parking queue. Replay
 * functions record what they applied in the echo ledger.
 */
export class RegistryReplay extends Construct {
  /** The echo ledger replay records what it applied in. */
  readonly echoLedger: IEchoLedger;
  /** Items that can never be replayed (or were parked past `parkingRetention`), with their reason, and batches the pipe gave up on. */
  readonly deadLetterQueue: sqs.Queue;
  /** Items whose replay failed for a reason that may pass, waiting for their next attempt. */
  readonly parkingQueue: sqs.Queue;
  /** The parking queue's consumer, retrying parked items with growing delays. */
  readonly parkingFunction: lambda.Function;
  /**
   * The AWS CLI command that moves every dead letter back into the parking queue, once their cause is fixed
   * (also a stack output, `RedriveCommand`).
   */
  readonly redriveCommand: string;
  /** The Express workflow replaying one batch of stream records. */
  readonly stateMachine: sfn.StateMachine;
  /** The EventBridge Pipe from the journal stream to the state machine. */
  readonly pipe: pipes.CfnPipe;
  /** The role the pipe assumes. */
  readonly pipeRole: iam.Role;
  /**
   * Replay functions by state name (`ReplayThing`, `ReplayThingType`, `ReplayThingGroup`, `ReplayMembership`,
   * `ReplayCertificate`, `ReplayCaCertificate`, `ReplayPolicy`, `ReplayPolicyTarget`, `ReplayPrincipal`,
   * `ReplayProvisioningTemplate`, `ReplayRoleAlias`, and `ReplayShadow` when shadows are replicated).
   */
  readonly functions: { [stateName: string]: lambda.Function };
  /** Fires when anything reaches the dead-letter queue. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** Fires when items have stayed parked for 15 minutes: replay into this region keeps failing. */
  readonly parkedItemsAlarm: cloudwatch.Alarm;
  /** Fires when the oldest parked message waits 30 minutes (twice the longest parking delay): the parking consumer is not draining. */
  readonly parkingAgeAlarm: cloudwatch.Alarm;
  /**
   * Fires when the p99 replication lag stays above `replicationLagThreshold`, or when no lag is measured
   * (missing data is breaching: the peer's heartbeat keeps the series alive on a quiet registry).
   */
  readonly replicationLagAlarm: cloudwatch.Alarm;
  /** Fires when no heartbeat of the peer region has been replayed here for 5 minutes (missing data is breaching). */
  readonly heartbeatMissingAlarm: cloudwatch.Alarm;
  /** Fires when the pipe's executions fail or time out (`AWS/EventBridge/Pipes` `ExecutionFailed`, `ExecutionTimeout`). */
  readonly pipeFailureAlarm: cloudwatch.Alarm;
  /** Fires when replay executions fail as a whole (the workflow parks or dead-letters single items). */
  readonly failedExecutionsAlarm: cloudwatch.Alarm;
  /** Writes this region's heartbeat item (`heartbeat#<region>`) into the journal every minute. */
  readonly heartbeatFunction: lambda.Function;
  /** The EventBridge rule invoking `heartbeatFunction` every minute. */
  readonly heartbeatSchedule: events.Rule;
  /** Records the arrival of the peer's heartbeats as the replication-lag metric (the `ReplayHeartbeat` state). */
  readonly heartbeatReplayFunction: lambda.Function;
  /** The replay dashboard, when `dashboard` is true. */
  readonly dashboard?: cloudwatch.Dashboard;
  /** CloudWatch namespace of the replay handlers' metrics. */
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: RegistryReplayProps) {
    super(scope, id);
    const settings = replaySettings(this, props);
    this.metricsNamespace = settings.metricsNamespace;
    this.echoLedger = props.echoLedger;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', replayQueueProps(props.queueEncryptionKey));
    acknowledgeFinding(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the replay pipe, state machine and parking queue; an operator redrives it.',
    );
    this.parkingQueue = createParkingQueue(this, settings, props.queueEncryptionKey, this.deadLetterQueue);

    const functions: { [stateName: string]: lambda.Function } = {};
    for (const kind of replayKinds(settings)) {
      functions[kind.stateName] = createReplayFunction(this, kind, { journal: props.journal, echoLedger: props.echoLedger, settings });
    }
    this.functions = functions;
    const heartbeatWiring = { journal: props.journal, echoLedger: props.echoLedger, settings };
    const writer = createHeartbeatWriter(this, heartbeatWiring);
    this.heartbeatFunction = writer.function;
    this.heartbeatSchedule = writer.rule;
    this.heartbeatReplayFunction = createHeartbeatReplayFunction(this, heartbeatWiring);
    this.stateMachine = createReplayWorkflow(this, {
      functions,
      heartbeatFunction: this.heartbeatReplayFunction,
      parkingQueue: this.parkingQueue,
      deadLetterQueue: this.deadLetterQueue,
      settings,
    });
    this.parkingFunction = createParkingConsumer(this, {
      journal: props.journal,
      echoLedger: props.echoLedger,
      parkingQueue: this.parkingQueue,
      deadLetterQueue: this.deadLetterQueue,
      settings,
    });
    const { pipe, role } = createReplayPipe(this, {
      journal: props.journal,
      stateMachine: this.stateMachine,
      deadLetterQueue: this.deadLetterQueue,
      settings,
    });
    this.pipe = pipe;
    this.pipeRole = role;

    const alarms = createReplayAlarms(this, this, settings.replicationLagThreshold);
    this.deadLetterAlarm = alarms.deadLetterAlarm;
    this.replicationLagAlarm = alarms.replicationLagAlarm;
    const parkingAlarms = createParkingAlarms(this, this);
    this.parkedItemsAlarm = parkingAlarms.parkedItemsAlarm;
    this.parkingAgeAlarm = parkingAlarms.parkingAgeAlarm;
    const liveness = createLivenessAlarms(this, this);
    this.heartbeatMissingAlarm = liveness.heartbeatMissingAlarm;
    this.pipeFailureAlarm = liveness.pipeFailureAlarm;
    this.failedExecutionsAlarm = liveness.failedExecutionsAlarm;
    if (props.dashboard) {
      this.dashboard = createReplayDashboard(this, this, this.alarms);
    }

    // Both queues carry the parked-item shape, so the parking consumer takes dead letters back as they are.
    this.redriveCommand = [
      'aws sqs start-message-move-task',
      `--source-arn ${this.deadLetterQueue.queueArn}`,
      `--destination-arn ${this.parkingQueue.queueArn}`,
      `--region ${Stack.of(this).region}`,
    ].join(' ');
    new CfnOutput(this, 'RedriveCommand', {
      description: 'Moves every replay dead letter back into the parking queue, once the cause is fixed',
      value: this.redriveCommand,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', { description: 'Replay dead-letter queue', value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ParkingQueueUrl', { description: 'Replays waiting for their next attempt', value: this.parkingQueue.queueUrl });
  }

  /**
   * Time from the source event to its replay here, in milliseconds, as the replay handlers report it
   * (p99 over a minute of the dimensionless series; pass `dimensionsMap` for one of the handlers' dimension sets).
   */
  metricReplicationLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(this.metricsNamespace, METRIC_NAMES.replicationLag, cloudwatch.Stats.p(99), props);
  }

  /** Items replayed (sum over a minute of the dimensionless series; pass `dimensionsMap` to narrow it). */
  metricItemsReplayed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(this.metricsNamespace, METRIC_NAMES.replayed, cloudwatch.Stats.SUM, props);
  }

  /** Messages waiting in the replay dead-letter queue (maximum over the period). */
  metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return deadLetterDepth(this.deadLetterQueue, props);
  }

  /** Items parked for another attempt: visible, delayed and in flight (maximum over a minute). */
  metricParkedItems(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    const options = { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...props };
    return new cloudwatch.MathExpression({
      expression: 'visible + delayed + inFlight',
      usingMetrics: {
        visible: this.parkingQueue.metricApproximateNumberOfMessagesVisible(options),
        delayed: this.parkingQueue.metric('ApproximateNumberOfMessagesDelayed', options),
        inFlight: this.parkingQueue.metricApproximateNumberOfMessagesNotVisible(options),
      },
      label: 'Parked items',
      period: options.period,
    });
  }

  /** Age of the oldest message in the parking queue, in seconds (maximum over a minute). */
  metricOldestParkedItemAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.parkingQueue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...props });
  }

  /** Replay executions that failed as a whole (the pipe then retries the batch). */
  metricFailedExecutions(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1), ...props });
  }

  /** Heartbeats of the peer region replayed here (sum over a minute; about one a minute when replication flows). */
  metricHeartbeatsReceived(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handlerMetric(this.metricsNamespace, METRIC_NAMES.heartbeatsReceived, cloudwatch.Stats.SUM, props);
  }

  /**
   * Pipe executions that failed or timed out (`AWS/EventBridge/Pipes` `ExecutionFailed` + `ExecutionTimeout`
   * for this pipe, sum over five minutes).
   */
  metricPipeFailures(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    const options = { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props };
    const pipeMetric = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/EventBridge/Pipes', metricName, dimensionsMap: { PipeName: this.pipe.ref }, ...options });
    return new cloudwatch.MathExpression({
      expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
      usingMetrics: { failed: pipeMetric('ExecutionFailed'), timedOut: pipeMetric('ExecutionTimeout') },
      label: 'Pipe failures',
      period: options.period,
    });
  }

  /** Every alarm of replay. */
  get alarms(): cloudwatch.Alarm[] {
    return [
      this.deadLetterAlarm,
      this.replicationLagAlarm,
      this.heartbeatMissingAlarm,
      this.pipeFailureAlarm,
      this.failedExecutionsAlarm,
      this.parkedItemsAlarm,
      this.parkingAgeAlarm,
    ];
  }

  /** Sends this construct's alarms to `actions` (an SNS topic, for instance). */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    for (const alarm of this.alarms) alarm.addAlarmAction(...actions);
  }
}
