import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { drStackProps } from '../private/dr-stack';
import type { RegionalHealthApi } from '../shared-services/regional-health-api';
import { DrRegionRole, type DrTopology } from '../topology';
import { addWorkloadHealthApi, serviceAvailabilityCheck } from './workload-health';

/**
 * The command-and-control account in one region. Later releases add here the regional device-management
 * API and the role it assumes in the IoT services account. Today it holds
 * this region's health API (stack output `HealthApiUrl`), which the shared-services aggregator of the region
 * calls; its one check, `lambda-service`, proves this account's API Gateway and Lambda answer here.
 */
export class CommandControlStack extends Stack {
  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
  /** This region's health API, callable by the shared-services aggregator of this region (output `HealthApiUrl`). */
  readonly healthApi: RegionalHealthApi;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, drStackProps(scope, id, props, 'commandControl', 'command and control'));
    this.topology = props.topology;
    this.regionRole = props.regionRole;
    this.healthApi = addWorkloadHealthApi(this, {
      topology: this.topology,
      regionRole: this.regionRole,
      topologyField: `${this.regionRole === DrRegionRole.PRIMARY ? 'primary' : 'secondary'}.commandControl`,
      checks: [serviceAvailabilityCheck(this, 'command-control')],
    });
  }
}
