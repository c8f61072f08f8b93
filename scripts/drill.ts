/**
 * `npm run drill`: a local failover and failback, measured against the recovery-time estimate.
 *
 * Two aedes brokers on loopback stand in for the two regions' IoT Core, a switchable resolver with a TTL
 * cache for DNS, the aggregator's own logic behind a simulated Route 53 checker loop for the health checks,
 * and the device helper (`cdk-iot-dr/device`) is the device, publishing a QoS 1 message every second. Time is
 * virtual, so minutes of failover run in seconds; sockets and broker processes are real.
 *
 * Every stage is phased to its worst case, the case `estimateRto` bounds: the region fails just after a
 * passing check, each aggregator answer takes its whole budget, a resolver refreshes its cache just as
 * Route 53 flips the record, and the device's periodic lookup falls just before that cache expires (it
 * misses the failover notice: a dead region cannot send one). The measured recovery time must come within
 * 10 % of the estimate and no QoS 1 message may be lost; the exit code says whether it did.
 *
 * Prints one JSON line per direction on stdout and a timeline on stderr.
 * Flags: --interval <s> --threshold <n> --ttl <s> --resolve-period <s> --aggregator-timeout <s> --seed <n>
 */
import { DEFAULT_VERDICT_CACHE_MS } from '../lambda/contract';
import { FailoverMqttClient, messageIdOf } from '../lib/device';
import { DEFAULT_RTO_INPUTS, estimateRto, type RtoEstimate, type RtoInputs } from '../lib/shared-services/rto';
import { connectVia, LocalBrokerHost } from './drill/local-region';
import { Route53Simulator, type SimulatedRegion } from './drill/route53-simulator';
import { SwitchableResolver } from './drill/switchable-resolver';
import { VirtualClock } from './drill/virtual-clock';

export interface DrillOptions extends Partial<RtoInputs> {
  /** Seconds between the device's QoS 1 messages. @default 1 */
  readonly publishIntervalSeconds?: number;
  /** Seed of the device's reconnect jitter. @default 1 */
  readonly seed?: number;
  /** Receives the timeline, one line at a time. @default - discarded */
  readonly log?: (line: string) => void;
}

export interface DirectionResult {
  readonly direction: Direction;
  readonly from: string;
  readonly to: string;
  readonly detectionSeconds: number;
  readonly dnsSwitchSeconds: number;
  readonly reconnectSeconds: number;
  readonly rtoSeconds: number;
  readonly estimatedRto: number;
  readonly messagesSent: number;
  readonly messagesLost: number;
  /** Copies the brokers received beyond the first of each message (at least once); dedup removes them. */
  readonly duplicates: number;
  readonly withinTolerance: boolean;
}

export interface DrillResult {
  readonly inputs: RtoInputs;
  readonly results: DirectionResult[];
  /** Every direction within 10 % of the estimate and no message lost. */
  readonly ok: boolean;
}

const ENDPOINT = 'iot.example.com';
const TELEMETRY = 'dt/drill-device/telemetry';
/** "Just after" and "just before", in the worst-case phasing. */
const EPSILON_MS = 100;
const TOLERANCE = 0.1;
const SETTLE_LIMIT_MS = 10_000;

export type Direction = 'failover' | 'failback';

interface Sent {
  readonly id: Promise<string>;
  readonly at: number;
}

interface Marks {
  failedAt?: number;
  flippedAt?: number;
  cacheExpiresAt?: number;
  connectedAt?: number;
}

/** A small deterministic PRNG (mulberry32) for the device's jitter. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const realTick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));
const nextIteration = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const seconds = (ms: number): number => Math.round(ms) / 1000;

/** When things happen, integer milliseconds of virtual time (see the module comment for the phasing). */
interface DrillPlan {
  readonly intervalMs: number;
  readonly aggregatorMs: number;
  readonly ttlMs: number;
  readonly resolvePeriodMs: number;
  readonly threshold: number;
  readonly publishEveryMs: number;
  readonly deviceStartAt: number;
  readonly failAt: number;
  readonly recoverAt: number;
  readonly endAt: number;
}

