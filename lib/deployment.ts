import type { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CommandControlStack } from './stacks/command-control-stack';
import { DataAnalyticsStack } from './stacks/data-analytics-stack';
import { IotServicesStack, type RegistryReplicationOptions } from './stacks/iot-services-stack';
import { SharedServicesStack } from './stacks/shared-services-stack';
import { DrRegionRole, type DrTopology } from './topology';

/** One stack per region role. */
export interface RegionalStacks<T extends Stack> {
  readonly primary: T;
  readonly secondary: T;
}

export interface IotDrDeploymentProps {
  readonly topology: DrTopology;

  /**
   * Prefix of every stack name (`<prefix>-IotServices-us-west-2`, ...).
   *
   * @default - this construct's id
   */
  readonly stackNamePrefix?: string;

  /**
   * Registry replication settings for both IoT services stacks.
   *
   * @default - the defaults of `IotRegistryReplication`
   */
  readonly registryReplication?: RegistryReplicationOptions;
}

/**
 * Every stack of a topology, each in its account and region: shared services, IoT services, command and
 * control, data analytics, in both the primary and the secondary region. The secondary IoT services stack
 * imports the journal replica the primary's creates, so it depends on it. Create it in an `App` (or a
 * `Stage`, or a construct within one).
 */
export class IotDrDeployment extends Construct {
  readonly topology: DrTopology;
  readonly sharedServices: RegionalStacks<SharedServicesStack>;
  readonly iotServices: RegionalStacks<IotServicesStack>;
  readonly commandControl: RegionalStacks<CommandControlStack>;
  readonly dataAnalytics: RegionalStacks<DataAnalyticsStack>;

  constructor(scope: Construct, id: string, props: IotDrDeploymentProps) {
    super(scope, id);
    this.topology = props.topology;
    const prefix = props.stackNamePrefix ?? id;
    const name = (part: string, role: DrRegionRole): string => `${prefix}-${part}-${props.topology.regionOf(role)}`;
    const suffix = (role: DrRegionRole): string => (role === DrRegionRole.PRIMARY ? 'Primary' : 'Secondary');
    const both = <T extends Stack>(make: (role: DrRegionRole) => T): RegionalStacks<T> => ({
      primary: make(DrRegionRole.PRIMARY),
      secondary: make(DrRegionRole.SECONDARY),
    });
    const common = (part: string, role: DrRegionRole) => ({ topology: props.topology, regionRole: role, stackName: name(part, role) });

    this.sharedServices = both((role) => new SharedServicesStack(this, `SharedServices${suffix(role)}`, common('SharedServices', role)));
    this.iotServices = both(
      (role) =>
        new IotServicesStack(this, `IotServices${suffix(role)}`, {
          ...common('IotServices', role),
          registryReplication: props.registryReplication,
        }),
    );
    // The secondary reads the replica's stream ARN at deploy time: the global table must exist first.
    this.iotServices.secondary.addStackDependency(this.iotServices.primary, 'the journal replica is created by the primary stack');
    this.commandControl = both((role) => new CommandControlStack(this, `CommandControl${suffix(role)}`, common('CommandControl', role)));
    this.dataAnalytics = both((role) => new DataAnalyticsStack(this, `DataAnalytics${suffix(role)}`, common('DataAnalytics', role)));
  }

  /** Every stack this deployment created. */
  get stacks(): Stack[] {
    return [this.sharedServices, this.iotServices, this.commandControl, this.dataAnalytics].flatMap((s) => [s.primary, s.secondary]);
  }
}
