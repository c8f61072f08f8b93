/**
 * The reconciler's view of device identities: one registry page per kind (what this region has), and the
 * journal scan's look-up of an identity the journal has (is it absent here?). Every IoT call is paced by the
 * region's shared rate limiter, so the choices below are about how many calls a pass makes:
 *
 * - certificates: ListCertificates gives id and status, never the PEM. A certificate id is its fingerprint,
 *   so the PEM of an id never changes: the local state is the journal's PEM with the listed status, and only
 *   a certificate the journal lacks (or holds differently) is described (DescribeCertificate: 10 TPS).
 * - thing principals: one ListThingPrincipals per thing (not one ListPrincipalThings per certificate): both
 *   are 10 TPS by default, and a fleet that rotates certificates has more certificates than things. The
 *   same page compares the thing's journaled principals (one journal query), so a principal missing here is
 *   found without a call per journal item. Shadows (when replicated) are listed the same way, per thing.
 * - policy attachments: per policy, ListTargetsForPolicy (paged; a page of the kind stops between target
 *   pages, so a policy attached to the whole fleet spans several invocations). Targets other than
 *   certificates and thing groups are skipped.
 * - the journal scan checks presence against a listing of the region cached per container for a few minutes
 *   (certificates, policies, a policy's targets, things, a group's members) and confirms an absence with a
 *   fresh describe before acting: a describe per journal item would cost a pass over a large fleet a call of
 *   a 10 TPS API (ListThingGroupsForThing) per membership.
 * - certificates and principals are reconciled as they are read (see ReconcileFound).
 */
import {
  ListCACertificatesCommand,
  ListCertificatesCommand,
  ListPoliciesCommand,
  type ListPoliciesCommandOutput,
  ListProvisioningTemplatesCommand,
  ListRoleAliasesCommand,
  ListTargetsForPolicyCommand,
  type ListTargetsForPolicyCommandOutput,
  ListThingsCommand,
  ListThingsInThingGroupCommand,
  type ListThingsInThingGroupCommandOutput,
} from '@aws-sdk/client-iot';
import { ListNamedShadowsForThingCommand, type ListNamedShadowsForThingCommandOutput } from '@aws-sdk/client-iot-data-plane';
import type { ReplayDeps } from '../replay/common';
import {
  certificateIdOf,
  describeCaCertificate,
  describeCertificate,
  describePolicy,
  describePolicyTarget,
  describeProvisioningTemplate,
  describeRoleAlias,
  describeShadow,
  iotArn,
  neutralTarget,
  policiesOf,
  principalsOf,
} from '../shared/identity-adapter';
import { type ArnScope, certificateState, policyTargetState, principalState } from '../shared/identity-state';
import { mapLimit } from '../shared/journal-store';
import { certKeys, type ItemKeys, memberKeys, parseKey, policyTargetKeys, principalKeys, shadowKeys, thingKey, thingKeys } from '../shared/keys';
import { membershipState, thingState } from '../shared/entity-state';
import { groupsOfThing } from '../shared/registry-adapter';
import type { CertificateState, JournalItem } from '../shared/model';
import { describeThing } from '../shared/registry-adapter';
import type { ReconciledKind } from './drift';
import { type Found, keysOf, type Prefetched } from './entities';

export type IdentityKind = Exclude<ReconciledKind, 'thing' | 'thingType' | 'thingGroup' | 'member'>;

export const IDENTITY_KINDS: readonly IdentityKind[] = ['cert', 'caCert', 'policy', 'policyTarget', 'principal', 'provisioningTemplate', 'roleAlias', 'shadow'];

export const isIdentityKind = (kind: string): kind is IdentityKind => (IDENTITY_KINDS as readonly string[]).includes(kind);

/** What a page needs from the reconciler. */
export interface IdentityContext {
  readonly deps: ReplayDeps;
  readonly pageSize: number;
  readonly concurrency: number;
  /** The journal items and known states of these entities, read in batches. */
  prefetch(found: ReadonlyArray<{ readonly key: string; readonly keys: ItemKeys }>): Promise<Map<string, Prefetched>>;
}

/**
 * Reconciles entities as soon as a page has read them (a certificate described, a thing's principals
 * listed), instead of at the end of the page: the quota-bound reads of a bulk copy then never wait for a
 * page's writes, and its imports reach the other region at an even pace rather than in bursts.
 */