function planDrill(inputs: RtoInputs, estimate: RtoEstimate, publishIntervalSeconds: number): DrillPlan {
  const I = Math.round(inputs.healthCheckIntervalSeconds * 1000);
  const A = Math.round(inputs.aggregatorTimeoutSeconds * 1000);
  const T = Math.round(inputs.recordTtlSeconds * 1000);
  const P = Math.round(inputs.deviceResolvePeriodSeconds * 1000);
  const thr = inputs.failureThreshold;
  const publishEveryMs = Math.round(publishIntervalSeconds * 1000);
  if (!(I > 0 && P > 0 && T >= 0 && A >= 0 && Number.isInteger(thr) && thr >= 1 && publishEveryMs > 0)) {
    throw new Error(`interval, resolve period and publish interval must be > 0, threshold an integer >= 1: ${JSON.stringify(inputs)}`);
  }
  // The checkers start at I: check n runs at n × I. The fault comes just after check k passed.
  const checkAt = (n: number): number => n * I;
  const k = Math.max(2, Math.ceil((P + 5000) / I) + 1);
  // Detection ends when the threshold-th failing check answers; the cache refreshed then expires T later;
  // the device's lookups are phased to fall just before that.
  const lookupBeforeExpiry = checkAt(k + thr) + A + T - EPSILON_MS;
  // Recovery: a whole number of both periods after the fault (so the same phasing holds for the failback),
  // late enough for the failover to have finished.
  const checksPerCommonPeriod = (I * P) / gcd(I, P) / I;
  if (checksPerCommonPeriod > 1000) {
    throw new Error(
      `the failback is phased on a common multiple of the check interval (${I / 1000} s) and the resolve period ` +
        `(${P / 1000} s); theirs is ${checksPerCommonPeriod} intervals: choose values with a smaller common multiple`,
    );
  }
  const failoverDoneBy = lookupBeforeExpiry + P + 1000 + Math.max(10_000, estimate.totalSeconds * 1000);
  let q = checksPerCommonPeriod;
  while (checkAt(k + q) < failoverDoneBy) q += checksPerCommonPeriod;
  return {
    intervalMs: I,
    aggregatorMs: A,
    ttlMs: T,
    resolvePeriodMs: P,
    threshold: thr,
    publishEveryMs,
    deviceStartAt: lookupBeforeExpiry % P,
    failAt: checkAt(k) + EPSILON_MS,
    recoverAt: checkAt(k + q) + EPSILON_MS,
    endAt: checkAt(k + q + thr) + A + T + P + 1000 + 5000,
  };
}

export async function runDrill(options: DrillOptions = {}): Promise<DrillResult> {
  const inputs: RtoInputs = {
    recordTtlSeconds: options.recordTtlSeconds ?? DEFAULT_RTO_INPUTS.recordTtlSeconds,
    healthCheckIntervalSeconds: options.healthCheckIntervalSeconds ?? DEFAULT_RTO_INPUTS.healthCheckIntervalSeconds,
    failureThreshold: options.failureThreshold ?? DEFAULT_RTO_INPUTS.failureThreshold,
    aggregatorTimeoutSeconds: options.aggregatorTimeoutSeconds ?? DEFAULT_RTO_INPUTS.aggregatorTimeoutSeconds,
    deviceResolvePeriodSeconds: options.deviceResolvePeriodSeconds ?? DEFAULT_RTO_INPUTS.deviceResolvePeriodSeconds,
  };
  const estimate = estimateRto(inputs);
  const plan = planDrill(inputs, estimate, options.publishIntervalSeconds ?? 1);
  const host = await LocalBrokerHost.start();
  try {
    const results = await execute(host, plan, estimate, options);
    return { inputs, results, ok: results.every((r) => r.withinTolerance && r.messagesLost === 0) };
  } finally {
    await host.stop();
  }
}

