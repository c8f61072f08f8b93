/**
 * Capture Lambda: this region's IoT registry events (IoT rules → SQS), CloudTrail management events of
 * device identities (EventBridge → SQS) and, when enabled, shadow documents (IoT rules → SQS) into the
 * replication journal. Wiring only; the pipeline is in capture-handler.ts.
 */
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient, createIotClient } from '../shared/config';
import { EchoLedgerStore } from '../shared/echo-ledger-store';
import { JournalStore } from '../shared/journal-store';
import { iotRegistryReader } from '../shared/registry-adapter';
import { createCaptureHandler } from './capture-handler';
import { readCaptureConfig } from './config';
import { sqsDeadLetters } from './dead-letters';
import { iotIdentityReader } from './identity-capture';

const config = readCaptureConfig(process.env);
const dynamo = createDocumentClient(config.region);
const sqs = new SQSClient({ region: config.region });
const iot = createIotClient(config.region);
const dataPlane = new IoTDataPlaneClient({ region: config.region });

export const handler = createCaptureHandler({
  journal: new JournalStore(dynamo, config.journalTableName),
  ledger: new EchoLedgerStore(dynamo, config.echoLedgerTableName),
  deadLetters: sqsDeadLetters(sqs, config.deadLetterQueueUrl),
  iot: iotRegistryReader(iot),
  identities: iotIdentityReader(iot, dataPlane, { region: config.region, accountId: config.accountId }),
  ownRoles: config.ownRoles,
  shadowsEnabled: config.shadowsEnabled,
  maxReceiveCount: config.maxReceiveCount,
  region: config.region,
  tombstoneTtlSeconds: config.tombstoneTtlSeconds,
  metricsNamespace: config.metricsNamespace,
});