export type ReconcileFound = (found: Found[], prefetched?: Map<string, Prefetched>) => Promise<void>;

export interface IdentityPage {
  readonly found: Found[];
  /** The kind's next page (absent: the listing is done). */
  readonly next?: string;
  /** Read while listing; the reconciler does not read them again. */
  readonly prefetched?: Map<string, Prefetched>;
}

/**
 * Things per listing page when things are read with their devices (ListThings' maximum): each thing costs
 * paced reads (10 TPS), and where a page ends those reads drain and start again, so fewer, longer pages keep
 * the quotas busy (about 25 s a page at the default quotas).
 */
const MAX_THINGS_PAGE = 250;

/**
 * How long one invocation reads things before it stops and hands the rest of the page to the next
 * invocation (its token says where): well within the function's timeout however slow the paced reads get.
 */
const THINGS_PAGE_BUDGET_MS = 120_000;

/** How long a listing of the region stays good for the journal scan's presence checks. */
const LISTING_TTL_MS = 5 * 60_000;

/** Position in a nested listing (policies, then each policy's targets), as the page's token. */
interface NestedToken {
  /** Marker of the outer page being worked through (absent: the first page). */
  readonly outer?: string;
  /** Index of the parent in that page. */
  readonly index: number;
  /** Marker of the parent's next inner page. */
  readonly inner?: string;
}

const parseNested = (token: string | undefined): NestedToken => (token ? (JSON.parse(token) as NestedToken) : { index: 0 });

const scopeOf = (deps: ReplayDeps): ArnScope => ({ region: deps.region, accountId: deps.identity.accountId });

const found = (kind: ReconciledKind, keys: ItemKeys, state: Found['state']): Found => ({ key: keys.sk, keys, kind, ...(state !== undefined ? { state } : {}) });

/**
 * How many devices after its own a device's links (principals, attachments, memberships) are reconciled:
 * about as many as a page of things reads at once (a second and a half of reads at the default quotas). The
 * other region replays the journal's stream in order, several records at once: trailing their thing and
 * certificate by this much, the links find them applied there instead of failing and being retried.
 */
const LINK_TRAIL = 16;

/**
 * Hands what a page reads to its ReconcileFound without holding the page's read slots while it is
 * reconciled (the reads are paced at their quota; a slot waiting on journal writes would leave quota
 * unused). `settled()` waits for everything handed, and rethrows the first failure.
 */
class Handed {
  private readonly pending: Promise<void>[] = [];
  /** Opens the wait of a handed device's second group (see LINK_TRAIL), oldest first. */
  private readonly trailing: Array<() => void> = [];
  private failure: { error: unknown } | undefined;

  constructor(private readonly each: ReconcileFound | undefined) {}

  /**
   * Reconciles `first()`, then `then()` (what needs it journaled first) once LINK_TRAIL more devices have
   * been handed or the page is done, unless there is no ReconcileFound.
   */
  hand(first: () => Found[], prefetched?: Map<string, Prefetched>, then?: () => Found[]): void {
    const each = this.each;
    if (!each) return;
    let open: () => void = () => undefined;
    const trail = then ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();
    if (then) this.trailing.push(open);
    while (this.trailing.length > LINK_TRAIL) this.trailing.shift()!();
    const run = async () => {
      const a = first();
      if (a.length > 0) await each(a, prefetched);
      await trail;
      const b = then?.() ?? [];
      if (b.length > 0) await each(b, prefetched);
    };
    this.pending.push(run().catch((error: unknown) => void (this.failure ??= { error })));
  }

  async settled(): Promise<void> {
    for (let open = this.trailing.shift(); open; open = this.trailing.shift()) open();
    await Promise.all(this.pending);
    if (this.failure) throw this.failure.error;
  }
}

/** Lists and describes device identities of this region for the reconciler. */
export class IdentityPages {
  private readonly listings = new Map<string, { readonly at: number; readonly value: Promise<Map<string, string>> }>();

  constructor(private readonly ctx: IdentityContext) {}

  private get iot(): ReplayDeps['iot'] {
    return this.ctx.deps.iot;
  }