async function execute(host: LocalBrokerHost, plan: DrillPlan, estimate: RtoEstimate, options: DrillOptions): Promise<DirectionResult[]> {
  const { intervalMs: I, aggregatorMs: A, ttlMs: T, resolvePeriodMs: P, threshold: thr } = plan;
  const clock = new VirtualClock();
  const log = (line: string): void => options.log?.(`[${(clock.now() / 1000).toFixed(3).padStart(9)} s] ${line}`);
  const brokers = { primary: host.region('eu-west-1', '10.0.1.1'), secondary: host.region('eu-central-1', '10.0.2.1') };
  const regions: Record<'primary' | 'secondary', SimulatedRegion> = {
    primary: { name: brokers.primary.name, role: 'primary', up: true },
    secondary: { name: brokers.secondary.name, role: 'secondary', up: true },
  };
  const answerOf = (r: SimulatedRegion): { addresses: string[]; canonicalName: string } => {
    const broker = r.role === 'primary' ? brokers.primary : brokers.secondary;
    return { addresses: [broker.address], canonicalName: `abc123-ats.iot.${r.name}.amazonaws.com` };
  };
  const resolver = new SwitchableResolver(answerOf(regions.primary), { ttlMs: T, clock });
  const marks: Record<Direction, Marks> = { failover: {}, failback: {} };
  let direction: Direction = 'failover';
  // Real work a virtual event started (stopping or starting a broker): time waits for it.
  const pending: Promise<unknown>[] = [];
  let awaitingConnected = true;

  const route53 = new Route53Simulator({
    clock,
    primary: regions.primary,
    secondary: regions.secondary,
    intervalMs: I,
    failureThreshold: thr,
    answerMs: A,
    verdictCacheMs: DEFAULT_VERDICT_CACHE_MS,
    log,
    onActiveChange: (active, reason) => {
      // A resolver somewhere refreshed its cache just before the flip: it serves the old answer one more TTL.
      resolver.refreshCache();
      resolver.set(answerOf(active));
      const m = marks[direction];
      m.flippedAt = clock.now();
      m.cacheExpiresAt = resolver.cacheExpiresAt ?? clock.now();
      log(`DNS: ${ENDPOINT} now answers ${active.name} (${reason}); cached answers expire in ${T / 1000} s`);
    },
  });

  const device = new FailoverMqttClient({
    endpoint: ENDPOINT,
    clientId: 'drill-device',
    protocol: 'mqtt',
    protocolVersion: 4,
    resolvePeriod: P,
    resolver: resolver.resolve,
    clock,
    random: seeded(options.seed ?? 1),
    connect: connectVia([brokers.primary, brokers.secondary]),
  });
  device.on('error', () => undefined);
  device.on('resolved', (e) => {
    if (e.changed || e.trigger !== 'period') log(`device: looked up ${ENDPOINT} (${e.trigger}): ${e.answer.canonicalName}${e.changed ? ', changed' : ''}`);
  });
  device.on('switching', (e) => {
    awaitingConnected = true;
    log(`device: switching ${e.from} -> ${e.to} in ${e.delayMs} ms (jitter)`);
  });
  device.on('disconnected', (e) => {
    awaitingConnected = true;
    log(`device: ${e.wasConnected ? 'connection lost' : 'attempt failed'} at ${e.address} (${e.reason}); retry in ${e.retryInMs} ms`);
  });
  device.on('connected', (e) => {
    awaitingConnected = false;
    const target = direction === 'failover' ? brokers.secondary : brokers.primary;
    if (e.address === target.address && marks[direction].flippedAt !== undefined && marks[direction].connectedAt === undefined) {
      marks[direction].connectedAt = clock.now();
    }
    log(`device: connected to ${e.address}, subscribed ${e.subscriptions.join(', ')}, ${e.queued} queued messages sent`);
  });

  /** Lets real I/O catch up before virtual time moves on. */
  const settle = async (): Promise<void> => {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    for (let round = 0; ; round++) {
      while (pending.length > 0) await pending.shift();
      // Let I/O callbacks run; sleep a millisecond only while something is still on its way.
      await (round === 0 ? nextIteration() : realTick());
      const busy = device.state === 'connecting' || (device.state === 'connected' && (awaitingConnected || device.queuedMessages > 0));
      if ((!busy && pending.length === 0) || Date.now() > deadline) return;
    }
  };

  const sent: Sent[] = [];
  try {
    await Promise.all([brokers.primary.start(), brokers.secondary.start()]);
    log(`drill: interval ${I / 1000} s, threshold ${thr}, aggregator ${A / 1000} s, TTL ${T / 1000} s, resolve period ${P / 1000} s; estimate ${estimate.totalSeconds} s`);
    log(
      `drill: worst-case phasing: the fault ${EPSILON_MS} ms after a passing check, every aggregator answer takes ${A / 1000} s, ` +
        `a resolver refreshes its cache as Route 53 flips the record, the device's lookup ${EPSILON_MS} ms before that cache ` +
        `expires; no failover notice reaches the device`,
    );
    log(`Route 53: checks both regions every ${I / 1000} s from ${I / 1000} s (only failures and changes are shown)`);
    route53.start(I);
    clock.setTimeout(() => {
      log(`device: starting (lookups every ${P / 1000} s from now)`);
      device.start();
      const publish = (): void => {
        if (clock.now() > plan.endAt - 5000) return;
        sent.push({ id: device.publish(TELEMETRY, JSON.stringify({ at: clock.now() })), at: clock.now() });
        clock.setTimeout(publish, plan.publishEveryMs);
      };
      clock.setTimeout(publish, plan.publishEveryMs);
    }, plan.deviceStartAt);
    clock.setTimeout(() => {
      log(`FAULT: ${regions.primary.name} fails (its IoT Core goes dark: listener closed, connections reset; its health APIs stop answering)`);
      marks.failover.failedAt = clock.now();
      regions.primary.up = false;
      pending.push(brokers.primary.kill().then(() => waitUntil(() => device.state !== 'connected' || device.address !== brokers.primary.address)));
    }, plan.failAt);
    clock.setTimeout(() => {
      log(`RECOVERY: ${regions.primary.name} is back (its broker listens again, its health APIs answer)`);
      direction = 'failback';
      marks.failback.failedAt = clock.now();
      regions.primary.up = true;
      pending.push(brokers.primary.start());
    }, plan.recoverAt);

    await clock.advanceTo(plan.endAt, settle);
    await settle();
    const ids = await Promise.all(sent.map((s) => s.id.catch(() => undefined)));
    // Every acknowledged message was reported by its broker before the PUBACK; the reports travel separately.
    const copies = (): string[] =>
      [...brokers.primary.received, ...brokers.secondary.received].filter((m) => m.topic === TELEMETRY).map((m) => messageIdOf(m)!);
    await waitUntil(() => new Set(copies()).size >= ids.filter((id) => id !== undefined).length);

    const results = (['failover', 'failback'] as const).map((dir) => {
      const inWindow = sent.map((s, i) => ({ at: s.at, id: ids[i] })).filter((s) => (dir === 'failover' ? s.at < plan.recoverAt : s.at >= plan.recoverAt));
      const [from, to] = dir === 'failover' ? [regions.primary.name, regions.secondary.name] : [regions.secondary.name, regions.primary.name];
      return summarize(dir, from, to, marks[dir], estimate, inWindow, copies());
    });
    for (const r of results) {
      log(
        `${r.direction}: RTO ${r.rtoSeconds} s (detection ${r.detectionSeconds} + DNS ${r.dnsSwitchSeconds} + reconnect ${r.reconnectSeconds}) ` +
          `vs estimate ${r.estimatedRto} s${r.withinTolerance ? '' : ' — NOT within 10 %'}; ${r.messagesSent} sent, ${r.messagesLost} lost, ${r.duplicates} duplicates`,
      );
    }
    return results;
  } finally {
    await device.end();
  }
}

