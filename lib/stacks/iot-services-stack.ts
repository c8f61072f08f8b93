import { Stack } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import type { PerRegionReplicationSettings, RegistryReplicationOptions } from './replication-settings';
import { checkRegionalArn } from '../private/arns';
import { drStackProps } from '../private/dr-stack';
import { propError } from '../private/validate';
import { IotRegistryReplication } from '../registry-replication';
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
   * @default - AWS managed encryption and no alarm actions in either region
   */
  readonly regionalReplication?: PerRegionReplicationSettings;
}

const ROLE_NAMES: Record<DrRegionRole, 'primary' | 'secondary'> = { [DrRegionRole.PRIMARY]: 'primary', [DrRegionRole.SECONDARY]: 'secondary' };

/**
 * The IoT services account in one region: registry replication (journal, capture, replay). The primary
 * region's stack owns the journal's global table; the secondary's imports its replica and must deploy
 * after it (`IotDrDeployment` adds that dependency).
 */
export class IotServicesStack extends Stack {
  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
  /** Registry replication in this region; `addAlarmAction` sends its alarms to a topic created in this stack. */
  readonly registryReplication: IotRegistryReplication;

  constructor(scope: Construct, id: string, props: IotServicesStackProps) {
    const { registryReplication, regionalReplication, ...drProps } = props;
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
    let alarmTopic: sns.ITopic | undefined;
    if (own.alarmTopicArn) {
      const topicProp = `regionalReplication.${ROLE_NAMES[this.regionRole]}.alarmTopicArn`;
      checkRegionalArn(this, topicProp, own.alarmTopicArn, 'sns', region, `the ${ROLE_NAMES[this.regionRole]} region`);
      alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', own.alarmTopicArn);
    }

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
      echoLedgerProps: options.echoLedgerProps,
      capture: { ...options.capture, queueEncryptionKey: key },
      replay: { ...options.replay, queueEncryptionKey: key },
      metricsNamespace: options.metricsNamespace,
      logRetention: options.logRetention,
      alarmActions: alarmTopic ? [new cloudwatchActions.SnsAction(alarmTopic)] : undefined,
    });
  }

  private refuseRegionBoundKeys(options: RegistryReplicationOptions): void {
    const keys = [
      options.echoLedgerProps?.encryptionKey && 'echoLedgerProps.encryptionKey',
      options.capture?.queueEncryptionKey && 'capture.queueEncryptionKey',
      options.replay?.queueEncryptionKey && 'replay.queueEncryptionKey',
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