  /**
   * One page of this region's identities of `kind`. With `each`, certificates, principals and shadows are
   * handed to it as they are read (and not returned in `found`); the page resolves once `each` has settled.
   */
  async page(kind: IdentityKind, token: string | undefined, each?: ReconcileFound, withThings = false): Promise<IdentityPage> {
    const pageSize = this.ctx.pageSize;
    const scope = scopeOf(this.ctx.deps);
    switch (kind) {
      case 'cert':
        return this.certificatePage(token, each);
      case 'caCert': {
        const res = await this.iot.send(new ListCACertificatesCommand({ pageSize, marker: token }));
        const ids = (res.certificates ?? []).map((c) => c.certificateId ?? '').filter((id) => id !== '');
        return this.described(kind, ids, (id) => describeCaCertificate(this.iot, id), res.nextMarker);
      }
      case 'policy': {
        const res = await this.iot.send(new ListPoliciesCommand({ pageSize, marker: token }));
        const names = (res.policies ?? []).map((p) => p.policyName ?? '').filter((n) => n !== '');
        return this.described(kind, names, (name) => describePolicy(this.iot, name, scope), res.nextMarker);
      }
      case 'policyTarget':
        return this.policyTargetPage(token);
      case 'provisioningTemplate': {
        const res = await this.iot.send(new ListProvisioningTemplatesCommand({ maxResults: pageSize, nextToken: token }));
        const names = (res.templates ?? []).map((t) => t.templateName ?? '').filter((n) => n !== '');
        return this.described(kind, names, (name) => describeProvisioningTemplate(this.iot, name, scope), res.nextToken);
      }
      case 'roleAlias': {
        const res = await this.iot.send(new ListRoleAliasesCommand({ pageSize, marker: token }));
        return this.described(kind, res.roleAliases ?? [], (alias) => describeRoleAlias(this.iot, alias), res.nextMarker);
      }
      case 'principal':
      case 'shadow':
        return this.perThingPage(kind, token, each, withThings && kind === 'principal');
    }
  }

  private async described(kind: IdentityKind, names: readonly string[], describe: (name: string) => Promise<Found['state'] | undefined>, next: string | undefined): Promise<IdentityPage> {
    const states = await mapLimit(names, this.ctx.concurrency, describe);
    // Gone between list and describe: not this page's business (the journal scan covers it).
    const out = names.flatMap((name, i) => (states[i] === undefined ? [] : [found(kind, keysOf(kind, [name]), states[i])]));
    return { found: out, ...(next ? { next } : {}) };
  }

  /** Certificates: status from the listing, PEM from the journal; described only when the journal cannot say. */
  private async certificatePage(token: string | undefined, each?: ReconcileFound): Promise<IdentityPage> {
    const res = await this.iot.send(new ListCertificatesCommand({ pageSize: this.ctx.pageSize, marker: token, ascendingOrder: true }));
    const listed = (res.certificates ?? []).filter((c) => c.certificateId).map((c) => ({ id: c.certificateId!, status: c.status, keys: certKeys(c.certificateId!) }));
    const prefetched = await this.ctx.prefetch(listed.map((c) => ({ key: c.keys.sk, keys: c.keys })));
    const handed = new Handed(each);
    const states = await mapLimit(listed, this.ctx.concurrency, async (c) => {
      const fromJournal = certificateFromJournal(prefetched.get(c.keys.sk)?.journal, c.id, c.status);
      const state = fromJournal ?? (await describeCertificate(this.iot, c.id));
      if (state !== undefined) handed.hand(() => [found('cert', c.keys, state)], prefetched);
      return state;
    });
    await handed.settled();
    const out = each ? [] : listed.flatMap((c, i) => (states[i] === undefined ? [] : [found('cert', c.keys, states[i])]));
    return { found: out, prefetched, ...(res.nextMarker ? { next: res.nextMarker } : {}) };
  }

