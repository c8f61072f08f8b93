/**
 * Telemetry forwarder Lambda: the telemetry buffer (SQS, filled by an IoT topic rule) → PutEvents to the
 * analytics bus, through its global endpoint (SigV4a) or in this region (SigV4). Wiring only; the logic is
 * in forwarder.ts.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { credentialsFromEnv } from '../shared/signed-request';
import { sqsBufferQueue } from './buffer-queue';
import { readTelemetryConfig } from './config';
import { createTelemetryForwarder } from './forwarder';
import { createPutEvents } from './put-events';

/** A PutEvents request without an answer by then is abandoned and retried (the entries stay in the buffer). */
const PUT_EVENTS_TIMEOUT_MS = 5000;

const config = readTelemetryConfig(process.env);
const sqs = new SQSClient({ region: config.region });

export const handler = createTelemetryForwarder({
  putEvents: createPutEvents({
    url: config.endpointUrl,
    endpointId: config.endpointId,
    region: config.region,
    credentials: credentialsFromEnv(),
    timeoutMs: PUT_EVENTS_TIMEOUT_MS,
  }),
  queue: sqsBufferQueue(sqs, config.bufferQueueUrl, config.deadLetterQueueUrl),
  eventBusArn: config.eventBusArn,
  region: config.region,
  maxReceiveCount: config.maxReceiveCount,
  metricsNamespace: config.metricsNamespace,
});
