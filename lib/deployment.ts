import { Annotations, type Duration, type Stack } from 'aws-cdk-lib';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { FailoverNotifier } from './shared-services/failover-notifier';
import type { FailoverRouting } from './shared-services/failover-routing';
import type { IotRegionSwitchPlan, IotRegionSwitchSteps } from './shared-services/region-switch-plan';
import { CommandControlStack } from './stacks/command-control-stack';
import { DataAnalyticsStack } from './stacks/data-analytics-stack';
import { IotServicesStack } from './stacks/iot-services-stack';
import type { AnalyticsOptions } from './stacks/analytics-settings';
import type { PerRegionReplicationSettings, RegistryReplicationOptions } from './stacks/replication-settings';
import { placeFailover } from './stacks/failover-placement';
import { acknowledgeEmptyStack } from './private/acknowledge';
import { GlobalFailoverStack, SharedServicesStack } from './stacks/shared-services-stack';
import { HEALTH_API_URL_OUTPUT } from './stacks/workload-health';
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

/** The Region switch step functions of both regions (shared-services account). */
export interface RegionSwitchStepsPair {
  readonly primary: IotRegionSwitchSteps;
  readonly secondary: IotRegionSwitchSteps;
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

  /**
   * How telemetry reaches the data-analytics account: the topic filter forwarded, and the example targets.
   *
   * @default - topic filter 'dt/#' forwarded in both regions, example targets created
   */
  readonly analytics?: AnalyticsOptions;
}

/**
 * The nine stacks of a topology, each in its account and region: shared services (global, in us-east-1, and per
 * region), IoT services, command and control and data analytics, in both the primary and the secondary region.
 * The secondary IoT services stack imports the journal replica the primary's creates, and the primary data
 * analytics stack's global endpoint names the secondary's bus, so each depends on the other region's. Create it
 * in an `App` (or a `Stage`, or a construct within one).
 */
export class IotDrDeployment extends Construct {
  /** The accounts, regions and domain of the platform. */
  readonly topology: DrTopology;
  /** Shared-services stacks: each region's health-check aggregator and Region switch steps (phase two). */
  readonly sharedServices: SharedServicesStacks;
  /** IoT services stacks, holding registry replication. */
  readonly iotServices: IotServicesStacks;
  /** Command-and-control stacks (the device-management API, in later releases). */
  readonly commandControl: CommandControlStacks;
  /** Data-analytics stacks (the analytics event bus, in later releases). */
  readonly dataAnalytics: DataAnalyticsStacks;
  /**
   * The shared-services stack in us-east-1 (stack `<prefix>-SharedServices-global`): the hosted zone, the Route 53
   * health checks and failover records and the failover notifier, in phase two; empty in phase one.
   */
  readonly globalFailover: GlobalFailoverStack;
  /** The hosted zone of the failover records (phase two). */
  readonly hostedZone?: route53.IHostedZone;
  /** Route 53 health checks and failover records of `iot.<domain>` (phase two: the topology has `failover.healthApiUrls`). */
  readonly failoverRouting?: FailoverRouting;
  /** The failover notice to connected devices (phase two). */
  readonly failoverNotifier?: FailoverNotifier;
  /** The ARC Region switch step functions (phase two). */
  readonly regionSwitchSteps?: RegionSwitchStepsPair;
  /** The ARC Region switch plan (phase two, unless `failover.regionSwitchPlan` is false). */
  readonly regionSwitchPlan?: IotRegionSwitchPlan;
  /** The failover's worst-case recovery time (phase two; also the stack output `EstimatedRtoSeconds`). */
  readonly estimatedRto?: Duration;

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
          telemetryTopicFilter: props.analytics?.telemetryTopicFilter,
          forwardTelemetry: props.analytics?.forwardTelemetry,
        }),
    );
    // The secondary reads the replica's stream ARN at deploy time: the global table must exist first.
    this.iotServices.secondary.addStackDependency(this.iotServices.primary, 'the journal replica is created by the primary stack');
    this.commandControl = both((role) => new CommandControlStack(this, `CommandControl${suffix(role)}`, common('CommandControl', role)));
    this.dataAnalytics = both(
      (role) => new DataAnalyticsStack(this, `DataAnalytics${suffix(role)}`, { ...common('DataAnalytics', role), exampleTargets: props.analytics?.exampleTargets }),
    );
    // The primary's global endpoint names the secondary's bus (and replicates to it): that bus must exist first.
    this.dataAnalytics.primary.addStackDependency(this.dataAnalytics.secondary, "the global endpoint names the secondary region's analytics bus");

    // The global part of the shared services, in us-east-1 (where Route 53 publishes its health-check metrics)
    // whichever the pair's regions: a stack of its own, so neither region's stack holds what the other depends on.
    this.globalFailover = new GlobalFailoverStack(this, 'SharedServicesGlobal', { topology: props.topology, stackName: `${prefix}-SharedServices-global` });

    // Failover, phase two: the aggregators need the workload accounts' health API URLs from a first deployment.
    if (!props.topology.failover?.healthApiUrls) {
      acknowledgeEmptyStack(this.globalFailover);
      this.warnOfPhaseOne(name);
      return;
    }
    const topology = props.topology;
    const placement = placeFailover({
      topology,
      sharedServices: this.sharedServices,
      global: this.globalFailover,
      metricsNamespace: props.registryReplication?.metricsNamespace,
      parkingQueueName: props.registryReplication?.replay?.parkingQueueName,
    });
    this.hostedZone = placement.hostedZone;
    this.failoverRouting = placement.routing;
    this.failoverNotifier = placement.notifier;
    this.regionSwitchSteps = placement.steps;
    this.regionSwitchPlan = placement.plan;
    this.estimatedRto = placement.routing.estimatedRto;
  }

  /** Every stack this deployment created: the nine stacks. */
  get stacks(): Stack[] {
    const pairs = [this.sharedServices, this.iotServices, this.commandControl, this.dataAnalytics].flatMap((s): Stack[] => [s.primary, s.secondary]);
    return [this.globalFailover, ...pairs];
  }

  /** Phase one: says which outputs to copy into which topology field, on each shared-services stack. */
  private warnOfPhaseOne(name: (part: string, role: DrRegionRole) => string): void {
    const key = 'iot-dr:topology';
    for (const role of [DrRegionRole.PRIMARY, DrRegionRole.SECONDARY]) {
      const stack = role === DrRegionRole.PRIMARY ? this.sharedServices.primary : this.sharedServices.secondary;
      const copies = (['IotServices', 'CommandControl', 'DataAnalytics'] as const)
        .map((part) => `${name(part, role)}.${HEALTH_API_URL_OUTPUT} -> failover.healthApiUrls.${role}.${part.charAt(0).toLowerCase()}${part.slice(1)}`)
        .join(', ');
      Annotations.of(stack).addWarningV2(
        'cdk-iot-dr:failoverPhaseOne',
        `failover is not set up yet (phase one of two): this deployment creates the workload accounts' health APIs but not the ` +
          `${role} region's health-check aggregator, nor the IoT custom domain, the Route 53 failover, the notifier and the Region switch ` +
          'plan. Deploy, then copy ' +
          `the stack outputs into the '${key}' context (cdk.json)${this.topology.failover ? '' : ', with failover.iotEndpointPrefix (aws iot describe-endpoint --endpoint-type iot:Data-ATS in the iot-services account)'}: ` +
          `${copies}; and deploy again`,
      );
    }
  }
}
