import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

/** The region-switch step function of one region (`IotRegionSwitchSteps`), in the shared-services account. */
export interface IotRegionSwitchStepsProps {
  /** The region serving devices while healthy. */
  readonly primaryRegion: string;
  /** The region taking over. */
  readonly secondaryRegion: string;
  /** `FailoverRouting.primaryHealthCheck.healthCheckId`. */
  readonly primaryHealthCheckId: string;
  /** `FailoverRouting.secondaryHealthCheck.healthCheckId`. */
  readonly secondaryHealthCheckId: string;
  /** The hosted zone of the failover records (`FailoverRouting.hostedZone.hostedZoneId`). */
  readonly hostedZoneId: string;
  /** `FailoverRouting.activeRegionRecordName` (`active-region.<domain>`). */
  readonly activeRegionRecordName: string;
  /**
   * TTL of the TXT record when the step rewrites it.
   * @default Duration.seconds(10) - FailoverRouting's default record TTL
   */
  readonly recordTtl?: Duration;
  /** The primary region's `iot:Data-ATS` endpoint (failover notice). */
  readonly primaryIotDataEndpoint: string;
  /** The secondary region's `iot:Data-ATS` endpoint (failover notice). */
  readonly secondaryIotDataEndpoint: string;
  /**
   * Role in the iot-services account of the primary region allowed `iot:Publish` on `cdk-iot-dr/failover`.
   * @default - the function's own role publishes (IoT Core in this account)
   */
  readonly primaryPublishRoleArn?: string;
  /**
   * The same for the secondary region.
   * @default - the function's own role publishes (IoT Core in this account)
   */
  readonly secondaryPublishRoleArn?: string;
  /**
   * Role in the iot-services account of this region allowed `cloudwatch:GetMetricData`, to read the
   * replication pipeline's metrics (readiness).
   * @default - the metrics are read in this account (IoT Core and the pipeline in this account)
   */
  readonly readinessRoleArn?: string;
  /**
   * Name of this region's replay parking queue (`RegistryReplay.parkingQueue.queueName`).
   * @default - parked replays are not checked
   */
  readonly parkingQueueName?: string;
  /**
   * CloudWatch namespace of the replication pipeline's metrics.
   * @default 'IotDr' - the pipeline's default (DEFAULT_METRICS_NAMESPACE)
   */
  readonly metricsNamespace?: string;
  /**
   * Readiness fails when the replication lag into the region being activated exceeds this.
   * @default Duration.minutes(5) - changes older than that would visibly be missing after the switch
   */
  readonly maxReplicationLag?: Duration;
  /**
   * Readiness fails when more replays than this wait in the parking queue.
   * @default 100 - a handful is normal under throttling; hundreds mean the copy is behind
   */
  readonly maxParkedItems?: number;
  /**
   * Readiness fails when the reconciler left more unrepaired drift (DriftFailed, last two hours) than this.
   * @default 0 - any unrepaired difference means the copy is known to be wrong
   */
  readonly maxDriftFailed?: number;
  /**
   * SSM parameter of the manual mode (read by the aggregators).
   * @default '/cdk-iot-dr/failover/mode' - the aggregator's default
   */
  readonly modeParameterName?: string;
  /**
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}

export interface IotRegionSwitchPlanProps {
  /**
   * Name of the plan (letters, digits and hyphens, at most 32).
   * @default - generated from the construct path
   */
  readonly planName?: string;
  /** The region serving devices while healthy. */
  readonly primaryRegion: string;
  /** The region taking over. */
  readonly secondaryRegion: string;
  /** ARN of the primary region's `IotRegionSwitchSteps` function. */
  readonly primaryStepFunctionArn: string;
  /** ARN of the secondary region's `IotRegionSwitchSteps` function. */
  readonly secondaryStepFunctionArn: string;
  /**
   * Alarms ARC shows as the application's health during an execution (e.g. `FailoverNotifier`'s health
   * alarms); the execution role may read them.
   * @default - none
   */
  readonly applicationHealthAlarms?: cloudwatch.IAlarm[];
  /**
   * The recovery time objective ARC measures executions against (whole minutes).
   * @default Duration.minutes(5)
   */
  readonly recoveryTimeObjective?: Duration;
  /**
   * How long one step may run, retries included.
   * @default Duration.minutes(5)
   */
  readonly stepTimeout?: Duration;
  /**
   * Wait between attempts of a failed step (e.g. readiness not met yet).
   * @default Duration.minutes(1)
   */
  readonly stepRetryInterval?: Duration;
}
