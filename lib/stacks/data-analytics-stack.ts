import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { acknowledgeEmptyStack } from '../private/acknowledge';
import type { DrRegionRole, DrTopology } from '../topology';

export type DataAnalyticsStackProps = DrStackProps;

/**
 * The data-analytics account in one region. Later releases add here the analytics event bus, its global
 * endpoint and the telemetry targets; it holds no resources yet.
 */
export class DataAnalyticsStack extends Stack {
  readonly topology: DrTopology;
  readonly regionRole: DrRegionRole;

  constructor(scope: Construct, id: string, props: DataAnalyticsStackProps) {
    const { topology, regionRole, ...stackProps } = props;
    super(scope, id, {
      description: `cdk-iot-dr data analytics (${regionRole} region)`,
      ...stackProps,
      env: { account: topology.accounts.dataAnalytics, region: topology.regionOf(regionRole) },
    });
    this.topology = topology;
    this.regionRole = regionRole;
    acknowledgeEmptyStack(this);
  }
}
