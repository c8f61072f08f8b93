import type { EmulatorContext } from './context';
import { IotServiceError, invalidRequest, resourceNotFound } from './errors';
import { validateName } from './input';
import { paginate } from './pagination';
import { RawOutput, type OperationInput, type OperationOutput, type Route } from './router';
import type { ShadowRecord } from './state';

type Json = Record<string, unknown>;
type Sections = { desired?: Json; reported?: Json };

/** AWS: the state of a shadow document is at most 8 KB, and desired/reported nest at most 6 levels. */
const MAX_STATE_BYTES = 8192;
const MAX_DEPTH = 6;
const SHADOW_NAME_PATTERN = /^[a-zA-Z0-9:_-]{1,64}$/;

/**
 * The IoT data plane (REST API of `@aws-sdk/client-iot-data-plane`): device shadows, HTTP publish and
 * retained messages. The messages AWS would publish on reserved shadow topics, and every Publish, go to
 * `onMessage` listeners.
 */
export function dataPlaneRoutes(ctx: EmulatorContext): Route[] {
  return [
    { operation: 'UpdateThingShadow', method: 'POST', path: '/things/{thingName}/shadow', rawBody: true, handle: (i) => updateShadow(ctx, i) },
    { operation: 'GetThingShadow', method: 'GET', path: '/things/{thingName}/shadow', handle: (i) => getShadow(ctx, i) },
    { operation: 'DeleteThingShadow', method: 'DELETE', path: '/things/{thingName}/shadow', handle: (i) => deleteShadow(ctx, i) },
    {
      operation: 'ListNamedShadowsForThing',
      method: 'GET',
      path: '/api/things/shadow/ListNamedShadowsForThing/{thingName}',
      handle: (i) => listNamedShadows(ctx, i),
    },
    { operation: 'Publish', method: 'POST', path: '/topics/{topic}', rawBody: true, handle: (i) => publish(ctx, i) },
    { operation: 'GetRetainedMessage', method: 'GET', path: '/retainedMessage/{topic}', handle: (i) => getRetainedMessage(ctx, i) },
    { operation: 'ListRetainedMessages', method: 'GET', path: '/retainedMessage', handle: (i) => listRetainedMessages(ctx, i) },
  ];
}

export function shadowKey(thingName: string, shadowName: string | undefined): string {
  return `${thingName}\u0000${shadowName ?? ''}`;
}

/** `$aws/things/<thing>/shadow` or `$aws/things/<thing>/shadow/name/<name>`. */
function shadowTopic(thingName: string, shadowName: string | undefined): string {
  return `$aws/things/${thingName}/shadow${shadowName === undefined ? '' : `/name/${shadowName}`}`;
}

