import type { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CommandControlStack } from './stacks/command-control-stack';
import { DataAnalyticsStack } from './stacks/data-analytics-stack';
import { IotServicesStack } from './stacks/iot-services-stack';
import type { PerRegionReplicationSettings, RegistryReplicationOptions } from './stacks/replication-settings';
import { SharedServicesStack } from './stacks/shared-services-stack';
import { DrRegionRole, type DrTopology } from './topology';

/** The shared-services stacks of both regions. */
export interface SharedServicesStacks {
  readonly primary: SharedServicesStack;
  readonly secondary: SharedServicesStack;
}

/** The IoT services stacks of both regions. */
export interface IotServicesStacks {
  readonly primary: IotServicesStack;
  readonly secondary: IotServicesStack;
}

/** The command-and-control stacks of both regions. */
export interface CommandControlStacks {
  readonly primary: CommandControlStack;
  readonly secondary: CommandControlStack;
}

/** The data-analytics stacks of both regions. */
export interface DataAnalyticsStacks {
  readonly primary: DataAnalyticsStack;
  readonly secondary: DataAnalyticsStack;
}

export interface IotDrDeploymentProps {
  /** The accounts, regions and domain of the platform. */
  readonly topology: DrTopology;

  /**
   * Prefix of every stack name (`<prefix>-IotServices-us-west-2`, ...).
   *
   * @default - this construct's id
   */
  readonly stackNamePrefix?: string;

  /**
   * Registry replication settings both regions share.
   *
   * @default - the defaults of `IotRegistryReplication`
   */
  readonly registryReplication?: RegistryReplicationOptions;

  /**
   * What belongs to each region: its customer managed KMS key and its alarm topic, by ARN. The deployment
   * imports each into its region's IoT services stack and gives the primary (which creates the journal's
   * replica in the secondary) the secondary's key.
   *
   * @default - AWS managed encryption, and an alarm topic created in each region's IoT services stack
   */
  readonly regionalReplication?: PerRegionReplicationSettings;
}

/**
 * Every stack of a topology, each in its account and region: shared services, IoT services, command and
 * control, data analytics, in both the primary and the secondary region. The secondary IoT services stack
 * imports the journal replica the primary's creates, so it depends on it. Create it in an `App` (or a
 * `Stage`, or a construct within one).
 */
export class IotDrDeployment extends Construct {
  /** The accounts, regions and domain of the platform. */
  readonly topology: DrTopology;
  /** Shared-services stacks (Route 53 failover and health checks, in later releases). */
  readonly sharedServices: SharedServicesStacks;
  /** IoT services stacks, holding registry replication. */
  readonly iotServices: IotServicesStacks;
  /** Command-and-control stacks (the device-management API, in later releases). */
  readonly commandControl: CommandControlStacks;
  /** Data-analytics stacks (the analytics event bus, in later releases). */
  readonly dataAnalytics: DataAnalyticsStacks;

  constructor(scope: Construct, id: string, props: IotDrDeploymentProps) {
    super(scope, id);
    this.topology = props.topology;
    const prefix = props.stackNamePrefix ?? id;
    const name = (part: string, role: DrRegionRole): string => `${prefix}-${part}-${props.topology.regionOf(role)}`;
    const suffix = (role: DrRegionRole): string => (role === DrRegionRole.PRIMARY ? 'Primary' : 'Secondary');
    const both = <T extends Stack>(make: (role: DrRegionRole) => T): { primary: T; secondary: T } => ({
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
          regionalReplication: props.regionalReplication,
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
