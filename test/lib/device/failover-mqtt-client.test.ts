/**
 * The device helper against real MQTT brokers: two aedes brokers on loopback (child processes, so a region
 * can be killed) stand in for the two regions' IoT Core, and a switchable in-memory resolver for Route 53.
 * Waits are event-driven with generous timeouts; assertions count outcomes, never wall-clock rates.
 */
import { FAILOVER_NOTICE_TOPIC, FailoverMqttClient, MessageDeduplicator, messageIdOf, type FailoverMqttClientEvents, type FailoverMqttClientOptions } from '../../../lib/device';
import { connectVia, LocalBrokerHost, type LocalRegion } from '../../../scripts/drill/local-region';
import { SwitchableResolver } from '../../../scripts/drill/switchable-resolver';

jest.setTimeout(30_000);

const ENDPOINT = 'iot.example.com';
const WAIT_MS = 10_000;
const TELEMETRY = 'dt/thing-1/telemetry';
const COMMANDS = 'cmd/thing-1';

type EventName = keyof FailoverMqttClientEvents;
type EventOf<E extends EventName> = FailoverMqttClientEvents[E][0];

/** Every event the client emitted, in order. */
function record(client: FailoverMqttClient): { name: EventName; event: unknown }[] {
  const log: { name: EventName; event: unknown }[] = [];
  for (const name of ['resolved', 'switching', 'connected', 'disconnected', 'failover-notice', 'message'] as const) {
    client.on(name, (event: unknown) => log.push({ name, event }));
  }
  client.on('error', () => undefined);
  return log;
}

