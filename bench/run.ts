/**
 * `npm run bench`: speed and size figures, each against a target. Loopback only, nothing calls AWS.
 *
 * - synthesis of the example app (all nine stacks, cdk-nag included);
 * - size of each bundled handler (cold starts grow with it);
 * - capture throughput: registry events through the real capture handler into a dynalite journal;
 * - replication throughput and lag: things created in the primary emulator until the secondary emulator
 *   holds them all, through the synthesized workflow, under IoT's default TPS quotas.
 *
 * Exits non-zero when a figure misses its target. With `--devices N [--quota-scale S]` it runs only the
 * bulk copy of N devices into an empty secondary (bench/bulk-copy.ts) and prints its JSON line.
 */
// Same environment as the tests: Promise.withResolvers on Node 20, placeholder credentials, no metadata calls.
import '../test/support/setup';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateThingCommand, IoTClient } from '@aws-sdk/client-iot';
import { createCaptureHandler } from '../lambda/capture/capture-handler';
import { EchoLedgerStore } from '../lambda/shared/echo-ledger-store';
import { JournalStore } from '../lambda/shared/journal-store';
import { createExampleApp } from '../bin/app';
import { runBulkCopy } from './bulk-copy';
import { startWorld } from '../test/e2e/support';
import { startJournalTables } from '../test/support/journal-tables';
import { thingEvent, sqsBatch } from '../test/lambda/capture/registry-event-builders';

interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target: string;
  readonly ok: boolean;
}

const figures: Figure[] = [];
const record = (name: string, value: number, unit: string, target: string, ok: boolean) => {
  figures.push({ name, value, unit, target, ok });
  process.stdout.write(`${ok ? 'ok  ' : 'MISS'} ${name}: ${value.toFixed(unit === 'bytes' ? 0 : 1)} ${unit} (target ${target})\n`);
};

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

function benchSynth(): void {
  const started = Date.now();
  createExampleApp().synth();
  const ms = Date.now() - started;
  record('synth example app (9 stacks, cdk-nag, in-process)', ms / 1000, 's', '< 30 s', ms < 30_000);
}

function benchBundles(): void {
  const root = join(__dirname, '..', 'assets');
  for (const name of readdirSync(root).sort()) {
    const file = join(root, name, 'index.js');
    const raw = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).length;
    // The same budget scripts/bundle-handlers.mjs enforces.
    record(`bundle ${name} (gzip ${Math.round(gz / 1024)} KiB)`, raw, 'bytes', '< 500 KiB', raw < 500 * 1024);
  }
}

async function benchCapture(): Promise<void> {
  const tables = await startJournalTables();
  const names = await tables.createTables('bench');
  const journal = new JournalStore(tables.doc, names.journalTable);
  const capture = createCaptureHandler({
    journal,
    ledger: new EchoLedgerStore(tables.doc, names.ledgerTable),
    deadLetters: { send: async () => undefined },
    iot: { describeThing: async () => undefined, describeThingGroup: async () => undefined, describeThingType: async () => undefined, describeMembership: async () => undefined },
    region: 'us-west-2',
    emit: () => undefined,
  });
  const events = 2000;
  const batchLatencies: number[] = [];
  const started = Date.now();
  for (let i = 0; i < events; i += 10) {
    const batch = Array.from({ length: 10 }, (_v, j) =>
      thingEvent(`device-${i + j}`, 'CREATED', { timestamp: 1_700_000_000_000 + i + j, eventId: `bench-${i + j}` }),
    );
    const t0 = Date.now();
    await capture(sqsBatch(...batch));
    batchLatencies.push(Date.now() - t0);
  }
  const seconds = (Date.now() - started) / 1000;
  // One capture instance must keep up with a bulk registration at CreateThing's 100 TPS quota.
  record(`capture throughput, one instance (${events} thing events, batches of 10, dynalite)`, events / seconds, 'events/s', '> 100 events/s', events / seconds > 100);
  record('capture batch latency p99', percentile(batchLatencies, 99), 'ms', '< 500 ms', percentile(batchLatencies, 99) < 500);
  await tables.close();
}