  /**
   * Policy attachments: policies page by page, each policy's targets page by page, stopping once a page's
   * worth of attachments is found. The token says where to go on.
   */
  private async policyTargetPage(token: string | undefined): Promise<IdentityPage> {
    const at = parseNested(token);
    const policies: ListPoliciesCommandOutput = await this.iot.send(new ListPoliciesCommand({ pageSize: this.ctx.pageSize, marker: at.outer }));
    const names = (policies.policies ?? []).map((p) => p.policyName ?? '').filter((n) => n !== '');
    const out: Found[] = [];
    let index = at.index;
    let inner = at.inner;
    while (index < names.length && out.length < this.ctx.pageSize) {
      const policyName = names[index];
      const res = await this.targetsPage(policyName, inner);
      for (const arn of res?.targets ?? []) {
        const target = neutralTarget(arn);
        if (target) out.push(found('policyTarget', policyTargetKeys(policyName, target), policyTargetState(policyName, target)));
      }
      inner = res?.nextMarker || undefined;
      if (!inner) index++;
    }
    let next: NestedToken | undefined;
    if (index < names.length) next = { ...(at.outer ? { outer: at.outer } : {}), index, ...(inner ? { inner } : {}) };
    else if (policies.nextMarker) next = { outer: policies.nextMarker, index: 0 };
    return { found: out, ...(next ? { next: JSON.stringify(next) } : {}) };
  }

