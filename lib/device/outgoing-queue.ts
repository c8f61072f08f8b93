import type { IClientPublishOptions, MqttClient } from 'mqtt';

/** A QoS 1 message waiting for a broker's acknowledgement. */
export interface QueuedMessage {
  readonly id: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly options: IClientPublishOptions;
  readonly resolve: (id: string) => void;
  readonly reject: (error: Error) => void;
}

interface Entry extends QueuedMessage {
  /** The connection (generation) it was last sent on; -1 when it must be sent again. */
  sentOn: number;
}

/**
 * The helper's own QoS 1 queue. It outlives every MQTT connection: a message leaves it only when a broker
 * acknowledged it (on any connection, old or new), so what one region did not acknowledge is sent again on
 * the next connection, in the original order. Each connection carries at most `maxInflight` unacknowledged
 * messages, which also bounds the duplicates a switch can cause.
 */
export class OutgoingQueue {
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Set<string>();

  constructor(
    private readonly maxQueued: number,
    private readonly maxInflight: number,
    /** The current connection's generation: acknowledgements and failures of older ones are told apart. */
    private readonly currentGeneration: () => number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Queues a message; the error when it cannot be. */
  add(message: QueuedMessage): Error | undefined {
    if (this.#entries.has(message.id)) return new Error(`message id ${message.id} is already queued`);
    if (this.#entries.size >= this.maxQueued) {
      return new Error(`queue full: ${this.#entries.size} QoS 1 messages wait for an acknowledgement (maxQueuedMessages)`);
    }
    this.#entries.set(message.id, { ...message, sentOn: -1 });
    return undefined;
  }

  /** A new connection (or none): nothing is in flight on it yet. */
  newConnection(): void {
    this.#inflight.clear();
  }

  /** Sends, on `client`, queued messages it has not carried yet, within the in-flight window. */
  pump(client: MqttClient): void {
    const generation = this.currentGeneration();
    for (const entry of this.#entries.values()) {
      if (this.#inflight.size >= this.maxInflight) break;
      if (entry.sentOn === generation) continue;
      entry.sentOn = generation;
      this.#inflight.add(entry.id);
      client.publish(entry.topic, entry.payload, entry.options, (error) => this.#done(client, entry, generation, error));
    }
  }

  /** Rejects and forgets every queued message. */
  rejectAll(error: Error): void {
    for (const entry of this.#entries.values()) entry.reject(error);
    this.#entries.clear();
    this.#inflight.clear();
  }

  #done(client: MqttClient, entry: Entry, generation: number, error: Error | undefined): void {
    const reasonCode = (error as { code?: unknown } | undefined)?.code;
    const refused = typeof reasonCode === 'number' && reasonCode >= 0x80;
    if (error && !refused) {
      // Not acknowledged (the connection closed): it stays queued and goes out again on the next connection.
      if (entry.sentOn === generation && generation === this.currentGeneration()) {
        this.#inflight.delete(entry.id);
        entry.sentOn = -1;
      }
      return;
    }
    // Acknowledged (or refused) by any connection; a re-sent copy's later acknowledgement finds nothing.
    if (this.#entries.get(entry.id) !== entry) return;
    this.#entries.delete(entry.id);
    this.#inflight.delete(entry.id);
    if (error) entry.reject(new Error(`the broker refused the message (reason code ${reasonCode}): ${error.message}`, { cause: error }));
    else entry.resolve(entry.id);
    if (generation === this.currentGeneration()) this.pump(client);
  }
}
