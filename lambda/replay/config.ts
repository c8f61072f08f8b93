/**
 * The replay Lambdas' environment and the dependencies built from it. Called once per container, at
 * module load, so clients and connections are reused across invocations.
 */
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { DEFAULT_ECHO_TTL_SECONDS, HANDLER_ENV } from '../contract';
import { createDocumentClient, createIotClient, type Environment, HandlerEnvironment, type JournalHandlerConfig, readJournalHandlerConfig } from '../shared/config';
import { EchoLedgerStore } from '../shared/echo-ledger-store';
import { lambdaFunctionChecker } from '../shared/function-checker';
import { JournalStore } from '../shared/journal-store';
import { rateLimitClient, rateLimiterFromEnv } from '../shared/rate-limiter';
import type { ReplayDeps } from './common';

/** Few, short SDK retries: the state machine does the long backoff with jitter. */
const IOT_MAX_ATTEMPTS = 3;

export interface ReplayConfig extends JournalHandlerConfig {
  /** How long replay's echo fingerprints stay in the echo ledger. */
  readonly echoTtlSeconds: number;
  /** This account's id, for region-neutral ARNs. */
  readonly accountId: string;
}

export function readReplayConfig(environment: Environment): ReplayConfig {
  const env = new HandlerEnvironment(environment, 'replay');
  return {
    ...readJournalHandlerConfig(env),
    echoTtlSeconds: env.seconds(HANDLER_ENV.echoTtlSeconds, DEFAULT_ECHO_TTL_SECONDS),
    accountId: env.required(HANDLER_ENV.accountId),
  };
}

export function replayDepsFromEnv(environment: Environment = process.env): ReplayDeps {
  const config = readReplayConfig(environment);
  const doc = createDocumentClient(config.region);
  // One limiter for every IoT call of the container (registry and data plane): replay, parking and the
  // reconciler of this region share its windows in the echo ledger table.
  const limiter = rateLimiterFromEnv(environment, 'replay', doc, config.echoLedgerTableName);
  return {
    iot: rateLimitClient(createIotClient(config.region, { maxAttempts: IOT_MAX_ATTEMPTS }), limiter),
    journal: new JournalStore(doc, config.journalTableName),
    ledger: new EchoLedgerStore(doc, config.echoLedgerTableName, { ttlSeconds: config.echoTtlSeconds }),
    region: config.region,
    now: Date.now,
    metricsNamespace: config.metricsNamespace,
    identity: {
      accountId: config.accountId,
      dataPlane: rateLimitClient(new IoTDataPlaneClient({ region: config.region, maxAttempts: IOT_MAX_ATTEMPTS }), limiter),
      functions: lambdaFunctionChecker({ region: config.region }),
    },
  };
}
