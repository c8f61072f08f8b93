import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/**
 * An alarm topic (`AlarmTopic`, with its key `AlarmTopicKey`, in `scope`): CloudWatch cannot publish to a
 * topic under the AWS managed SNS key, so it gets a customer managed key (rotated) whose policy lets this
 * account's CloudWatch alarms use it.
 */
export function createAlarmTopic(scope: Construct, displayName: string, keyDescription: string): sns.Topic {
  const key = new kms.Key(scope, 'AlarmTopicKey', { description: keyDescription, enableKeyRotation: true });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  return new sns.Topic(scope, 'AlarmTopic', { displayName, masterKey: key, enforceSSL: true });
}
