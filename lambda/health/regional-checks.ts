/**
 * The probes a regional health API runs. Each is built per invocation from injected clients and keeps no
 * state: a fresh nonce per data-plane round trip, nothing counted across warm invocations.
 */
import { randomUUID } from 'node:crypto';
import { IoTClient, ListThingsCommand } from '@aws-sdk/client-iot';
import { GetRetainedMessageCommand, IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Clock, Probe, ProbeOutcome, SYSTEM_CLOCK, truncate } from './run-checks';
import { get } from '../shared/signed-request';

/** The payload of the retained probe message. */
export interface ProbeMessage {
  readonly nonce: string;
  /** Epoch milliseconds when the probe that wrote it started. */
  readonly startedAt: number;
}

export interface IotDataPlaneProbeOptions {
  readonly name: string;
  readonly topic: string;
  /** The data-plane client (its endpoint is the account's `iot:Data-ATS` endpoint). */
  readonly client: () => Promise<IoTDataPlaneClient>;
  readonly clock?: Clock;
  readonly newNonce?: () => string;
  /** Pause between two reads when the first read does not show our message yet. @default 50 ms */
  readonly rereadDelayMs?: number;
  /** Reads before a mismatch is reported (the retained store may be a moment behind the publish). @default 3 */
  readonly maxReads?: number;
}

/**
 * Publishes a retained message with a fresh nonce, then reads the topic's retained message back. Healthy
 * when it reads its own nonce — or the nonce of a probe that started after it (a concurrent health call
 * overwrote the same retained topic: that round trip also happened after ours began). Reads up to
 * `maxReads` times, in case the retained store is a moment behind the publish.
 */
export function iotDataPlaneProbe(options: IotDataPlaneProbeOptions): Probe {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const newNonce = options.newNonce ?? randomUUID;
  const rereadDelayMs = options.rereadDelayMs ?? 50;
  const maxReads = options.maxReads ?? 3;
  return {
    name: options.name,
    async run(signal): Promise<ProbeOutcome> {
      const client = await options.client();
      const sent: ProbeMessage = { nonce: newNonce(), startedAt: clock.now() };
      await client.send(
        new PublishCommand({ topic: options.topic, qos: 1, retain: true, payload: new TextEncoder().encode(JSON.stringify(sent)) }),
        { abortSignal: signal },
      );
      let lastSeen = 'no retained message';
      for (let attempt = 1; ; attempt++) {
        const read = await readRetained(client, options.topic, signal);
        if (read?.nonce === sent.nonce) return { healthy: true };
        if (read && read.startedAt >= sent.startedAt) return { healthy: true, detail: 'read back a concurrent probe started after ours' };
        lastSeen = read ? `a stale nonce from ${new Date(read.startedAt).toISOString()}` : 'no probe message';
        if (attempt >= maxReads) break;
        await sleep(rereadDelayMs, signal);
      }
      return { healthy: false, detail: `retained message mismatch: read back ${lastSeen}` };
    },
  };
}

/** The retained probe message; `undefined` when there is none yet or it is not a probe message. */
async function readRetained(client: IoTDataPlaneClient, topic: string, signal: AbortSignal): Promise<ProbeMessage | undefined> {
  try {
    const out = await client.send(new GetRetainedMessageCommand({ topic }), { abortSignal: signal });
    return parseProbeMessage(out.payload);
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

function parseProbeMessage(payload: Uint8Array | undefined): ProbeMessage | undefined {
  if (!payload || payload.length === 0) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(payload)) as Partial<ProbeMessage>;
    return typeof value.nonce === 'string' && typeof value.startedAt === 'number' ? { nonce: value.nonce, startedAt: value.startedAt } : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One registry read: the first page of one thing (an empty registry is healthy too). */
export function iotRegistryProbe(options: { readonly name: string; readonly client: IoTClient }): Probe {
  return {
    name: options.name,
    async run(signal) {
      await options.client.send(new ListThingsCommand({ maxResults: 1 }), { abortSignal: signal });
    },
  };
}

/**
 * Invokes a user's Lambda with `{}`. Healthy when it answers `{ "healthy": true }`, or a 2xx `statusCode`
 * without `"healthy": false`; a function error is unhealthy.
 */
export function lambdaProbe(options: { readonly name: string; readonly functionName: string; readonly client: LambdaClient }): Probe {
  return {
    name: options.name,
    async run(signal): Promise<ProbeOutcome> {
      const out = await options.client.send(
        new InvokeCommand({ FunctionName: options.functionName, Payload: new TextEncoder().encode('{}') }),
        { abortSignal: signal },
      );
      const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
      if (out.FunctionError) return { healthy: false, detail: truncate(`function error ${out.FunctionError}: ${text}`) };
      let answer: { healthy?: unknown; statusCode?: unknown } | undefined;
      try {
        answer = JSON.parse(text) as typeof answer;
      } catch {
        answer = undefined;
      }
      if (answer?.healthy === true) return { healthy: true };
      const status = typeof answer?.statusCode === 'number' ? answer.statusCode : undefined;
      if (status !== undefined && status >= 200 && status < 300 && answer?.healthy !== false) return { healthy: true };
      return { healthy: false, detail: truncate(`answered ${text || 'nothing'}`) };
    },
  };
}

/** GETs a user's URL; healthy on 2xx (redirects are not followed and count as unhealthy). */
export function urlProbe(options: { readonly name: string; readonly url: string }): Probe {
  return {
    name: options.name,
    async run(signal): Promise<ProbeOutcome> {
      const answer = await get(options.url, signal);
      return answer.status >= 200 && answer.status < 300 ? { healthy: true } : { healthy: false, detail: `HTTP ${answer.status}` };
    },
  };
}
