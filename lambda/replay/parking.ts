/**
 * The parking queue's consumer. A parked item is a journal key whose replay failed for a reason that may
 * pass; each receipt re-reads the journal's current item by key (through the same per-kind replay the
 * workflow invokes, so a stale retry is harmless), and on another transient failure parks it again with a
 * longer delay, until its parking retention has run out. What can never succeed, and what is still failing
 * when the retention ends (`ParkingExpired`), goes to the dead-letter queue with its reason.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  DEFAULT_PARKING_RETENTION_SECONDS,
  FIRST_PARKING_DELAY_SECONDS,
  HANDLER_ENV,
  MALFORMED_INPUT_ERROR,
  MAX_PARKING_DELAY_SECONDS,
  PARKED_ERRORS,
  PARKING_ENV,
  PARKING_EXPIRED_REASON,
  type ParkedItem,
  UNKNOWN_ENTITY_KIND_ERROR,
} from '../contract';
import { type Environment, HandlerEnvironment } from '../shared/config';
import type { EntityKind } from '../shared/model';
import { log } from '../shared/telemetry';
import { createCaCertificateReplay } from './ca-certificate';
import { createCertificateReplay } from './certificate';
import type { ReplayDeps, ReplayHandler } from './common';
import { createMembershipReplay } from './membership';
import { createPolicyReplay } from './policy';
import { createPolicyTargetReplay } from './policy-target';
import { createPrincipalReplay } from './principal';
import { createProvisioningTemplateReplay } from './provisioning-template';
import { createRoleAliasReplay } from './role-alias';
import { createShadowReplay } from './shadow';
import { createThingReplay } from './thing';
import { createThingGroupReplay } from './thing-group';
import { createThingTypeReplay } from './thing-type';

/** Longest wait between two retries of a parked item: an hour, so a day holds about thirty retries. */
export const MAX_PARKING_BACKOFF_SECONDS = 60 * 60;

/** Time kept back from the invocation's deadline for the re-park or dead-letter send after an attempt. */
const SEND_MARGIN_MS = 5_000;

const PARKED = new Set(PARKED_ERRORS);

/** Where a parked item goes next. */
export type ParkingQueue = 'parking' | 'deadLetter';

export interface ParkingDeps {
  /** Replay of one journal key, by its kind (the key's prefix up to the first `#`). */
  readonly replayers: Readonly<Record<string, ReplayHandler>>;
  /** Sends a message body to one of the queues, delayed by up to 900 s. */
  send(queue: ParkingQueue, body: ParkedItem | Record<string, unknown>, delaySeconds: number): Promise<void>;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** A number in [0, 1): the jitter. */
  readonly random: () => number;
  /** How long after its first failure an item is still retried. */
  readonly retentionSeconds: number;
}

/** What happened to one parked item. */
export type ParkingOutcome = 'replayed' | 'deferred' | 'parked' | 'dead-lettered';

/**
 * Delay before the next attempt once `attempts` have failed: exponential from 30 s, capped at an hour, with
 * "equal" jitter (half fixed, half random), so delays never shrink and retries after an outage spread out.
 */
export function parkingDelaySeconds(attempts: number, random: () => number): number {
  const ceiling = Math.min(MAX_PARKING_BACKOFF_SECONDS, FIRST_PARKING_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
  return Math.ceil(ceiling / 2 + (random() * ceiling) / 2);
}

class AttemptTimedOut extends Error {
  constructor(key: string, ms: number) {
    super(`replay of ${key} did not finish within ${ms} ms`);
    this.name = 'States.Timeout';
  }
}

async function withDeadline<T>(run: Promise<T>, ms: number, key: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimedOut(key, ms)), ms);
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseBody(body: string): ParkedItem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('the message is not JSON');
  }
  const item = parsed as Partial<ParkedItem> | null;
  if (typeof item !== 'object' || item === null || typeof item.key !== 'string' || typeof item.partition !== 'string') {
    throw new Error("a parked item needs string 'key' and 'partition'");
  }
  return item as ParkedItem;
}

