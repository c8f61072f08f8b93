/**
 * Shadow messages as the shadow topic rules deliver them (`SELECT *, topic() AS topic`): an
 * `/update/documents` message carries the shadow's whole state after the update (`current.state`), a
 * `/delete/accepted` message its deletion. Both are journaled as they are, without reading IoT: the message
 * is the state.
 *
 * Order: `timestamp` (seconds) and then the shadow's own `version` (per region, like a thing's). Of an update
 * and a delete with the same version and second, the delete is later (its event id sorts after); anything
 * closer is settled from the registry like other same-millisecond ties.
 *
 * Replay writes shadows with a `clientToken` starting with REPLAY_CLIENT_TOKEN_PREFIX: those messages are its
 * own echoes, recognised exactly.
 */
import { REPLAY_CLIENT_TOKEN_PREFIX } from '../contract';
import { MalformedInput } from '../shared/errors';
import { shadowState } from '../shared/identity-state';
import type { ShadowState } from '../shared/model';

interface ShadowHeader {
  readonly thingName: string;
  /** Absent for the classic shadow. */
  readonly shadowName?: string;
  /** The shadow's version number in this region. */
  readonly shadowVersion: number;
  /** The message's `timestamp` (seconds), epoch milliseconds. */
  readonly eventTime: number;
  /** Unique per shadow change here; orders a delete after an update of the same version. */
  readonly eventId: string;
  readonly clientToken?: string;
  readonly topic: string;
}

export interface ShadowUpdate extends ShadowHeader {
  readonly operation: 'update';
  readonly state: ShadowState;
}

export interface ShadowDelete extends ShadowHeader {
  readonly operation: 'delete';
}

export type ShadowChange = ShadowUpdate | ShadowDelete;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** IoT's thing and shadow names; both keep '#' and '/' out of journal keys. */
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const SHADOW_NAME = /^[a-zA-Z0-9:_-]{1,64}$/;
const MAX_EVENT_SECONDS = Math.floor((10 ** 15 - 1) / 1000);

/** True for a topic rule message from a shadow topic (`$aws/things/...`). */
export function isShadowMessage(message: Json): boolean {
  return typeof message.topic === 'string' && message.topic.startsWith('$aws/things/');
}

interface ShadowTopic {
  readonly thingName: string;
  readonly shadowName?: string;
  readonly operation: 'update' | 'delete';
}

/**
 * `$aws/things/<thing>/shadow/update/documents`, `$aws/things/<thing>/shadow/name/<name>/update/documents`,
 * `$aws/things/<thing>/shadow/delete/accepted`, `$aws/things/<thing>/shadow/name/<name>/delete/accepted`.
 */
export function parseShadowTopic(topic: string): ShadowTopic {
  const s = topic.split('/');
  const bad = (why: string): never => {
    throw new MalformedInput(`topic '${topic}' is not a shadow documents or delete topic: ${why}`);
  };
  if (s[0] !== '$aws' || s[1] !== 'things' || s[3] !== 'shadow') bad("expected '$aws/things/<thing>/shadow/...'");
  if (!THING_NAME.test(s[2] ?? '')) bad(`'${s[2] ?? ''}' is not a valid thing name`);
  let rest = s.slice(4);
  let shadowName: string | undefined;
  if (rest[0] === 'name') {
    shadowName = rest[1] ?? '';
    if (!SHADOW_NAME.test(shadowName)) bad(`'${shadowName}' is not a valid shadow name`);
    rest = rest.slice(2);
  }
  const tail = rest.join('/');
  if (tail === 'update/documents') return { thingName: s[2], ...(shadowName ? { shadowName } : {}), operation: 'update' };
  if (tail === 'delete/accepted') return { thingName: s[2], ...(shadowName ? { shadowName } : {}), operation: 'delete' };
  return bad("expected '.../update/documents' or '.../delete/accepted'");
}

/** Parses one shadow message (already JSON-parsed, with its `topic`); throws MalformedInput saying what is wrong. */
export function parseShadowMessage(message: Json): ShadowChange {
  if (typeof message.topic !== 'string') throw new MalformedInput('topic must be a string');
  const topic = message.topic;
  const t = parseShadowTopic(topic);
  const seconds = message.timestamp;
  if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_EVENT_SECONDS) {
    throw new MalformedInput(`timestamp must be epoch seconds, got ${JSON.stringify(seconds) ?? 'nothing'}`);
  }
  const clientToken = message.clientToken;
  if (clientToken !== undefined && clientToken !== null && typeof clientToken !== 'string') {
    throw new MalformedInput('clientToken must be a string');
  }
  const header = {
    thingName: t.thingName,
    ...(t.shadowName ? { shadowName: t.shadowName } : {}),
    eventTime: seconds * 1000,
    ...(typeof clientToken === 'string' ? { clientToken } : {}),
    topic,
  };
  if (t.operation === 'delete') {
    const shadowVersion = version(message.version, 'version');
    return { ...header, operation: 'delete', shadowVersion, eventId: eventIdOf('delete', shadowVersion) };
  }
  const current = message.current;
  if (!isObject(current)) throw new MalformedInput('current must be an object (an /update/documents message)');
  const shadowVersion = version(current.version, 'current.version');
  if (current.state !== undefined && current.state !== null && !isObject(current.state)) throw new MalformedInput('current.state must be an object');
  const state = current.state as { desired?: unknown; reported?: unknown } | undefined;
  return { ...header, operation: 'update', shadowVersion, eventId: eventIdOf('update', shadowVersion), state: shadowState(t.thingName, t.shadowName, state ?? undefined) };
}

/** True when replay wrote this shadow change (its clientToken): the echo of a replayed state. */
export function isReplayEcho(change: Pick<ShadowHeader, 'clientToken'>): boolean {
  return change.clientToken?.startsWith(REPLAY_CLIENT_TOKEN_PREFIX) ?? false;
}

function version(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new MalformedInput(`${field} must be a non-negative integer, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

/** `shadow-v<version>-0-update` < `shadow-v<version>-1-delete`: same version and second, the delete came last. */
function eventIdOf(operation: 'update' | 'delete', shadowVersion: number): string {
  return `shadow-v${shadowVersion}-${operation === 'update' ? '0-update' : '1-delete'}`;
}
