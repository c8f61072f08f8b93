/**
 * The command API's Lambda (API Gateway REST proxy): routes, idempotency, synchronous journaling, errors.
 *
 * Every mutating call carries an Idempotency-Key (scoped to the caller): the first request with a key runs,
 * a retry with the same body gets the stored answer (`Idempotent-Replayed: true`), a retry with another body
 * 422, a retry while the first is still running 409. After IoT is changed, each entity the command changed
 * is read back from IoT and journaled with capture's own logic (journal-writer.ts, observed-state.ts) before
 * the answer, under event ids derived from the key: the other region gets the change within the replication
 * lag, not CloudTrail's delay. A journal failure answers 503 (retryable): the retry with the same key
 * journals again and answers as the first would have — except for a key pair IoT created, whose private key
 * would be lost: that onboarding is rolled back and the retry onboards anew.
 *
 * Nothing here logs a body: no CSR, certificate or private key reaches a log line.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { IDEMPOTENCY_HEADER } from '../contract';
import { type ObservedEntity, journalObservedState } from '../capture/observed-state';
import type { JournalWriter } from '../capture/journal-writer';
import { entityKeys } from '../capture/identity-capture';
import { memberKeys, thingKeys } from '../shared/keys';
import { log } from '../shared/telemetry';
import { type CommandContext, CommandFailed, type CommandOutcome, decommission, onboard, setDeviceStatus } from './commands';
import { CommandError, errorBody, toCommandError } from './errors';
import type { IdempotencyStore, RequestProgress, StoredResponse } from './idempotency';
import { differences, type RegionAccess, regionStatus } from './status';
import { checkIdempotencyKey, checkThingName, parseOnboardRequest } from './validation';

export interface CommandHandlerDeps {
  /** The API's own region: IoT, metrics, through its CommandAccessRole. */
  readonly own: RegionAccess;
  /** The other region of the pair, through its CommandAccessRole. @default - status reports this region only */
  readonly peer?: RegionAccess;
  /** The iot-services account (ARNs). */
  readonly accountId: string;
  /** Journals like capture does, in the iot-services account of this region. */
  readonly writer: JournalWriter;
  readonly idempotency: Pick<IdempotencyStore, 'begin' | 'saveProgress' | 'complete' | 'journalPending' | 'abandon'>;
  readonly tombstoneTtlSeconds: number;
  readonly metricsNamespace: string;
  /** How long status waits for a region, ms. @default 5000 */
  readonly regionTimeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Said in a replayed create-keys onboarding, where the private key was. */
export const PRIVATE_KEY_NOTICE =
  'The private key was returned only in the first response to this Idempotency-Key; it is never stored. ' +
  'If it was lost, decommission the device and onboard it again.';

type Operation = (ctx: CommandContext) => Promise<CommandOutcome>;

