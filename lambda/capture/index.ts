/**
 * Capture Lambda: AWS IoT registry events (via IoT rules → SQS) into the replication journal.
 * Wiring only; the pipeline is in capture-handler.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EchoLedger } from '../shared/echo-ledger';
import { JournalStore } from '../shared/journal-store';
import { createCaptureHandler } from './capture-handler';
import { readCaptureConfig } from './config';
import { sqsDeadLetters } from './dead-letters';
import { iotRegistryReader } from './registry-reader';

const config = readCaptureConfig(process.env);
const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
const sqs = new SQSClient({});
const iot = new IoTClient({});

export const handler = createCaptureHandler({
  journal: new JournalStore(dynamo, config.journalTableName),
  ledger: new EchoLedger(dynamo, config.echoLedgerTableName),
  deadLetters: sqsDeadLetters(sqs, config.deadLetterQueueUrl),
  iot: iotRegistryReader(iot),
  region: config.region,
  tombstoneTtlSeconds: config.tombstoneTtlSeconds,
  metricsNamespace: config.metricsNamespace,
});
