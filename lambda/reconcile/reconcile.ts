/**
 * Anti-entropy for one region: compares entities of this region's registry with the journal and repairs
 * what differs, by the rules of planner.ts. The work comes in items (what the reconciler's Distributed Map
 * hands each processor): a page of one kind of the registry, or a scan segment of the journal.
 *
 * Versions the reconciler writes (see README "RegistryReconciler"):
 * - an import (an entity the journal lacks) gets event time 0 in its version — older than any real event of
 *   any region, so every live change wins over it; two regions importing different states of one entity
 *   order by region name, like any tie. The item's `eventTime` field is the import time (the lag metric).
 * - a local change journaled after the grace period gets the time the reconciler first saw it: its real
 *   time is unknown but no later than that, so changes the other region made after it was seen win.
 */
import { ListThingGroupsCommand, ListThingsCommand, ListThingsInThingGroupCommand, ListThingTypesCommand } from '@aws-sdk/client-iot';
import { BatchGetCommand, type BatchGetCommandOutput, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_TOMBSTONE_TTL_SECONDS, DRIFT_METRICS, ECHO_ATTR, RELATIONSHIP_KINDS, RETRYABLE_ERRORS } from '../contract';
import type { ReplayDeps, ReplayHandler } from '../replay/common';
import { kindReplayers } from '../replay/parking';
import { membershipState, thingState, thingTypeState } from '../shared/entity-state';
import { knownStateKey } from '../shared/echo-ledger-store';
import { TOMBSTONE_HASH, stateHash } from '../shared/hash';
import { mapLimit, tombstoneItem } from '../shared/journal-store';
import { certKeys, type ItemKeys, memberKeys, parseKey, parseTarget, policyKeys, thingGroupKeys, thingKeys, thingTypeKeys } from '../shared/keys';
import type { EntityKind, JournalItem } from '../shared/model';
import { describeMembership, describeThing, describeThingGroup, describeThingType } from '../shared/registry-adapter';
import { emitMetrics, log } from '../shared/telemetry';
import { makeVersion } from '../shared/version';
import { type DriftCounts, type DriftSummary, emptyCounts, mergeDrift, reconciledKinds, type ReconciledKind, type ReconcileItem, type ReconcileItemResult } from './drift';
import { dependencyRank, type Found, keysOf, knownStateOf, MAX_RANK, type Prefetched } from './entities';
import { IdentityPages, isIdentityKind } from './identity-pages';
import { deleteDriftMarker, driftMarker, type MarkerTable, putDriftMarker } from './drift-markers';
import { planEntity, type PlanAction } from './planner';

export { RECONCILED_KINDS, mergeDrift, reconciledKinds } from './drift';
export type { DriftCounts, DriftSummary, ReconciledKind, ReconcileItem, ReconcileItemResult } from './drift';

