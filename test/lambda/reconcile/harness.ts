/**
 * Two regions for reconciler tests: an IoT emulator and an echo ledger per region, one journal table both
 * read (a global table after replication), real stores and the real replays.
 */
import { IoTClient } from '@aws-sdk/client-iot';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { JournalStore } from '../../../lambda/shared/journal-store';
import type { ReplayDeps } from '../../../lambda/replay/common';
import { RateLimiter, rateLimitClient } from '../../../lambda/shared/rate-limiter';
import { Reconciler, type ReconciledKind } from '../../../lambda/reconcile/reconcile';
import { type IotEmulator, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { MemoryWindowCounter } from '../../support/memory-window-counter';
import { identityDeps } from '../../support/identity-deps';

export const GRACE_MS = 15 * 60_000;

export interface Region {
  readonly name: string;
  readonly emulator: IotEmulator;
  /** An unpaced client with the same endpoint, for arranging the registry. */
  readonly admin: IoTClient;
  readonly deps: ReplayDeps;
  readonly reconciler: Reconciler;
  /** The region's echo ledger table (drift markers, known states). */
  readonly ledgerTable: string;
  /** IoT answers with ThrottlingException the reconciler's client received. */
  throttled(): number;
  /** The region's shared rate limiter (window items in its echo ledger table). */
  readonly limiter: RateLimiter;
}

export interface Harness {
  readonly tables: JournalTables;
  readonly a: Region;
  readonly b: Region;
  /** Moves the reconcilers' clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Emulator quotas (both regions) and the rate limiter's. @default the emulator's defaults, unpaced */
  readonly quotas?: Record<string, number>;
  /** Kinds the reconcilers cover. @default every kind but shadows */
  readonly kinds?: readonly ReconciledKind[];
  readonly pageSize?: number;
  readonly concurrency?: number;
}

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Window counts in memory: the limiter's logic without a table (one process, as one region's Lambdas share one table). */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tables = await startJournalTables();
  const a = await tables.createTables('a');
  const b = await tables.createTables('b');
  let offset = 0;
  const now = (): number => Date.now() + offset;
  const journal = new JournalStore(tables.doc, a.journalTable);

  const region = async (name: string, ledgerTable: string): Promise<Region> => {
    const emulator = await startIotEmulator({ region: name, quotas: options.quotas });
    // Two attempts: a socket the emulator closed under load is retried, and every throttle is still counted
    // (countThrottles runs once per attempt).
    const iot = new IoTClient({ region: name, endpoint: emulator.endpoint, credentials, maxAttempts: 2 });
    let throttled = 0;
    iot.middlewareStack.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (err) {
          if ((err as Error).name === 'ThrottlingException') throttled++;
          throw err;
        }
      },
      { step: 'deserialize', name: 'countThrottles' },
    );
    // The region's limiter as replayDepsFromEnv wires it, with its windows counted in memory: dynalite takes
    // ~15 ms per write to one item, which would dominate a bulk run (the ledger counter: rate-limiter.test.ts).
    const limiter = new RateLimiter(new MemoryWindowCounter(), { quotas: options.quotas ?? {} });
    rateLimitClient(iot, limiter);
    const identity = identityDeps(name, emulator.endpoint);
    rateLimitClient(identity.dataPlane, limiter);
    const deps: ReplayDeps = {
      iot,
      journal,
      ledger: new EchoLedgerStore(tables.doc, ledgerTable, { now }),
      region: name,
      now,
      metricsNamespace: 'IotDrTest',
      identity,
    };
    const reconciler = new Reconciler({
      replay: deps,
      ledgerTableName: ledgerTable,
      graceMs: GRACE_MS,
      pageSize: options.pageSize,
      concurrency: options.concurrency,
      kinds: options.kinds,
    });
    const admin = new IoTClient({ region: name, endpoint: emulator.endpoint, credentials });
    return { name, emulator, admin, deps, reconciler, ledgerTable, throttled: () => throttled, limiter };
  };

  const ra = await region('us-west-2', a.ledgerTable);
  const rb = await region('us-east-1', b.ledgerTable);
  return {
    tables,
    a: ra,
    b: rb,
    advance: (ms) => {
      offset += ms;
    },
    close: async () => {
      for (const r of [ra, rb]) {
        r.deps.iot.destroy();
        r.admin.destroy();
        await r.emulator.close();
      }
      await tables.close();
    },
  };
}
