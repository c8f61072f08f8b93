import { EventEmitter } from 'node:events';
import type { IPublishPacket, ISubscriptionGrant, MqttClient } from 'mqtt';
import { parseFailoverNotice } from '../../lambda/contract/failover';
import { backoffDelay } from './backoff';
import type { FailoverClientState, FailoverMqttClientEvents, ResolveTrigger } from './events';
import { messageIdOf, newMessageId, openEnvelope, withMessageId } from './message-id';
import {
  loadMqttConnect,
  mqttClientOptions,
  settingsOf,
  type DevicePublishOptions,
  type DeviceSubscribeOptions,
  type FailoverMqttClientOptions,
  type MqttConnect,
  type Settings,
} from './options';
import { OutgoingQueue } from './outgoing-queue';
import { answerChanged, type ResolvedEndpoint } from './resolver';

interface PendingSubscribe {
  readonly filter: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const noop = (): void => undefined;

/** A promise whose rejection never counts as unhandled: a publish the app does not await cannot crash it. */
function settled<T>(executor: (resolve: (value: T) => void, reject: (error: Error) => void) => void): Promise<T> {
  const promise = new Promise<T>(executor);
  promise.catch(noop);
  return promise;
}

/**
 * An MQTT client that follows the region DNS points to. It connects to the custom domain (TLS SNI = that
 * domain), looks the domain up every `resolvePeriod` and at once when a failover notice arrives, and when the
 * answer points to another region it drops the connection and connects there after a jittered delay. It
 * re-subscribes on every connection (clean start: sessions do not move between regions) and keeps QoS 1
 * messages queued until a broker acknowledges them, re-sending on the next connection what the last one did
 * not acknowledge. Delivery is at least once; every message carries an id so receivers deduplicate
 * (`MessageDeduplicator`), which makes it exactly once in effect.
 *
 * Call `start()` after attaching listeners; `end()` to stop.
 */
export class FailoverMqttClient extends EventEmitter<FailoverMqttClientEvents> {
  /** The endpoint host name this client follows. */
  readonly endpoint: string;
  // ES private fields: the TLS key inside the settings never shows in util.inspect or JSON.
  readonly #s: Settings;
  #state: FailoverClientState = 'idle';
  #connectFn?: MqttConnect;
  #answer?: ResolvedEndpoint;
  #addressIndex = 0;
  #address?: string;
  #client?: MqttClient;
  /** Incremented for each connection attempt and each drop: callbacks of older connections are ignored. */
  #generation = 0;
  #attempt = 0;
  #lastError?: Error;
  #reconnectTimer?: unknown;
  #periodTimer?: unknown;
  #followUpTimer?: unknown;
  #followUpsLeft = 0;
  #resolving = false;
  #resolveAgain?: ResolveTrigger;
  readonly #subscriptions = new Map<string, 0 | 1>();
  #pendingSubscribes: PendingSubscribe[] = [];
  readonly #queue: OutgoingQueue;

  constructor(options: FailoverMqttClientOptions) {
    super();
    this.#s = settingsOf(options);
    this.endpoint = this.#s.endpoint;
    this.#queue = new OutgoingQueue(this.#s.maxQueuedMessages, this.#s.maxInflightMessages, () => this.#generation);
  }

  get state(): FailoverClientState {
    return this.#state;
  }

  /** The address of the current (or last attempted) connection. */
  get address(): string | undefined {
    return this.#address;
  }

  /** The last DNS answer acted on. */
  get answer(): ResolvedEndpoint | undefined {
    return this.#answer;
  }

  /** QoS 1 messages not yet acknowledged by a broker. */
  get queuedMessages(): number {
    return this.#queue.size;
  }

