/** The capture Lambda's environment, validated once at cold start so a misconfiguration fails loudly. */
import { HANDLER_ENV } from '../shared/model';
import { DEFAULT_METRICS_NAMESPACE } from '../shared/telemetry';
import { DEFAULT_TOMBSTONE_TTL_SECONDS } from './capture-handler';

/** Environment variable names; the RegistryCapture construct sets these. */
export const CAPTURE_ENV = {
  journalTableName: HANDLER_ENV.journalTableName,
  echoLedgerTableName: HANDLER_ENV.echoLedgerTableName,
  deadLetterQueueUrl: HANDLER_ENV.deadLetterQueueUrl,
  tombstoneTtlSeconds: HANDLER_ENV.tombstoneTtlSeconds,
  metricsNamespace: HANDLER_ENV.metricsNamespace,
} as const;

export interface CaptureConfig {
  readonly journalTableName: string;
  readonly echoLedgerTableName: string;
  readonly deadLetterQueueUrl: string;
  /** The Lambda's own region (`AWS_REGION`), recorded as every captured change's origin. */
  readonly region: string;
  readonly tombstoneTtlSeconds: number;
  readonly metricsNamespace: string;
}

export function readCaptureConfig(env: Readonly<Record<string, string | undefined>>): CaptureConfig {
  const required = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`capture Lambda: environment variable ${name} is required`);
    return v;
  };
  const ttlRaw = env[CAPTURE_ENV.tombstoneTtlSeconds];
  const tombstoneTtlSeconds = ttlRaw ? Number(ttlRaw) : DEFAULT_TOMBSTONE_TTL_SECONDS;
  if (!Number.isSafeInteger(tombstoneTtlSeconds) || tombstoneTtlSeconds <= 0) {
    throw new Error(`capture Lambda: ${CAPTURE_ENV.tombstoneTtlSeconds} must be a positive whole number of seconds, got '${ttlRaw}'`);
  }
  return {
    journalTableName: required(CAPTURE_ENV.journalTableName),
    echoLedgerTableName: required(CAPTURE_ENV.echoLedgerTableName),
    deadLetterQueueUrl: required(CAPTURE_ENV.deadLetterQueueUrl),
    region: required('AWS_REGION'),
    tombstoneTtlSeconds,
    metricsNamespace: env[CAPTURE_ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE,
  };
}