export interface ReconcileDeps {
  /** The replay dependencies (IoT client, journal, echo ledger, region, clock), shared with the replays. */
  readonly replay: ReplayDeps;
  /** The echo ledger table, where drift markers live as `drift#<key>`. */
  readonly ledgerTableName: string;
  /** How long a local change must stay the same before it is journaled, ms. */
  readonly graceMs: number;
  /** Registry entities per page. @default 100 */
  readonly pageSize?: number;
  /** Entities reconciled at once within an item (IoT calls are paced anyway). @default 8 */
  readonly concurrency?: number;
  /** The kinds a pass covers. @default every kind but shadows (see reconciledKinds) */
  readonly kinds?: readonly ReconciledKind[];
  /**
   * How long a registry page waits without progress for the ends of the links it imports to be journaled
   * (see awaitParents), ms. @default 20 s: an end on its way is imported within seconds by its own page
   */
  readonly parentWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** How often a page waiting for the ends of its links looks at the journal again. */
const PARENT_POLL_MS = 250;

/**
 * The journal keys a link needs before it (its ends: a membership's thing and group, a principal's thing and
 * certificate, an attachment's policy and target, a shadow's thing), when the pass covers their kinds.
 */
function parentKeysOf(found: Found, kinds: readonly ReconciledKind[]): ItemKeys[] {
  const { kind, parts } = parseKey(found.key);
  const ends: [ReconciledKind, ItemKeys][] = [];
  switch (kind) {
    case 'member':
      ends.push(['thingGroup', thingGroupKeys(parts[0])], ['thing', thingKeys(parts[1])]);
      break;
    case 'principal':
      ends.push(['thing', thingKeys(parts[0])], ['cert', certKeys(parts[1])]);
      break;
    case 'policyTarget': {
      ends.push(['policy', policyKeys(parts[0])]);
      const target = parseTarget(parts[1]);
      if (target) ends.push(target.type === 'cert' ? ['cert', certKeys(target.name)] : ['thingGroup', thingGroupKeys(target.name)]);
      break;
    }
    case 'shadow':
      ends.push(['thing', thingKeys(parts[0])]);
      break;
    default:
      break;
  }
  return ends.filter(([k]) => kinds.includes(k)).map(([, keys]) => keys);
}

/** Keys per BatchGetItem request. */
const BATCH_GET_LIMIT = 100;

export class Reconciler {
  private readonly replayers: Record<string, ReplayHandler>;
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly kinds: readonly ReconciledKind[];
  private readonly identities: IdentityPages;
  private readonly markerTable: MarkerTable;
  private readonly parentWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly links = new Set<string>(RELATIONSHIP_KINDS);

  constructor(private readonly deps: ReconcileDeps) {
    this.parentWaitMs = deps.parentWaitMs ?? 20_000;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.replayers = kindReplayers(deps.replay);
    this.pageSize = deps.pageSize ?? 100;
    this.concurrency = deps.concurrency ?? 8;
    this.kinds = deps.kinds ?? reconciledKinds(false);
    this.markerTable = { doc: deps.replay.journal.doc, tableName: deps.ledgerTableName };
    this.identities = new IdentityPages({ deps: deps.replay, pageSize: this.pageSize, concurrency: this.concurrency, prefetch: (f) => this.prefetch(f) });
  }

  /** Processes one item of a run; emits the drift metrics of what it found. */
  async run(item: ReconcileItem): Promise<ReconcileItemResult> {
    const result = item.source === 'registry' ? await this.registryPage(item.kind, item.nextToken) : await this.journalSegment(item);
    const dims = { Region: this.deps.replay.region };
    for (const [kind, c] of Object.entries(result.drift) as [ReconciledKind, DriftCounts][]) {
      emitMetrics(this.deps.replay.metricsNamespace, { ...dims, Kind: kind }, [
        { name: DRIFT_METRICS.found, value: c.found, unit: 'Count' },
        { name: DRIFT_METRICS.repaired, value: c.repaired, unit: 'Count' },
        { name: DRIFT_METRICS.failed, value: c.failed, unit: 'Count' },
        { name: DRIFT_METRICS.pending, value: c.pending, unit: 'Count' },
      ]);
    }
    return result;
  }

  /** Runs every item of a full pass in sequence (pages chained): what the Distributed Map does in parallel. */
  async runAll(totalSegments = 1): Promise<DriftSummary> {
    let drift: DriftSummary = {};
    const queue: ReconcileItem[] = [
      ...this.kinds.map((kind): ReconcileItem => ({ source: 'registry', kind })),
      ...Array.from({ length: totalSegments }, (_, segment): ReconcileItem => ({ source: 'journal', segment, totalSegments })),
    ];
    for (let item = queue.shift(); item; item = queue.shift()) {
      const result = await this.run(item);
      drift = mergeDrift(drift, result.drift);
      if (result.next) queue.push(result.next);
    }
    return drift;
  }

