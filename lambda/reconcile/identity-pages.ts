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
 *   (certificates, policies, a policy's targets) and confirms an absence with a fresh describe before acting.
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
  neutralTarget,
  principalsOf,
} from '../shared/identity-adapter';
import { type ArnScope, certificateState, policyTargetState, principalState } from '../shared/identity-state';
import { mapLimit } from '../shared/journal-store';
import { certKeys, type ItemKeys, policyTargetKeys, principalKeys, shadowKeys, thingKey } from '../shared/keys';
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

export interface IdentityPage {
  readonly found: Found[];
  /** The kind's next page (absent: the listing is done). */
  readonly next?: string;
  /** Read while listing; the reconciler does not read them again. */
  readonly prefetched?: Map<string, Prefetched>;
}

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

/** Lists and describes device identities of this region for the reconciler. */
export class IdentityPages {
  private readonly listings = new Map<string, { readonly at: number; readonly value: Promise<Map<string, string>> }>();

  constructor(private readonly ctx: IdentityContext) {}

  private get iot(): ReplayDeps['iot'] {
    return this.ctx.deps.iot;
  }

  /** One page of this region's identities of `kind`. */
  async page(kind: IdentityKind, token: string | undefined): Promise<IdentityPage> {
    const pageSize = this.ctx.pageSize;
    const scope = scopeOf(this.ctx.deps);
    switch (kind) {
      case 'cert':
        return this.certificatePage(token);
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
        return this.perThingPage(kind, token);
    }
  }

  private async described(kind: IdentityKind, names: readonly string[], describe: (name: string) => Promise<Found['state'] | undefined>, next: string | undefined): Promise<IdentityPage> {
    const states = await mapLimit(names, this.ctx.concurrency, describe);
    // Gone between list and describe: not this page's business (the journal scan covers it).
    const out = names.flatMap((name, i) => (states[i] === undefined ? [] : [found(kind, keysOf(kind, [name]), states[i])]));
    return { found: out, ...(next ? { next } : {}) };
  }

  /** Certificates: status from the listing, PEM from the journal; described only when the journal cannot say. */
  private async certificatePage(token: string | undefined): Promise<IdentityPage> {
    const res = await this.iot.send(new ListCertificatesCommand({ pageSize: this.ctx.pageSize, marker: token, ascendingOrder: true }));
    const listed = (res.certificates ?? []).filter((c) => c.certificateId).map((c) => ({ id: c.certificateId!, status: c.status, keys: certKeys(c.certificateId!) }));
    const prefetched = await this.ctx.prefetch(listed.map((c) => ({ key: c.keys.sk, keys: c.keys })));
    const states = await mapLimit(listed, this.ctx.concurrency, async (c) => {
      const fromJournal = certificateFromJournal(prefetched.get(c.keys.sk)?.journal, c.id, c.status);
      return fromJournal ?? describeCertificate(this.iot, c.id);
    });
    const out = listed.flatMap((c, i) => (states[i] === undefined ? [] : [found('cert', c.keys, states[i])]));
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
  private async perThingPage(kind: 'principal' | 'shadow', token: string | undefined): Promise<IdentityPage> {
    const res = await this.iot.send(new ListThingsCommand({ maxResults: this.ctx.pageSize, nextToken: token }));
    const things = (res.things ?? []).map((t) => t.thingName ?? '').filter((n) => n !== '');
    const lists = await mapLimit(things, this.ctx.concurrency, (thing) => (kind === 'principal' ? this.principalsFound(thing) : this.shadowsFound(thing)));
    return { found: lists.flat(), ...(res.nextToken ? { next: res.nextToken } : {}) };
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

  /** A listing of the region for presence checks (id → status, name → name), cached for LISTING_TTL_MS. */
  private listing(what: 'cert' | 'policy' | `targets#${string}`): Promise<Map<string, string>> {
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
