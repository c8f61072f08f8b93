import type { StackProps } from 'aws-cdk-lib';
import type { DrRegionRole, DrTopology } from '../topology';

/**
 * What every stack of the platform is given. The account and region (`env`) follow from the topology,
 * the stack's account and its region role, so `env` must not be set.
 */
export interface DrStackProps extends StackProps {
  /** The accounts, regions and domain of the platform. */
  readonly topology: DrTopology;
  /** Whether this stack is deployed to the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
}
