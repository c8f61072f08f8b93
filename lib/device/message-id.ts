/**
 * Message ids for "exactly once in effect". QoS 1 is at least once, and a switch of region re-sends every
 * message the old region did not acknowledge, so a receiver can see a message twice. The helper gives each
 * message an id; a receiver that drops ids it has seen (`MessageDeduplicator`, or a conditional write keyed
 * by the id in the cloud) processes every message exactly once.
 *
 * Where the id travels:
 * - `user-property` (MQTT 5, the default): a user property named `MESSAGE_ID_USER_PROPERTY`; the payload is
 *   untouched. In an AWS IoT rule: `get_user_property('cdk-iot-dr-message-id')`.
 * - `envelope` (MQTT 3.1.1, which has no properties): the payload is wrapped in
 *   `{"cdkIotDrMessageId":"<id>","payloadBase64":"<payload>"}`; `openEnvelope` unwraps it.
 */
import { randomUUID } from 'node:crypto';
import type { IClientPublishOptions } from 'mqtt';

export const MESSAGE_ID_USER_PROPERTY = 'cdk-iot-dr-message-id';

export type MessageIdCarrier = 'user-property' | 'envelope';

/** The parts of a received PUBLISH the helpers read (an `mqtt` `IPublishPacket` fits). */
export interface ReceivedPacketLike {
  readonly payload: Buffer | Uint8Array | string;
  readonly properties?: { readonly userProperties?: { readonly [key: string]: string | string[] } };
}

export function newMessageId(): string {
  return randomUUID();
}

export function wrapEnvelope(messageId: string, payload: Buffer): Buffer {
  return Buffer.from(JSON.stringify({ cdkIotDrMessageId: messageId, payloadBase64: payload.toString('base64') }));
}

/** The payload and publish options that carry `messageId` the way `carrier` says. */
export function withMessageId(
  carrier: MessageIdCarrier,
  messageId: string,
  payload: Buffer,
  options: { qos: 0 | 1; retain: boolean; userProperties?: { readonly [key: string]: string } },
): { payload: Buffer; options: IClientPublishOptions } {
  if (carrier === 'envelope') return { payload: wrapEnvelope(messageId, payload), options: { qos: options.qos, retain: options.retain } };
  const userProperties = { ...options.userProperties, [MESSAGE_ID_USER_PROPERTY]: messageId };
  return { payload, options: { qos: options.qos, retain: options.retain, properties: { userProperties } } };
}

/** The id and original payload of an enveloped message; `undefined` when the payload is not an envelope. */
export function openEnvelope(payload: Buffer | Uint8Array | string): { messageId: string; payload: Buffer } | undefined {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  if (!text.startsWith('{"cdkIotDrMessageId"')) return undefined;
  try {
    const value = JSON.parse(text) as { cdkIotDrMessageId?: unknown; payloadBase64?: unknown };
    if (typeof value.cdkIotDrMessageId === 'string' && typeof value.payloadBase64 === 'string') {
      return { messageId: value.cdkIotDrMessageId, payload: Buffer.from(value.payloadBase64, 'base64') };
    }
  } catch {
    // Starts like an envelope but is not JSON: an application payload.
  }
  return undefined;
}

/** The message id a received packet carries, from its user property or its envelope. */
export function messageIdOf(packet: ReceivedPacketLike): string | undefined {
  const property = packet.properties?.userProperties?.[MESSAGE_ID_USER_PROPERTY];
  if (typeof property === 'string') return property;
  if (Array.isArray(property) && typeof property[0] === 'string') return property[0];
  return openEnvelope(packet.payload)?.messageId;
}

export interface MessageDeduplicatorOptions {
  /**
   * How many ids to remember; the oldest are forgotten first.
   * @default 10000 - far more than the messages a device queues across one switch
   */
  readonly capacity?: number;
}

/**
 * Receiver-side dedup: `firstSeen(id)` is true the first time an id is offered and false for every repeat
 * among the last `capacity` ids.
 */
export class MessageDeduplicator {
  private readonly capacity: number;
  private readonly seen = new Set<string>();

  constructor(options: MessageDeduplicatorOptions = {}) {
    this.capacity = options.capacity ?? 10_000;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) {
      throw new Error(`capacity must be an integer >= 1, got ${options.capacity}`);
    }
  }

  /** True the first time `messageId` is offered; records it. */
  firstSeen(messageId: string): boolean {
    if (this.seen.has(messageId)) return false;
    this.seen.add(messageId);
    if (this.seen.size > this.capacity) {
      // A Set iterates in insertion order: the first entry is the oldest.
      this.seen.delete(this.seen.values().next().value as string);
    }
    return true;
  }

  /** How many ids are remembered. */
  get size(): number {
    return this.seen.size;
  }
}
