import type { StackProps } from 'aws-cdk-lib';
import type { DrRegionRole, DrTopology } from '../topology';

/**
 * What every stack of the platform is given. The account and region (`env`) follow from the topology,
 * the stack's account and its region role, so they are not props.
 */
export interface DrStackProps extends Omit<StackProps, 'env'> {
  readonly topology: DrTopology;
  /** Whether this stack is deployed to the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
}