function updateShadow(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const { thingName, shadowName } = shadowAddress(input);
  const request = parseJsonObject(input.rawBody);
  if (!('state' in request)) throw invalidRequest('Missing required node: state');
  const stateUpdate = request.state;
  if (typeof stateUpdate !== 'object' || stateUpdate === null || Array.isArray(stateUpdate)) {
    throw invalidRequest('State node must be an object');
  }
  for (const key of Object.keys(stateUpdate)) {
    if (key !== 'desired' && key !== 'reported') throw invalidRequest(`State contains an invalid node: '${key}'`);
  }
  const update = stateUpdate as { desired?: Json | null; reported?: Json | null };
  for (const section of ['desired', 'reported'] as const) {
    const value = update[section];
    if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
      throw invalidRequest(`${section} node must be an object or null`);
    }
    if (value && depth(value) > MAX_DEPTH) throw invalidRequest(`JSON contains too many levels of nesting; maximum is ${MAX_DEPTH}`);
  }
  const clientToken = request.clientToken;
  if (clientToken !== undefined && (typeof clientToken !== 'string' || clientToken.length > 64)) {
    throw invalidRequest('clientToken must be a string of at most 64 characters');
  }
  const key = shadowKey(thingName, shadowName);
  const existing = ctx.state.shadows.get(key);
  const live = existing?.state !== undefined ? existing : undefined;
  if (request.version !== undefined) {
    if (typeof request.version !== 'number') throw invalidRequest('version must be a number');
    if (request.version !== (live?.version ?? 0)) throw new IotServiceError('ConflictException', 409, 'Version conflict');
  }

  const now = ctx.now();
  const previous = live === undefined ? null : documentOf(live);
  const nextState: Sections = structuredClone(live?.state ?? {});
  const nextMetadata: Sections = structuredClone(live?.metadata ?? {});
  const updateMetadata: Sections = {};
  for (const section of ['desired', 'reported'] as const) {
    const value = update[section];
    if (value === undefined) continue;
    if (value === null) {
      delete nextState[section];
      delete nextMetadata[section];
      continue;
    }
    nextState[section] = merge(nextState[section] ?? {}, value);
    nextMetadata[section] = mergeMetadata(nextMetadata[section] ?? {}, value, now);
    updateMetadata[section] = mergeMetadata({}, value, now);
    if (Object.keys(nextState[section] ?? {}).length === 0) {
      delete nextState[section];
      delete nextMetadata[section];
    }
  }
  if (Buffer.byteLength(JSON.stringify(nextState)) > MAX_STATE_BYTES) {
    throw new IotServiceError('RequestEntityTooLargeException', 413, 'The payload exceeds the maximum size allowed');
  }

  const record: ShadowRecord = existing ?? { thingName, shadowName, state: undefined, metadata: {}, version: 0, timestamp: now };
  record.state = nextState;
  record.metadata = nextMetadata;
  record.version += 1;
  record.timestamp = now;
  ctx.state.shadows.set(key, record);

  const timestamp = Math.floor(now / 1000);
  const token = clientToken !== undefined ? { clientToken } : {};
  const accepted = { state: update, metadata: updateMetadata, version: record.version, timestamp, ...token };
  const topic = shadowTopic(thingName, shadowName);
  emit(ctx, `${topic}/update/accepted`, accepted);
  const delta = deltaOf(nextState);
  if (delta !== undefined && update.desired !== undefined) {
    emit(ctx, `${topic}/update/delta`, { version: record.version, timestamp, state: delta, metadata: pick(nextMetadata.desired ?? {}, delta), ...token });
  }
  emit(ctx, `${topic}/update/documents`, { previous, current: documentOf(record), timestamp, ...token });
  return new RawOutput(JSON.stringify(accepted));
}

function getShadow(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const { thingName, shadowName } = shadowAddress(input);
  const shadow = requireShadow(ctx, thingName, shadowName);
  const state = shadow.state ?? {};
  const delta = deltaOf(state);
  return new RawOutput(
    JSON.stringify({
      state: { ...state, ...(delta !== undefined ? { delta } : {}) },
      metadata: shadow.metadata,
      version: shadow.version,
      timestamp: Math.floor(ctx.now() / 1000),
    }),
  );
}

function deleteShadow(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const { thingName, shadowName } = shadowAddress(input);
  const shadow = requireShadow(ctx, thingName, shadowName);
  // Deleting a shadow does not reset its version: the record stays as a tombstone.
  shadow.state = undefined;
  shadow.metadata = {};
  const response = { version: shadow.version, timestamp: Math.floor(ctx.now() / 1000) };
  emit(ctx, `${shadowTopic(thingName, shadowName)}/delete/accepted`, response);
  return new RawOutput(JSON.stringify(response));
}

function listNamedShadows(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thingName = validateName('thingName', input.labels.thingName ?? '');
  const names = [...ctx.state.shadows.values()]
    .filter((s) => s.thingName === thingName && s.shadowName !== undefined && s.state !== undefined)
    .map((s) => s.shadowName as string);
  const query = new URLSearchParams(input.query);
  const pageSize = query.get('pageSize');
  if (pageSize !== null) query.set('maxResults', pageSize);
  const page = paginate(names, (n) => n, query);
  return {
    results: page.items,
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
    timestamp: Math.floor(ctx.now() / 1000),
  };
}

function publish(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const topic = topicLabel(input);
  const qos = parseQos(input.query.get('qos'));
  const retainRaw = input.query.get('retain');
  if (retainRaw !== null && retainRaw !== 'true' && retainRaw !== 'false') throw invalidRequest('retain must be true or false');
  const retain = retainRaw === 'true';
  const payload = input.rawBody;
  if (retain) {
    // MQTT: a retained message with an empty payload clears the topic's retained message.
    if (payload.length === 0) ctx.state.retainedMessages.delete(topic);
    else ctx.state.retainedMessages.set(topic, { topic, payload: Buffer.from(payload), qos, lastModifiedTime: ctx.now() });
  }
  ctx.messages.publish(topic, payload.toString('utf8'), qos, retain);
}

function getRetainedMessage(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const topic = topicLabel(input);
  const message = ctx.state.retainedMessages.get(topic);
  if (message === undefined) throw resourceNotFound(`No retained message found for topic ${topic}`);
  return { topic, payload: message.payload.toString('base64'), qos: message.qos, lastModifiedTime: message.lastModifiedTime };
}

