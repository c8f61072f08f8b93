import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { IotRegistryReplication, type IotRegistryReplicationProps } from '../iot-services/registry-replication';
import { DrRegionRole, type DrTopology } from '../topology';

/** Registry replication settings a stack passes through; the topology decides the rest. */
export type RegistryReplicationOptions = Omit<IotRegistryReplicationProps, 'peerRegion' | 'ownsJournal' | 'existingTable'>;

export interface IotServicesStackProps extends DrStackProps {
  /**
   * Settings of the registry replication pipeline.
   *
   * @default - the defaults of `IotRegistryReplication`
   */
  readonly registryReplication?: RegistryReplicationOptions;
}

/**
 * The IoT services account in one region: registry replication (journal, capture, replay). The primary
 * region's stack owns the journal's global table; the secondary's imports its replica and must deploy
 * after it (`IotDrDeployment` adds that dependency).
 */
export class IotServicesStack extends Stack {
  readonly topology: DrTopology;
  readonly regionRole: DrRegionRole;
  readonly registryReplication: IotRegistryReplication;

  constructor(scope: Construct, id: string, props: IotServicesStackProps) {
    const { topology, regionRole, registryReplication, ...stackProps } = props;
    super(scope, id, {
      description: `cdk-iot-dr IoT services (${regionRole} region)`,
      ...stackProps,
      env: { account: topology.accounts.iotServices, region: topology.regionOf(regionRole) },
    });
    this.topology = topology;
    this.regionRole = regionRole;
    this.registryReplication = new IotRegistryReplication(this, 'RegistryReplication', {
      ...registryReplication,
      peerRegion: topology.peerOf(regionRole),
      ownsJournal: regionRole === DrRegionRole.PRIMARY,
    });
  }
}
