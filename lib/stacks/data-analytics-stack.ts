import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { drStackProps } from '../private/dr-stack';
import type { RegionalHealthApi } from '../shared-services/regional-health-api';
import { DrRegionRole, type DrTopology } from '../topology';
import { addWorkloadHealthApi, serviceAvailabilityCheck } from './workload-health';

/**
 * The data-analytics account in one region. Later releases add here the analytics event bus, its global
 * endpoint and the telemetry targets. Today it holds
 * this region's health API (stack output `HealthApiUrl`), which the shared-services aggregator of the region
 * calls; its one check, `lambda-service`, proves this account's API Gateway and Lambda answer here.
 */
export class DataAnalyticsStack extends Stack {
  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
  /** This region's health API, callable by the shared-services aggregator of this region (output `HealthApiUrl`). */
  readonly healthApi: RegionalHealthApi;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, drStackProps(scope, id, props, 'dataAnalytics', 'data analytics'));
    this.topology = props.topology;
    this.regionRole = props.regionRole;
    this.healthApi = addWorkloadHealthApi(this, {
      topology: this.topology,
      regionRole: this.regionRole,
      topologyField: `${this.regionRole === DrRegionRole.PRIMARY ? 'primary' : 'secondary'}.dataAnalytics`,
      checks: [serviceAvailabilityCheck(this, 'data-analytics')],
    });
  }
}
