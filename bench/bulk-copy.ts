/**
 * `npm run bench -- --devices N [--quota-scale S]`: the initial copy of a fleet into an empty secondary.
 *
 * The primary emulator is seeded with N devices — a thing, its certificate (a real X.509 certificate), the
 * fleet policy attached to the certificate, the certificate attached to the thing, and the thing in one of
 * ten groups. The primary's reconciler imports them into the journal (the initial copy is a reconciler
 * pass, as in production: its two Distributed Maps' items four at a time, their default MaxConcurrency);
 * global-table replication, the pipe and the
 * synthesized replay workflow carry them into the
 * secondary. Both regions' IoT calls go through the shared rate limiter (quotas × S), against emulators
 * enforcing the same quotas × S.
 *
 * One JSON line on stdout: devices, seconds, devicesPerSecond, quotaBoundDevicesPerSecond (the best any
 * replayer could do: the slowest API a device needs, at its quota × S), ratio, lost (devices not complete in
 * the secondary), dlq (dead letters of both regions), driftAfter (what a reconciliation pass of each region
 * finds afterwards, untimed, with quotas raised: CHECK_UP_QUOTA_FACTOR), throttled (IoT calls answered 429).
 *
 * The harness runs every handler, both emulators and the workflows in this one Node thread, so it delivers
 * overlapping (capture, replication and pipes at once, as the deployed services run), keeps no copies of
 * the handlers' outputs, and serves the journal tables (dynalite) from a child process on another core.
 */
import { DEFAULT_IOT_QUOTAS, LISTED_AFTER_THINGS, reconciledKinds } from '../lambda/contract';
import { type DriftSummary, mergeDrift, type ReconcileItem } from '../lambda/reconcile/reconcile';
import { startWorld } from '../test/e2e/support';
import type { RegionNode } from '../test/support/pipeline/two-region';
import { generateKeyPair, issueCertificate } from '../test/support/x509';

export interface BulkCopyOptions {
  readonly devices: number;
  /** Multiplies every IoT quota (emulators and the rate limiter alike). @default 1 */
  readonly quotaScale?: number;
  /** Share of each quota the rate limiter uses. @default 1: the benchmark measures the quota bound */
  readonly utilization?: number;
  /** Workflow executions each region's pipe runs at once (shards × parallelization factor). @default 8 */
  readonly concurrentExecutions?: number;
  /** Where to report the phases' progress (`--verbose`). @default nowhere */
  readonly progress?: (line: string) => void;
}

export interface BulkCopyResult {
  readonly devices: number;
  readonly quotaScale: number;
  readonly seconds: number;
  readonly devicesPerSecond: number;
  readonly quotaBoundDevicesPerSecond: number;
  readonly slowestApi: string;
  readonly ratio: number;
  readonly lost: number;
  readonly dlq: number;
  readonly driftAfter: number;
  readonly throttled: number;
}

/**
 * The calls any copier makes per device: its writes in the target, and the reads in the source no listing
 * can replace — a certificate's PEM (DescribeCertificate) and a thing's principals (ListThingPrincipals, or
 * ListPrincipalThings per certificate: the same quota). Source and target are two regions' quotas; run side
 * by side, the slowest of them bounds the copy.
 */
const CALLS_PER_DEVICE: Readonly<Record<string, number>> = {
  CreateThing: 1,
  RegisterCertificateWithoutCA: 1,
  AttachPolicy: 1,
  AttachThingPrincipal: 1,
  AddThingToThingGroup: 1,
  DescribeCertificate: 1,
  ListThingPrincipals: 1,
};

/** The reconciler's Distributed Maps' MaxConcurrency (RegistryReconciler's `maxConcurrency` default). */
const MAP_CONCURRENCY = 4;

/**
 * The check-up passes after the copy (driftAfter) are not timed: they run with every quota (emulators and
 * rate limiters) multiplied by this, so a check of 20,000 devices takes minutes, not ListThingPrincipals'
 * hour at 10/s in each region.
 */
const CHECK_UP_QUOTA_FACTOR = 10;

