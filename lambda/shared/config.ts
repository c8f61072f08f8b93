/**
 * What every handler reads from its environment, and the AWS clients it builds from it. Read once per
 * container at module load, so a misconfigured function fails loudly on its first invocation, naming the
 * variable. Names and defaults are the constructs' too: lambda/contract/env.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_METRICS_NAMESPACE, HANDLER_ENV } from '../contract';

export type Environment = Readonly<Record<string, string | undefined>>;

/** The Lambda runtime sets it to the function's region. */
const REGION_ENV = 'AWS_REGION';

/** Reads one handler's environment; errors name the handler and the variable. */
export class HandlerEnvironment {
  constructor(
    private readonly env: Environment,
    /** e.g. 'capture', for error messages. */
    private readonly handler: string,
  ) {}

  required(name: string): string {
    const value = this.env[name];
    if (!value) throw new Error(`${this.handler} Lambda: environment variable ${name} must be set`);
    return value;
  }

  /** A positive whole number of seconds, or `fallback` when unset. */
  seconds(name: string, fallback: number): number {
    const raw = this.env[name];
    if (!raw) return fallback;
    const seconds = Number(raw);
    if (!Number.isSafeInteger(seconds) || seconds <= 0) {
      throw new Error(`${this.handler} Lambda: ${name} must be a positive whole number of seconds, got '${raw}'`);
    }
    return seconds;
  }

  optional(name: string, fallback: string): string {
    return this.env[name] || fallback;
  }
}

/** What capture and replay both read: where they are, the journal and echo ledger, the metrics namespace. */
export interface JournalHandlerConfig {
  /** The function's own region (`AWS_REGION`): capture's origin of every change, the region replay writes. */
  readonly region: string;
  readonly journalTableName: string;
  readonly echoLedgerTableName: string;
  readonly metricsNamespace: string;
}

export function readJournalHandlerConfig(env: HandlerEnvironment): JournalHandlerConfig {
  return {
    region: env.required(REGION_ENV),
    journalTableName: env.required(HANDLER_ENV.journalTableName),
    echoLedgerTableName: env.required(HANDLER_ENV.echoLedgerTableName),
    metricsNamespace: env.optional(HANDLER_ENV.metricsNamespace, DEFAULT_METRICS_NAMESPACE),
  };
}

/**
 * The document client's marshalling, the same for every handler: journal states have optional fields,
 * which are omitted rather than refused.
 */
export const DOCUMENT_TRANSLATE_CONFIG: TranslateConfig = { marshallOptions: { removeUndefinedValues: true } };

export function createDocumentClient(region: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region }), DOCUMENT_TRANSLATE_CONFIG);
}

export interface IotClientOptions {
  /** SDK attempts per call. @default the SDK's default */
  readonly maxAttempts?: number;
}

export function createIotClient(region: string, options: IotClientOptions = {}): IoTClient {
  return new IoTClient({ region, ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}) });
}
