/**
 * Builds replay dependencies from the environment the RegistryReplay construct sets. Called once per
 * Lambda container, at module load, so clients and connections are reused across invocations.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EchoLedger } from '../echo-ledger';
import { JournalStore } from '../journal-store';
import { HANDLER_ENV } from '../model';
import { DEFAULT_METRICS_NAMESPACE } from '../telemetry';
import type { ReplayDeps } from './common';

/** Environment variables the replay Lambdas read; the constructs set them. */
export const REPLAY_ENV = {
  journalTable: HANDLER_ENV.journalTableName,
  echoLedgerTable: HANDLER_ENV.echoLedgerTableName,
  echoTtlSeconds: HANDLER_ENV.echoTtlSeconds,
  metricsNamespace: HANDLER_ENV.metricsNamespace,
  region: 'AWS_REGION',
} as const;

const DEFAULT_ECHO_TTL_SECONDS = 3600;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} must be set`);
  return value;
}

export function replayDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ReplayDeps {
  const region = required(env, REPLAY_ENV.region);
  const ttlRaw = env[REPLAY_ENV.echoTtlSeconds];
  const ttlSeconds = ttlRaw ? Number(ttlRaw) : DEFAULT_ECHO_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new Error(`${REPLAY_ENV.echoTtlSeconds} must be a positive whole number of seconds, got '${ttlRaw}'`);
  }
  // Few, short SDK retries: the state machine does the long backoff with jitter.
  const iot = new IoTClient({ region, maxAttempts: 3 });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region }));
  return {
    iot,
    journal: new JournalStore(doc, required(env, REPLAY_ENV.journalTable)),
    ledger: new EchoLedger(doc, required(env, REPLAY_ENV.echoLedgerTable), { ttlSeconds }),
    region,
    now: Date.now,
    metricsNamespace: env[REPLAY_ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE,
  };
}