  /** Topic filters re-subscribed on every connection (the failover notice topic not included). */
  get subscriptions(): string[] {
    return [...this.#subscriptions.keys()];
  }

  /** Looks the endpoint up and connects; then keeps following it. */
  start(): void {
    if (this.#state !== 'idle') throw new Error(`start() was already called (state: ${this.#state})`);
    this.#state = 'connecting';
    this.#schedulePeriodicLookup();
    void this.#resolve('start');
  }

  /** Looks the endpoint up now; switches region when the answer changed. */
  resolveNow(): Promise<void> {
    if (this.#state === 'idle') return Promise.reject(new Error('call start() first'));
    return this.#resolve('manual');
  }

  /**
   * Publishes a message; resolves with its message id once a broker acknowledged it (QoS 1) or it was
   * written (QoS 0). Rejects when the queue is full, for QoS 0 while disconnected, when a broker refuses the
   * message, or when `end()` is called before an acknowledgement.
   */
  publish(topic: string, payload: string | Buffer, options: DevicePublishOptions = {}): Promise<string> {
    const qos = options.qos ?? 1;
    const id = options.messageId ?? newMessageId();
    const wire = withMessageId(this.#s.messageIdCarrier, id, typeof payload === 'string' ? Buffer.from(payload) : payload, {
      qos,
      retain: options.retain ?? false,
      userProperties: options.userProperties,
    });
    return settled<string>((resolve, reject) => {
      if (this.#state === 'ended') return reject(new Error('publish after end()'));
      if (qos === 0) {
        const client = this.#client;
        if (this.#state !== 'connected' || !client) return reject(new Error('not connected: QoS 0 messages are not queued'));
        client.publish(topic, wire.payload, wire.options, (error) => (error ? reject(error) : resolve(id)));
        return;
      }
      const refused = this.#queue.add({ id, topic, payload: wire.payload, options: wire.options, resolve, reject });
      if (refused) return reject(refused);
      this.#pump();
    });
  }

  /** Subscribes now (when connected) and on every later connection; resolves once a broker granted it. */
  subscribe(topicFilter: string, options: DeviceSubscribeOptions = {}): Promise<void> {
    const qos = options.qos ?? 1;
    this.#subscriptions.set(topicFilter, qos);
    return settled<void>((resolve, reject) => {
      // Settled by this connection's SUBACK or, if it drops first, by the next connection's re-subscription.
      this.#pendingSubscribes.push({ filter: topicFilter, resolve, reject });
      const client = this.#client;
      if (this.#state !== 'connected' || !client) return;
      const generation = this.#generation;
      client.subscribe({ [topicFilter]: { qos } }, (error, granted) => {
        if (error && generation !== this.#generation) return;
        this.#pendingSubscribes = this.#pendingSubscribes.filter((p) => p.resolve !== resolve);
        if (error) reject(error);
        else if (this.#refused(granted).length > 0) reject(new Error(`subscription to ${topicFilter} was refused`));
        else resolve();
      });
    });
  }

  /** Stops subscribing to `topicFilter`, now and on later connections. */
  unsubscribe(topicFilter: string): Promise<void> {
    this.#subscriptions.delete(topicFilter);
    return settled<void>((resolve, reject) => {
      const client = this.#client;
      if (this.#state === 'connected' && client) client.unsubscribe(topicFilter, (error) => (error ? reject(error) : resolve()));
      else resolve();
    });
  }

  /**
   * Stops following the endpoint and closes the connection. QoS 1 messages still waiting for an
   * acknowledgement are rejected (their promises say so); persist them if they must survive a restart.
   */
  async end(): Promise<void> {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    for (const timer of [this.#reconnectTimer, this.#periodTimer, this.#followUpTimer]) {
      if (timer !== undefined) this.#s.clock.clearTimeout(timer);
    }
    const client = this.#client;
    this.#client = undefined;
    this.#generation++;
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    this.#queue.rejectAll(new Error('end() before the message was acknowledged'));
    for (const pending of this.#pendingSubscribes) pending.reject(new Error('end() before the subscription was made'));
    this.#pendingSubscribes = [];
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error); // no listener: no crash, errors are retried
  }

  #schedulePeriodicLookup(): void {
    this.#periodTimer = this.#s.clock.setTimeout(() => {
      if (this.#state === 'ended') return;
      this.#schedulePeriodicLookup();
      void this.#resolve('period');
    }, this.#s.resolvePeriod);
  }

  async #resolve(trigger: ResolveTrigger): Promise<void> {
    if (this.#state === 'ended') return;
    if (this.#resolving) {
      // One lookup at a time; a trigger arriving meanwhile gets one more lookup after it.
      this.#resolveAgain = trigger;
      return;
    }
    this.#resolving = true;
    try {
      await this.#lookUp(trigger);
    } finally {
      this.#resolving = false;
      const again = this.#resolveAgain;
      this.#resolveAgain = undefined;
      if (again !== undefined) void this.#resolve(again);
    }
  }

  async #lookUp(trigger: ResolveTrigger): Promise<void> {
    let answer: ResolvedEndpoint;
    try {
      answer = await this.#s.resolver(this.endpoint);
      if (answer.addresses.length === 0) throw new Error('the answer has no addresses');
    } catch (error) {
      this.#emitError(new Error(`looking up ${this.endpoint} failed: ${(error as Error).message}`, { cause: error }));
      if (this.#answer === undefined) this.#retryAfter(this.#nextDelay(), () => void this.#resolve('start'));
      return;
    }
    if (this.#state === 'ended') return;
    const previous = this.#answer;
    const changed = previous === undefined || answerChanged(previous, this.#address, answer);
    this.emit('resolved', { endpoint: this.endpoint, answer, changed, trigger, at: this.#s.clock.now() });
    if (previous === undefined) {
      this.#answer = answer;
      this.#connectNow();
    } else if (changed) {
      this.#switchTo(answer, trigger);
    } else {
      this.#answer = answer;
      if ((trigger === 'failover-notice' || trigger === 'notice-follow-up') && this.#followUpsLeft > 0) {
        this.#followUpsLeft--;
        this.#followUpTimer = this.#s.clock.setTimeout(() => void this.#resolve('notice-follow-up'), this.#s.noticeFollowUp.interval);
      }
    }
  }

  #switchTo(answer: ResolvedEndpoint, trigger: ResolveTrigger): void {
    const from = this.#address;
    this.#answer = answer;
    this.#addressIndex = 0;
    this.#followUpsLeft = 0;
    if (this.#followUpTimer !== undefined) this.#s.clock.clearTimeout(this.#followUpTimer);
    this.#dropClient();
    this.#attempt = 0;
    const delayMs = this.#nextDelay();
    this.emit('switching', { endpoint: this.endpoint, from, to: answer.addresses[0], trigger, delayMs, at: this.#s.clock.now() });
    this.#retryAfter(delayMs, () => this.#connectNow());
  }

  /** The next backoff delay; counts the attempt. */
  #nextDelay(): number {
    return backoffDelay(this.#attempt++, this.#s.backoff, this.#s.random);
  }

  #retryAfter(delayMs: number, action: () => void): void {
    if (this.#reconnectTimer !== undefined) this.#s.clock.clearTimeout(this.#reconnectTimer);
    this.#state = 'waiting';
    this.#reconnectTimer = this.#s.clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state !== 'ended') action();
    }, delayMs);
  }

  #connectNow(): void {
    const answer = this.#answer;
    if (this.#state === 'ended' || !answer) return;
    const address = answer.addresses[this.#addressIndex % answer.addresses.length];
    this.#address = address;
    this.#state = 'connecting';
    this.#lastError = undefined;
    const generation = ++this.#generation;
    const connectFn = this.#connectFn ?? this.#s.connect;
    void (connectFn ? Promise.resolve(connectFn) : loadMqttConnect()).then(
      (connect) => {
        this.#connectFn = connect;
        if (generation !== this.#generation) return;
        let client: MqttClient;
        try {
          client = connect(mqttClientOptions(this.#s, address));
        } catch (error) {
          this.#lastError = error as Error;
          this.#emitError(error as Error);
          return this.#onClose(generation, address);
        }
        this.#client = client;
        client.on('connect', () => this.#onConnect(generation, client, address));
        client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
        client.on('error', (error) => {
          if (generation === this.#generation) this.#lastError = error;
          this.#emitError(error);
        });
        client.on('close', () => this.#onClose(generation, address));
      },
      (error: Error) => {
        this.#emitError(error);
        this.#lastError = error;
        this.#onClose(generation, address);
      },
    );
  }

  #onConnect(generation: number, client: MqttClient, address: string): void {
    if (generation !== this.#generation) return;
    this.#state = 'connected';
    this.#attempt = 0;
    this.#queue.newConnection();
    const queued = this.#queue.size;
    const filters: Record<string, { qos: 0 | 1 }> = {};
    for (const [filter, qos] of this.#subscriptions) filters[filter] = { qos };
    if (this.#s.noticeTopic) filters[this.#s.noticeTopic] = { qos: 1 };
    this.#pump();
    const done = (refused: string[]): void => {
      const pending = this.#pendingSubscribes;
      this.#pendingSubscribes = [];
      for (const p of pending) {
        if (refused.includes(p.filter)) p.reject(new Error(`subscription to ${p.filter} was refused`));
        else p.resolve();
      }
      const subscriptions = Object.keys(filters).filter((f) => !refused.includes(f));
      this.emit('connected', {
        endpoint: this.endpoint,
        address,
        servername: this.#s.protocol === 'mqtts' ? this.#s.servername : undefined,
        subscriptions,
        queued,
        at: this.#s.clock.now(),
      });
    };
    if (Object.keys(filters).length === 0) return done([]);
    client.subscribe(filters, (error, granted) => {
      if (generation !== this.#generation) return;
      if (error) return this.#emitError(new Error(`re-subscribing on ${address} failed: ${error.message}`, { cause: error }));
      const refused = this.#refused(granted);
      if (refused.length > 0) this.#emitError(new Error(`subscriptions refused on ${address}: ${refused.join(', ')}`));
      done(refused);
    });
  }

  #refused = (granted: ISubscriptionGrant[] | undefined): string[] => (granted ?? []).filter((g) => g.qos >= 0x80).map((g) => g.topic);

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (this.#s.noticeTopic !== undefined && topic === this.#s.noticeTopic) {
      const notice = parseFailoverNotice(openEnvelope(payload)?.payload ?? payload);
      if (!notice) return this.#emitError(new Error(`ignored a malformed failover notice on ${topic}`));
      this.emit('failover-notice', notice);
      if (this.#followUpTimer !== undefined) this.#s.clock.clearTimeout(this.#followUpTimer);
      this.#followUpsLeft = this.#s.noticeFollowUp.count;
      void this.#resolve('failover-notice');
      return;
    }
    const envelope = openEnvelope(payload);
    this.emit('message', { topic, payload: envelope?.payload ?? payload, messageId: messageIdOf(packet), packet });
  }

  #onClose(generation: number, address: string): void {
    if (generation !== this.#generation || this.#state === 'ended') return;
    const wasConnected = this.#state === 'connected';
    this.#dropClient();
    // An attempt that failed tries the answer's next address; a dropped connection retries the same one.
    if (!wasConnected) this.#addressIndex++;
    const attempt = this.#attempt + 1;
    const retryInMs = this.#nextDelay();
    const reason = this.#lastError?.message ?? 'connection closed';
    this.emit('disconnected', { address, reason, wasConnected, attempt, retryInMs, at: this.#s.clock.now() });
    this.#retryAfter(retryInMs, () => this.#connectNow());
    // A drop is a hint that the region may have gone: look up now; a changed answer replaces the wait.
    if (wasConnected) void this.#resolve('connection-lost');
  }

  /** Forgets the current connection (closing it); its callbacks become stale. */
  #dropClient(): void {
    const client = this.#client;
    this.#client = undefined;
    this.#generation++;
    this.#queue.newConnection();
    if (this.#state !== 'ended') this.#state = 'waiting';
    if (!client) return;
    client.removeAllListeners();
    client.on('error', noop);
    client.end(true);
  }

  #pump(): void {
    if (this.#state === 'connected' && this.#client) this.#queue.pump(this.#client);
  }
}
