/**
 * Two regions of the replication pipeline on loopback, wired like the deployed system:
 *
 *   emulator (IoT) ─registry events─▶ capture handler ─▶ journal (dynalite) ─stream tap─┬▶ pipe filter ─▶ state machine ─▶ replay handlers ─▶ emulator
 *                                                                                        └▶ replication to the other region's journal (last writer wins)
 *
 * The capture and replay handlers are the real ones; the state machine and pipe filter are the synthesized
 * ones (see replay-workflow.ts), run by aws-local-stepfunctions. The test owns time: `settle()` delivers
 * queued registry events, replications and stream records in rounds until nothing moves, and the options
 * let a scenario duplicate, reorder or hold back deliveries the way the real services may.
 */
import { type AttributeValue, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { createCaptureHandler } from '../../../lambda/capture/capture-handler';
import type { DeadLetter } from '../../../lambda/capture/dead-letters';
import { iotRegistryReader } from '../../../lambda/shared/registry-adapter';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { JournalStore } from '../../../lambda/shared/journal-store';
import type { ReplayTaskInput, ReplayTaskResult } from '../../../lambda/shared/model';
import type { ReplayDeps, ReplayHandler } from '../../../lambda/replay/common';
import { type ParkingConsumer, createParkingConsumer } from '../../../lambda/replay/parking';
import { kindReplayers } from '../../../lambda/replay/parking';
import { createHeartbeatReplay } from '../../../lambda/replay/heartbeat';
import { createHeartbeatWriter } from '../../../lambda/heartbeat/heartbeat-writer';
import { type DriftSummary, Reconciler } from '../../../lambda/reconcile/reconcile';
import { type CloudTrailEvent, type IotEmulator, type MqttMessage, type RegistryEvent, startIotEmulator } from '../iot-emulator';
import { type JournalTables, startJournalTables } from '../journal-tables';
import { matchesPattern } from './event-pattern';
import type { ReplayWorkflow } from './replay-workflow';
import { type StreamRecord, sameImage, streamRecord, tapJournalWrites } from './stream-tap';
import { TEST_ACCOUNT_ID, identityDeps } from '../identity-deps';
import { ownRoles } from '../../../lambda/capture/cloudtrail-events';
import { iotIdentityReader } from '../../../lambda/capture/identity-capture';
import { RateLimiter, rateLimitClient } from '../../../lambda/shared/rate-limiter';
import { MemoryWindowCounter } from '../memory-window-counter';

/** Task states of the synthesized workflow and which replay handler stands behind each. */
export interface WorkflowStateNames {
  /** Replay task state name → the journal kind whose replay handler (kindReplayers) stands behind it. */
  readonly replayStates: Readonly<Record<string, string>>;
  readonly deadLetterStates: readonly string[];
  /** States that send to the parking queue (held in `RegionNode.parked` until `drainParking()`). */
  readonly parkingStates?: readonly string[];
  /** The heartbeat task state (`RegionNode.heartbeatResults` records what it returned). */
  readonly heartbeat?: string;
}

export interface WorldOptions {
  /** One synthesized workflow per region name. */
  readonly workflows: Readonly<Record<string, ReplayWorkflow>>;
  readonly stateNames: WorkflowStateNames;
  /** Per-API TPS overrides for both emulators (default: the emulator's AWS quotas). */
  readonly quotas?: Partial<Record<string, number>>;
  /** Multiplies every emulator quota (a benchmark's `--quota-scale`). @default 1 */
  readonly quotaScale?: number;
  /**
   * Paces replay's and the reconciler's IoT calls with the shared rate limiter (lambda/shared/rate-limiter.ts),
   * one per region as the deployed handlers share one, its windows in memory (see MemoryWindowCounter): these
   * quotas (TPS per API) at this utilization. @default no limiter (the emulator's quotas and the SDK's retries only)
   */
  readonly rateLimit?: { readonly quotas: Readonly<Record<string, number>>; readonly utilization?: number };
  /** Waits between retries of the replay tasks, ms, per Retry rule (default 100 ms each: tests own time), or 'synthesized' for the workflow's own. */
  readonly retryWaitMs?: number | number[] | 'synthesized';
  /** Seeded randomness for the perturbations below. */
  readonly seed?: number;
  /**
   * Workflow executions a region's pipe runs at once (stream shards × parallelization factor). Batches beyond
   * it wait for a running execution to end, as a pipe polls a shard's next batch only after the last.
   * @default unlimited (tests deliver every batch at once, to shake out races)
   */
  readonly maxConcurrentExecutions?: number;
  /**
   * Deliveries overlap as the deployed services do: capture batches (a few at once per region, as an SQS
   * event source runs them) and replicated writes (in order per item) run in the background while `settle()`
   * goes on feeding the pipes, instead of each round awaiting them before the next step. For a benchmark,
   * where lockstep rounds would idle the pipes behind a round's slowest capture batch. Perturbations
   * (shuffle, hold-back, duplicates) apply as usual. @default false (rounds in lockstep)
   */
  readonly overlapDeliveries?: boolean;
  /** Serve the journal tables (dynalite) from a child process, on another core. @default false (in this process) */
  readonly journalInOwnProcess?: boolean;
  /** Keep every handler input, result and error in `RegionNode.outputs` (the key-material grep). @default true */
  readonly recordOutputs?: boolean;
}

export interface SettleOptions {
  /** Deliver every registry event twice (at-least-once delivery). */
  readonly duplicateEvents?: boolean;
  /** Shuffle registry events and stream records before each delivery round. */
  readonly shuffle?: boolean;
  /** Fraction (0..1) of deliveries held back to a later round. */
  readonly holdBack?: number;
  /** Delivery rounds that move something before giving up with an error (default 200). */
  readonly maxRounds?: number;
}

export interface ReplayDeadLetter {
  readonly key?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly [field: string]: unknown;
}

/** One region: its IoT registry, journal and the handlers that connect them. */
export class RegionNode {
  readonly iot: IoTClient;
  readonly captureDeadLetters: DeadLetter[] = [];
  readonly replayDeadLetters: ReplayDeadLetter[] = [];
  /** The parking queue: message bodies and when each becomes visible, on the world's parking clock. */
  readonly parked: { body: string; visibleAt: number }[] = [];
  parkingConsumer!: ParkingConsumer;
  readonly replayResults: ReplayTaskResult[] = [];
  readonly pendingEvents: RegistryEvent[] = [];
  /** CloudTrail management events of this region's IoT, waiting for EventBridge to deliver them to capture. */
  readonly pendingCloudTrail: CloudTrailEvent[] = [];
  /** Shadow documents (update/documents, delete/accepted) waiting for the shadow topic rules. */
  readonly pendingShadowMessages: MqttMessage[] = [];
  /** Whether shadow messages reach capture (the `replicateShadows` option). */
  shadowsEnabled = false;
  /** Everything the handlers and the workflow wrote out: log lines, dead letters, task inputs, outputs, errors. */
  readonly outputs: string[] = [];
  /** Errors the replay handlers threw (each attempt), by error name: retried, parked or dead-lettered by the workflow. */
  readonly replayErrors: Record<string, number> = {};
  readonly pendingStream: StreamRecord[] = [];
  captureHandler!: (e: SQSEvent) => Promise<unknown>;
  /** The replay handler of each journal kind (the real ones, as the replay bundle exports them). */
  replayHandlers!: Record<string, ReplayHandler>;
  journal!: JournalStore;
  journalTable!: string;
  ledgerTable!: string;
  /** Writes replicated in from the other region: on this region's stream, not replicated onwards (as in global tables). */
  replicaWriter!: DynamoDBClient;
  /** Replay handler invocations (every attempt, failed ones too). */
  replayAttempts = 0;
  /** While set, this region's registry events wait: capture is delayed until replayAttempts reaches it. */
  captureHeldUntilReplayAttempts?: number;
  /** Writes this region's heartbeat into its journal (replicated to the other region like capture's writes). */
  writeHeartbeat!: () => Promise<unknown>;
  /** Handles the other region's heartbeat tasks (the real handler). */
  heartbeatHandler!: ReplayHandler;
  /** The region's reconciler (real handler code; its journal writes replicate like capture's). */
  reconciler!: Reconciler;
  /** Added to the reconciler's clock, to pass its grace period without waiting. */
  reconcileClockOffset = 0;
  /** Reads this region's journal table (no stream records, no replication). */
  journalReader!: DynamoDBDocumentClient;

  /**
   * Drops up to `count` of this region's registry events not yet delivered to capture (the oldest first), as
   * if they were lost before capture. Lets the emulator's asynchronous events land first. Returns how many.
   */
  async dropEvents(count: number): Promise<number> {
    await flushEmulatorEvents();
    return this.pendingEvents.splice(0, Math.max(0, count)).length;
  }

  /** Drops up to `count` undelivered CloudTrail events (the oldest first): CloudTrail is best effort. */
  async dropCloudTrail(count: number): Promise<number> {
    await flushEmulatorEvents();
    return this.pendingCloudTrail.splice(0, Math.max(0, count)).length;
  }

  /** Every item in this region's journal table (strongly consistent scan), heartbeats and tombstones included. */
  async journalItems(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.journalReader.send(new ScanCommand({ TableName: this.journalTable, ConsistentRead: true, ExclusiveStartKey: start }));
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
    return items;
  }
  /** One full reconciler pass over this region (what the Distributed Map runs in parallel). */
  reconcile(): Promise<DriftSummary> {
    return this.reconciler.runAll();
  }
  /** What the heartbeat handler returned for each heartbeat that reached this region's workflow (its lag). */
  readonly heartbeatResults: ReplayTaskResult[] = [];
  /** While true, this region's pipe delivers nothing: stream records wait in `stalledStream`. */
  pipeStalled = false;
  /** Stream records a stalled pipe did not deliver, in order; `resumePipe()` delivers them. */
  readonly stalledStream: StreamRecord[] = [];

  /** Stops this region's pipe (stream records are kept, as DynamoDB Streams keeps them for 24 hours). */
  stallPipe(): void {
    this.pipeStalled = true;
  }

  /** Restarts this region's pipe where it stopped: the next `settle()` delivers what it held. */
  resumePipe(): void {
    this.pipeStalled = false;
    this.pendingStream.push(...this.stalledStream.splice(0, this.stalledStream.length));
  }

  /**
   * Delays this region's capture (an SQS backlog, retries): its registry events stay queued until its
   * replay handlers have been invoked `attempts` more times. Counted in events, never in wall-clock time.
   */
  holdCapture(attempts: number): void {
    this.captureHeldUntilReplayAttempts = this.replayAttempts + attempts;
  }

  /** Whether capture is held now; releases the hold once its replay attempts are reached. */
  captureHeld(): boolean {
    if (this.captureHeldUntilReplayAttempts === undefined) return false;
    if (this.replayAttempts < this.captureHeldUntilReplayAttempts) return true;
    this.captureHeldUntilReplayAttempts = undefined;
    return false;
  }

  constructor(
    readonly name: string,
    readonly emulator: IotEmulator,
    readonly workflow: ReplayWorkflow,
  ) {
    this.iot = new IoTClient({ endpoint: emulator.endpoint, region: name, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    emulator.onEvent((e) => this.pendingEvents.push(e));
    emulator.onCloudTrail((e) => this.pendingCloudTrail.push(e));
    emulator.onMessage((m) => {
      if (this.shadowsEnabled && m.topic.includes('/shadow/')) this.pendingShadowMessages.push(m);
    });
  }
}

let messageCounter = 0;

/** A journal write on its way to the other region: the item (plain and as attribute values) and its write clock. */
interface Replication {
  readonly to: string;
  readonly image: Record<string, unknown>;
  readonly item: Record<string, AttributeValue>;
  readonly at: number;
}

/** Replicated items written at once (see replicateAll). */
const REPLICATION_LANES = 8;

/** Capture batches a region runs at once with overlapDeliveries (an SQS event source's first pollers). */
const CAPTURE_CONCURRENCY = 5;

export class ReplicationWorld {
  /** One StateMachine per workflow definition: validating the definition (ajv) on every batch cost a large share of the CPU. */
  private readonly machines = new Map<unknown, StateMachine>();

  private machineFor(definition: unknown): StateMachine {
    let machine = this.machines.get(definition);
    if (!machine) {
      machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
      this.machines.set(definition, machine);
    }
    return machine;
  }

  private readonly nodes = new Map<string, RegionNode>();
  /** Last-writer-wins clock of every journal item per region, as global tables resolve conflicts. */
  private readonly writeClock = new Map<string, number>();
  private clock = 0;
  private rng: () => number;
  private readonly pendingReplication: Replication[] = [];
  /** Workflow executions still running: the pipe runs one per batch, many at once across shards. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Executions that failed as a whole (the pipe would retry the batch, then dead-letter it). */
  readonly failedExecutions: unknown[] = [];
  private tableRun = 0;
  /** The parking queues' clock, epoch ms: advanced only by `drainParking()`, never by wall-clock time. */
  parkingNow = Date.UTC(2026, 0, 1);

  /** The rate limiters' quotas (every region's): `scaleQuotas()` changes them in place. */
  private readonly limiterQuotas: Record<string, number>;

  private constructor(
    private readonly options: WorldOptions,
    private readonly tables: JournalTables,
  ) {
    this.rng = mulberry32(options.seed ?? 1);
    this.limiterQuotas = { ...options.rateLimit?.quotas };
  }

  /**
   * Multiplies every IoT quota from now on, the emulators' and the rate limiters' alike: a benchmark's
   * check-up passes after its timed run, where pace changes nothing the passes find.
   */
  scaleQuotas(factor: number): void {
    for (const node of this.nodes.values()) node.emulator.scaleQuotas(factor);
    for (const api of Object.keys(this.limiterQuotas)) this.limiterQuotas[api] *= factor;
  }

  static async start(options: WorldOptions): Promise<ReplicationWorld> {
    const regionNames = Object.keys(options.workflows);
    if (regionNames.length !== 2) throw new Error('a replication world has exactly two regions');
    const tables = await startJournalTables({ ownProcess: options.journalInOwnProcess });
    const world = new ReplicationWorld(options, tables);
    for (const name of regionNames) {
      const emulator = await startIotEmulator({ region: name, quotas: options.quotas, quotaScale: options.quotaScale, thingTypeDeleteCooldownMs: 0 });
      world.nodes.set(name, new RegionNode(name, emulator, options.workflows[name]));
    }
    await world.reset();
    return world;
  }

  get regions(): RegionNode[] {
    return [...this.nodes.values()];
  }

  region(name: string): RegionNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no region ${name} in this world`);
    return node;
  }

  /** Fresh registries and journals (new tables), handlers rebuilt; keeps the servers running. */
  async reset(seed?: number): Promise<void> {
    if (seed !== undefined) this.rng = mulberry32(seed);
    this.tableRun += 1;
    await Promise.allSettled([...this.inFlight]);
    this.writeClock.clear();
    this.pendingReplication.length = 0;
    this.failedExecutions.length = 0;
    for (const node of this.nodes.values()) {
      node.emulator.reset();
      node.emulator.enableAllEvents();
      node.replayAttempts = 0;
      for (const name of Object.keys(node.replayErrors)) delete node.replayErrors[name];
      node.captureHeldUntilReplayAttempts = undefined;
      node.pipeStalled = false;
      for (const list of [
        node.captureDeadLetters,
        node.replayDeadLetters,
        node.replayResults,
        node.pendingEvents,
        node.pendingCloudTrail,
        node.pendingShadowMessages,
        node.pendingStream,
        node.heartbeatResults,
        node.stalledStream,
        node.outputs,
      ] as unknown[][]) {
        list.length = 0;
      }
      const names = await this.tables.createTables(`${node.name}-${this.tableRun}`);
      node.journalTable = names.journalTable;
      node.ledgerTable = names.ledgerTable;
      this.wire(node);
    }
  }

  private wire(node: RegionNode): void {
    const reader = this.tables.newClient();
    // Capture's writes: on this region's stream and replicated to the other region.
    const captureClient = this.tables.newClient();
    tapJournalWrites(captureClient, reader, node.journalTable, node.name, (r) => this.onLocalWrite(node, r));
    // Replicated writes: on this region's stream only (replicate() makes their records from what each put replaced).
    node.replicaWriter = this.tables.newClient();
    const doc = (c: DynamoDBClient) => DynamoDBDocumentClient.from(c, { marshallOptions: { removeUndefinedValues: true } });
    node.journalReader = doc(this.tables.newClient());

    const captureDoc = doc(captureClient);
    const captureIot = new IoTClient({ endpoint: node.emulator.endpoint, region: node.name, credentials: { accessKeyId: `capture-${node.name}`, secretAccessKey: 'test' } });
    node.journal = new JournalStore(captureDoc, node.journalTable);
    node.captureHandler = createCaptureHandler({
      journal: node.journal,
      ledger: new EchoLedgerStore(captureDoc, node.ledgerTable),
      deadLetters: {
        send: async (letter: DeadLetter) => {
          node.captureDeadLetters.push(letter);
          this.output(node, () => JSON.stringify(letter));
        },
      },
      iot: iotRegistryReader(captureIot),
      identities: iotIdentityReader(captureIot, identityDeps(node.name, node.emulator.endpoint, `capture-${node.name}`).dataPlane, { region: node.name, accountId: TEST_ACCOUNT_ID }),
      // The role replay's (and the reconciler's) clients sign as: their CloudTrail events are the pipeline's own.
      ownRoles: ownRoles([`arn:aws:iam::${TEST_ACCOUNT_ID}:role/replay-${node.name}`]),
      shadowsEnabled: node.shadowsEnabled,
      region: node.name,
      emit: () => undefined,
    });

    const replayDoc = doc(this.tables.newClient());
    const rateLimit = this.options.rateLimit;
    const limiter = rateLimit
      ? new RateLimiter(new MemoryWindowCounter(), { quotas: this.limiterQuotas, utilization: rateLimit.utilization })
      : undefined;
    const paced = <C>(client: C): C => (limiter ? rateLimitClient(client, limiter) : client);
    const identity = identityDeps(node.name, node.emulator.endpoint, `replay-${node.name}`);
    const deps: ReplayDeps = {
      iot: paced(new IoTClient({ endpoint: node.emulator.endpoint, region: node.name, credentials: { accessKeyId: `replay-${node.name}`, secretAccessKey: 'test' }, maxAttempts: 3 })),
      journal: new JournalStore(replayDoc, node.journalTable),
      ledger: new EchoLedgerStore(replayDoc, node.ledgerTable),
      region: node.name,
      now: Date.now,
      metricsNamespace: 'IotDrTest',
      identity: { ...identity, dataPlane: paced(identity.dataPlane) },
    };
    node.writeHeartbeat = createHeartbeatWriter({ doc: captureDoc, journalTableName: node.journalTable, region: node.name, now: Date.now });
    node.heartbeatHandler = createHeartbeatReplay(deps);
    node.reconcileClockOffset = 0;
    const reconcileNow = (): number => Date.now() + node.reconcileClockOffset;
    node.reconciler = new Reconciler({
      replay: {
        ...deps,
        journal: node.journal,
        ledger: new EchoLedgerStore(captureDoc, node.ledgerTable, { now: reconcileNow }),
        now: reconcileNow,
      },
      ledgerTableName: node.ledgerTable,
      graceMs: 15 * 60_000,
    });
    node.replayHandlers = kindReplayers(deps);
    node.parked.length = 0;
    node.parkingConsumer = createParkingConsumer({
      replayers: node.replayHandlers,
      send: async (queue, body, delaySeconds) => {
        this.output(node, () => JSON.stringify(body));
        if (queue === 'deadLetter') node.replayDeadLetters.push(body as ReplayDeadLetter);
        else node.parked.push({ body: JSON.stringify(body), visibleAt: this.parkingNow + delaySeconds * 1000 });
      },
      now: () => this.parkingNow,
      random: () => this.rng(),
      retentionSeconds: 86_400,
    });
  }

  private onLocalWrite(node: RegionNode, record: StreamRecord): void {
    this.clock += 1;
    const key = `${node.name}|${record.dynamodb.Keys.pk.S}|${record.dynamodb.Keys.sk.S}`;
    this.writeClock.set(key, this.clock);
    node.pendingStream.push(record);
    if (!record.dynamodb.NewImage) return;
    const item = record.dynamodb.NewImage;
    const image = unmarshall(item);
    for (const other of this.nodes.values()) {
      if (other !== node) this.pendingReplication.push({ to: other.name, image, item, at: this.clock });
    }
  }

  /**
   * Applies replicated writes as global tables do: items in parallel (a few at a time), the writes of one
   * item in order. One at a time, dynalite's ~15 ms per write capped a bulk copy's replication well below
   * what the pipeline replays.
   */
  private async replicateAll(ops: ReadonlyArray<Replication>): Promise<void> {
    const byItem = new Map<string, Replication[]>();
    for (const op of ops) {
      const key = `${op.to}|${String(op.image.pk)}|${String(op.image.sk)}`;
      byItem.set(key, [...(byItem.get(key) ?? []), op]);
    }
    const queues = [...byItem.values()];
    const lane = async (): Promise<void> => {
      for (let queue = queues.shift(); queue; queue = queues.shift()) {
        for (const op of queue) await this.replicate(op);
      }
    };
    await Promise.all(Array.from({ length: Math.min(REPLICATION_LANES, queues.length) }, lane));
  }

  /** Keeps a handler's or the workflow's output line unless `recordOutputs` is off. */
  private output(node: RegionNode, line: () => string): void {
    if (this.options.recordOutputs !== false) node.outputs.push(line());
  }

  /** Capture batches running per region (overlapDeliveries), and those waiting for a slot. */
  private readonly captureSlots = new Map<RegionNode, { running: number; waiting: Array<() => void> }>();
  /** The last replicated write queued per item (overlapDeliveries): the next one runs after it. */
  private readonly replicationTails = new Map<string, Promise<void>>();
  private replicationsRunning = 0;
  private readonly replicationWaiting: Array<() => void> = [];

  /** Runs `task` in the background as an in-flight delivery; a failure fails `settle()` like a failed execution. */
  private track(task: Promise<unknown>): void {
    const done: Promise<void> = task
      .then(() => undefined)
      .catch((err: unknown) => void this.failedExecutions.push(err))
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /** One SQS batch to the region's capture function: awaited in lockstep rounds, in the background with overlapDeliveries. */
  private async deliverToCapture(node: RegionNode, event: SQSEvent): Promise<void> {
    if (!this.options.overlapDeliveries) {
      await node.captureHandler(event);
      return;
    }
    const slots = this.captureSlots.get(node) ?? { running: 0, waiting: [] };
    this.captureSlots.set(node, slots);
    this.track(
      (async () => {
        if (slots.running >= CAPTURE_CONCURRENCY) await new Promise<void>((resolve) => slots.waiting.push(resolve));
        slots.running += 1;
        try {
          await node.captureHandler(event);
        } finally {
          slots.running -= 1;
          slots.waiting.shift()?.();
        }
      })(),
    );
  }

  /** A replicated write in the background: after the item's earlier writes, REPLICATION_LANES at once. */
  private replicateInBackground(op: Replication): void {
    const key = `${op.to}|${String(op.image.pk)}|${String(op.image.sk)}`;
    const previous = this.replicationTails.get(key) ?? Promise.resolve();
    const mine = previous.then(async () => {
      if (this.replicationsRunning >= REPLICATION_LANES) await new Promise<void>((resolve) => this.replicationWaiting.push(resolve));
      this.replicationsRunning += 1;
      try {
        await this.replicate(op);
      } finally {
        this.replicationsRunning -= 1;
        this.replicationWaiting.shift()?.();
        if (this.replicationTails.get(key) === mine) this.replicationTails.delete(key);
      }
    });
    this.replicationTails.set(key, mine);
    this.track(mine);
  }

  /** Applies one replicated write if it is the last writer for that item in the target region. */
  private async replicate(op: Replication): Promise<void> {
    const node = this.region(op.to);
    const key = `${node.name}|${String(op.image.pk)}|${String(op.image.sk)}`;
    if ((this.writeClock.get(key) ?? 0) > op.at) return;
    this.writeClock.set(key, op.at);
    const { Attributes: before } = await node.replicaWriter.send(new PutItemCommand({ TableName: node.journalTable, Item: op.item, ReturnValues: 'ALL_OLD' }));
    if (!sameImage(before, op.item)) node.pendingStream.push(streamRecord(node.name, { pk: op.item.pk, sk: op.item.sk }, before, op.item));
  }

  /**
   * Delivers everything queued — registry events to capture, journal writes to the other region, stream
   * records through the pipe filter to the workflow — in rounds until a round moves nothing.
   */
  async settle(options: SettleOptions = {}): Promise<void> {
    const maxRounds = options.maxRounds ?? 200;
    let rounds = 0;
    for (;;) {
      await flushEmulatorEvents();
      let moved = false;
      for (const node of this.nodes.values()) {
        if (node.captureHeld()) continue;
        const events = this.take(node.pendingEvents, options);
        if (events.length > 0) {
          moved = true;
          const deliveries = options.duplicateEvents ? events.flatMap((e) => [e, e]) : events;
          for (let i = 0; i < deliveries.length; i += 10) {
            await this.deliverToCapture(node, sqsEvent(deliveries.slice(i, i + 10)));
          }
        }
        // EventBridge delivers CloudTrail events as the SQS message body; the shadow topic rules like registry events.
        const identityMessages = [
          ...this.take(node.pendingCloudTrail, options).map((e) => JSON.stringify(e)),
          ...this.take(node.pendingShadowMessages, options).map((m) => JSON.stringify({ ...m.payload, topic: m.topic })),
        ];
        if (identityMessages.length > 0) {
          moved = true;
          for (let i = 0; i < identityMessages.length; i += 10) {
            await this.deliverToCapture(node, sqsBodies(identityMessages.slice(i, i + 10)));
          }
        }
      }
      const replications = this.take(this.pendingReplication, options);
      if (this.options.overlapDeliveries) for (const op of replications) this.replicateInBackground(op);
      else await this.replicateAll(replications);
      moved ||= replications.length > 0;
      for (const node of this.nodes.values()) {
        const records = this.take(node.pendingStream, options);
        if (records.length > 0) {
          moved = true;
          this.runPipe(node, records);
        }
      }
      await flushEmulatorEvents();
      const queued =
        this.regions.some((n) => n.pendingEvents.length + n.pendingStream.length + n.pendingCloudTrail.length + n.pendingShadowMessages.length > 0) ||
        this.pendingReplication.length > 0;
      if (moved && ++rounds >= maxRounds) throw new Error(`replication did not settle within ${maxRounds} delivery rounds`);
      if (moved) continue;
      if (this.inFlight.size === 0) {
        if (!queued) break;
        const deliverable = this.regions.some((n) => n.pendingStream.length > 0 || (n.pendingEvents.length > 0 && n.captureHeldUntilReplayAttempts === undefined));
        // Only held registry events are left and no execution can release them: release them (progress).
        if (!deliverable && this.pendingReplication.length === 0) for (const node of this.regions) node.captureHeldUntilReplayAttempts = undefined;
        continue;
      }
      // Nothing to deliver until a running execution writes to IoT (and so raises registry events).
      await Promise.race([...this.inFlight, new Promise((resolve) => setTimeout(resolve, 10))]);
    }
    if (this.failedExecutions.length > 0) {
      throw new Error(`${this.failedExecutions.length} workflow execution(s) failed: ${String(this.failedExecutions[0])}`);
    }
  }

  /** Takes what this round delivers from a queue, applying the shuffle and hold-back perturbations. */
  private take<T>(queue: T[], options: SettleOptions): T[] {
    const all = queue.splice(0, queue.length);
    if (options.shuffle) shuffleInPlace(all, this.rng);
    if (!options.holdBack) return all;
    const now: T[] = [];
    for (const item of all) (this.rng() < options.holdBack ? queue : now).push(item);
    // Never hold back everything: progress is guaranteed.
    if (now.length === 0 && queue.length > 0) now.push(queue.shift()!);
    return now;
  }

  /** The pipe: filter with the synthesized patterns, batch, and run the synthesized workflow per batch. */
  private runPipe(node: RegionNode, records: StreamRecord[]): void {
    if (node.pipeStalled) {
      node.stalledStream.push(...records);
      return;
    }
    const { workflow } = node;
    const passing = records.filter((r) => workflow.filterPatterns.length === 0 || workflow.filterPatterns.some((p) => matchesPattern(p, r)));
    for (let i = 0; i < passing.length; i += workflow.batchSize) {
      const execution: Promise<void> = this.withExecutionSlot(node, () => this.runWorkflow(node, passing.slice(i, i + workflow.batchSize)))
        .catch((err: unknown) => void this.failedExecutions.push(err))
        .finally(() => this.inFlight.delete(execution));
      this.inFlight.add(execution);
    }
  }

  private readonly running = new Map<RegionNode, number>();
  private readonly waiting = new Map<RegionNode, Array<() => void>>();

  /** Runs `execution` once fewer than `maxConcurrentExecutions` of the region's executions run. */
  private async withExecutionSlot(node: RegionNode, execution: () => Promise<void>): Promise<void> {
    const max = this.options.maxConcurrentExecutions ?? Infinity;
    if ((this.running.get(node) ?? 0) >= max) {
      await new Promise<void>((resolve) => this.waiting.set(node, [...(this.waiting.get(node) ?? []), resolve]));
    }
    this.running.set(node, (this.running.get(node) ?? 0) + 1);
    try {
      await execution();
    } finally {
      this.running.set(node, (this.running.get(node) ?? 1) - 1);
      this.waiting.get(node)?.shift()?.();
    }
  }

  private async runWorkflow(node: RegionNode, batch: StreamRecord[]): Promise<void> {
    const names = this.options.stateNames;
    const invoke = (handler: ReplayHandler) => async (input: unknown) => {
      const payload = unwrapLambdaPayload(input) as ReplayTaskInput;
      node.replayAttempts += 1;
      this.output(node, () => JSON.stringify(input));
      try {
        const result = await handler(payload);
        node.replayResults.push(result);
        this.output(node, () => JSON.stringify(result));
        return result as unknown as Record<string, never>;
      } catch (err) {
        // What Step Functions would log: the error's name and message (and its cause chain).
        const name = (err as Error).name;
        node.replayErrors[name] = (node.replayErrors[name] ?? 0) + 1;
        this.output(node, () => JSON.stringify({ error: name, cause: (err as Error).message, inner: String((err as { cause?: unknown }).cause ?? '') }));
        throw err;
      }
    };
    const deadLetter = async (input: unknown) => {
      const body = (input as { MessageBody?: unknown }).MessageBody ?? input;
      this.output(node, () => (typeof body === 'string' ? body : JSON.stringify(body)));
      node.replayDeadLetters.push((typeof body === 'string' ? JSON.parse(body) : body) as ReplayDeadLetter);
      messageCounter += 1;
      return { MessageId: `dlq-${messageCounter}` };
    };
    const localHandlers: Record<string, (input: never) => Promise<never>> = {};
    for (const [state, kind] of Object.entries(names.replayStates)) {
      const handler = node.replayHandlers[kind];
      if (!handler) throw new Error(`no replay handler for kind '${kind}' (state ${state})`);
      localHandlers[state] = invoke(handler) as never;
    }
    if (names.heartbeat) {
      localHandlers[names.heartbeat] = (async (input: unknown) => {
        const result = await node.heartbeatHandler(unwrapLambdaPayload(input) as ReplayTaskInput);
        node.heartbeatResults.push(result);
        return result;
      }) as never;
    }
    for (const s of names.deadLetterStates) localHandlers[s] = deadLetter as never;
    const park = async (input: unknown) => {
      const { MessageBody, DelaySeconds } = input as { MessageBody: unknown; DelaySeconds?: number };
      this.output(node, () => JSON.stringify(MessageBody));
      node.parked.push({ body: JSON.stringify(MessageBody), visibleAt: this.parkingNow + (DelaySeconds ?? 0) * 1000 });
      messageCounter += 1;
      return { MessageId: `parked-${messageCounter}` };
    };
    for (const s of names.parkingStates ?? []) localHandlers[s] = park as never;
    // 100 ms: four dependency retries (400 ms) outlast a dependency's replay in the same round on a loaded machine.
    const retryWait = this.options.retryWaitMs ?? 100;
    const machine = this.machineFor(node.workflow.definition);
    const execution = machine.run(batch as never, {
      // The Catch targets stamp items with the state's entry time, on the parking clock.
      context: { State: { EnteredTime: new Date(this.parkingNow).toISOString(), Name: 'ReplayEachRecord' } } as never,
      overrides: {
        taskResourceLocalHandlers: localHandlers as never,
        // 'synthesized': the workflow's own waits, in real time (a benchmark); otherwise tests own time.
        ...(retryWait === 'synthesized'
          ? {}
          : {
              retryIntervalOverrides: Object.fromEntries(
                [...Object.keys(names.replayStates), ...(names.heartbeat ? [names.heartbeat] : [])].map((s) => [s, retryWait]),
              ),
            }),
      },
    });
    await execution.result;
  }

  /**
   * Drains every region's parking queue on the parking clock, through the real parking consumer: takes the
   * message due first, moves the clock to when it is visible, runs the consumer on it, and settles what its
   * replay set off. Returns the parking clock's advance, ms. Stops when no message is parked.
   */
  async drainParking(options: { maxMessages?: number } = {}): Promise<number> {
    const start = this.parkingNow;
    const maxMessages = options.maxMessages ?? 10_000;
    for (let handled = 0; ; handled++) {
      let next: { node: RegionNode; index: number } | undefined;
      for (const node of this.regions) {
        node.parked.forEach((m, index) => {
          if (!next || m.visibleAt < next.node.parked[next.index].visibleAt) next = { node, index };
        });
      }
      if (!next) break;
      if (handled >= maxMessages) throw new Error(`the parking queues did not drain within ${maxMessages} messages`);
      const [message] = next.node.parked.splice(next.index, 1);
      this.parkingNow = Math.max(this.parkingNow, message.visibleAt);
      messageCounter += 1;
      const response = await next.node.parkingConsumer(
        { Records: [{ messageId: `parked-${messageCounter}`, body: message.body } as never] },
        { getRemainingTimeInMillis: () => 30_000 },
      );
      // A message the consumer could not move on comes back after the visibility timeout (180 s).
      if (response.batchItemFailures.length > 0) next.node.parked.push({ body: message.body, visibleAt: this.parkingNow + 180_000 });
      await this.settle();
    }
    return this.parkingNow - start;
  }

  /** Registry contents of every region, for convergence assertions. */
  snapshots(): Record<string, ReturnType<IotEmulator['snapshot']>> {
    return Object.fromEntries(this.regions.map((n) => [n.name, n.emulator.snapshot()]));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    for (const node of this.nodes.values()) {
      node.iot.destroy();
      await node.emulator.close();
    }
    await this.tables.close();
  }
}


/** An IoT rule's SQS action delivers `SELECT *, topic() AS topic` of the registry event. */
function sqsEvent(events: RegistryEvent[]): SQSEvent {
  return sqsBodies(events.map((e) => JSON.stringify({ ...e.payload, topic: e.topic })));
}

/** SQS messages with these bodies (EventBridge and topic-rule deliveries alike). */
function sqsBodies(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body) => {
      messageCounter += 1;
      return {
        messageId: `msg-${messageCounter}`,
        receiptHandle: `rh-${messageCounter}`,
        body,
        attributes: {} as never,
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:capture',
        awsRegion: 'local',
      };
    }),
  };
}

/** `LambdaInvoke` without payloadResponseOnly hands the task `{ FunctionName, Payload }`. */
function unwrapLambdaPayload(input: unknown): unknown {
  const o = input as { FunctionName?: unknown; Payload?: unknown };
  return o && typeof o === 'object' && 'FunctionName' in o && 'Payload' in o ? o.Payload : input;
}

/** Emulator events are delivered with setImmediate; a macrotask turn lets them all land. */
async function flushEmulatorEvents(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5));
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace<T>(list: T[], rng: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
}
