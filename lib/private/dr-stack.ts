import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DrStackProps } from '../stacks/dr-stack-props';
import type { DrAccounts } from '../topology';

/** The `StackProps` of a platform stack: its env from the topology, a default description, the rest as given. */
export function drStackProps(scope: Construct, id: string, props: DrStackProps, account: keyof DrAccounts, part: string): StackProps {
  const { topology, regionRole, env, ...stackProps } = props;
  if (env !== undefined) {
    const path = scope.node.path ? `${scope.node.path}/${id}` : id;
    throw new Error(`${path}: env follows from the topology (accounts.${account} in the ${regionRole} region); remove env and change the topology instead`);
  }
  return {
    description: `cdk-iot-dr ${part} (${regionRole} region)`,
    ...stackProps,
    env: { account: topology.accounts[account], region: topology.regionOf(regionRole) },
  };
}
