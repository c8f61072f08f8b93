/**
 * The device helper's pure parts and its connection options, without a broker: backoff, the "did the
 * region change" rule, message ids and dedup, TLS/SNI/ALPN defaults, the key kept out of sight, and the
 * queue's limits.
 */
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { IClientOptions, MqttClient } from 'mqtt';
import {
  answerChanged,
  backoffDelay,
  DEFAULT_BACKOFF,
  DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS,
  FAILOVER_NOTICE_TOPIC,
  FailoverMqttClient,
  MESSAGE_ID_USER_PROPERTY,
  MessageDeduplicator,
  messageIdOf,
  openEnvelope,
  wrapEnvelope,
  type FailoverMqttClientOptions,
} from '../../../lib/device';
import { withMessageId } from '../../../lib/device/message-id';
import { DEFAULT_RTO_INPUTS } from '../../../lib/shared-services/rto';

describe('backoffDelay', () => {
  const backoff = { initialDelay: 1000, maxDelay: 60_000, multiplier: 2 };

  test('never exceeds maxDelay, however many attempts failed', () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      expect(backoffDelay(attempt, backoff, () => 0.999999)).toBeLessThanOrEqual(60_000);
    }
    expect(backoffDelay(10_000, backoff, () => 0.999999)).toBe(59_999);
  });

  test('full jitter: a uniform draw between 0 and the exponential ceiling', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, backoff, () => 0.5))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(3, backoff, () => 0)).toBe(0);
    const draws = new Set(Array.from({ length: 50 }, (_, i) => backoffDelay(4, backoff, () => i / 50)));
    expect(draws.size).toBe(50);
  });

  test('rejects options that make no sense, naming the option', () => {
    expect(() => new FailoverMqttClient({ endpoint: 'e', clientId: 'c', backoff: { initialDelay: 100, maxDelay: 10 } })).toThrow(/backoff.maxDelay must be >= backoff.initialDelay/);
    expect(() => new FailoverMqttClient({ endpoint: 'e', clientId: 'c', backoff: { multiplier: 0.5 } })).toThrow(/backoff.multiplier must be >= 1/);
    expect(DEFAULT_BACKOFF).toEqual({ initialDelay: 1000, maxDelay: 60_000, multiplier: 2 });
  });
});

describe('answerChanged', () => {
  test('by CNAME when both answers have one: rotating addresses of one regional endpoint are no change', () => {
    const a = { addresses: ['192.0.2.1', '192.0.2.2'], canonicalName: 'abc-ats.iot.eu-west-1.amazonaws.com' };
    expect(answerChanged(a, '192.0.2.1', { addresses: ['192.0.2.9'], canonicalName: 'ABC-ats.iot.eu-west-1.amazonaws.com' })).toBe(false);
    expect(answerChanged(a, '192.0.2.1', { addresses: ['192.0.2.1'], canonicalName: 'abc-ats.iot.eu-central-1.amazonaws.com' })).toBe(true);
  });

  test('by address otherwise: changed when the address in use left the answer', () => {
    const a = { addresses: ['192.0.2.1', '192.0.2.2'] };
    expect(answerChanged(a, '192.0.2.2', { addresses: ['192.0.2.3', '192.0.2.2'] })).toBe(false);
    expect(answerChanged(a, '192.0.2.2', { addresses: ['198.51.100.1'] })).toBe(true);
    expect(answerChanged(a, undefined, { addresses: ['192.0.2.1'] })).toBe(false);
  });
});

describe('message ids', () => {
  test('MQTT 5: a user property, payload untouched', () => {
    const wire = withMessageId('user-property', 'id-1', Buffer.from('{"t":21}'), { qos: 1, retain: false, userProperties: { app: 'x' } });
    expect(wire.payload.toString()).toBe('{"t":21}');
    expect(wire.options.properties?.userProperties).toEqual({ app: 'x', [MESSAGE_ID_USER_PROPERTY]: 'id-1' });
    expect(messageIdOf({ payload: wire.payload, properties: wire.options.properties as never })).toBe('id-1');
  });

  test('MQTT 3.1.1: an envelope that round-trips any payload', () => {
    const body = Buffer.from([0, 1, 2, 255]);
    const wire = withMessageId('envelope', 'id-2', body, { qos: 1, retain: false });
    expect(openEnvelope(wire.payload)).toEqual({ messageId: 'id-2', payload: body });
    expect(messageIdOf({ payload: wrapEnvelope('id-3', Buffer.from('x')) })).toBe('id-3');
    expect(openEnvelope('{"cdkIotDrMessageId": broken')).toBeUndefined();
    expect(openEnvelope('{"temperature":21}')).toBeUndefined();
    expect(messageIdOf({ payload: '{"temperature":21}' })).toBeUndefined();
  });

  test('MessageDeduplicator: first sight true, repeats false, oldest forgotten beyond capacity', () => {
    const dedup = new MessageDeduplicator({ capacity: 3 });
    expect(['a', 'b', 'a', 'c', 'b'].map((id) => dedup.firstSeen(id))).toEqual([true, true, false, true, false]);
    dedup.firstSeen('d');
    expect(dedup.size).toBe(3);
    expect(dedup.firstSeen('a')).toBe(true);
    expect(() => new MessageDeduplicator({ capacity: 0 })).toThrow(/capacity must be an integer >= 1/);
  });
});