const GROUPS = 10;
const POLICY = 'fleet-device';
const POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:us-west-2:123456789012:client/${iot:Connection.Thing.ThingName}' }],
});

/** The slowest API of CALLS_PER_DEVICE at its quota × scale, in devices per second. */
export function quotaBound(quotaScale: number): { readonly devicesPerSecond: number; readonly api: string } {
  let best = { devicesPerSecond: Infinity, api: '' };
  for (const [api, calls] of Object.entries(CALLS_PER_DEVICE)) {
    const perSecond = ((DEFAULT_IOT_QUOTAS[api] ?? Infinity) * quotaScale) / calls;
    if (perSecond < best.devicesPerSecond) best = { devicesPerSecond: perSecond, api };
  }
  return best;
}

/**
 * A full reconciler pass as its state machine runs it (lib/reconcile/registry-reconciler.ts): each item's
 * pages chained, MAP_CONCURRENCY items at once in the order the construct lists them — the registry kinds
 * (the first Distributed Map), then LISTED_AFTER_THINGS and the journal segments (the second).
 */
async function parallelPass(node: RegionNode, segments = 4): Promise<DriftSummary> {
  const late = new Set<string>(LISTED_AFTER_THINGS);
  const kinds = reconciledKinds(false);
  const phases: ReconcileItem[][] = [
    kinds.filter((kind) => !late.has(kind)).map((kind): ReconcileItem => ({ source: 'registry', kind })),
    [
      ...kinds.filter((kind) => late.has(kind)).map((kind): ReconcileItem => ({ source: 'registry', kind })),
      ...Array.from({ length: segments }, (_v, segment): ReconcileItem => ({ source: 'journal', segment, totalSegments: segments })),
    ],
  ];
  let total: DriftSummary = {};
  for (const starts of phases) {
    const queue = [...starts];
    const chains = await Promise.all(
      Array.from({ length: Math.min(MAP_CONCURRENCY, queue.length) }, async () => {
        let drift: DriftSummary = {};
        for (let start = queue.shift(); start; start = queue.shift()) {
          for (let item: ReconcileItem | undefined = start; item; ) {
            const result = await node.reconciler.run(item);
            drift = mergeDrift(drift, result.drift);
            item = result.next;
          }
        }
        return drift;
      }),
    );
    total = chains.reduce(mergeDrift, total);
  }
  return total;
}

const totalFound = (drift: DriftSummary): number => Object.values(drift).reduce((n, c) => n + (c?.found ?? 0), 0);