  private async membersPage(thingGroupName: string, nextToken: string | undefined): Promise<ListThingsInThingGroupCommandOutput | undefined> {
    try {
      return await this.iot.send(new ListThingsInThingGroupCommand({ thingGroupName, recursive: false, maxResults: 250, nextToken }));
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  }

  private async targetsPage(policyName: string, marker: string | undefined): Promise<ListTargetsForPolicyCommandOutput | undefined> {
    try {
      return await this.iot.send(new ListTargetsForPolicyCommand({ policyName, marker, pageSize: this.ctx.pageSize }));
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  }

  /**
   * Principals or shadows of a page of things: what each thing has here, and what the journal holds for it
   * that it lacks (absent), so both directions are covered with one listing call per thing.
   */
  private async perThingPage(kind: 'principal' | 'shadow', token: string | undefined, each?: ReconcileFound, withThings = false): Promise<IdentityPage> {
    // Things with their devices: a longer listing page, resumable within it (see THINGS_PAGE_BUDGET_MS).
    const at: NestedToken = withThings ? parseNested(token) : { index: 0, ...(token ? { outer: token } : {}) };
    const maxResults = withThings ? MAX_THINGS_PAGE : this.ctx.pageSize;
    const res = await this.iot.send(new ListThingsCommand({ maxResults, nextToken: at.outer }));
    const listed = (res.things ?? []).filter((t) => t.thingName).slice(at.index);
    const handed = new Handed(each);
    const deadline = this.ctx.deps.now() + THINGS_PAGE_BUDGET_MS;
    let read = 0;
    // Twice the usual reads in flight: each thing waits on two or three paced APIs in turn.
    const lists = await mapLimit(listed, this.ctx.concurrency * (withThings ? 2 : 1), async (t) => {
      // Past the budget nothing more is started (things are taken in order): the next invocation goes on.
      if (withThings && this.ctx.deps.now() > deadline) return [];
      read++;
      const thing = t.thingName!;
      const keys = thingKeys(thing);
      const own: Found[] = withThings
        ? [{ key: keys.sk, keys, kind: 'thing', state: thingState({ thingName: thing, thingTypeName: t.thingTypeName, attributes: t.attributes }), localVersion: t.version }]
        : [];
      // A thing the journal lacks (an initial copy): its memberships are read with it (see newCertificatesOf).
      const isNew = withThings && !(await this.ctx.deps.journal.get(keys.pk, keys.sk));
      const [list, memberships] = await Promise.all([
        kind === 'principal' ? this.principalsFound(thing) : this.shadowsFound(thing),
        isNew ? this.membershipsOf(thing) : Promise.resolve([]),
      ]);
      const device = withThings ? await this.newCertificatesOf(list) : { certificates: [], attachments: [] };
      if (!each) return [...own, ...device.certificates, ...list, ...device.attachments, ...memberships];
      // The device's thing and certificates first: its principals', attachments' and memberships' imports wait for them.
      handed.hand(() => [...own, ...device.certificates], undefined, () => [...list, ...device.attachments, ...memberships]);
      return [];
    });
    await handed.settled();
    let next: string | undefined;
    if (withThings && read < listed.length) next = JSON.stringify({ ...(at.outer ? { outer: at.outer } : {}), index: at.index + read });
    else if (res.nextToken) next = withThings ? JSON.stringify({ outer: res.nextToken, index: 0 }) : res.nextToken;
    return { found: lists.flat(), ...(next ? { next } : {}) };
  }

  /**
   * The certificates of a thing's principals that the journal does not hold yet, described, with their policy
   * attachments (ListAttachedPolicies, 15 TPS): read here, device by device, an initial copy journals each
   * certificate next to its thing and principal, and its attachments after it, whatever order the
   * certificate and policy listings have (they come after the things, and find these journaled). Certificates
   * already journaled are left to the certificate listing.
   */
  private async newCertificatesOf(principals: readonly Found[]): Promise<{ certificates: Found[]; attachments: Found[] }> {
    const ids = principals.filter((p) => p.state !== undefined).map((p) => parseKey(p.key).parts[1]);
    const certificates: Found[] = [];
    const attachments: Found[] = [];
    for (const id of ids) {
      const keys = certKeys(id);
      if (await this.ctx.deps.journal.get(keys.pk, keys.sk)) continue;
      const target = `cert/${id}`;
      const [state, policies] = await Promise.all([describeCertificate(this.iot, id), policiesOf(this.iot, iotArn(scopeOf(this.ctx.deps), target))]);
      if (!state) continue;
      certificates.push(found('cert', keys, state));
      for (const policy of policies ?? []) attachments.push(found('policyTarget', policyTargetKeys(policy, target), policyTargetState(policy, target)));
    }
    return { certificates, attachments };
  }

  /** A new thing's memberships (ListThingGroupsForThing, 10 TPS): see newCertificatesOf. */
  private async membershipsOf(thingName: string): Promise<Found[]> {
    const groups = (await groupsOfThing(this.iot, thingName)) ?? new Set<string>();
    return [...groups].map((group) => found('member', memberKeys(group, thingName), membershipState(group, thingName)));
  }

  private async principalsFound(thingName: string): Promise<Found[]> {
    const principals = await principalsOf(this.iot, thingName);
    if (principals === undefined) return [];
    const here = new Set(principals.map(certificateIdOf).filter((id): id is string => id !== undefined));
    const out = [...here].map((id) => found('principal', principalKeys(thingName, id), principalState(thingName, id)));
    for (const item of await this.liveChildren(thingName, `principal#${thingName}#`)) {
      const id = item.sk.slice(`principal#${thingName}#`.length);
      if (!here.has(id)) out.push(found('principal', principalKeys(thingName, id), undefined));
    }
    return out;
  }

  private async shadowsFound(thingName: string): Promise<Found[]> {
    const data = this.ctx.deps.identity.dataPlane as { send(c: ListNamedShadowsForThingCommand): Promise<ListNamedShadowsForThingCommandOutput> };
    const names: (string | undefined)[] = [undefined];
    let nextToken: string | undefined;
    try {
      do {
        const page = await data.send(new ListNamedShadowsForThingCommand({ thingName, nextToken, pageSize: 100 }));
        names.push(...(page.results ?? []));
        nextToken = page.nextToken || undefined;
      } while (nextToken);
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    }
    const described = await mapLimit(names, 4, (name) => describeShadow(this.ctx.deps.identity.dataPlane as Parameters<typeof describeShadow>[0], thingName, name));
    const out: Found[] = [];
    const here = new Set<string>();
    names.forEach((name, i) => {
      const d = described[i];
      if (!d) return;
      const keys = shadowKeys(thingName, name);
      here.add(keys.sk);
      // By hash alone, as shadow replay records them: a shadow's version is IoT's to choose after a re-creation.
      out.push(found('shadow', keys, d.state));
    });
    for (const item of await this.liveChildren(thingName, `shadow#${thingName}#`)) {
      if (!here.has(item.sk)) out.push(found('shadow', { pk: item.pk, sk: item.sk }, undefined));
    }
    return out;
  }

  private async liveChildren(thingName: string, prefix: string): Promise<JournalItem[]> {
    return (await this.ctx.deps.journal.partitionItems(thingKey(thingName), prefix)).filter((i) => !i.deleted);
  }

  /**
   * The journal scan's look-up: the identity of a live journal item as this region has it, or undefined
   * when the registry pages cover it (it is present here). Only absences are the scan's business.
   */
  async describe(kind: IdentityKind, parts: readonly string[]): Promise<Found | undefined> {
    const keys = keysOf(kind, parts);
    const scope = scopeOf(this.ctx.deps);
    const absent = found(kind, keys, undefined);
    switch (kind) {
      case 'cert': {
        if ((await this.listing('cert')).has(parts[0])) return undefined;
        const state = await describeCertificate(this.iot, parts[0]);
        return state ? undefined : absent;
      }
      case 'policy': {
        if ((await this.listing('policy')).has(parts[0])) return undefined;
        return (await describePolicy(this.iot, parts[0], scope)) ? undefined : absent;
      }
      case 'policyTarget': {
        const [policyName, target] = parts;
        if ((await this.listing('policy')).has(policyName) && (await this.listing(`targets#${policyName}`)).has(target)) return undefined;
        return (await describePolicyTarget(this.iot, policyName, target, scope)) ? undefined : absent;
      }
      case 'caCert':
        return (await describeCaCertificate(this.iot, parts[0])) ? undefined : absent;
      case 'provisioningTemplate':
        return (await describeProvisioningTemplate(this.iot, parts[0], scope)) ? undefined : absent;
      case 'roleAlias':
        return (await describeRoleAlias(this.iot, parts[0])) ? undefined : absent;
      case 'principal':
      case 'shadow': {
        // A thing present here is covered by its page (principals and shadows are compared per thing).
        return (await describeThing(this.iot, parts[0])) ? undefined : absent;
      }
    }
  }

  /** Drops the cached listings: a new pass starts (its registry pages start over), so they may be stale. */
  forgetListings(): void {
    this.listings.clear();
  }

  /**
   * Whether a listing of the region (cached for LISTING_TTL_MS) has `name`: things (`thing`), a group's
   * direct members (`members#<group>`). True is as good as a describe for the journal scan (which only
   * looks for absences); false needs a fresh describe to confirm, as the listing may predate the entity.
   */
  async listed(what: 'thing' | `members#${string}`, name: string): Promise<boolean> {
    return (await this.listing(what)).has(name);
  }

  /** A listing of the region for presence checks (id → status, name → name), cached for LISTING_TTL_MS. */
  private listing(what: 'cert' | 'policy' | 'thing' | `targets#${string}` | `members#${string}`): Promise<Map<string, string>> {
    const now = this.ctx.deps.now();
    const cached = this.listings.get(what);
    if (cached && now - cached.at < LISTING_TTL_MS) return cached.value;
    const value = this.list(what);
    this.listings.set(what, { at: now, value });
    value.catch(() => this.listings.delete(what));
    return value;
  }

  private async list(what: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let marker: string | undefined;
    do {
      if (what === 'cert') {
        const res = await this.iot.send(new ListCertificatesCommand({ pageSize: 250, marker }));
        for (const c of res.certificates ?? []) if (c.certificateId) out.set(c.certificateId, c.status ?? '');
        marker = res.nextMarker || undefined;
      } else if (what === 'thing') {
        const res = await this.iot.send(new ListThingsCommand({ maxResults: 250, nextToken: marker }));
        for (const t of res.things ?? []) if (t.thingName) out.set(t.thingName, t.thingName);
        marker = res.nextToken || undefined;
      } else if (what.startsWith('members#')) {
        const res = await this.membersPage(what.slice('members#'.length), marker);
        for (const thing of res?.things ?? []) out.set(thing, thing);
        marker = res?.nextToken || undefined;
      } else if (what === 'policy') {
        const res = await this.iot.send(new ListPoliciesCommand({ pageSize: 250, marker }));
        for (const p of res.policies ?? []) if (p.policyName) out.set(p.policyName, p.policyName);
        marker = res.nextMarker || undefined;
      } else {
        const res = await this.targetsPage(what.slice('targets#'.length), marker);
        for (const arn of res?.targets ?? []) {
          const target = neutralTarget(arn);
          if (target) out.set(target, target);
        }
        marker = res?.nextMarker || undefined;
      }
    } while (marker);
    return out;
  }
}

/**
 * The certificate's state here without describing it: the journal's PEM (a certificate id is the PEM's
 * fingerprint) with the listed status. Undefined when the journal holds no live state for this id.
 */
export function certificateFromJournal(item: JournalItem | undefined, certificateId: string, status: string | undefined): CertificateState | undefined {
  const s = item && !item.deleted ? (item.state as Partial<CertificateState> | undefined) : undefined;
  if (!s || s.certificateId !== certificateId || typeof s.certificatePem !== 'string' || s.certificatePem === '') return undefined;
  return certificateState({ certificateId, certificatePem: s.certificatePem, status, caCertificateId: s.caCertificateId });
}
