import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { acknowledgeEmptyStack } from '../private/acknowledge';
import type { DrRegionRole, DrTopology } from '../topology';

export type SharedServicesStackProps = DrStackProps;

/**
 * The shared-services account in one region. Later releases add here the Route 53 failover records and
 * health checks, the health-check aggregator and the failover notifier; it holds no resources yet.
 */
export class SharedServicesStack extends Stack {
  readonly topology: DrTopology;
  readonly regionRole: DrRegionRole;

  constructor(scope: Construct, id: string, props: SharedServicesStackProps) {
    const { topology, regionRole, ...stackProps } = props;
    super(scope, id, {
      description: `cdk-iot-dr shared services (${regionRole} region)`,
      ...stackProps,
      env: { account: topology.accounts.sharedServices, region: topology.regionOf(regionRole) },
    });
    this.topology = topology;
    this.regionRole = regionRole;
    acknowledgeEmptyStack(this);
  }
}
