import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ReplaySettings } from './registry-replay-props';
import { type OtherReplayPermission, replayKinds } from './replay-kinds';
import { grantOtherPermission, replayBundleEnvironment } from './replay-functions';
import { HANDLER_ENV, PARKING_ENV } from '../../lambda/contract';
import type { IEchoLedger } from '../journal/echo-ledger';
import type { IReplicationJournal } from '../journal/replication-journal';
import { acknowledgeWildcardResource } from '../private/acknowledge';
import { HandlerFunction } from '../private/handler-function';
import { type IotRegistryResource, iotResourceArn } from '../private/iot';

/**
 * Receives of one parked message before SQS moves it to the dead-letter queue. The consumer always moves
 * a message on itself (re-parked or dead-lettered with its reason); only an invocation that keeps crashing
 * before it can (out of memory, say) reaches this limit.
 */
export const PARKING_MAX_RECEIVES = 10;

/** Parked messages per invocation of the parking consumer. */
export const PARKING_BATCH_SIZE = 10;

/** Concurrent invocations of the parking consumer: the slow path must not crowd out live replay at IoT. */
export const PARKING_MAX_CONCURRENCY = 2;

/** Both replay queues: encrypted as told, TLS only, kept for 14 days and kept when the stack is deleted. */
export function replayQueueProps(encryptionKey: kms.IKey | undefined): sqs.QueueProps {
  return {
    encryption: encryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED,
    encryptionMasterKey: encryptionKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.RETAIN,
  };
}

/** Timeout of the parking consumer: room for one replay attempt of every message of a batch at once, and the sends after. */
export function parkingFunctionTimeout(settings: ReplaySettings): Duration {
  return Duration.seconds(settings.handlerTimeout.toSeconds() * 2);
}

/** The parking queue: its own consumer moves every message on; repeated crashes end in the dead-letter queue. */
export function createParkingQueue(scope: Construct, settings: ReplaySettings, encryptionKey: kms.IKey | undefined, deadLetterQueue: sqs.IQueue): sqs.Queue {
  return new sqs.Queue(scope, 'ParkingQueue', {
    ...replayQueueProps(encryptionKey),
    ...(settings.parkingQueueName !== undefined ? { queueName: settings.parkingQueueName } : {}),
    // Six times the consumer's timeout, as Lambda recommends for SQS event sources.
    visibilityTimeout: Duration.seconds(parkingFunctionTimeout(settings).toSeconds() * 6),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: PARKING_MAX_RECEIVES },
  });
}

export interface ParkingConsumerWiring {
  readonly journal: IReplicationJournal;
  readonly echoLedger: IEchoLedger;
  readonly parkingQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly settings: ReplaySettings;
}

/**
 * The parking queue's consumer: replays parked items of every kind the workflow routes, so its role holds
 * the union of those replay functions' permissions, plus sends to both queues.
 */
export function createParkingConsumer(scope: Construct, wiring: ParkingConsumerWiring): lambda.Function {
  const { journal, echoLedger, parkingQueue, deadLetterQueue, settings } = wiring;
  const handler = new HandlerFunction(scope, 'ReplayParkedFunction', {
    handler: 'replayParked',
    description: "Retries parked replays of the other region's changes with growing delays (cdk-iot-dr)",
    timeout: parkingFunctionTimeout(settings),
    logRetention: settings.logRetention,
    logEncryptionKey: settings.logEncryptionKey,
    environment: {
      [HANDLER_ENV.journalTableName]: journal.tableName,
      [HANDLER_ENV.echoLedgerTableName]: echoLedger.tableName,
      [HANDLER_ENV.echoTtlSeconds]: String(settings.echoTtl.toSeconds()),
      [HANDLER_ENV.metricsNamespace]: settings.metricsNamespace,
      [HANDLER_ENV.deadLetterQueueUrl]: deadLetterQueue.queueUrl,
      [PARKING_ENV.parkingQueueUrl]: parkingQueue.queueUrl,
      [PARKING_ENV.retentionSeconds]: String(settings.parkingRetention.toSeconds()),
      ...replayBundleEnvironment(scope, settings, parkingFunctionTimeout(settings)),
    },
  });
  const role = handler.role;
  const kinds = replayKinds(settings);
  journal.grantReadItems(role, { query: kinds.some((k) => k.queriesJournal) });
  // grantRecord's UpdateItem on the ledger covers the shared rate limiter's `rate#` windows too.
  echoLedger.grantRecord(role);
  // SendMessage only (grantSendMessages adds GetQueueAttributes and GetQueueUrl the handler never calls).
  for (const queue of [parkingQueue, deadLetterQueue]) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    queue.encryptionMasterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
  }
  const actionsByResource = new Map<IotRegistryResource, Set<string>>();
  const otherByResource = new Map<OtherReplayPermission['resource'], Set<string>>();
  for (const kind of kinds) {
    for (const { resource, actions } of kind.permissions) {
      const set = actionsByResource.get(resource) ?? new Set<string>();
      actions.forEach((a) => set.add(a));
      actionsByResource.set(resource, set);
    }
    for (const { resource, actions } of kind.otherPermissions ?? []) {
      const set = otherByResource.get(resource) ?? new Set<string>();
      actions.forEach((a) => set.add(a));
      otherByResource.set(resource, set);
    }
  }
  for (const [resource, actions] of actionsByResource) {
    const arn = iotResourceArn(scope, resource);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions].sort(), resources: [arn] }));
    acknowledgeWildcardResource(role, arn, `Parked replays recreate whichever ${resource} the other region journaled; names are not known at deploy time.`);
  }
  for (const [resource, actions] of otherByResource) grantOtherPermission(handler, { resource, actions: [...actions].sort() });
  handler.function.addEventSource(
    new sources.SqsEventSource(parkingQueue, {
      batchSize: PARKING_BATCH_SIZE,
      reportBatchItemFailures: true,
      maxConcurrency: PARKING_MAX_CONCURRENCY,
    }),
  );
  return handler.function;
}
