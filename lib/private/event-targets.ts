import type { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/** What EventBridge needs to deliver to one target with its own role, retry policy and dead-letter queue. */
export interface DeliveryTargetProps {
  /** ARN of the target (stream, state machine). */
  readonly arn: string;
  /** The role EventBridge assumes to deliver. */
  readonly role: iam.IRole;
  readonly deadLetterQueue: sqs.IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  /** Kinesis only: JSON path of the partition key. */
  readonly partitionKeyPath?: string;
}

/**
 * A rule target with a role of the caller's making (so its policy holds exactly what the caller grants, in
 * the caller's construct) and a dead-letter queue whose policy admits this rule only. aws-events-targets'
 * `KinesisStream` would hang a role off the stream and leave its dead-letter queue without a policy, so
 * EventBridge could not dead-letter anything.
 */
export function deliveryTarget(props: DeliveryTargetProps): events.IRuleTarget {
  return {
    bind(rule: events.IRule): events.RuleTargetConfig {
      props.deadLetterQueue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThisRuleToDeadLetter',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [props.deadLetterQueue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      );
      return {
        arn: props.arn,
        role: props.role,
        deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
        retryPolicy: {
          maximumRetryAttempts: props.retryAttempts,
          maximumEventAgeInSeconds: props.maxEventAge.toSeconds({ integral: true }),
        },
        kinesisParameters: props.partitionKeyPath ? { partitionKeyPath: props.partitionKeyPath } : undefined,
      };
    },
  };
}
