/**
 * Local stand-ins for the regions' IoT Core: aedes brokers on 127.0.0.1 in one child process
 * (local-brokers.mjs), each region with everything it saw. `kill()` is a hard failure (listener closed,
 * every connection reset); `start()` again brings the region back on the same port. Used by the drill and
 * the device helper's tests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import * as mqtt from 'mqtt';
import type { MqttConnect } from '../../lib/device';

export interface ReceivedPublish {
  readonly clientId: string;
  readonly topic: string;
  readonly qos: number;
  readonly payload: Buffer;
}

interface Report {
  readonly type: string;
  readonly region?: string;
  readonly ref?: number;
  readonly error?: string;
  readonly port?: number;
  readonly clientId?: string;
  readonly topic?: string;
  readonly topics?: string[];
  readonly qos?: number;
  readonly payload?: string;
}

const HOST_SCRIPT = join(__dirname, 'local-brokers.mjs');
const REPLY_TIMEOUT_MS = 15_000;

/** The child process holding the brokers. Start one, make regions with `region()`, `stop()` it at the end. */
export class LocalBrokerHost {
  readonly #child: ChildProcess;
  readonly #regions = new Map<string, LocalRegion>();
  readonly #replies = new Map<number, (report: Report) => void>();
  #ref = 0;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (report: Report) => {
      if (report.type === 'reply') {
        this.#replies.get(report.ref!)?.(report);
        this.#replies.delete(report.ref!);
      } else if (report.region) {
        this.#regions.get(report.region)?.onReport(report);
      }
    });
  }

  static async start(): Promise<LocalBrokerHost> {
    const child = fork(HOST_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the local brokers did not start within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`the local brokers exited with ${code}`)));
    });
    return new LocalBrokerHost(child);
  }

  /** A region (not started) named `name`, handed out by the resolver as `address`. */
  region(name: string, address: string): LocalRegion {
    if (this.#regions.has(name)) throw new Error(`region ${name} exists`);
    const region = new LocalRegion(name, address, (message) => this.request({ ...message, region: name }));
    this.#regions.set(name, region);
    return region;
  }

  /** Sends a request to the brokers' process; resolves with its reply, rejects with its error. */
  request(message: { readonly type: string; readonly region: string; readonly [key: string]: unknown }): Promise<Report> {
    const ref = ++this.#ref;
    return new Promise<Report>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#replies.delete(ref);
        reject(new Error(`no reply within ${REPLY_TIMEOUT_MS} ms to ${message.type} ${message.region}`));
      }, REPLY_TIMEOUT_MS);
      this.#replies.set(ref, (reply) => {
        clearTimeout(timer);
        if (reply.error) reject(new Error(reply.error));
        else resolve(reply);
      });
      this.#child.send({ ...message, ref });
    });
  }

  /** Stops every broker (the process is killed). */
  async stop(): Promise<void> {
    const child = this.#child;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

export class LocalRegion {
  /** Port on 127.0.0.1 while up (kept after a kill, so a restart comes back where it was). */
  port?: number;
  /** Every PUBLISH from a client, in arrival order, across restarts. */
  readonly received: ReceivedPublish[] = [];
  /** Every SUBSCRIBE, in arrival order. */
  readonly subscribes: { clientId: string; topics: string[] }[] = [];
  /** Clients that completed CONNECT (aedes `clientReady`), and connections refused by an injected fault. */
  connects = 0;
  refused = 0;
  #up = false;
  readonly #waiters = new Set<() => void>();

  constructor(
    /** Region name, e.g. 'eu-west-1'. */
    readonly name: string,
    /** The address the resolver hands out for it (`connectVia` maps it to 127.0.0.1:port). */
    readonly address: string,
    private readonly send: (message: { readonly type: string; readonly [key: string]: unknown }) => Promise<Report>,
  ) {}

  get up(): boolean {
    return this.#up;
  }

  async start(): Promise<void> {
    if (this.#up) throw new Error(`${this.name} is already up`);
    const reply = await this.send({ type: 'start', port: this.port ?? 0 });
    this.port = reply.port;
    this.#up = true;
  }

  /** A hard failure: the listener closes and every connection is reset. */
  async kill(): Promise<void> {
    if (!this.#up) return;
    this.#up = false;
    await this.send({ type: 'kill' });
  }

  /** Publishes as the cloud would (e.g. the failover notice); resolves once the broker delivered it. */
  async publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
    await this.send({ type: 'publish', topic, payload: Buffer.from(payload).toString('base64'), qos });
  }

  /** The next `count` CONNECTs fail (the broker closes the connection without CONNACK). */
  async refuseConnects(count: number): Promise<void> {
    await this.send({ type: 'refuse-connects', count });
  }

  /** Closes every client connection while the broker stays up (a network blip). */
  async dropConnections(): Promise<void> {
    await this.send({ type: 'drop-connections' });
  }

  /** Forgets what was received and counted so far (the broker stays as it is). */
  reset(): void {
    this.received.length = 0;
    this.subscribes.length = 0;
    this.connects = 0;
    this.refused = 0;
  }

  /** Resolves when `predicate` holds (checked now and after every report); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** @internal A report from this region's broker. */
  onReport(report: Report): void {
    switch (report.type) {
      case 'publish':
        this.received.push({ clientId: report.clientId!, topic: report.topic!, qos: report.qos!, payload: Buffer.from(report.payload!, 'base64') });
        break;
      case 'subscribe':
        this.subscribes.push({ clientId: report.clientId!, topics: report.topics! });
        break;
      case 'connected':
        this.connects++;
        break;
      case 'refused':
        this.refused++;
        break;
    }
    for (const check of [...this.#waiters]) check();
  }
}

/**
 * An `MqttConnect` for the device helper that sends each region's address to its local broker over plain
 * TCP (a region that is down refuses the connection).
 */
export function connectVia(regions: readonly LocalRegion[]): MqttConnect {
  return (options) => {
    const region = regions.find((r) => r.address === options.host);
    if (!region) throw new Error(`no local region has address ${options.host}`);
    return mqtt.connect({ ...options, protocol: 'mqtt', host: '127.0.0.1', port: region.port ?? 1 });
  };
}