export function createCommandHandler(deps: CommandHandlerDeps): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const now = deps.now ?? Date.now;
  const scope = { region: deps.own.region, accountId: deps.accountId };

  const journal = async (entities: readonly ObservedEntity[], requestKey: string): Promise<string[]> => {
    const keys: string[] = [];
    for (const entity of entities) {
      const sk = keyOf(entity);
      await journalObservedState(
        { writer: deps.writer, iot: deps.own.iot, region: deps.own.region, tombstoneTtlSeconds: deps.tombstoneTtlSeconds, now },
        entity,
        eventIdFor(requestKey, sk),
      );
      keys.push(sk);
    }
    return keys;
  };

  const journalFailed = (err: unknown): CommandError =>
    new CommandError(503, 'JournalUnavailable', 'IoT was changed but the replication journal could not be written; retry with the same Idempotency-Key', {
      retryAfterSeconds: 1,
      cause: err,
    });

  const mutate = async (event: APIGatewayProxyEvent, thingName: string | undefined, run: Operation): Promise<APIGatewayProxyResult> => {
    const idempotencyKey = checkIdempotencyKey(header(event, IDEMPOTENCY_HEADER));
    const requestKey = sha256(`${callerOf(event)}\n${idempotencyKey}`);
    const fingerprint = sha256(`${event.httpMethod} ${event.resource} ${thingName ?? ''}\n${canonicalBody(event.body)}`);
    const begun = await deps.idempotency.begin(requestKey, fingerprint);
    switch (begun.kind) {
      case 'completed':
        return respond(begun.response.statusCode, begun.response.body, { 'Idempotent-Replayed': 'true' });
      case 'fingerprint-mismatch':
        throw new CommandError(422, 'IdempotencyKeyReused', `this Idempotency-Key was used for another request; use a new key for a new request`);
      case 'in-flight':
        throw new CommandError(409, 'RequestInProgress', 'a request with this Idempotency-Key is still running; retry later', { retryAfterSeconds: 1 });
      case 'journal-pending': {
        let journaled: string[];
        try {
          journaled = await journal(begun.entities as ObservedEntity[], requestKey);
        } catch (err) {
          await deps.idempotency.abandon(requestKey);
          throw journalFailed(err);
        }
        const done = { statusCode: begun.response.statusCode, body: { ...begun.response.body, journaled } };
        await deps.idempotency.complete(requestKey, done);
        return respond(done.statusCode, done.body, { 'Idempotent-Replayed': 'true' });
      }
      case 'started':
        break;
    }
    let outcome: CommandOutcome;
    try {
      outcome = await run({
        iot: deps.own.iot,
        scope,
        ...(begun.progress ? { progress: begun.progress } : {}),
        saveProgress: (p) => deps.idempotency.saveProgress(requestKey, p),
      });
    } catch (err) {
      const left: RequestProgress | undefined = err instanceof CommandFailed ? err.progress : begun.progress;
      await deps.idempotency.abandon(requestKey, left).catch((e: unknown) => log('ERROR', 'could not release the idempotency key', { error: e }));
      throw err instanceof CommandFailed ? err.error : err;
    }
    const stored: StoredResponse = {
      statusCode: outcome.statusCode,
      body: outcome.privateKey !== undefined ? { ...outcome.body, privateKeyNotice: PRIVATE_KEY_NOTICE } : outcome.body,
    };
    let journaled: string[];
    try {
      journaled = await journal(outcome.entities, requestKey);
    } catch (err) {
      log('ERROR', 'journal write failed after the IoT write', { thingName, error: err });
      if (outcome.privateKey !== undefined && outcome.rollback) {
        // The private key cannot be handed out later: undo the onboarding, the retry creates a new key pair.
        let left: RequestProgress | undefined;
        await outcome.rollback().catch((e: unknown) => {
          log('ERROR', 'rollback of an unjournaled onboarding failed; the retry deletes the certificate', { thingName, error: e });
          left = { certificateId: String(outcome.body.certificateId), certificateSource: 'keys' };
        });
        await deps.idempotency.abandon(requestKey, left);
      } else {
        await deps.idempotency.journalPending(requestKey, stored, outcome.entities);
      }
      throw journalFailed(err);
    }
    await deps.idempotency.complete(requestKey, { statusCode: stored.statusCode, body: { ...stored.body, journaled } });
    log('INFO', 'command applied and journaled', { route: `${event.httpMethod} ${event.resource}`, thingName, journaled });
    // The one answer that carries the private key: it exists nowhere else.
    const body = outcome.privateKey !== undefined ? { ...outcome.body, privateKey: outcome.privateKey } : outcome.body;
    return respond(outcome.statusCode, { ...body, journaled });
  };

  const status = async (thingName: string): Promise<APIGatewayProxyResult> => {
    const options = { metricsNamespace: deps.metricsNamespace, timeoutMs: deps.regionTimeoutMs ?? 5000, now };
    const regions = await Promise.all([deps.own, ...(deps.peer ? [deps.peer] : [])].map((access) => regionStatus(access, thingName, options)));
    const reachable = regions.filter((r) => r.reachable);
    if (reachable.length === 0) {
      throw new CommandError(503, 'RegionsUnreachable', 'no region could be read; retry later', { retryAfterSeconds: 1 });
    }
    if (reachable.every((r) => r.reachable && !r.device.exists)) {
      throw new CommandError(404, 'ThingNotFound', `thing '${thingName}' does not exist in ${reachable.map((r) => r.region).join(' or ')}`);
    }
    let replicated: boolean | null = null;
    let differing: string[] = [];
    const [a, b] = regions;
    if (b && a.reachable && b.reachable) {
      differing = differences(a.device, b.device);
      replicated = differing.length === 0;
    }
    return respond(200, { thingName, region: deps.own.region, replicated, ...(differing.length > 0 ? { differences: differing } : {}), regions });
  };

  return async (event) => {
    const requestId = event.requestContext?.requestId;
    const route = `${event.httpMethod} ${event.resource}`;
    try {
      switch (route) {
        case 'POST /devices': {
          const request = parseOnboardRequest(event.body);
          return await mutate(event, request.thingName, (ctx) => onboard(ctx, request));
        }
        case 'POST /devices/{thingName}/suspend': {
          const thingName = checkThingName(event.pathParameters?.thingName);
          return await mutate(event, thingName, (ctx) => setDeviceStatus(ctx, thingName, 'INACTIVE'));
        }
        case 'POST /devices/{thingName}/resume': {
          const thingName = checkThingName(event.pathParameters?.thingName);
          return await mutate(event, thingName, (ctx) => setDeviceStatus(ctx, thingName, 'ACTIVE'));
        }
        case 'DELETE /devices/{thingName}': {
          const thingName = checkThingName(event.pathParameters?.thingName);
          return await mutate(event, thingName, (ctx) => decommission(ctx, thingName));
        }
        case 'GET /devices/{thingName}':
          return await status(checkThingName(event.pathParameters?.thingName));
        default:
          throw new CommandError(404, 'RouteNotFound', `no route ${route}`);
      }
    } catch (err) {
      const mapped = toCommandError(err, 'command');
      log(mapped.statusCode >= 500 ? 'ERROR' : 'INFO', 'command refused', {
        requestId,
        route,
        status: mapped.statusCode,
        code: mapped.code,
        ...(mapped.statusCode >= 500 ? { error: mapped.cause ?? mapped } : {}),
      });
      return respond(mapped.statusCode, errorBody(mapped, requestId), mapped.options.retryAfterSeconds !== undefined ? { 'Retry-After': String(mapped.options.retryAfterSeconds) } : {});
    }
  };
}

function respond(statusCode: number, body: Record<string, unknown>, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

/** Who called: the IAM identity (SigV4) or the user pool subject; idempotency keys are scoped to it. */
function callerOf(event: APIGatewayProxyEvent): string {
  const claims = (event.requestContext?.authorizer as { claims?: Record<string, string> } | undefined)?.claims;
  return event.requestContext?.identity?.userArn ?? (claims?.sub ? `cognito:${claims.sub}` : 'anonymous');
}

/** The body as canonical JSON (sorted keys), so formatting alone never makes another fingerprint. */
function canonicalBody(body: string | null): string {
  if (!body) return '';
  try {
    return JSON.stringify(sortKeys(JSON.parse(body)));
  } catch {
    return body;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  }
  return v;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The same request and entity always journal under the same event id: a retry writes the same event. */
export function eventIdFor(requestKey: string, sk: string): string {
  return `command-${sha256(`${requestKey}\n${sk}`).slice(0, 32)}`;
}

function keyOf(entity: ObservedEntity): string {
  if (entity.kind === 'thing') return thingKeys(entity.thingName).sk;
  if (entity.kind === 'member') return memberKeys(entity.thingGroupName, entity.thingName).sk;
  return entityKeys(entity).sk;
}