  /** One page of this region's registry of one kind: every entity on it is reconciled. */
  async registryPage(kind: ReconciledKind, nextToken?: string): Promise<ReconcileItemResult> {
    // A kind this deployment does not replicate (shadows, unless enabled): nothing to compare.
    if (!this.kinds.includes(kind)) return { drift: {} };
    // A kind's first page: a pass starts here, after which the journal segments look entities up in listings.
    if (nextToken === undefined) this.identities.forgetListings();
    // Things and their principals are one listing (see withPrincipals): the principal kind's item has no page.
    const withPrincipals = this.kinds.includes('thing') && this.kinds.includes('principal');
    if (kind === 'principal' && withPrincipals) return { drift: {} };
    if (isIdentityKind(kind) || (kind === 'thing' && withPrincipals)) {
      let streamed: DriftSummary = {};
      const each = async (found: Found[], prefetched?: Map<string, Prefetched>) => {
        const drift = await this.reconcileAll(found, prefetched, true);
        streamed = mergeDrift(streamed, drift);
      };
      /*
       * Things are listed with their principals (one ListThingPrincipals per thing, which the principals
       * need anyway), each thing reconciled right before its principals: an initial copy then imports things
       * at the pace of the principals and certificates, device by device, instead of journaling the whole
       * fleet's things at once — the other region replays a stream in order, and a block of things (100
       * CreateThing a second) would hold up the certificates behind it (10 RegisterCertificate a second).
       */
      const page = kind === 'thing' ? await this.identities.page('principal', nextToken, each, true) : await this.identities.page(kind, nextToken, each);
      const drift = mergeDrift(streamed, await this.reconcileAll(page.found, page.prefetched, true));
      return { drift, ...(page.next ? { next: { source: 'registry', kind, nextToken: page.next } } : {}) };
    }
    const iot = this.deps.replay.iot;
    const maxResults = this.pageSize;
    let found: Found[] = [];
    let token: string | undefined;
    switch (kind) {
      case 'thing': {
        const res = await iot.send(new ListThingsCommand({ maxResults, nextToken }));
        found = (res.things ?? []).map((t) => {
          const name = t.thingName ?? '';
          const state = thingState({ thingName: name, thingTypeName: t.thingTypeName, attributes: t.attributes });
          return { key: thingKeys(name).sk, keys: thingKeys(name), kind, state, localVersion: t.version };
        });
        token = res.nextToken;
        break;
      }
      case 'thingType': {
        const res = await iot.send(new ListThingTypesCommand({ maxResults, nextToken }));
        found = (res.thingTypes ?? []).map((t) => {
          const name = t.thingTypeName ?? '';
          const state = thingTypeState({
            thingTypeName: name,
            description: t.thingTypeProperties?.thingTypeDescription,
            searchableAttributes: t.thingTypeProperties?.searchableAttributes,
            deprecated: t.thingTypeMetadata?.deprecated,
          });
          return { key: thingTypeKeys(name).sk, keys: thingTypeKeys(name), kind, state };
        });
        token = res.nextToken;
        break;
      }
      case 'thingGroup':
      case 'member': {
        const res = await iot.send(new ListThingGroupsCommand({ maxResults, nextToken }));
        const names = (res.thingGroups ?? []).map((g) => g.groupName ?? '').filter((n) => n !== '');
        const lists = await mapLimit(names, this.concurrency, (name) => (kind === 'thingGroup' ? this.groupFound(name) : this.membersFound(name)));
        found = lists.flat();
        token = res.nextToken;
        break;
      }
    }
    const drift = await this.reconcileAll(found, undefined, true);
    return { drift, ...(token ? { next: { source: 'registry', kind, nextToken: token } } : {}) };
  }

  private async groupFound(name: string): Promise<Found[]> {
    const described = await describeThingGroup(this.deps.replay.iot, name);
    if (!described) return [];
    return [{ key: thingGroupKeys(name).sk, keys: thingGroupKeys(name), kind: 'thingGroup', state: described.state, localVersion: described.version }];
  }

