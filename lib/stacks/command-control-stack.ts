import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { drStackProps } from '../private/dr-stack';
import { acknowledgeEmptyStack } from '../private/acknowledge';
import type { DrRegionRole, DrTopology } from '../topology';

/**
 * The command-and-control account in one region. Later releases add here the regional device-management
 * API and the role it assumes in the IoT services account; it holds no resources yet.
 */
export class CommandControlStack extends Stack {
  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, drStackProps(scope, id, props, 'commandControl', 'command and control'));
    this.topology = props.topology;
    this.regionRole = props.regionRole;
    acknowledgeEmptyStack(this);
  }
}
