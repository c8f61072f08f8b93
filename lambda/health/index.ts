/**
 * The health bundle: two API Gateway handlers (export names in HANDLERS, lambda/contract/handlers.ts).
 * - `regionalHealth`: a workload account's regional health API (IoT data-plane round trip, registry read,
 *   user checks, readiness);
 * - `aggregateHealth`: the shared-services aggregator Route 53 calls.
 * Each reads its own environment on its first call (the two functions share this bundle, not their
 * settings); the clients are created once, and no health state outlives an invocation.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { HEALTH_CHECK_KINDS, HealthCheckSpec, healthTopic } from '../contract';
import { createAggregator } from './aggregator';
import { readAggregatorConfig, readRegionalHealthConfig } from './config';
import { ManualModeCache, ssmParameterReader } from './manual-mode';
import { iotDataPlaneProbe, iotRegistryProbe, lambdaProbe, urlProbe } from './regional-checks';
import { readReadiness } from './readiness';
import { createRegionalHealth } from './regional-health';
import { Probe } from './run-checks';
import { credentialsFromEnv, sendSigned } from '../shared/signed-request';

/** The SDK's own retries would outlast the check timeout: one attempt, the next health call is the retry. */
const SDK_OPTIONS = { maxAttempts: 1 } as const;

function once<T>(build: () => T): () => T {
  let value: { readonly built: T } | undefined;
  return () => (value ??= { built: build() }).built;
}

const regional = once(() => {
  const config = readRegionalHealthConfig(process.env);
  const region = config.region;
  const iot = new IoTClient({ region, ...SDK_OPTIONS });
  const lambda = new LambdaClient({ region, ...SDK_OPTIONS });
  // The data-plane endpoint is the account's address, not health state: looked up once, again after a failure.
  let dataClient: Promise<IoTDataPlaneClient> | undefined;
  const data = (): Promise<IoTDataPlaneClient> =>
    (dataClient ??= (async () => {
      const endpoint =
        config.iotDataEndpoint ??
        `https://${(await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }))).endpointAddress}`;
      return new IoTDataPlaneClient({ region, endpoint, ...SDK_OPTIONS });
    })().catch((error: unknown) => {
      dataClient = undefined;
      throw error;
    }));
  const probeFor = (spec: HealthCheckSpec): Probe => {
    switch (spec.kind) {
      case HEALTH_CHECK_KINDS.iotDataPlane:
        return iotDataPlaneProbe({ name: spec.name, topic: healthTopic(region), client: data });
      case HEALTH_CHECK_KINDS.iotRegistry:
        return iotRegistryProbe({ name: spec.name, client: iot });
      case HEALTH_CHECK_KINDS.lambda:
        return lambdaProbe({ name: spec.name, functionName: spec.target ?? '', client: lambda });
      default:
        return urlProbe({ name: spec.name, url: spec.target ?? '' });
    }
  };
  const reportsReadiness = config.checks.some((c) => c.kind === HEALTH_CHECK_KINDS.iotDataPlane);
  const cloudwatch = new CloudWatchClient({ region, ...SDK_OPTIONS });
  const sqs = config.parkingQueueUrl ? new SQSClient({ region, ...SDK_OPTIONS }) : undefined;
  return createRegionalHealth({
    region,
    checks: config.checks,
    checkTimeoutMs: config.checkTimeoutMs,
    probeFor,
    ...(reportsReadiness
      ? {
          readiness: (signal: AbortSignal) =>
            readReadiness(
              { cloudwatch, metricsNamespace: config.metricsNamespace, ...(sqs ? { sqs, parkingQueueUrl: config.parkingQueueUrl } : {}) },
              signal,
            ),
        }
      : {}),
  });
});

const aggregator = once(() => {
  const config = readAggregatorConfig(process.env);
  const credentials = credentialsFromEnv();
  const manualMode = new ManualModeCache({
    read: ssmParameterReader({
      parameterName: config.manualModeParameterName,
      region: config.region,
      credentials,
      timeoutMs: config.healthApiTimeoutMs,
      // The SDK's own endpoint override variables, honoured as an SDK client would.
      ...(process.env.AWS_ENDPOINT_URL_SSM || process.env.AWS_ENDPOINT_URL
        ? { endpoint: process.env.AWS_ENDPOINT_URL_SSM || process.env.AWS_ENDPOINT_URL }
        : {}),
    }),
    ttlMs: config.manualModeCacheMs,
  });
  return createAggregator({
    region: config.region,
    role: config.role,
    healthApis: config.healthApis,
    healthApiTimeoutMs: config.healthApiTimeoutMs,
    verdictCacheMs: config.verdictCacheMs,
    manualMode: () => manualMode.get(),
    callHealthApi: (api, signal) =>
      sendSigned({ url: api.url, method: 'GET', service: 'execute-api', region: config.region, signal }, credentials),
  });
});

export const regionalHealth = (): Promise<APIGatewayProxyResult> => regional().handler();
export const aggregateHealth = (): Promise<APIGatewayProxyResult> => aggregator().handler();