  private async membersFound(group: string): Promise<Found[]> {
    const out: Found[] = [];
    let nextToken: string | undefined;
    do {
      const res = await this.deps.replay.iot.send(new ListThingsInThingGroupCommand({ thingGroupName: group, recursive: false, maxResults: 250, nextToken }));
      for (const thing of res.things ?? []) {
        const keys = memberKeys(group, thing);
        out.push({ key: keys.sk, keys, kind: 'member', state: membershipState(group, thing) });
      }
      nextToken = res.nextToken || undefined;
    } while (nextToken);
    return out;
  }

  /**
   * One page of one scan segment of the journal: live items of the reconciled kinds whose entity is absent
   * here (entities present here are covered by the registry pages).
   */
  async journalSegment(item: Extract<ReconcileItem, { source: 'journal' }>): Promise<ReconcileItemResult> {
    const res = await this.deps.replay.journal.doc.send(
      new ScanCommand({
        TableName: this.deps.replay.journal.tableName,
        Segment: item.segment,
        TotalSegments: item.totalSegments,
        ExclusiveStartKey: item.exclusiveStartKey,
        Limit: this.pageSize,
        ConsistentRead: true,
      }),
    );
    const live = ((res.Items ?? []) as JournalItem[]).filter((i) => !i.deleted && (this.kinds as readonly string[]).includes(i.kind));
    // One entity that cannot be read (after the SDK's retries) is counted failed; the rest of the page goes on.
    let drift: DriftSummary = {};
    const described = await mapLimit(live, this.concurrency, (i) =>
      this.absenceOf(i.sk).catch((err: unknown) => {
        log('ERROR', 'reconcile could not read an entity', { key: i.sk, error: err });
        drift = mergeDrift(drift, { [i.kind]: { ...emptyCounts(), checked: 1, found: 1, failed: 1 } });
        return undefined;
      }),
    );
    // Dependencies first, rank after rank (see dependencyRank), so an initial copy needs no second pass for
    // the page: e.g. policies and certificates before the policy attachments and principals that need them.
    for (let rank = 0; rank <= MAX_RANK; rank++) {
      const absent = described.filter((f, i): f is Found => f !== undefined && f.state === undefined && dependencyRank(live[i]) === rank);
      drift = mergeDrift(drift, await this.reconcileAll(absent));
    }
    const next = res.LastEvaluatedKey ? { ...item, exclusiveStartKey: res.LastEvaluatedKey } : undefined;
    return { drift, ...(next ? { next } : {}) };
  }

  /**
   * The journal scan's look-up: undefined when a cached listing of the region shows the entity present (a
   * thing, or a principal's or shadow's thing: their registry pages compare those; a membership), else
   * describe().
   */
  private async absenceOf(key: string): Promise<Found | undefined> {
    const { kind, parts } = parseKey(key);
    if (!(this.kinds as readonly string[]).includes(kind)) return undefined;
    const listed =
      kind === 'thing' || kind === 'principal' || kind === 'shadow'
        ? await this.identities.listed('thing', parts[0])
        : kind === 'member'
          ? await this.identities.listed(`members#${parts[0]}`, parts[1])
          : false;
    return listed ? undefined : this.describe(key);
  }

  /**
   * Describes the entity of a journal key in this region (undefined: not a reconciled kind). For device
   * identities, only absences (see IdentityPages.describe): undefined when the entity is present here.
   */
  async describe(key: string): Promise<Found | undefined> {
    const { kind, parts } = parseKey(key);
    if (!(this.kinds as readonly string[]).includes(kind)) return undefined;
    const k = kind as ReconciledKind;
    if (isIdentityKind(k)) return this.identities.describe(k, parts);
    const keys = keysOf(k, parts);
    const iot = this.deps.replay.iot;
    switch (k) {
      case 'thing': {
        const d = await describeThing(iot, parts[0]);
        return { key, keys, kind: k, state: d?.state, localVersion: d?.version };
      }
      case 'thingType':
        return { key, keys, kind: k, state: await describeThingType(iot, parts[0]) };
      case 'thingGroup': {
        const d = await describeThingGroup(iot, parts[0]);
        return { key, keys, kind: k, state: d?.state, localVersion: d?.version };
      }
      case 'member':
        return { key, keys, kind: k, state: await describeMembership(iot, parts[0], parts[1]) };
    }
  }

