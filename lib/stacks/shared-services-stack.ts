import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { acknowledgeEmptyStack } from '../private/acknowledge';
import { drStackProps } from '../private/dr-stack';
import { HealthCheckAggregator } from '../shared-services/health-check-aggregator';
import { DrRegionRole, type DrTopology } from '../topology';

/**
 * The shared-services account in one region. With the topology's `failover.healthApiUrls` (phase two of the
 * deployment) it holds this region's `HealthCheckAggregator`, which calls the iot-services, command-control and
 * data-analytics health APIs of the region; `IotDrDeployment` adds the aggregator's custom domain
 * (`health-<region>.<domain>`), the region's `IotRegionSwitchSteps`, and the Region switch plan in the
 * primary's stack (the Route 53 failover and the notifier are in the global stack, `GlobalFailoverStack`).
 * Without those URLs (phase one) it holds no resources.
 * Cross-region references are on: the stacks of the two regions read each other's ids (health checks, step
 * functions) the way `IotDrDeployment` places them.
 */
export class SharedServicesStack extends Stack {
  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
  /** This region's health-check aggregator, once the topology has `failover.healthApiUrls`. */
  readonly healthCheckAggregator?: HealthCheckAggregator;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, { crossRegionReferences: true, ...drStackProps(scope, id, props, 'sharedServices', 'shared services') });
    this.topology = props.topology;
    this.regionRole = props.regionRole;
    const urls = this.topology.failover?.healthApiUrls?.[this.regionRole === DrRegionRole.PRIMARY ? 'primary' : 'secondary'];
    if (!urls) {
      acknowledgeEmptyStack(this);
      return;
    }
    const { iotServices, commandControl, dataAnalytics } = this.topology.accounts;
    this.healthCheckAggregator = new HealthCheckAggregator(this, 'HealthCheckAggregator', {
      regionRole: this.regionRole,
      healthApis: [
        { name: 'iot-services', url: urls.iotServices, account: iotServices },
        { name: 'command-control', url: urls.commandControl, account: commandControl },
        { name: 'data-analytics', url: urls.dataAnalytics, account: dataAnalytics },
      ],
    });
  }
}

/** The region Route 53 publishes health-check metrics in, where `FailoverNotifier` must be. */
export const ROUTE53_METRICS_REGION = 'us-east-1';

export interface GlobalFailoverStackProps extends StackProps {
  /** The accounts, regions and domain of the platform. */
  readonly topology: DrTopology;
}

/**
 * The global part of the shared-services account, in us-east-1 whichever the pair's regions: the hosted zone,
 * the Route 53 health checks and failover records (global, placed here so the failover depends on neither
 * region's stack) and the `FailoverNotifier`, whose alarms must be in us-east-1 where Route 53 publishes
 * health-check metrics. `IotDrDeployment` fills it in phase two (it is empty in phase one). When one region of
 * the pair is us-east-1, that region's `SharedServicesStack` is a separate stack in the same account and region.
 * `env` follows from the topology and must not be set.
 */
export class GlobalFailoverStack extends Stack {
  /** The topology this stack was placed by. */
  readonly topology: DrTopology;

  constructor(scope: Construct, id: string, props: GlobalFailoverStackProps) {
    const { topology, env, ...stackProps } = props;
    if (env !== undefined) {
      const path = scope.node.path ? `${scope.node.path}/${id}` : id;
      throw new Error(`${path}: env follows from the topology (accounts.sharedServices in ${ROUTE53_METRICS_REGION}); remove env`);
    }
    super(scope, id, {
      description: `cdk-iot-dr shared services (global, in ${ROUTE53_METRICS_REGION}: Route 53 failover and notifier)`,
      crossRegionReferences: true,
      ...stackProps,
      env: { account: topology.accounts.sharedServices, region: ROUTE53_METRICS_REGION },
    });
    this.topology = topology;
  }
}
