import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { FAILOVER_NOTICE_TOPIC } from '../../lambda/contract/failover';
import { acknowledgeFinding } from '../private/acknowledge';
import { propError } from '../private/validate';

export interface FailoverAccessRoleProps {
  /** The shared-services account whose failover functions (notifier, region-switch steps) assume this role. */
  readonly sharedServicesAccount: string;
  /**
   * Also let the role read CloudWatch metrics (the region-switch readiness step reads the replication
   * pipeline's metrics here).
   * @default true
   */
  readonly readMetrics?: boolean;
}

/**
 * The role the shared-services account's failover functions assume in the iot-services account of one
 * region: `iot:Publish` on the failover notice topic `cdk-iot-dr/failover` of this region, and (for the
 * region-switch readiness step) `cloudwatch:GetMetricData`. Its name is fixed per region
 * (`FailoverAccessRole.roleNameFor(region)`), so the shared-services stacks compute its ARN with
 * `FailoverAccessRole.roleArnFor(account, region)` instead of referencing another account's stack.
 * Place one in each region's iot-services stack; pass the ARN as the notifier's and steps' publish role
 * and the steps' readiness role.
 */
export class FailoverAccessRole extends Construct {
  /** `cdk-iot-dr-failover-access-<region>`. */
  static roleNameFor(region: string): string {
    return `cdk-iot-dr-failover-access-${region}`;
  }

  /** `arn:aws:iam::<account>:role/cdk-iot-dr-failover-access-<region>`. */
  static roleArnFor(account: string, region: string, partition: string = 'aws'): string {
    return `arn:${partition}:iam::${account}:role/${FailoverAccessRole.roleNameFor(region)}`;
  }

  /** The role. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: FailoverAccessRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!Token.isUnresolved(props.sharedServicesAccount) && !/^\d{12}$/.test(props.sharedServicesAccount)) {
      throw propError(this, `sharedServicesAccount must be a 12-digit account id, got '${props.sharedServicesAccount}'`);
    }
    if (Token.isUnresolved(stack.region)) throw propError(this, 'FailoverAccessRole needs a stack with an explicit env.region (its name includes the region)');
    this.role = new iam.Role(this, 'Role', {
      roleName: FailoverAccessRole.roleNameFor(stack.region),
      assumedBy: new iam.AccountPrincipal(props.sharedServicesAccount),
      description: 'cdk-iot-dr: lets the shared-services failover functions publish the failover notice and read replication metrics here',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iot:Publish'],
        resources: [stack.formatArn({ service: 'iot', resource: 'topic', resourceName: FAILOVER_NOTICE_TOPIC, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
      }),
    );
    if (props.readMetrics ?? true) {
      const metrics = new iam.Policy(this, 'ReadMetrics', {
        roles: [this.role],
        statements: [new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] })],
      });
      acknowledgeFinding(
        metrics,
        'AwsSolutions-IAM5[Resource::*]',
        'cloudwatch:GetMetricData supports no resource-level permissions; the region-switch readiness step reads the replication metrics.',
      );
    }
  }
}