function next<E extends EventName>(client: FailoverMqttClient, name: E, match: (event: EventOf<E>) => boolean = () => true): Promise<EventOf<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(name, listener as never);
      reject(new Error(`no '${name}' event within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const listener = (event: EventOf<E>): void => {
      if (!match(event)) return;
      clearTimeout(timer);
      client.off(name, listener as never);
      resolve(event);
    };
    client.on(name, listener as never);
  });
}

/** Message ids of the device's telemetry a region received (with repeats). */
function idsAt(region: LocalRegion): string[] {
  return region.received.filter((m) => m.topic === TELEMETRY).map((m) => messageIdOf(m)!);
}

/**
 * Waits until the brokers' reports name every acknowledged id. A broker acknowledges only after reporting, but
 * the report (IPC) and the PUBACK (TCP) reach this process independently; an id that never shows is lost.
 */
async function arrived(ids: string[], ...regions: LocalRegion[]): Promise<void> {
  const all = (): boolean => {
    const seen = new Set(regions.flatMap(idsAt));
    return ids.every((id) => seen.has(id));
  };
  const deadline = Date.now() + WAIT_MS;
  while (!all() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/**
 * Waits until the brokers' reports (IPC, independent of the MQTT traffic the client saw) satisfy `done`, so a
 * count is asserted once the report of the last event has arrived, however loaded the machine.
 */
async function reported(done: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('FailoverMqttClient against two local regions', () => {
  let primary: LocalRegion;
  let secondary: LocalRegion;
  let resolver: SwitchableResolver;
  let client: FailoverMqttClient | undefined;

  let host: LocalBrokerHost;

  // The brokers' process starts once per file (Node.js and aedes take a second to start on a loaded
  // machine); a region a test kills is back (instantly) before the next test.
  beforeAll(async () => {
    host = await LocalBrokerHost.start();
    primary = host.region('eu-west-1', '10.0.1.1');
    secondary = host.region('eu-central-1', '10.0.2.1');
  });

  beforeEach(async () => {
    await Promise.all([primary, secondary].filter((r) => !r.up).map((r) => r.start()));
    primary.reset();
    secondary.reset();
    resolver = new SwitchableResolver({ addresses: [primary.address] });
  });

  afterEach(async () => {
    await client?.end();
    client = undefined;
  });

  afterAll(async () => {
    await host.stop();
  });

  function device(options: Partial<FailoverMqttClientOptions> = {}): FailoverMqttClient {
    client = new FailoverMqttClient({
      endpoint: ENDPOINT,
      clientId: 'thing-1',
      protocol: 'mqtt',
      protocolVersion: 4,
      resolvePeriod: 100,
      backoff: { initialDelay: 20, maxDelay: 200 },
      resolver: resolver.resolve,
      connect: connectVia([primary, secondary]),
      ...options,
    });
    return client;
  }

  test('a switch with both regions up re-sends what the old region did not acknowledge; dedup leaves each once', async () => {
    const c = device({ maxInflightMessages: 5 });
    c.start();
    await next(c, 'connected');
    const sent: Promise<string>[] = [];
    for (let i = 0; i < 20; i++) sent.push(c.publish(TELEMETRY, `m${i}`));
    // Flip and look up in the same tick: the first five are in flight, unacknowledged, when the helper
    // drops the primary's connection.
    const onSecondary = next(c, 'connected', (e) => e.address === secondary.address);
    resolver.set({ addresses: [secondary.address] });
    void c.resolveNow();
    for (let i = 20; i < 40; i++) sent.push(c.publish(TELEMETRY, `m${i}`));
    const connected = await onSecondary;
    const ids = await Promise.all(sent);
    expect(connected.queued).toBe(40);
    await arrived(ids, primary, secondary);
    const atBrokers = [...idsAt(primary), ...idsAt(secondary)];
    const dedup = new MessageDeduplicator();
    const unique = atBrokers.filter((id) => dedup.firstSeen(id));
    expect(unique.sort()).toEqual([...ids].sort());
    expect(idsAt(secondary)).toHaveLength(40);
    expect(idsAt(primary).length).toBeLessThanOrEqual(5);
    expect(primary.connects).toBe(1);
    expect(secondary.connects).toBe(1);
  });

  test('a failover notice triggers an immediate lookup (no periodic lookup needed)', async () => {
    const c = device({ resolvePeriod: 600_000 });
    const events = record(c);
    c.start();
    await next(c, 'connected', (e) => e.address === primary.address);
    expect(resolver.lookups).toBe(1);

    resolver.set({ addresses: [secondary.address] });
    const notice = next(c, 'failover-notice');
    const onSecondary = next(c, 'connected', (e) => e.address === secondary.address);
    await primary.publish(FAILOVER_NOTICE_TOPIC, JSON.stringify({ activeRegion: secondary.name, reason: 'manual:force-secondary', at: '2026-12-02T00:00:00Z' }));
    expect(await notice).toEqual({ activeRegion: secondary.name, reason: 'manual:force-secondary', at: '2026-12-02T00:00:00Z' });
    await onSecondary;
    expect(resolver.lookups).toBe(2);
    const resolved = events.filter((e) => e.name === 'resolved').map((e) => e.event as EventOf<'resolved'>);
    expect(resolved.map((r) => [r.trigger, r.changed])).toEqual([
      ['start', true],
      ['failover-notice', true],
    ]);
  });

  test('after a notice that still sees the old (cached) answer, follow-up lookups catch the flip', async () => {
    const c = device({ resolvePeriod: 600_000, noticeFollowUp: { interval: 30, count: 20 } });
    const events = record(c);
    c.start();
    await next(c, 'connected');
    const onSecondary = next(c, 'connected', (e) => e.address === secondary.address);
    await primary.publish(FAILOVER_NOTICE_TOPIC, JSON.stringify({ activeRegion: secondary.name, reason: 'health-check-alarm', at: '2026-12-02T00:00:00Z' }));
    // The resolver's cache expires a few follow-ups later.
    await next(c, 'resolved', (r) => r.trigger === 'notice-follow-up');
    resolver.set({ addresses: [secondary.address] });
    await onSecondary;
    const triggers = events.filter((e) => e.name === 'resolved').map((e) => e.event as EventOf<'resolved'>);
    expect(triggers[1]).toMatchObject({ trigger: 'failover-notice', changed: false });
    expect(triggers[triggers.length - 1]).toMatchObject({ trigger: 'notice-follow-up', changed: true });
  });

  test('an unchanged answer does not reconnect, also when the addresses behind one CNAME rotate', async () => {
    const cname = 'abc123-ats.iot.eu-west-1.amazonaws.com';
    resolver.set({ addresses: [primary.address, '10.0.1.2'], canonicalName: cname });
    const c = device({ resolvePeriod: 20 });
    const events = record(c);
    c.start();
    await next(c, 'connected');
    let lookups = 0;
    await new Promise<void>((resolve) =>
      c.on('resolved', () => {
        lookups++;
        // Another address first, same CNAME: the same region.
        resolver.set({ addresses: lookups % 2 ? ['10.0.1.2', primary.address] : [primary.address, '10.0.1.2'], canonicalName: cname });
        if (lookups === 8) resolve();
      }),
    );
    const resolved = events.filter((e) => e.name === 'resolved').map((e) => e.event as EventOf<'resolved'>);
    expect(resolved.filter((r) => r.trigger === 'period').every((r) => !r.changed)).toBe(true);
    expect(events.filter((e) => e.name === 'switching' || e.name === 'disconnected')).toEqual([]);
    expect(primary.connects).toBe(1);
    expect(secondary.connects).toBe(0);
  });

  test('backoff: each refused attempt waits a jittered delay under the cap; the attempt after the faults connects', async () => {
    await primary.refuseConnects(5);
    const draws = [0.9, 0.1, 0.5, 0.99, 0.3, 0.7];
    let i = 0;
    const c = device({ backoff: { initialDelay: 10, maxDelay: 40, multiplier: 2 }, random: () => draws[i++ % draws.length] });
    const events = record(c);
    c.start();
    await next(c, 'connected');
    const drops = events.filter((e) => e.name === 'disconnected').map((e) => e.event as EventOf<'disconnected'>);
    await reported(() => primary.refused >= 5 && primary.connects >= 1);
    expect(primary.refused).toBe(5);
    expect(primary.connects).toBe(1);
    expect(drops.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
    // Full jitter: floor(draw × min(maxDelay, initialDelay × 2^n)).
    expect(drops.map((d) => d.retryInMs)).toEqual([9, 2, 20, 39, 12]);
    expect(drops.every((d) => d.retryInMs >= 0 && d.retryInMs < 40 && !d.wasConnected)).toBe(true);
  });

  test('a dropped connection with an unchanged answer reconnects to the same region and re-subscribes', async () => {
    const c = device();
    void c.subscribe(COMMANDS);
    c.start();
    await next(c, 'connected');
    const again = next(c, 'connected');
    await primary.dropConnections();
    const event = await again;
    expect(event.address).toBe(primary.address);
    const resubscribed = () => primary.subscribes.filter((s) => s.topics.includes(COMMANDS));
    await reported(() => primary.connects >= 2 && resubscribed().length >= 2);
    expect(primary.connects).toBe(2);
    expect(resubscribed()).toHaveLength(2);
    expect(secondary.connects).toBe(0);
  });
  test('primary killed, DNS flipped: on the secondary, re-subscribed, every QoS 1 message exactly once after dedup', async () => {
    const c = device();
    const events = record(c);
    void c.subscribe(COMMANDS);
    c.start();
    await next(c, 'connected', (e) => e.address === primary.address);

    const sent: Promise<string>[] = [];
    const publish = (n: number, from: number): void => {
      for (let i = from; i < from + n; i++) sent.push(c.publish(TELEMETRY, JSON.stringify({ seq: i })));
    };
    publish(10, 0);
    await Promise.all(sent);

    // The region fails: the messages published from here on wait in the helper's queue.
    const dropped = next(c, 'disconnected', (e) => e.address === primary.address);
    await primary.kill();
    await dropped;
    publish(10, 10);
    expect(c.queuedMessages).toBeGreaterThanOrEqual(10);

    // Route 53 flips the record; the next periodic lookup switches.
    const onSecondary = next(c, 'connected', (e) => e.address === secondary.address);
    resolver.set({ addresses: [secondary.address] });
    publish(5, 20);
    const connected = await onSecondary;
    const ids = await Promise.all(sent);
    await arrived(ids, primary, secondary);

    expect(c.state).toBe('connected');
    expect(c.address).toBe(secondary.address);
    expect(connected.subscriptions).toEqual(expect.arrayContaining([COMMANDS, FAILOVER_NOTICE_TOPIC]));
    expect(secondary.subscribes.filter((s) => s.clientId === 'thing-1').flatMap((s) => s.topics)).toEqual(
      expect.arrayContaining([COMMANDS, FAILOVER_NOTICE_TOPIC]),
    );
    const switching = events.filter((e) => e.name === 'switching').map((e) => e.event as EventOf<'switching'>);
    expect(switching).toEqual([expect.objectContaining({ from: primary.address, to: secondary.address })]);

    // At the brokers: every message at least once; after dedup exactly once, none missing.
    const atBrokers = [...idsAt(primary), ...idsAt(secondary)];
    const dedup = new MessageDeduplicator();
    const unique = atBrokers.filter((id) => dedup.firstSeen(id));
    expect(new Set(ids).size).toBe(25);
    expect(unique.sort()).toEqual([...ids].sort());
    expect(atBrokers.length).toBeGreaterThanOrEqual(25);
    expect(idsAt(secondary).length).toBeGreaterThanOrEqual(15);
    expect(c.queuedMessages).toBe(0);

    // Re-subscribed for real: a command published in the secondary reaches the device.
    const command = next(c, 'message', (m) => m.topic === COMMANDS);
    await secondary.publish(COMMANDS, '{"do":"reboot"}');
    expect((await command).payload.toString()).toBe('{"do":"reboot"}');
  });
});
