import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { drStackProps } from '../private/dr-stack';
import { acknowledgeEmptyStack } from '../private/acknowledge';
import type { DrRegionRole, DrTopology } from '../topology';

/**
 * The shared-services account in one region. Later releases add here the Route 53 failover records and
 * health checks, the health-check aggregator and the failover notifier; it holds no resources yet.
 */
export class SharedServicesStack extends Stack {
  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, drStackProps(scope, id, props, 'sharedServices', 'shared services'));
    this.topology = props.topology;
    this.regionRole = props.regionRole;
    acknowledgeEmptyStack(this);
  }
}
