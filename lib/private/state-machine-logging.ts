import { type CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { acknowledgeFinding } from './acknowledge';
import { LOG_DELIVERY_ACTIONS, WORKFLOW_TRACING_ACTIONS, allowLogsToUseKey, wildcardOnlyPolicy } from './service-policies';

export interface StateMachineLoggingProps {
  readonly logGroupId: string;
  readonly policyPrefix: string;
  readonly level: sfn.LogLevel;
  readonly includeExecutionData: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
  /** Why a level below ALL is enough, for the AwsSolutions-SF1 acknowledgement. */
  readonly levelReason: string;
}

/**
 * Logs `stateMachine` to a retained log group of its own and traces it with X-Ray. Both are set on the L1:
 * the L2 would put their wildcard statements in the role's default policy, where acknowledging
 * `Resource::*` would also hide any wildcard added later; here they live in policies of their own.
 */
export function logAndTrace(scope: Construct, stateMachine: sfn.StateMachine, props: StateMachineLoggingProps): logs.LogGroup {
  const logGroup = new logs.LogGroup(scope, props.logGroupId, {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
    encryptionKey: props.logEncryptionKey,
  });
  if (props.logEncryptionKey) allowLogsToUseKey(scope, props.logEncryptionKey);
  const cfn = stateMachine.node.defaultChild as sfn.CfnStateMachine;
  cfn.loggingConfiguration = {
    destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: logGroup.logGroupArn } }],
    level: props.level,
    includeExecutionData: props.includeExecutionData,
  };
  cfn.tracingConfiguration = { enabled: true };
  if (props.level !== sfn.LogLevel.ALL) acknowledgeFinding(stateMachine, 'AwsSolutions-SF1', props.levelReason);
  const logDelivery = wildcardOnlyPolicy(
    scope,
    `${props.policyPrefix}LogDeliveryPolicy`,
    stateMachine.role,
    LOG_DELIVERY_ACTIONS,
    'CloudWatch Logs log delivery (logs:CreateLogDelivery and friends) supports no resource-level permissions.',
  );
  const tracing = wildcardOnlyPolicy(
    scope,
    `${props.policyPrefix}TracingPolicy`,
    stateMachine.role,
    WORKFLOW_TRACING_ACTIONS,
    'X-Ray tracing (xray:PutTraceSegments and friends) supports no resource-level permissions.',
  );
  // Step Functions checks the log delivery permissions when it creates the state machine.
  cfn.addResourceDependency(logDelivery.node.defaultChild as CfnResource);
  cfn.addResourceDependency(tracing.node.defaultChild as CfnResource);
  return logGroup;
}
