import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { acknowledgeEmptyStack } from '../private/acknowledge';
import type { DrRegionRole, DrTopology } from '../topology';

export type CommandControlStackProps = DrStackProps;

/**
 * The command-and-control account in one region. Later releases add here the regional device-management
 * API and the role it assumes in the IoT services account; it holds no resources yet.
 */
export class CommandControlStack extends Stack {
  readonly topology: DrTopology;
  readonly regionRole: DrRegionRole;

  constructor(scope: Construct, id: string, props: CommandControlStackProps) {
    const { topology, regionRole, ...stackProps } = props;
    super(scope, id, {
      description: `cdk-iot-dr command and control (${regionRole} region)`,
      ...stackProps,
      env: { account: topology.accounts.commandControl, region: topology.regionOf(regionRole) },
    });
    this.topology = topology;
    this.regionRole = regionRole;
    acknowledgeEmptyStack(this);
  }
}
