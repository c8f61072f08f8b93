import { RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { ReplaySettings } from './registry-replay-props';
import { REPLAY_KINDS } from './replay-kinds';
import { DEAD_LETTER_RETRY, DEAD_LETTER_SEND_TIMEOUT, DEPENDENCY_RETRY, EXPRESS_LIMIT, TRANSIENT_RETRY, retryProps } from './retry-policies';
import { REPLAY_STATE_NAMES } from './state-names';
import { JOURNAL_ATTR, UNKNOWN_ENTITY_KIND_ERROR } from '../../lambda/contract';
import { acknowledgeFinding, acknowledgeWildcardResource } from '../private/acknowledge';

/** What the workflow is wired to. */
export interface ReplayWorkflowWiring {
  /** Replay functions by state name (one per entry of `REPLAY_KINDS`). */
  readonly functions: { readonly [stateName: string]: lambda.IFunction };
  readonly deadLetterQueue: sqs.IQueue;
  readonly settings: ReplaySettings;
}

/**
 * The Express state machine replaying one batch of stream records: a Map over the records, a Choice on
 * each journal key's kind, one Lambda task per kind with the Retry rules of `retry-policies.ts`, and a
 * dead-letter send shared by every Catch and by keys of no known kind. States are created in `scope`
 * under their `REPLAY_STATE_NAMES`.
 */
export function createReplayWorkflow(scope: Construct, wiring: ReplayWorkflowWiring): sfn.StateMachine {
  const sendToDeadLetterQueue = deadLetterSteps(scope, wiring.deadLetterQueue);
  const route = new sfn.Choice(scope, REPLAY_STATE_NAMES.routeByEntityKind);
  for (const kind of REPLAY_KINDS) {
    const invoke = new tasks.LambdaInvoke(scope, kind.stateName, {
      lambdaFunction: wiring.functions[kind.stateName],
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    })
      .addRetry(retryProps(DEPENDENCY_RETRY))
      .addRetry(retryProps(TRANSIENT_RETRY))
      .addCatch(sendToDeadLetterQueue, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    route.when(sfn.Condition.stringMatches('$.key', kind.keyPattern), invoke);
  }
  route.otherwise(
    new sfn.Pass(scope, REPLAY_STATE_NAMES.markUnknownEntityKind, {
      parameters: {
        Error: UNKNOWN_ENTITY_KIND_ERROR,
        Cause: sfn.JsonPath.format('No replay handler for journal key {}', sfn.JsonPath.stringAt('$.key')),
      },
      resultPath: '$.error',
    }).next(sendToDeadLetterQueue),
  );

  const record = '$$.Map.Item.Value.dynamodb';
  const eachRecord = new sfn.Map(scope, REPLAY_STATE_NAMES.replayEachRecord, {
    itemsPath: sfn.JsonPath.entirePayload,
    maxConcurrency: wiring.settings.batchSize,
    // Builds the handlers' ReplayTaskInput from the stream record's keys and new image.
    itemSelector: {
      key: sfn.JsonPath.stringAt(`${record}.Keys.${JOURNAL_ATTR.sortKey}.S`),
      partition: sfn.JsonPath.stringAt(`${record}.Keys.${JOURNAL_ATTR.partitionKey}.S`),
      version: sfn.JsonPath.stringAt(`${record}.NewImage.${JOURNAL_ATTR.version}.S`),
      originRegion: sfn.JsonPath.stringAt(`${record}.NewImage.${JOURNAL_ATTR.originRegion}.S`),
      eventTime: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt(`${record}.NewImage.${JOURNAL_ATTR.eventTime}.N`)),
    },
  });
  eachRecord.itemProcessor(route);

  const workflowLogs = new logs.LogGroup(scope, 'WorkflowLogs', { retention: wiring.settings.logRetention, removalPolicy: RemovalPolicy.RETAIN });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineType: sfn.StateMachineType.EXPRESS,
    definitionBody: sfn.DefinitionBody.fromChainable(eachRecord),
    timeout: EXPRESS_LIMIT,
    tracingEnabled: true,
    logs: { destination: workflowLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
    comment: "cdk-iot-dr: replays journal stream records from the other region into this region's IoT registry",
  });
  for (const fn of Object.values(wiring.functions)) {
    // Invoke permissions cover the function and its versions/aliases (`<arn>:*`); only $LATEST is invoked.
    acknowledgeWildcardResource(
      stateMachine.role,
      `${fn.functionArn}:*`,
      "Granted by LambdaInvoke for the function's versions and aliases; the role may invoke only this replay function.",
    );
  }
  acknowledgeFinding(
    stateMachine.role,
    'AwsSolutions-IAM5[Resource::*]',
    'Log delivery (logs:CreateLogDelivery and friends) and X-Ray (xray:PutTraceSegments) support no resource-level permissions.',
  );
  return stateMachine;
}

/** The dead-letter send shared by every Catch and by unknown kinds, then a successful end. */
function deadLetterSteps(scope: Construct, deadLetterQueue: sqs.IQueue): sfn.TaskStateBase {
  const send = new tasks.SqsSendMessage(scope, REPLAY_STATE_NAMES.sendToDeadLetterQueue, {
    queue: deadLetterQueue,
    messageBody: sfn.TaskInput.fromObject({
      key: sfn.JsonPath.stringAt('$.key'),
      partition: sfn.JsonPath.stringAt('$.partition'),
      version: sfn.JsonPath.stringAt('$.version'),
      error: sfn.JsonPath.stringAt('$.error.Error'),
      cause: sfn.JsonPath.stringAt('$.error.Cause'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(DEAD_LETTER_SEND_TIMEOUT),
  }).addRetry(retryProps(DEAD_LETTER_RETRY));
  send.next(new sfn.Succeed(scope, REPLAY_STATE_NAMES.deadLettered));
  return send;
}
