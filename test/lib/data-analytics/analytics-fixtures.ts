import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { logAndTrace } from '../../../lib/private/state-machine-logging';

export const IOT_ACCOUNT = '333333333333';

/** The example Kinesis target: encrypted with the AWS managed `aws/kinesis` key (cdk-nag KDS1, KDS3). */
export function exampleStream(stack: Stack, id = 'Telemetry'): kinesis.Stream {
  return new kinesis.Stream(stack, id, { encryption: kinesis.StreamEncryption.MANAGED, retentionPeriod: Duration.hours(24) });
}

/** A Kinesis stream encrypted with a customer managed key: its producers need `kms:GenerateDataKey`. */
export function customerKeyStream(stack: Stack, id = 'Sensitive'): kinesis.Stream {
  const key = new kms.Key(stack, `${id}StreamKey`, { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
  return new kinesis.Stream(stack, id, { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key });
}

/** The example Step Functions target: an Express state machine, logged (ALL) and traced as cdk-nag SF1/SF2 ask. */
export function exampleStateMachine(stack: Stack, id = 'Enrich'): sfn.StateMachine {
  const machine = new sfn.StateMachine(stack, id, {
    stateMachineType: sfn.StateMachineType.EXPRESS,
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, `${id}Pass`)),
  });
  logAndTrace(stack, machine, {
    logGroupId: `${id}Logs`,
    policyPrefix: id,
    level: sfn.LogLevel.ALL,
    includeExecutionData: true,
    logRetention: logs.RetentionDays.ONE_WEEK,
    levelReason: 'unused: level ALL',
  });
  return machine;
}