function listRetainedMessages(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const page = paginate([...ctx.state.retainedMessages.values()], (m) => m.topic, input.query);
  return {
    retainedTopics: page.items.map((m) => ({
      topic: m.topic,
      payloadSize: m.payload.length,
      qos: m.qos,
      lastModifiedTime: m.lastModifiedTime,
    })),
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
  };
}

// --- helpers ---------------------------------------------------------------------------------------

function shadowAddress(input: OperationInput): { thingName: string; shadowName: string | undefined } {
  const thingName = validateName('thingName', input.labels.thingName ?? '');
  const shadowName = input.query.get('name') ?? undefined;
  if (shadowName !== undefined && !SHADOW_NAME_PATTERN.test(shadowName)) {
    throw invalidRequest(`shadowName '${shadowName}' must be 1-64 characters of [a-zA-Z0-9:_-]`);
  }
  return { thingName, shadowName };
}

function requireShadow(ctx: EmulatorContext, thingName: string, shadowName: string | undefined): ShadowRecord {
  const shadow = ctx.state.shadows.get(shadowKey(thingName, shadowName));
  if (shadow === undefined || shadow.state === undefined) {
    throw resourceNotFound(`No shadow exists with name: '${shadowName === undefined ? thingName : `${thingName}~${shadowName}`}'`);
  }
  return shadow;
}

function documentOf(shadow: ShadowRecord): Json {
  return { state: structuredClone(shadow.state ?? {}), metadata: structuredClone(shadow.metadata), version: shadow.version };
}

function emit(ctx: EmulatorContext, topic: string, payload: Json): void {
  ctx.messages.publish(topic, JSON.stringify(payload));
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** AWS shadow merge: objects merge key by key, null deletes a key, anything else (arrays too) replaces. */
function merge(target: Json, update: Json): Json {
  const result: Json = { ...target };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete result[key];
    else if (isObject(value) && isObject(result[key])) result[key] = merge(result[key] as Json, value);
    else if (isObject(value)) result[key] = merge({}, value);
    else result[key] = structuredClone(value);
  }
  return result;
}

/** Metadata mirrors the state: each updated leaf gets `{ timestamp }` (epoch seconds). */
function mergeMetadata(target: Json, update: Json, now: number): Json {
  const result: Json = { ...target };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete result[key];
    else if (isObject(value)) result[key] = mergeMetadata(isObject(result[key]) && !('timestamp' in (result[key] as Json)) ? (result[key] as Json) : {}, value, now);
    else result[key] = { timestamp: Math.floor(now / 1000) };
  }
  return result;
}

/** Desired values that differ from reported ones; undefined when in sync. */
function deltaOf(state: Sections): Json | undefined {
  if (state.desired === undefined) return undefined;
  const delta = diff(state.desired, state.reported ?? {});
  return Object.keys(delta).length > 0 ? delta : undefined;
}

function diff(desired: Json, reported: Json): Json {
  const delta: Json = {};
  for (const [key, value] of Object.entries(desired)) {
    const other = reported[key];
    if (isObject(value) && isObject(other)) {
      const nested = diff(value, other);
      if (Object.keys(nested).length > 0) delta[key] = nested;
    } else if (JSON.stringify(value) !== JSON.stringify(other)) {
      delta[key] = structuredClone(value);
    }
  }
  return delta;
}

function pick(metadata: Json, shape: Json): Json {
  const result: Json = {};
  for (const key of Object.keys(shape)) if (metadata[key] !== undefined) result[key] = metadata[key];
  return result;
}

function depth(value: unknown): number {
  if (!isObject(value) && !Array.isArray(value)) return 0;
  const children = Object.values(value as Json);
  return 1 + (children.length === 0 ? 0 : Math.max(...children.map(depth)));
}

function parseJsonObject(raw: Buffer): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidRequest('Payload contains invalid json');
  }
  if (!isObject(parsed)) throw invalidRequest('Payload must be a JSON object');
  return parsed;
}

function topicLabel(input: OperationInput): string {
  const topic = input.labels.topic ?? '';
  if (topic === '' || topic.includes('#') || topic.includes('+')) throw invalidRequest(`Invalid topic: '${topic}'`);
  return topic;
}

function parseQos(raw: string | null): number {
  if (raw === null) return 0;
  if (raw !== '0' && raw !== '1') throw invalidRequest(`qos must be 0 or 1, got '${raw}'`);
  return Number(raw);
}
