/**
 * Capture Lambda: AWS IoT registry events (via IoT rules → SQS) into the replication journal.
 * Wiring only; the pipeline is in capture-handler.ts.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient, createIotClient } from '../shared/config';
import { EchoLedgerStore } from '../shared/echo-ledger-store';
import { JournalStore } from '../shared/journal-store';
import { iotRegistryReader } from '../shared/registry-adapter';
import { createCaptureHandler } from './capture-handler';
import { readCaptureConfig } from './config';
import { sqsDeadLetters } from './dead-letters';

const config = readCaptureConfig(process.env);
const dynamo = createDocumentClient(config.region);
const sqs = new SQSClient({ region: config.region });
const iot = createIotClient(config.region);

export const handler = createCaptureHandler({
  journal: new JournalStore(dynamo, config.journalTableName),
  ledger: new EchoLedgerStore(dynamo, config.echoLedgerTableName),
  deadLetters: sqsDeadLetters(sqs, config.deadLetterQueueUrl),
  iot: iotRegistryReader(iot),
  region: config.region,
  tombstoneTtlSeconds: config.tombstoneTtlSeconds,
  metricsNamespace: config.metricsNamespace,
});