  /**
   * Reconciles what a page found. `gated` (registry pages): a link the journal lacks is imported only once
   * the journal has its ends (see awaitParents).
   */
  private async reconcileAll(found: readonly Found[], readAhead?: Map<string, Prefetched>, gated = false): Promise<DriftSummary> {
    const missing = readAhead ? found.filter((f) => !readAhead.get(f.key)?.complete) : found;
    const prefetched = new Map([...(readAhead ?? []), ...(await this.prefetch(missing))]);
    if (!gated) return this.reconcileFound(found, prefetched);
    let drift: DriftSummary = {};
    await this.awaitParents(found, prefetched, async (ready) => {
      drift = mergeDrift(drift, await this.reconcileFound(ready, prefetched));
    });
    return drift;
  }

  /**
   * Hands `found` to `reconcile` in groups, links the journal lacks only once the journal holds their ends:
   * pages of different kinds run side by side, and a link imported before its ends would reach the other
   * region first and wait there (retried, holding its batch, then parked). An end that is on its way is journaled
   * within seconds by its own page; the wait ends when no end has arrived for `parentWaitMs` (an end this
   * pass does not import: its kind is left out, or it changed meanwhile), and the rest is imported anyway.
   * Ends with any journal item (a tombstone too) count as journaled.
   */
  private async awaitParents(found: readonly Found[], prefetched: Map<string, Prefetched>, reconcile: (ready: Found[]) => Promise<void>): Promise<void> {
    const ends = new Map<string, ItemKeys[]>();
    for (const f of found) {
      if (!this.links.has(f.kind) || f.state === undefined || prefetched.get(f.key)?.journal) continue;
      const parents = parentKeysOf(f, this.kinds);
      if (parents.length > 0) ends.set(f.key, parents);
    }
    let rest = [...found];
    const journaled = new Set<string>();
    let progressAt = this.deps.replay.now();
    let polls = 0;
    for (;;) {
      const unknown = [...new Map([...ends.values()].flat().filter((k) => !journaled.has(k.sk)).map((k) => [k.sk, k])).values()];
      for (const sk of await this.journaledKeys(unknown)) journaled.add(sk);
      const isReady = (f: Found): boolean => (ends.get(f.key) ?? []).every((k) => journaled.has(k.sk));
      const ready = rest.filter(isReady);
      rest = rest.filter((f) => !isReady(f));
      if (ready.length > 0) {
        polls = 0;
        progressAt = this.deps.replay.now();
        await reconcile(ready);
      }
      if (rest.length === 0) return;
      if (this.deps.replay.now() - progressAt >= this.parentWaitMs) {
        log('INFO', 'ends of links not journaled in time; importing the links anyway', { links: rest.length, first: rest[0].key });
        await reconcile(rest);
        return;
      }
      await this.sleep(Math.min(PARENT_POLL_MS * 2 ** Math.min(polls++, 3), 2_000));
    }
  }

