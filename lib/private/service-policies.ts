import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { acknowledgeFinding } from './acknowledge';

/** What a function with active tracing sends to X-Ray; neither action supports resource-level permissions. */
export const FUNCTION_TRACING_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/** What a traced state machine sends to and reads from X-Ray (the sampling rules too); no resource-level permissions. */
export const WORKFLOW_TRACING_ACTIONS = [...FUNCTION_TRACING_ACTIONS, 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];

/** The vended log delivery actions Step Functions needs to log to CloudWatch Logs; none supports resource-level permissions. */
export const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/**
 * A policy of its own, attached to `role`, holding only actions that support no resource-level
 * permissions (`Resource: *`). The cdk-nag finding is acknowledged on this policy alone, so a wildcard
 * added to the role later is still reported.
 */
export function wildcardOnlyPolicy(scope: Construct, id: string, role: iam.IRole, actions: string[], reason: string): iam.Policy {
  const policy = new iam.Policy(scope, id, { roles: [role], statements: [new iam.PolicyStatement({ actions, resources: ['*'] })] });
  acknowledgeFinding(policy, 'AwsSolutions-IAM5[Resource::*]', reason);
  return policy;
}

const keysOpenedToLogs = new WeakMap<Stack, Set<kms.IKey>>();

/**
 * Lets CloudWatch Logs in the stack's region encrypt the account's log groups with `key` (once per key and
 * stack). A key imported from elsewhere keeps its policy: the statement must be added where it is defined.
 */
export function allowLogsToUseKey(scope: Construct, key: kms.IKey): void {
  const stack = Stack.of(scope);
  const done = keysOpenedToLogs.get(stack) ?? new Set<kms.IKey>();
  keysOpenedToLogs.set(stack, done);
  if (done.has(key)) return;
  done.add(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
      },
    }),
  );
}