export async function runBulkCopy(options: BulkCopyOptions): Promise<BulkCopyResult> {
  const n = options.devices;
  const scale = options.quotaScale ?? 1;
  const quotas = Object.fromEntries(Object.entries(DEFAULT_IOT_QUOTAS).map(([api, tps]) => [api, tps * scale]));
  // The workflow's own retry waits, in real time: a dependency not there yet is retried as in production.
  const { world, pair } = await startWorld({ quotaScale: scale, rateLimit: { quotas, utilization: options.utilization ?? 1 }, retryWaitMs: 'synthesized', maxConcurrentExecutions: options.concurrentExecutions ?? 8, overlapDeliveries: true, recordOutputs: false, journalInOwnProcess: true });
  try {
    const primary = world.region(pair.primary);
    const secondary = world.region(pair.secondary);
    const keyPair = generateKeyPair();
    primary.emulator.seed({
      policies: { [POLICY]: POLICY_DOCUMENT },
      devices: Array.from({ length: n }, (_v, i) => {
        const thingName = `device-${String(i).padStart(6, '0')}`;
        const cert = issueCertificate({ subject: thingName, keyPair });
        return {
          thingName,
          attributes: { batch: 'bulk' },
          certificatePem: cert.certificatePem,
          certificateId: cert.certificateId,
          policies: [POLICY],
          thingGroups: [`fleet-${i % GROUPS}`],
        };
      }),
    });

    const started = Date.now();
    const progress = (what: string) => options.progress?.(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
    let importing = true;
    const imported = parallelPass(primary).finally(() => (importing = false));
    const ticker = options.progress
      ? setInterval(() => {
          const things = secondary.emulator.snapshot().things.length;
          const ids = secondary.emulator.identitySnapshot();
          const read = primary.emulator.callCounts();
          progress(
            `primary: ${read.DescribeCertificate ?? 0} certificates described, ${read.ListThingPrincipals ?? 0} things' principals listed; ` +
              `secondary: ${things} things, ${ids.certificates.length} certificates, ${ids.thingPrincipals.length} principals, ${ids.policyTargets.length} attachments; ` +
              `${secondary.parked.length} parked; throttled ${JSON.stringify(secondary.emulator.quotaThrottles())}; ` +
              `${secondary.replayAttempts} replay attempts, errors ${JSON.stringify(secondary.replayErrors)}, ${secondary.pendingStream.length} stream records queued`,
          );
        }, 5_000)
      : undefined;
    while (importing) await world.settle({ maxRounds: 1_000_000 });
    const drift = await imported;
    progress(`primary's import pass done: ${totalFound(drift)} imported`);
    await world.settle({ maxRounds: 1_000_000 });
    progress(`stream settled; ${secondary.parked.length} parked`);
    await world.drainParking();
    if (ticker) clearInterval(ticker);
    progress('parking drained');
    for (const region of [primary, secondary]) {
      const counts = Object.entries(region.emulator.callCounts()).sort(([a], [b]) => a.localeCompare(b));
      progress(`${region === primary ? 'primary' : 'secondary'} IoT calls per device: ${counts.map(([api, c]) => `${api} ${(c / n).toFixed(2)}`).join(', ')}`);
    }
    const seconds = (Date.now() - started) / 1000;

    const a = primary.emulator.identitySnapshot();
    const b = secondary.emulator.identitySnapshot();
    const things = new Set(secondary.emulator.snapshot().things.map((t) => t.name));
    const certs = new Set(b.certificates.filter((c) => c.status === 'ACTIVE').map((c) => c.id));
    const principals = new Set(b.thingPrincipals.map(([thing, cert]) => `${thing}|${cert}`));
    const attached = new Set(b.policyTargets.map(([policy, target]) => `${policy}|${target}`));
    const members = new Set(secondary.emulator.snapshot().memberships.map(([group, thing]) => `${group}|${thing}`));
    let lost = 0;
    for (const [thing, cert] of a.thingPrincipals) {
      const complete =
        things.has(thing) &&
        certs.has(cert) &&
        principals.has(`${thing}|${cert}`) &&
        attached.has(`${POLICY}|cert/${cert}`) &&
        members.has(`fleet-${Number(thing.slice('device-'.length)) % GROUPS}|${thing}`);
      if (!complete) lost++;
    }
    lost += Math.max(0, n - a.thingPrincipals.length);
    const dlq = world.regions.reduce((sum, r) => sum + r.replayDeadLetters.length + r.captureDeadLetters.length, 0);
    // Both regions' passes at once, untimed: with quotas raised, as pace changes nothing a pass finds.
    world.scaleQuotas(CHECK_UP_QUOTA_FACTOR);
    const driftAfter = (await Promise.all([parallelPass(primary), parallelPass(secondary)])).reduce((n, d) => n + totalFound(d), 0);
    const throttled = world.regions.reduce((sum, r) => sum + Object.values(r.emulator.quotaThrottles()).reduce((a, b) => a + b, 0), 0);
    const bound = quotaBound(scale);
    const devicesPerSecond = n / seconds;
    return {
      devices: n,
      quotaScale: scale,
      seconds: round(seconds),
      devicesPerSecond: round(devicesPerSecond),
      quotaBoundDevicesPerSecond: round(bound.devicesPerSecond),
      slowestApi: bound.api,
      ratio: round(devicesPerSecond / bound.devicesPerSecond),
      lost,
      dlq,
      driftAfter,
      throttled,
    };
  } finally {
    await world.close();
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;