/** A stand-in for mqtt.js's client: records what it is asked, connects when told. */
class FakeMqttClient extends EventEmitter {
  published: { topic: string; payload: Buffer }[] = [];
  subscribed: string[] = [];
  publish(topic: string, payload: Buffer, _options: unknown, callback: (error?: Error) => void): this {
    this.published.push({ topic, payload });
    setImmediate(() => callback());
    return this;
  }
  subscribe(filters: Record<string, unknown>, callback: (error: Error | null, granted: { topic: string; qos: number }[]) => void): this {
    this.subscribed.push(...Object.keys(filters));
    setImmediate(() => callback(null, Object.keys(filters).map((topic) => ({ topic, qos: 1 }))));
    return this;
  }
  end(_force?: boolean, _options?: unknown, callback?: () => void): this {
    setImmediate(() => callback?.());
    return this;
  }
}

function fakeDevice(options: Partial<FailoverMqttClientOptions> = {}): { client: FailoverMqttClient; connections: IClientOptions[]; fakes: FakeMqttClient[] } {
  const connections: IClientOptions[] = [];
  const fakes: FakeMqttClient[] = [];
  const client = new FailoverMqttClient({
    endpoint: 'iot.example.com',
    clientId: 'thing-1',
    resolver: async () => ({ addresses: ['192.0.2.10'] }),
    connect: (o) => {
      connections.push(o);
      const fake = new FakeMqttClient();
      fakes.push(fake);
      return fake as unknown as MqttClient;
    },
    ...options,
  });
  return { client, connections, fakes };
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

describe('connection options', () => {
  test('production defaults: mqtts on 8883 to the resolved address, SNI = the custom domain, clean start, no mqtt.js reconnects', async () => {
    const { client, connections } = fakeDevice({ key: 'KEY-PEM', cert: 'CERT-PEM' });
    client.start();
    await until(() => connections.length === 1);
    expect(connections[0]).toMatchObject({
      protocol: 'mqtts',
      host: '192.0.2.10',
      port: 8883,
      servername: 'iot.example.com',
      rejectUnauthorized: true,
      key: 'KEY-PEM',
      cert: 'CERT-PEM',
      clientId: 'thing-1',
      clean: true,
      protocolVersion: 5,
      reconnectPeriod: 0,
      resubscribe: false,
    });
    expect(connections[0].ALPNProtocols).toBeUndefined();
    await client.end();
  });

  test("port 443 uses AWS IoT's ALPN protocol x-amzn-mqtt-ca; servername can be set", async () => {
    const { client, connections } = fakeDevice({ port: 443, servername: 'devices.example.com' });
    client.start();
    await until(() => connections.length === 1);
    expect(connections[0]).toMatchObject({ port: 443, ALPNProtocols: ['x-amzn-mqtt-ca'], servername: 'devices.example.com' });
    await client.end();
  });

  test('the default resolve period is the one FailoverRouting counts in its RTO estimate', async () => {
    expect(DEFAULT_RTO_INPUTS.deviceResolvePeriodSeconds).toBe(DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS);
    const timers: number[] = [];
    const clock = { now: () => 0, setTimeout: (_cb: () => void, ms: number) => timers.push(ms), clearTimeout: () => undefined };
    const { client } = fakeDevice({ clock });
    client.start();
    expect(timers[0]).toBe(DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS * 1000);
    await client.end();
  });

  test('MQTT 3.1.1 cannot carry the id as a user property', () => {
    expect(() => fakeDevice({ protocolVersion: 4, messageIdCarrier: 'user-property' })).toThrow(/needs protocolVersion 5/);
    expect(() => fakeDevice({ resolvePeriod: 0 })).toThrow(/resolvePeriod must be a number > 0/);
  });

  test('the private key never shows: not in util.inspect, JSON, or any event', async () => {
    const { client, fakes } = fakeDevice({ key: 'SECRET-KEY-PEM' });
    const events: unknown[] = [];
    for (const name of ['resolved', 'switching', 'connected', 'disconnected', 'error'] as const) client.on(name, (e: unknown) => events.push(e));
    client.start();
    await until(() => fakes.length === 1);
    fakes[0].emit('connect');
    await until(() => events.length >= 2);
    fakes[0].emit('error', new Error('boom'));
    fakes[0].emit('close');
    await until(() => events.some((e) => (e as { wasConnected?: boolean }).wasConnected === true));
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain('SECRET');
    expect(JSON.stringify(client)).not.toContain('SECRET');
    expect(JSON.stringify(events.map((e) => (e instanceof Error ? e.message : e)))).not.toContain('SECRET');
    await client.end();
  });
});

describe('publishing limits', () => {
  test('QoS 0 while disconnected rejects; a full queue rejects; end() rejects what was not acknowledged', async () => {
    const { client, fakes } = fakeDevice({ maxQueuedMessages: 2 });
    client.start();
    await expect(client.publish('t', 'x', { qos: 0 })).rejects.toThrow(/not connected/);
    const first = client.publish('t', 'a');
    const second = client.publish('t', 'b');
    await expect(client.publish('t', 'c')).rejects.toThrow(/queue full: 2 QoS 1 messages/);
    // Never awaited: must not surface as an unhandled rejection when end() rejects it.
    void client.publish('t', 'd').catch(() => undefined);
    await client.end();
    await expect(first).rejects.toThrow(/end\(\) before the message was acknowledged/);
    await expect(second).rejects.toThrow(/end\(\)/);
    expect(fakes.every((f) => f.published.length === 0)).toBe(true);
  });

  test('queued QoS 1 messages go out, in order, once connected; the notice topic is subscribed', async () => {
    const { client, fakes } = fakeDevice();
    const sent = ['a', 'b', 'c'].map((p) => client.publish('t', p));
    client.start();
    await until(() => fakes.length === 1);
    fakes[0].emit('connect');
    await Promise.all(sent);
    expect(fakes[0].published.map((m) => m.payload.toString())).toEqual(['a', 'b', 'c']);
    expect(fakes[0].subscribed).toEqual([FAILOVER_NOTICE_TOPIC]);
    expect(client.queuedMessages).toBe(0);
    await client.end();
  });
});