/** Handles one message of the parking queue; resolves once the item is replayed or sent on. */
export async function handleParkedMessage(deps: ParkingDeps, body: string, attemptTimeoutMs: number): Promise<ParkingOutcome> {
  const now = deps.now();
  const iso = (ms: number): string => new Date(ms).toISOString();
  let item: ParkedItem;
  try {
    item = parseBody(body);
  } catch (err) {
    const cause = `${(err as Error).message}: ${body.slice(0, 1000)}`;
    await deps.send('deadLetter', { reason: MALFORMED_INPUT_ERROR, error: MALFORMED_INPUT_ERROR, cause, deadLetteredAt: iso(now), original: body }, 0);
    log('ERROR', 'parked message dead-lettered', { reason: MALFORMED_INPUT_ERROR, cause });
    return 'dead-lettered';
  }
  if (item.reason !== undefined) {
    // A dead letter redriven into the parking queue: the cause is fixed, so its retention starts again.
    const { reason: _reason, deadLetteredAt: _at, notBefore: _nb, ...rest } = item;
    item = { ...rest, attempt: item.attempt ?? 0, firstFailedAt: iso(now) };
  }
  const attempt = Number.isInteger(item.attempt) ? item.attempt : 0;
  const firstFailedAt = Number.isNaN(Date.parse(item.firstFailedAt)) ? now : Date.parse(item.firstFailedAt);

  const notBefore = item.notBefore !== undefined ? Date.parse(item.notBefore) : NaN;
  if (notBefore > now) {
    // SQS delays a message by 15 minutes at most: wait again until the item is due.
    const delay = Math.min(MAX_PARKING_DELAY_SECONDS, Math.ceil((notBefore - now) / 1000));
    await deps.send('parking', item, delay);
    return 'deferred';
  }

  const deadLetter = async (reason: string, error: string, cause: string, attempts: number): Promise<ParkingOutcome> => {
    const { notBefore: _nb, ...rest } = item;
    await deps.send(
      'deadLetter',
      { ...rest, attempt: attempts, firstFailedAt: iso(firstFailedAt), error, cause, reason, deadLetteredAt: iso(now) },
      0,
    );
    log('ERROR', 'parked item dead-lettered', { key: item.key, reason, error, cause, attempts, firstFailedAt: iso(firstFailedAt) });
    return 'dead-lettered';
  };

  const kind = item.key.split('#')[0];
  const replay = deps.replayers[kind];
  if (!replay) {
    return deadLetter(UNKNOWN_ENTITY_KIND_ERROR, UNKNOWN_ENTITY_KIND_ERROR, `No replay handler for journal key ${item.key}`, attempt);
  }
  const attempts = attempt + 1;
  try {
    const task = {
      key: item.key,
      partition: item.partition,
      version: item.version ?? '',
      eventTime: item.eventTime ?? firstFailedAt,
    };
    const result = await withDeadline(replay(task), attemptTimeoutMs, item.key);
    log('INFO', 'parked item replayed', { key: item.key, action: result.action, attempts, firstFailedAt: iso(firstFailedAt) });
    return 'replayed';
  } catch (err) {
    const error = err instanceof Error ? err.name : 'Error';
    const cause = err instanceof Error ? err.message : String(err);
    if (!PARKED.has(error)) {
      return deadLetter(error, error, cause, attempts);
    }
    if (now >= firstFailedAt + deps.retentionSeconds * 1000) {
      return deadLetter(PARKING_EXPIRED_REASON, error, cause, attempts);
    }
    const delay = parkingDelaySeconds(attempts, deps.random);
    const next: ParkedItem = { ...item, attempt: attempts, firstFailedAt: iso(firstFailedAt), notBefore: iso(now + delay * 1000), error, cause };
    await deps.send('parking', next, Math.min(delay, MAX_PARKING_DELAY_SECONDS));
    log('WARN', 'replay parked again', { key: item.key, error, cause, attempts, delaySeconds: delay });
    return 'parked';
  }
}

export type ParkingConsumer = (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<SQSBatchResponse>;

/**
 * The SQS handler: every record of the batch at once, each attempt bounded so the re-park still fits in the
 * invocation; a record whose re-park or dead-letter send failed is reported, so SQS delivers it again.
 */
export function createParkingConsumer(deps: ParkingDeps): ParkingConsumer {
  return async (event, context) => {
    const remaining = context?.getRemainingTimeInMillis() ?? 60_000;
    const attemptTimeoutMs = Math.max(1_000, remaining - SEND_MARGIN_MS);
    const batchItemFailures: SQSBatchItemFailure[] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        try {
          await handleParkedMessage(deps, record.body, attemptTimeoutMs);
        } catch (err) {
          log('ERROR', 'could not move a parked item on; SQS delivers it again', { messageId: record.messageId, error: err });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures };
  };
}

/** The replay of every entity kind by key kind, built on the replay handlers' dependencies. */
export function kindReplayers(deps: ReplayDeps): Record<EntityKind, ReplayHandler> {
  return {
    thing: createThingReplay(deps),
    thingType: createThingTypeReplay(deps),
    thingGroup: createThingGroupReplay(deps),
    member: createMembershipReplay(deps),
    cert: createCertificateReplay(deps),
    caCert: createCaCertificateReplay(deps),
    policy: createPolicyReplay(deps),
    policyTarget: createPolicyTargetReplay(deps),
    principal: createPrincipalReplay(deps),
    provisioningTemplate: createProvisioningTemplateReplay(deps),
    roleAlias: createRoleAliasReplay(deps),
    // Parked shadow items only exist when shadows are replicated; without them, no key of this kind is parked.
    shadow: createShadowReplay(deps),
  };
}

/** `send` over SQS: the parking queue and the dead-letter queue by URL. */
export function sqsParkingSend(sqs: SQSClient, urls: Record<ParkingQueue, string>): ParkingDeps['send'] {
  return async (queue, body, delaySeconds) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: urls[queue], MessageBody: JSON.stringify(body), DelaySeconds: delaySeconds }));
  };
}

/**
 * The consumer as the replay bundle exports it: its own environment is read on the first message, so the
 * per-kind replay functions sharing the bundle need none of it.
 */
export function parkingConsumerFromEnv(replayDeps: ReplayDeps, sqs: () => SQSClient, environment: Environment = process.env): ParkingConsumer {
  let consumer: ParkingConsumer | undefined;
  return async (event, context) => {
    if (!consumer) {
      const env = new HandlerEnvironment(environment, 'parking');
      consumer = createParkingConsumer({
        replayers: kindReplayers(replayDeps),
        send: sqsParkingSend(sqs(), {
          parking: env.required(PARKING_ENV.parkingQueueUrl),
          deadLetter: env.required(HANDLER_ENV.deadLetterQueueUrl),
        }),
        now: Date.now,
        random: Math.random,
        retentionSeconds: env.seconds(PARKING_ENV.retentionSeconds, DEFAULT_PARKING_RETENTION_SECONDS),
      });
    }
    return consumer(event, context);
  };
}
