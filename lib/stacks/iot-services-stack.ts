import { Annotations, CfnOutput, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { DEFAULT_TELEMETRY_TOPIC_FILTER } from './analytics-settings';
import type { DrStackProps } from './dr-stack-props';
import type { PerRegionReplicationSettings, RegistryReplicationOptions } from './replication-settings';
import { CommandAccessRole } from '../command-control/command-access-role';
import { TelemetryForwarder } from '../data-analytics/telemetry-forwarder';
import { DEFAULT_ECHO_LEDGER_TABLE_NAME } from '../journal/defaults';
import { createAlarmTopic } from '../private/alarm-topic';
import { checkRegionalArn } from '../private/arns';
import { drStackProps } from '../private/dr-stack';
import { propError } from '../private/validate';
import { IotRegistryReplication } from '../registry-replication';
import { FailoverAccessRole } from '../shared-services/failover-access-role';
import { IotCustomDomain } from '../shared-services/iot-custom-domain';
import type { RegionalHealthApi } from '../shared-services/regional-health-api';
import { addWorkloadHealthApi } from './workload-health';
import { DrRegionRole, type DrTopology } from '../topology';

export interface IotServicesStackProps extends DrStackProps {
  /**
   * Registry replication settings both regions share.
   *
   * @default - the defaults of `IotRegistryReplication`
   */
  readonly registryReplication?: RegistryReplicationOptions;

  /**
   * What belongs to each region: its KMS key and its alarm topic. Give the same value to both regions'
   * stacks: the primary's needs the secondary's key for the journal replica it creates there.
   *
   * @default - AWS managed encryption, and an alarm topic created in each region's stack
   */
  readonly regionalReplication?: PerRegionReplicationSettings;

  /**
   * The MQTT topic filter whose messages this stack forwards to the data-analytics account's bus.
   *
   * @default 'dt/#' - the data-telemetry prefix of AWS's MQTT topic design guidance
   */
  readonly telemetryTopicFilter?: string;

  /**
   * Whether this stack forwards telemetry to the data-analytics account (`TelemetryForwarder`).
   *
   * @default true
   */
  readonly forwardTelemetry?: boolean;
}

const ROLE_NAMES: Record<DrRegionRole, 'primary' | 'secondary'> = { [DrRegionRole.PRIMARY]: 'primary', [DrRegionRole.SECONDARY]: 'secondary' };

/**
 * The IoT services account in one region: registry replication (journal, capture, replay), the regional health
 * API the shared-services aggregator calls (output `HealthApiUrl`), the role the shared-services failover
 * functions assume here, and — in phase two of the deployment — the IoT Core custom domain `iot.<domain>`. The primary
 * region's stack owns the journal's global table; the secondary's imports its replica and must deploy
 * after it (`IotDrDeployment` adds that dependency).
 */
export class IotServicesStack extends Stack {
  /**
   * The replay parking queue's name in every iot-services stack (unless `registryReplication.replay` names
   * another): fixed, so the Region switch steps in the shared-services account read its depth by name.
   */
  static readonly PARKING_QUEUE_NAME = 'cdk-iot-dr-parking';

  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
  /** Registry replication in this region; `addAlarmAction` sends its alarms to more targets. */
  readonly registryReplication: IotRegistryReplication;
  /**
   * The SNS topic every alarm of this region notifies: `regionalReplication.<role>.alarmTopicArn`, or one
   * this stack creates (encrypted with a key of its own that CloudWatch may use, TLS only). Subscribe to it
   * (stack output `AlarmTopicArn`).
   */
  readonly alarmTopic: sns.ITopic;
  /**
   * The AWS CLI command that moves every capture dead letter back into the capture queue, once their cause
   * is fixed (also the stack output `CaptureRedriveCommand`).
   */
  readonly captureRedriveCommand: string;
  /**
   * This region's health API (IoT data-plane round trip, registry read, replication readiness), callable by the
   * shared-services aggregator of this region; its URL is the stack output `HealthApiUrl`.
   */
  readonly healthApi: RegionalHealthApi;
  /**
   * The IoT Core custom domain `iot.<domain>` devices connect to, whichever region DNS answers with; created in
   * phase two (the topology has `failover.healthApiUrls`), with the failover records that make it useful.
   */
  readonly iotCustomDomain?: IotCustomDomain;
  /** The role the shared-services failover functions assume here (failover notice, readiness metrics). */
  readonly failoverAccessRole: FailoverAccessRole;
  /** The role the command API's functions (command-control account, both regions) assume here. */
  readonly commandAccessRole: CommandAccessRole;
  /**
   * Telemetry (`telemetryTopicFilter`) → buffer queue → the data-analytics account's bus, through its global
   * endpoint once the topology has `analytics.globalEndpointId`; absent when `forwardTelemetry` is false.
   */
  readonly telemetryForwarder?: TelemetryForwarder;

  constructor(scope: Construct, id: string, props: IotServicesStackProps) {
    const { registryReplication, regionalReplication, telemetryTopicFilter, forwardTelemetry, ...drProps } = props;
    super(scope, id, drStackProps(scope, id, drProps, 'iotServices', 'IoT services'));
    this.topology = props.topology;
    this.regionRole = props.regionRole;
    const options = registryReplication ?? {};
    this.refuseRegionBoundKeys(options);

    const isPrimary = this.regionRole === DrRegionRole.PRIMARY;
    const peerRole = isPrimary ? DrRegionRole.SECONDARY : DrRegionRole.PRIMARY;
    const own = regionalReplication?.[ROLE_NAMES[this.regionRole]] ?? {};
    const peer = regionalReplication?.[ROLE_NAMES[peerRole]] ?? {};
    const ownKeyProp = `regionalReplication.${ROLE_NAMES[this.regionRole]}.encryptionKeyArn`;
    const peerKeyProp = `regionalReplication.${ROLE_NAMES[peerRole]}.encryptionKeyArn`;
    if (!own.encryptionKeyArn !== !peer.encryptionKeyArn) {
      throw propError(
        this,
        `${own.encryptionKeyArn ? ownKeyProp : peerKeyProp} is set but ${own.encryptionKeyArn ? peerKeyProp : ownKeyProp} is not: ` +
          'the journal is one global table, encrypted with a customer managed key in every region or in none',
      );
    }
    const region = this.topology.regionOf(this.regionRole);
    const peerRegion = this.topology.peerOf(this.regionRole);
    let key: kms.IKey | undefined;
    if (own.encryptionKeyArn && peer.encryptionKeyArn) {
      checkRegionalArn(this, ownKeyProp, own.encryptionKeyArn, 'kms', region, `the ${ROLE_NAMES[this.regionRole]} region`);
      checkRegionalArn(this, peerKeyProp, peer.encryptionKeyArn, 'kms', peerRegion, `the ${ROLE_NAMES[peerRole]} region`);
      key = kms.Key.fromKeyArn(this, 'EncryptionKey', own.encryptionKeyArn);
    }
    if (own.alarmTopicArn) {
      const topicProp = `regionalReplication.${ROLE_NAMES[this.regionRole]}.alarmTopicArn`;
      checkRegionalArn(this, topicProp, own.alarmTopicArn, 'sns', region, `the ${ROLE_NAMES[this.regionRole]} region`);
      this.alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', own.alarmTopicArn);
    } else {
      this.alarmTopic = this.createAlarmTopic();
    }
    const alarmTopic = this.alarmTopic;

    this.registryReplication = new IotRegistryReplication(this, 'RegistryReplication', {
      peerRegion,
      ownsJournal: isPrimary,
      journalProps: {
        tableName: options.journalProps?.tableName,
        // The primary's stack owns the global table, so its settings are applied there, to every replica.
        deletionProtection: isPrimary ? options.journalProps?.deletionProtection : undefined,
        removalPolicy: isPrimary ? options.journalProps?.removalPolicy : undefined,
        encryptionKey: key,
        peerEncryptionKeyArn: isPrimary ? peer.encryptionKeyArn : undefined,
      },
      // A fixed name, so the command API in the command-control account names it without a cross-account reference.
      echoLedgerProps: { tableName: DEFAULT_ECHO_LEDGER_TABLE_NAME, ...options.echoLedgerProps },
      capture: { ...options.capture, queueEncryptionKey: key },
      replay: { parkingQueueName: IotServicesStack.PARKING_QUEUE_NAME, ...options.replay, queueEncryptionKey: key },
      reconciler: options.enableReconciler === false ? undefined : { ...options.reconciler },
      metricsNamespace: options.metricsNamespace,
      logRetention: options.logRetention,
      replicateShadows: options.replicateShadows,
      alarmActions: [new cloudwatchActions.SnsAction(alarmTopic)],
    });
    this.captureRedriveCommand = this.addOperatorOutputs();

    // Failover: what the shared-services account's aggregator, notifier and Region switch steps reach here.
    const roleName = ROLE_NAMES[this.regionRole];
    if (this.topology.failover?.healthApiUrls) {
      const certificateArn = this.topology.failover.iotCertificateArns?.[roleName];
      this.iotCustomDomain = new IotCustomDomain(this, 'IotCustomDomain', {
        domainName: `iot.${this.topology.domainName}`,
        certificate: certificateArn ? acm.Certificate.fromCertificateArn(this, 'IotCertificate', certificateArn) : undefined,
      });
    }
    this.failoverAccessRole = new FailoverAccessRole(this, 'FailoverAccess', { sharedServicesAccount: this.topology.accounts.sharedServices });
    this.commandAccessRole = new CommandAccessRole(this, 'CommandAccess', {
      commandControlAccount: this.topology.accounts.commandControl,
      // Each region's API reads the other region's status through this role too.
      commandRegions: [this.topology.primaryRegion, this.topology.secondaryRegion],
      journal: this.registryReplication.journal,
      echoLedger: this.registryReplication.echoLedger,
      tableEncryptionKeys: key ? [key] : undefined,
      readMetrics: true,
    });
    const endpoint = this.topology.iotDataEndpointOf(this.regionRole);
    this.healthApi = addWorkloadHealthApi(this, {
      topology: this.topology,
      regionRole: this.regionRole,
      topologyField: `${roleName}.iotServices`,
      checkIotCore: true,
      parkingQueue: this.registryReplication.replay.parkingQueue,
      metricsNamespace: this.registryReplication.replay.metricsNamespace,
      iotDataEndpoint: endpoint ? `https://${endpoint}` : undefined,
      alarmActions: [new cloudwatchActions.SnsAction(alarmTopic)],
    });

    if (forwardTelemetry ?? true) {
      const globalEndpointId = this.topology.analytics?.globalEndpointId;
      this.telemetryForwarder = new TelemetryForwarder(this, 'TelemetryForwarder', {
        topicFilter: telemetryTopicFilter ?? DEFAULT_TELEMETRY_TOPIC_FILTER,
        analyticsAccount: this.topology.accounts.dataAnalytics,
        peerRegion,
        globalEndpointId,
        queueEncryptionKey: key,
        metricsNamespace: options.metricsNamespace,
        logRetention: options.logRetention,
        alarmActions: [new cloudwatchActions.SnsAction(alarmTopic)],
      });
      if (!globalEndpointId) {
        Annotations.of(this).addWarningV2(
          'cdk-iot-dr:analyticsPhaseOne',
          "telemetry goes to this region's analytics bus, not through the global endpoint (the topology has no analytics.globalEndpointId): " +
            "copy the GlobalEndpointId output of the primary region's data-analytics stack into analytics.globalEndpointId and deploy again",
        );
      }
    }
  }

  /** A topic for this region's alarms (see createAlarmTopic). */
  private createAlarmTopic(): sns.Topic {
    return createAlarmTopic(
      this,
      'cdk-iot-dr registry replication alarms',
      'cdk-iot-dr: encrypts the alarm topic of registry replication',
    );
  }

  /** What an operator needs at hand: names, queue URLs, redrive commands, the alarm topic, the dashboard. */
  private addOperatorOutputs(): string {
    const { journal, capture, replay } = this.registryReplication;
    const captureRedrive = [
      'aws sqs start-message-move-task',
      `--source-arn ${capture.deadLetterQueue.queueArn}`,
      `--destination-arn ${capture.queue.queueArn}`,
      `--region ${this.region}`,
    ].join(' ');
    new CfnOutput(this, 'JournalTableName', { description: "The replication journal (this region's replica)", value: journal.tableName });
    new CfnOutput(this, 'CaptureDeadLetterQueueUrl', {
      description: 'Registry events capture could not journal, with their reason',
      value: capture.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'CaptureRedriveCommand', {
      description: 'Moves every capture dead letter back into the capture queue, once the cause is fixed',
      value: captureRedrive,
    });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Every replication alarm of this region notifies this topic', value: this.alarmTopic.topicArn });
    if (replay.dashboard) {
      new CfnOutput(this, 'DashboardName', { description: 'The replay dashboard', value: replay.dashboard.dashboardName });
    }
    return captureRedrive;
  }

  private refuseRegionBoundKeys(options: RegistryReplicationOptions): void {
    const keys = [
      options.echoLedgerProps?.encryptionKey && 'echoLedgerProps.encryptionKey',
      options.capture?.queueEncryptionKey && 'capture.queueEncryptionKey',
      options.replay?.queueEncryptionKey && 'replay.queueEncryptionKey',
      options.capture?.logEncryptionKey && 'capture.logEncryptionKey',
      options.replay?.logEncryptionKey && 'replay.logEncryptionKey',
      options.reconciler?.logEncryptionKey && 'reconciler.logEncryptionKey',
    ].filter(Boolean);
    if (keys.length > 0) {
      throw propError(
        this,
        `registryReplication.${keys.join(', registryReplication.')} cannot be set: these settings apply to both regions and a KMS key ` +
          'serves one region only; set regionalReplication.primary.encryptionKeyArn and regionalReplication.secondary.encryptionKeyArn instead',
      );
    }
  }
}
