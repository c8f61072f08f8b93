/** The capture Lambda's environment, validated once at cold start so a misconfiguration fails loudly. */
import { DEFAULT_TOMBSTONE_TTL_SECONDS, HANDLER_ENV } from '../contract';
import { type Environment, HandlerEnvironment, type JournalHandlerConfig, readJournalHandlerConfig } from '../shared/config';
import { ownRoles } from './cloudtrail-events';

export interface CaptureConfig extends JournalHandlerConfig {
  readonly deadLetterQueueUrl: string;
  readonly tombstoneTtlSeconds: number;
  /** This account: region-neutral ARNs in the policies and templates capture reads. */
  readonly accountId: string;
  /** Role identities (`roleIdentity`) whose CloudTrail calls are the pipeline's own: echoes. */
  readonly ownRoles: ReadonlySet<string>;
  readonly shadowsEnabled: boolean;
  /** The capture queue's maxReceiveCount, when set. */
  readonly maxReceiveCount?: number;
}

export function readCaptureConfig(environment: Environment): CaptureConfig {
  const env = new HandlerEnvironment(environment, 'capture');
  const roleArns = env.optional(HANDLER_ENV.ownRoleArns, '').split(',').map((a) => a.trim()).filter((a) => a !== '');
  let roles: ReadonlySet<string>;
  try {
    roles = ownRoles(roleArns);
  } catch (err) {
    throw new Error(`capture Lambda: ${HANDLER_ENV.ownRoleArns}: ${(err as Error).message}`);
  }
  const shadows = env.optional(HANDLER_ENV.shadowsEnabled, 'false');
  if (shadows !== 'true' && shadows !== 'false') {
    throw new Error(`capture Lambda: ${HANDLER_ENV.shadowsEnabled} must be 'true' or 'false', got '${shadows}'`);
  }
  return {
    ...readJournalHandlerConfig(env),
    deadLetterQueueUrl: env.required(HANDLER_ENV.deadLetterQueueUrl),
    tombstoneTtlSeconds: env.seconds(HANDLER_ENV.tombstoneTtlSeconds, DEFAULT_TOMBSTONE_TTL_SECONDS),
    accountId: env.required(HANDLER_ENV.accountId),
    ownRoles: roles,
    shadowsEnabled: shadows === 'true',
    ...optionalCount(environment, HANDLER_ENV.maxReceiveCount),
  };
}

function optionalCount(environment: Environment, name: string): { maxReceiveCount?: number } {
  const raw = environment[name];
  if (!raw) return {};
  const count = Number(raw);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`capture Lambda: ${name} must be a positive whole number, got '${raw}'`);
  return { maxReceiveCount: count };
}