/** One direction's figures: stage times from the marks, messages from what the brokers received. */
function summarize(
  direction: Direction,
  from: string,
  to: string,
  m: Marks,
  estimate: RtoEstimate,
  sent: readonly { at: number; id: string | undefined }[],
  copies: readonly string[],
): DirectionResult {
  const received = new Set(copies);
  const ids = new Set(sent.map((s) => s.id).filter((id): id is string => id !== undefined));
  const copiesOfThese = copies.filter((id) => ids.has(id));
  const measured = (end: number | undefined, start: number | undefined): number => (end === undefined || start === undefined ? NaN : seconds(end - start));
  const rtoSeconds = measured(m.connectedAt, m.failedAt);
  return {
    direction,
    from,
    to,
    detectionSeconds: measured(m.flippedAt, m.failedAt),
    dnsSwitchSeconds: measured(m.cacheExpiresAt, m.flippedAt),
    reconnectSeconds: measured(m.connectedAt, m.cacheExpiresAt),
    rtoSeconds,
    estimatedRto: estimate.totalSeconds,
    messagesSent: sent.length,
    messagesLost: sent.filter((s) => s.id === undefined || !received.has(s.id)).length,
    duplicates: copiesOfThese.length - new Set(copiesOfThese).size,
    withinTolerance: Math.abs(rtoSeconds - estimate.totalSeconds) <= TOLERANCE * estimate.totalSeconds,
  };
}

/** Real-time wait for a condition driven by sockets or child processes; gives up after the settle limit. */
async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  while (!condition() && Date.now() < deadline) await realTick();
}

function parseFlags(argv: readonly string[]): DrillOptions {
  const names: Record<string, keyof DrillOptions> = {
    '--interval': 'healthCheckIntervalSeconds',
    '--threshold': 'failureThreshold',
    '--ttl': 'recordTtlSeconds',
    '--resolve-period': 'deviceResolvePeriodSeconds',
    '--aggregator-timeout': 'aggregatorTimeoutSeconds',
    '--publish-interval': 'publishIntervalSeconds',
    '--seed': 'seed',
  };
  const options: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const key = names[flag];
    if (!key) throw new Error(`unknown flag ${flag}; known: ${Object.keys(names).join(', ')}`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value)) throw new Error(`${flag} needs a number, got ${raw}`);
    options[key] = value;
  }
  return options as DrillOptions;
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runDrill({ ...parseFlags(process.argv.slice(2)), log: (line) => process.stderr.write(`${line}\n`) }))
    .then((drill) => {
      for (const r of drill.results) process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exitCode = drill.ok ? 0 : 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`drill failed: ${(error as Error).message ?? String(error)}\n`);
      process.exitCode = 2;
    });
}