async function benchReplication(): Promise<void> {
  // Delivered as the deployed services run (all at once), the journal tables on the other core: see bulk-copy.ts.
  const { world, pair } = await startWorld({ overlapDeliveries: true, journalInOwnProcess: true, recordOutputs: false });
  const primary = world.region(pair.primary);
  const secondary = world.region(pair.secondary);
  const iot = new IoTClient({ endpoint: primary.emulator.endpoint, region: pair.primary, credentials: { accessKeyId: 'b', secretAccessKey: 'b' } });
  const things = 300;
  const started = Date.now();
  // Created just under the CreateThing quota (100/s), as a paced bulk registration would be, while the
  // pipeline replicates: creation and replication overlap.
  const creating = (async () => {
    for (let i = 0; i < things; i += 20) {
      const tick = Date.now();
      await Promise.all(
        Array.from({ length: Math.min(20, things - i) }, (_v, j) =>
          iot.send(new CreateThingCommand({ thingName: `bulk-${i + j}`, attributePayload: { attributes: { batch: 'bench' } } })),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 250 - (Date.now() - tick))));
    }
  })();
  let done = false;
  void creating.finally(() => (done = true));
  while (!done) await world.settle({ maxRounds: 10_000 });
  await creating;
  await world.settle({ maxRounds: 10_000 });
  const seconds = (Date.now() - started) / 1000;
  const replicated = secondary.emulator.snapshot().things.length;
  // One thread plays both regions' IoT, capture and workflows (dynalite in a child process): a floor, not AWS's figure.
  record(`end-to-end replication (${things} things created at 80/s, one thread)`, replicated / seconds, 'things/s', '> 25 things/s, all replicated', replicated === things && replicated / seconds > 25);
  // Keeping up: lag stays bounded while creation runs (it would grow with every batch if replay fell behind).
  const lags = secondary.replayResults.map((r) => r.lagMs);
  record('replication lag p50 (event time → replayed)', percentile(lags, 50), 'ms', '< 10000 ms', percentile(lags, 50) < 10_000);
  record('replication lag p99', percentile(lags, 99), 'ms', '< 10000 ms', percentile(lags, 99) < 10_000);
  record('replay dead letters', secondary.replayDeadLetters.length, 'items', '0', secondary.replayDeadLetters.length === 0);
  iot.destroy();
  await world.close();
}

/** `--name value` from the command line (`npm run bench -- --devices 2400 --quota-scale 2`). */
function flag(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = Number(process.argv[i + 1]);
  if (!(value > 0)) throw new Error(`--${name} needs a positive number, got '${process.argv[i + 1]}'`);
  return value;
}

/** The bulk copy alone: one JSON line, and exit 1 when a target is missed (ratio ≥ 0.9, nothing lost, no dead letter, no drift). */
async function bulkCopyOnly(devices: number): Promise<void> {
  const verbose = process.argv.includes('--verbose');
  const result = await runBulkCopy({
    devices: Math.floor(devices),
    quotaScale: flag('quota-scale') ?? 1,
    concurrentExecutions: flag('concurrency'),
    ...(verbose ? { progress: (line: string) => void process.stderr.write(`${line}\n`) } : {}),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  const ok = result.ratio >= 0.9 && result.lost === 0 && result.dlq === 0 && result.driftAfter === 0;
  process.exit(ok ? 0 : 1);
}

async function main(): Promise<void> {
  // The handlers log JSON lines and EMF metrics; the bench prints only its figures.
  process.env.IOT_DR_SILENT_METRICS = 'true';
  console.log = () => undefined;
  console.error = () => undefined;
  const devices = flag('devices');
  if (devices !== undefined) return bulkCopyOnly(devices);

  benchSynth();
  benchBundles();
  await benchCapture();
  await benchReplication();
  const misses = figures.filter((f) => !f.ok);
  process.stdout.write(`\n${figures.length - misses.length} of ${figures.length} figures within target\n`);
  process.exit(misses.length === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
