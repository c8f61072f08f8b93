import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { ReplaySettings } from './registry-replay-props';
import { replayKinds } from './replay-kinds';
import { DEAD_LETTER_RETRY, DEAD_LETTER_SEND_TIMEOUT, DEPENDENCY_RETRY, EXPRESS_LIMIT, TRANSIENT_RETRY, retryProps } from './retry-policies';
import { REPLAY_STATE_NAMES } from './state-names';
import { FIRST_PARKING_DELAY_SECONDS, HEARTBEAT_KEY_PREFIX, JOURNAL_ATTR, PARKED_ERRORS, UNKNOWN_ENTITY_KIND_ERROR } from '../../lambda/contract';
import { acknowledgeWildcardResource } from '../private/acknowledge';
import { logAndTrace } from '../private/state-machine-logging';

/** What the workflow is wired to. */
export interface ReplayWorkflowWiring {
  /** Replay functions by state name (one per kind of `replayKinds(settings)`). */
  readonly functions: { readonly [stateName: string]: lambda.IFunction };
  /** Records the arrival of the peer's heartbeat items. */
  readonly heartbeatFunction: lambda.IFunction;
  /** Where items that failed for a reason that may pass wait to be retried. */
  readonly parkingQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly settings: ReplaySettings;
}

/**
 * The Express state machine replaying one batch of stream records: a Map over the records, a Choice on
 * each journal key's kind, one Lambda task per kind with the Retry rules of `retry-policies.ts`, then a
 * Catch that parks what may pass (`PARKED_ERRORS`) and dead-letters the rest, with its reason, as do keys
 * of no known kind. States are created in `scope` under their `REPLAY_STATE_NAMES`.
 */
export function createReplayWorkflow(scope: Construct, wiring: ReplayWorkflowWiring): sfn.StateMachine {
  const sendToParkingQueue = parkingSteps(scope, wiring.parkingQueue);
  const sendToDeadLetterQueue = deadLetterSteps(scope, wiring.deadLetterQueue);
  const route = new sfn.Choice(scope, REPLAY_STATE_NAMES.routeByEntityKind);
  // The peer's heartbeat: its arrival is measured, nothing is written; a failure drops it (the next one
  // comes within a minute, and the missing lag data raises the alarms), it is never parked or dead-lettered.
  const heartbeat = new tasks.LambdaInvoke(scope, REPLAY_STATE_NAMES.replayHeartbeat, {
    lambdaFunction: wiring.heartbeatFunction,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  })
    .addRetry(retryProps(TRANSIENT_RETRY))
    .addCatch(new sfn.Succeed(scope, REPLAY_STATE_NAMES.heartbeatDropped), { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  route.when(sfn.Condition.stringMatches('$.key', `${HEARTBEAT_KEY_PREFIX}*`), heartbeat);
  for (const kind of replayKinds(wiring.settings)) {
    const invoke = new tasks.LambdaInvoke(scope, kind.stateName, {
      lambdaFunction: wiring.functions[kind.stateName],
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    })
      .addRetry(retryProps(DEPENDENCY_RETRY))
      .addRetry(retryProps(TRANSIENT_RETRY))
      .addCatch(sendToParkingQueue, { errors: [...PARKED_ERRORS], resultPath: '$.error' })
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
    // Builds the handlers' ReplayTaskInput from the stream record's keys and new image. The origin region is
    // not selected: a record without one must reach the handler (which dead-letters it), not fail the batch.
    itemSelector: {
      key: sfn.JsonPath.stringAt(`${record}.Keys.${JOURNAL_ATTR.sortKey}.S`),
      partition: sfn.JsonPath.stringAt(`${record}.Keys.${JOURNAL_ATTR.partitionKey}.S`),
      version: sfn.JsonPath.stringAt(`${record}.NewImage.${JOURNAL_ATTR.version}.S`),
      eventTime: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt(`${record}.NewImage.${JOURNAL_ATTR.eventTime}.N`)),
    },
  });
  eachRecord.itemProcessor(route);

  const { settings } = wiring;
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineType: sfn.StateMachineType.EXPRESS,
    definitionBody: sfn.DefinitionBody.fromChainable(eachRecord),
    timeout: EXPRESS_LIMIT,
    comment: "cdk-iot-dr: replays journal stream records from the other region into this region's IoT registry",
  });
  logAndTrace(scope, stateMachine, {
    logGroupId: 'WorkflowLogs',
    policyPrefix: 'Workflow',
    level: settings.workflowLogLevel,
    includeExecutionData: settings.includeExecutionData,
    logRetention: settings.logRetention,
    logEncryptionKey: settings.logEncryptionKey,
    levelReason:
      'Logs errors by default (workflowLogLevel): every state of every batch would log registry states at ALL; ' +
      'X-Ray traces every execution and the pipe logs failed batches.',
  });
  for (const fn of [...Object.values(wiring.functions), wiring.heartbeatFunction]) {
    // Invoke permissions cover the function and its versions/aliases (`<arn>:*`); only $LATEST is invoked.
    acknowledgeWildcardResource(
      stateMachine.role,
      `${fn.functionArn}:*`,
      "Granted by LambdaInvoke for the function's versions and aliases; the role may invoke only this replay function.",
    );
  }
  return stateMachine;
}

/** What both queues carry about a failed item (the `ParkedItem` shape of lambda/contract/parking.ts). */
function failedItem(): Record<string, unknown> {
  return {
    key: sfn.JsonPath.stringAt('$.key'),
    partition: sfn.JsonPath.stringAt('$.partition'),
    version: sfn.JsonPath.stringAt('$.version'),
    eventTime: sfn.JsonPath.numberAt('$.eventTime'),
    // The workflow's retries count as one attempt; the Catch target's entry time is when they gave up.
    attempt: 1,
    firstFailedAt: sfn.JsonPath.stringAt('$$.State.EnteredTime'),
    error: sfn.JsonPath.stringAt('$.error.Error'),
    cause: sfn.JsonPath.stringAt('$.error.Cause'),
  };
}

/** The parking send shared by every Catch of a transient error, then a successful end. */
function parkingSteps(scope: Construct, parkingQueue: sqs.IQueue): sfn.TaskStateBase {
  const send = new tasks.SqsSendMessage(scope, REPLAY_STATE_NAMES.sendToParkingQueue, {
    queue: parkingQueue,
    messageBody: sfn.TaskInput.fromObject(failedItem()),
    delay: Duration.seconds(FIRST_PARKING_DELAY_SECONDS),
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(DEAD_LETTER_SEND_TIMEOUT),
  }).addRetry(retryProps(DEAD_LETTER_RETRY));
  send.next(new sfn.Succeed(scope, REPLAY_STATE_NAMES.parked));
  return send;
}

/** The dead-letter send shared by the Catch of everything else and by unknown kinds, then a successful end. */
function deadLetterSteps(scope: Construct, deadLetterQueue: sqs.IQueue): sfn.TaskStateBase {
  const send = new tasks.SqsSendMessage(scope, REPLAY_STATE_NAMES.sendToDeadLetterQueue, {
    queue: deadLetterQueue,
    messageBody: sfn.TaskInput.fromObject({
      ...failedItem(),
      reason: sfn.JsonPath.stringAt('$.error.Error'),
      deadLetteredAt: sfn.JsonPath.stringAt('$$.State.EnteredTime'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(DEAD_LETTER_SEND_TIMEOUT),
  }).addRetry(retryProps(DEAD_LETTER_RETRY));
  send.next(new sfn.Succeed(scope, REPLAY_STATE_NAMES.deadLettered));
  return send;
}
