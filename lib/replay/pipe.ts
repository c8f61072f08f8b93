import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ReplaySettings } from './registry-replay-props';
import { JOURNAL_ATTR } from '../../lambda/contract';
import type { IReplicationJournal } from '../journal/replication-journal';
import { allowLogsToUseKey } from '../private/service-policies';

/** What the pipe is wired to. */
export interface ReplayPipeWiring {
  readonly journal: IReplicationJournal;
  readonly stateMachine: sfn.IStateMachine;
  readonly deadLetterQueue: sqs.IQueue;
  readonly settings: ReplaySettings;
}

/**
 * The EventBridge Pipe from this region's journal stream to the replay state machine, and its role: it
 * may read the stream, start executions of that one state machine, send to the dead-letter queue and
 * write its own log group.
 */
export function createReplayPipe(scope: Construct, wiring: ReplayPipeWiring): { pipe: pipes.CfnPipe; role: iam.Role } {
  const { journal, stateMachine, deadLetterQueue, settings } = wiring;
  const stack = Stack.of(scope);
  const role = new iam.Role(scope, 'PipeRole', {
    assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description: 'Reads the journal stream and starts replay executions (cdk-iot-dr)',
  });
  journal.grantStreamRead(role);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:StartSyncExecution'], resources: [stateMachine.stateMachineArn] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }));
  deadLetterQueue.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  const pipeLogs = new logs.LogGroup(scope, 'PipeLogs', {
    retention: settings.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
    encryptionKey: settings.logEncryptionKey,
  });
  if (settings.logEncryptionKey) allowLogsToUseKey(scope, settings.logEncryptionKey);
  pipeLogs.grantWrite(role);

  // Only changes another region wrote: this region's own items were captured here and are already
  // applied. REMOVE (TTL expiry of tombstones) has no new image, so it never matches. An item naming no
  // origin region (missing, or not a string) passes too: filtered, it would vanish without a trace; replayed,
  // it is refused as malformed input and dead-lettered with its key.
  const originRegion = (matcher: unknown) => ({
    eventName: ['INSERT', 'MODIFY'],
    dynamodb: { NewImage: { [JOURNAL_ATTR.originRegion]: { S: [matcher] } } },
  });
  const filters = [originRegion({ 'anything-but': [stack.region] }), originRegion({ exists: false })];
  const pipe = new pipes.CfnPipe(scope, 'Pipe', {
    description: 'cdk-iot-dr: journal stream to the replay state machine',
    roleArn: role.roleArn,
    source: journal.streamArn,
    sourceParameters: {
      dynamoDbStreamParameters: {
        startingPosition: 'TRIM_HORIZON',
        batchSize: settings.batchSize,
        maximumBatchingWindowInSeconds: settings.maxBatchingWindow.toSeconds(),
        maximumRetryAttempts: settings.maxRetryAttempts,
        onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
        deadLetterConfig: { arn: deadLetterQueue.queueArn },
      },
      filterCriteria: { filters: filters.map((f) => ({ pattern: stack.toJsonString(f) })) },
    },
    target: stateMachine.stateMachineArn,
    targetParameters: { stepFunctionStateMachineParameters: { invocationType: 'REQUEST_RESPONSE' } },
    logConfiguration: { level: 'ERROR', cloudwatchLogsLogDestination: { logGroupArn: pipeLogs.logGroupArn } },
  });
  // The role's policy must exist before the pipe validates its source and target.
  pipe.node.addDependency(role);
  return { pipe, role };
}
