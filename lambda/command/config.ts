/** The command function's environment (names in lambda/contract/command.ts and env.ts). */
import { COMMAND_ENV, DEFAULT_IDEMPOTENCY_TTL_SECONDS, DEFAULT_TOMBSTONE_TTL_SECONDS, HANDLER_ENV } from '../contract';
import { type Environment, HandlerEnvironment, readJournalHandlerConfig, type JournalHandlerConfig } from '../shared/config';

export interface CommandConfig extends JournalHandlerConfig {
  readonly iotServicesAccount: string;
  readonly accessRoleArn: string;
  readonly peerRegion?: string;
  readonly peerAccessRoleArn?: string;
  readonly idempotencyTableName: string;
  readonly idempotencyTtlSeconds: number;
  readonly inFlightLeaseSeconds: number;
  readonly tombstoneTtlSeconds: number;
}

export function readCommandConfig(raw: Environment): CommandConfig {
  const env = new HandlerEnvironment(raw, 'command');
  const peerRegion = raw[COMMAND_ENV.peerRegion] || undefined;
  const peerAccessRoleArn = raw[COMMAND_ENV.peerAccessRoleArn] || undefined;
  if ((peerRegion === undefined) !== (peerAccessRoleArn === undefined)) {
    throw new Error(`command Lambda: ${COMMAND_ENV.peerRegion} and ${COMMAND_ENV.peerAccessRoleArn} must be set together`);
  }
  return {
    ...readJournalHandlerConfig(env),
    iotServicesAccount: env.required(COMMAND_ENV.iotServicesAccount),
    accessRoleArn: env.required(COMMAND_ENV.accessRoleArn),
    ...(peerRegion && peerAccessRoleArn ? { peerRegion, peerAccessRoleArn } : {}),
    idempotencyTableName: env.required(COMMAND_ENV.idempotencyTableName),
    idempotencyTtlSeconds: env.seconds(COMMAND_ENV.idempotencyTtlSeconds, DEFAULT_IDEMPOTENCY_TTL_SECONDS),
    inFlightLeaseSeconds: env.seconds(COMMAND_ENV.inFlightLeaseSeconds, 120),
    tombstoneTtlSeconds: env.seconds(HANDLER_ENV.tombstoneTtlSeconds, DEFAULT_TOMBSTONE_TTL_SECONDS),
  };
}