  /** The keys among `keys` the journal has an item for (live or tombstone), read in batches. */
  private async journaledKeys(keys: readonly ItemKeys[]): Promise<string[]> {
    const out: string[] = [];
    const table = this.deps.replay.journal.tableName;
    for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
      let request: BatchGetCommandOutput['UnprocessedKeys'] = {
        [table]: { Keys: keys.slice(i, i + BATCH_GET_LIMIT).map((k) => ({ pk: k.pk, sk: k.sk })), ConsistentRead: true, ProjectionExpression: 'sk' },
      };
      while (request && Object.keys(request).length > 0) {
        const res: BatchGetCommandOutput = await this.deps.replay.journal.doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of res.Responses?.[table] ?? []) out.push(String(item.sk));
        request = res.UnprocessedKeys;
      }
    }
    return out;
  }

  private async reconcileFound(found: readonly Found[], prefetched: Map<string, Prefetched>): Promise<DriftSummary> {
    const drift: DriftSummary = {};
    const outcomes = await mapLimit(found, this.concurrency, (f) => this.reconcileOne(f, prefetched.get(f.key)));
    found.forEach((f, i) => {
      const c = (drift[f.kind] ??= emptyCounts());
      c.checked++;
      const outcome = outcomes[i];
      if (outcome === 'in-sync') return;
      c.found++;
      c[outcome]++;
    });
    return drift;
  }

  /**
   * The journal items and known states of a page's entities, read in batches (strongly consistent): most
   * entities are in sync, and then these two reads are all the reconciler does for them.
   */
  private async prefetch(found: ReadonlyArray<Pick<Found, 'key' | 'keys'>>): Promise<Map<string, Prefetched>> {
    const out = new Map<string, Prefetched>(found.map((f) => [f.key, {}]));
    const journalTable = this.deps.replay.journal.tableName;
    const ledgerTable = this.deps.ledgerTableName;
    const nowSeconds = Math.floor(this.deps.replay.now() / 1000);
    for (let i = 0; i < found.length; i += BATCH_GET_LIMIT / 2) {
      const chunk = found.slice(i, i + BATCH_GET_LIMIT / 2);
      let request: BatchGetCommandOutput['UnprocessedKeys'] = {
        [journalTable]: { Keys: chunk.map((f) => ({ pk: f.keys.pk, sk: f.keys.sk })), ConsistentRead: true },
        [ledgerTable]: { Keys: chunk.map((f) => ({ [ECHO_ATTR.partitionKey]: knownStateKey(f.key) })), ConsistentRead: true },
      };
      while (request && Object.keys(request).length > 0) {
        const res: BatchGetCommandOutput = await this.deps.replay.journal.doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of (res.Responses?.[journalTable] ?? []) as JournalItem[]) {
          const p = out.get(item.sk);
          if (p) p.journal = item;
        }
        for (const item of res.Responses?.[ledgerTable] ?? []) {
          const key = String(item[ECHO_ATTR.partitionKey]).slice('known#'.length);
          const p = out.get(key);
          if (p) p.known = knownStateOf(item, nowSeconds) ?? undefined;
        }
        request = res.UnprocessedKeys;
      }
    }
    for (const p of out.values()) p.complete = true;
    return out;
  }

  /** Reconciles one entity; never throws (a failure is counted and logged). */
  async reconcileOne(found: Found, prefetched?: Prefetched): Promise<'in-sync' | 'repaired' | 'failed' | 'pending'> {
    const { replay } = this.deps;
    try {
      const [journal, known] = prefetched?.complete
        ? [prefetched.journal, prefetched.known]
        : await Promise.all([replay.journal.get(found.keys.pk, found.keys.sk), replay.ledger.knownState(found.key)]);
      const local = { stateHash: found.state === undefined ? TOMBSTONE_HASH : stateHash(found.state), ...(found.localVersion !== undefined ? { localVersion: found.localVersion } : {}) };
      const base = { region: replay.region, local, known, journal, now: replay.now(), graceMs: this.deps.graceMs };
      let plan: PlanAction = planEntity(base);
      if (plan.action === 'wait') plan = planEntity({ ...base, marker: await driftMarker(this.markerTable, found.key) });
      switch (plan.action) {
        case 'in-sync':
          if (found.state !== undefined && (!known || known.stateHash !== local.stateHash || known.localVersion !== local.localVersion)) {
            await replay.ledger.recordKnownState(found.key, { ...local, at: replay.now() });
          }
          return 'in-sync';
        case 'import': {
          const outcome = await this.importFound(found, local.stateHash);
          if (outcome === 'written' || !journal) return 'repaired';
          // A journal item won over the import: now the region is at its known state, apply the winner.
          if (journal.originRegion === replay.region) return 'failed';
          await this.replayWinner(journal);
          return 'repaired';
        }
        case 'replay':
          await this.replayWinner(journal!);
          return 'repaired';
        case 'wait':
          if (plan.mark) await putDriftMarker(this.markerTable, found.key, { stateHash: local.stateHash, firstSeen: plan.firstSeen }, replay.now());
          log('INFO', 'local change not journaled yet; waiting for its grace period', { key: found.key, firstSeen: plan.firstSeen });
          return 'pending';
        case 'journal-local':
          await this.journalLocal(found, local.stateHash, plan.firstSeen);
          return 'repaired';
      }
    } catch (err) {
      // A replay whose dependency is on a later page of the scan (a principal before its certificate): next pass.
      if ((err as Error).name === RETRYABLE_ERRORS.dependencyNotReady) return 'pending';
      log('ERROR', 'reconcile of an entity failed', { key: found.key, error: err });
      return 'failed';
    }
  }

  private async replayWinner(item: JournalItem): Promise<void> {
    const replay = this.replayers[item.kind as EntityKind];
    await replay({ key: item.sk, partition: item.pk, version: item.version, eventTime: item.eventTime });
  }

  private async importFound(found: Found, hash: string): Promise<'written' | 'superseded'> {
    const { replay } = this.deps;
    const now = replay.now();
    const eventId = `reconcile-import-${hash}`;
    const item: JournalItem = {
      ...found.keys,
      kind: found.kind,
      version: makeVersion({ eventTime: 0, originRegion: replay.region, localVersion: found.localVersion, eventId }),
      eventTime: now,
      eventId,
      originRegion: replay.region,
      deleted: false,
      state: found.state,
      stateHash: hash,
      capturedAt: now,
    };
    const outcome = await replay.journal.putIfNewer(item);
    await replay.ledger.recordKnownState(found.key, { stateHash: hash, ...(found.localVersion !== undefined ? { localVersion: found.localVersion } : {}), at: now });
    log('INFO', 'reconciler imported an entity', { key: found.key, outcome });
    return outcome;
  }

  private async journalLocal(found: Found, hash: string, firstSeen: number): Promise<void> {
    const { replay } = this.deps;
    const now = replay.now();
    const eventId = `reconcile-local-${hash}`;
    const version = makeVersion({ eventTime: firstSeen, originRegion: replay.region, localVersion: found.localVersion, eventId });
    const fields = { version, eventTime: firstSeen, eventId, originRegion: replay.region, capturedAt: now };
    const item: JournalItem =
      found.state === undefined
        ? tombstoneItem({ ...found.keys, kind: found.kind }, { ...fields, expiresAt: Math.floor(now / 1000) + DEFAULT_TOMBSTONE_TTL_SECONDS })
        : { ...found.keys, kind: found.kind, ...fields, deleted: false, state: found.state, stateHash: hash };
    const outcome = await replay.journal.putIfNewer(item);
    if (outcome === 'written' && item.deleted) {
      // As capture does for a delete: what dies with the entity (its memberships) dies in the journal too.
      const live = (await replay.journal.dependents(found.key)).filter((d) => !d.deleted);
      await replay.journal.tombstoneAll(live, { ...fields, expiresAt: item.expiresAt ?? Math.floor(now / 1000) + DEFAULT_TOMBSTONE_TTL_SECONDS });
    }
    await replay.ledger.recordKnownState(found.key, { stateHash: hash, ...(found.localVersion !== undefined ? { localVersion: found.localVersion } : {}), at: now });
    await deleteDriftMarker(this.markerTable, found.key);
    log('INFO', 'reconciler journaled a local change', { key: found.key, firstSeen, outcome });
  }
}
