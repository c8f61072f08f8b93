/** The forwarder's environment, validated once at cold start so a misconfiguration fails loudly. */
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT, HANDLER_ENV, TELEMETRY_ENV } from '../contract';

export interface TelemetryConfig {
  readonly region: string;
  readonly eventBusArn: string;
  readonly endpointUrl: string;
  readonly endpointId?: string;
  readonly bufferQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly maxReceiveCount: number;
  readonly metricsNamespace: string;
}

export function readTelemetryConfig(env: Readonly<Record<string, string | undefined>>): TelemetryConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`telemetry forwarder Lambda: environment variable ${name} must be set`);
    return value;
  };
  const rawCount = env[HANDLER_ENV.maxReceiveCount];
  const maxReceiveCount = rawCount ? Number(rawCount) : DEFAULT_TELEMETRY_MAX_RECEIVE_COUNT;
  if (!Number.isSafeInteger(maxReceiveCount) || maxReceiveCount < 1) {
    throw new Error(`telemetry forwarder Lambda: ${HANDLER_ENV.maxReceiveCount} must be a positive whole number, got '${rawCount}'`);
  }
  const endpointUrl = required(TELEMETRY_ENV.endpointUrl);
  try {
    new URL(endpointUrl);
  } catch {
    throw new Error(`telemetry forwarder Lambda: ${TELEMETRY_ENV.endpointUrl} must be a URL, got '${endpointUrl}'`);
  }
  return {
    region: required('AWS_REGION'),
    eventBusArn: required(TELEMETRY_ENV.eventBusArn),
    endpointUrl,
    ...(env[TELEMETRY_ENV.endpointId] ? { endpointId: env[TELEMETRY_ENV.endpointId] } : {}),
    bufferQueueUrl: required(TELEMETRY_ENV.bufferQueueUrl),
    deadLetterQueueUrl: required(HANDLER_ENV.deadLetterQueueUrl),
    maxReceiveCount,
    metricsNamespace: env[HANDLER_ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE,
  };
}
