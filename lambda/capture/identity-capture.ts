/**
 * From a CloudTrail call or a shadow message to what capture writes: the entity's journal keys, its state
 * (read from this region's IoT for CloudTrail calls; the message itself for shadows) and the ReplacePlan the
 * registry path uses too, so conditional writes, tie settling, known-state records and cascades apply alike.
 *
 * No echo fingerprints: both paths recognise replay's own writes exactly (the caller's role, the shadow's
 * clientToken) before planning, so the echo ledger is not consulted.
 */
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { tombstoneItem } from '../shared/journal-store';
import { stateHash } from '../shared/hash';
import {
  describeCaCertificate,
  describeCertificate,
  describePolicy,
  describePolicyTarget,
  describePrincipal,
  describeProvisioningTemplate,
  describeRoleAlias,
  describeShadow,
} from '../shared/identity-adapter';
import type { ArnScope } from '../shared/identity-state';
import {
  caCertKeys,
  certKeys,
  CLASSIC_SHADOW_NAME,
  type ItemKeys,
  parseKey,
  parseTarget,
  policyKeys,
  policyTargetKeys,
  principalKeys,
  provisioningTemplateKeys,
  roleAliasKeys,
  shadowKeys,
} from '../shared/keys';
import type { EntityState, IdentityState, JournalItem } from '../shared/model';
import type { RegistryClient } from '../shared/registry-adapter';
import { makeVersion } from '../shared/version';
import type { IdentityCall, IdentityEntity } from './cloudtrail-events';
import { type PlanContext, type ReplacePlan, tombstoneExpiry } from './desired-state';
import type { ShadowChange } from './shadow-events';

/** A shadow as an entity: the classic shadow has no `shadowName`. */
export interface ShadowEntity {
  readonly kind: 'shadow';
  readonly thingName: string;
  readonly shadowName?: string;
}

/** Every entity capture reads outside the registry-event path. */
export type CapturedEntity = IdentityEntity | ShadowEntity;

/** This region's current state of device identities and shadows, in journal form; undefined when absent. */
export interface IdentityReader {
  describe(entity: CapturedEntity): Promise<IdentityState | undefined>;
}

export type DataPlaneClient = Pick<IoTDataPlaneClient, 'send'>;

/** The IdentityReader over this region's IoT control plane and data plane (shadows). */
export function iotIdentityReader(iot: RegistryClient, dataPlane: DataPlaneClient, scope: ArnScope): IdentityReader {
  return {
    async describe(entity) {
      switch (entity.kind) {
        case 'cert':
          return describeCertificate(iot, entity.certificateId);
        case 'caCert':
          return describeCaCertificate(iot, entity.certificateId);
        case 'policy':
          return describePolicy(iot, entity.policyName, scope);
        case 'policyTarget':
          return describePolicyTarget(iot, entity.policyName, entity.target, scope);
        case 'principal':
          return describePrincipal(iot, entity.thingName, entity.certificateId);
        case 'provisioningTemplate':
          return describeProvisioningTemplate(iot, entity.templateName, scope);
        case 'roleAlias':
          return describeRoleAlias(iot, entity.roleAlias);
        case 'shadow':
          return (await describeShadow(dataPlane, entity.thingName, entity.shadowName))?.state;
      }
    },
  };
}

export function entityKeys(entity: CapturedEntity): ItemKeys {
  switch (entity.kind) {
    case 'cert':
      return certKeys(entity.certificateId);
    case 'caCert':
      return caCertKeys(entity.certificateId);
    case 'policy':
      return policyKeys(entity.policyName);
    case 'policyTarget':
      return policyTargetKeys(entity.policyName, entity.target);
    case 'principal':
      return principalKeys(entity.thingName, entity.certificateId);
    case 'provisioningTemplate':
      return provisioningTemplateKeys(entity.templateName);
    case 'roleAlias':
      return roleAliasKeys(entity.roleAlias);
    case 'shadow':
      return shadowKeys(entity.thingName, entity.shadowName);
  }
}

/** The entity a journal key of one of these kinds names, or undefined for the registry's own kinds. */
export function entityOfKey(key: string): CapturedEntity | undefined {
  const { kind, parts } = parseKey(key);
  const [first, second] = parts;
  switch (kind) {
    case 'cert':
    case 'caCert':
      return { kind, certificateId: first };
    case 'policy':
      return { kind, policyName: first };
    case 'policyTarget':
      return parseTarget(second) ? { kind, policyName: first, target: second } : undefined;
    case 'principal':
      return { kind, thingName: first, certificateId: second };
    case 'provisioningTemplate':
      return { kind, templateName: first };
    case 'roleAlias':
      return { kind, roleAlias: first };
    case 'shadow':
      return { kind, thingName: first, ...(second !== CLASSIC_SHADOW_NAME ? { shadowName: second } : {}) };
    default:
      return undefined;
  }
}

/**
 * Kinds whose deletion drops other journal items with it: a certificate its policy attachments and thing
 * principals (DeleteCertificate with forceDelete detaches them, without events of their own), a policy its
 * attachments.
 */
const CASCADING_KINDS = new Set<CapturedEntity['kind']>(['cert', 'policy']);

interface VersionFields {
  readonly version: string;
  readonly eventTime: number;
  readonly eventId: string;
  readonly originRegion: string;
}

/**
 * The plan for a CloudTrail call: the entity's state as read from IoT at `ctx.now` (undefined: absent, a
 * tombstone), versioned by that read's time — the moment the journaled state was observed — with the call's
 * event id. CloudTrail's event times have one-second precision: too coarse to order a change made in one
 * region in reaction to a change replicated from the other within the same second (a policy deleted right
 * after its creation arrived), which would then lose to the change it followed. The read is always later
 * than the call, so a region's own changes keep their order. The cost, documented in the README: a change
 * whose CloudTrail event comes minutes late is ordered by when it was observed, not when it was made.
 */
export function planIdentityCapture(call: IdentityCall, state: IdentityState | undefined, ctx: PlanContext): ReplacePlan {
  const observedAt = Math.max(call.eventTime, ctx.now);
  const v: VersionFields = {
    version: makeVersion({ eventTime: observedAt, originRegion: ctx.originRegion, eventId: call.eventId }),
    eventTime: observedAt,
    eventId: call.eventId,
    originRegion: ctx.originRegion,
  };
  return { ...plan(call.entity, state, v, ctx, { at: ctx.now }), observedAt: ctx.now };
}

/** The plan for a shadow message: its state, ordered by its timestamp and the shadow's version. */
export function planShadowChange(change: ShadowChange, ctx: PlanContext): ReplacePlan {
  const v: VersionFields = {
    version: makeVersion({ eventTime: change.eventTime, originRegion: ctx.originRegion, localVersion: change.shadowVersion, eventId: change.eventId }),
    eventTime: change.eventTime,
    eventId: change.eventId,
    originRegion: ctx.originRegion,
  };
  const entity: ShadowEntity = { kind: 'shadow', thingName: change.thingName, ...(change.shadowName ? { shadowName: change.shadowName } : {}) };
  const state = change.operation === 'update' ? change.state : undefined;
  // The known-state record's time: the end of the message's second, the latest the change can have happened —
  // replay stamps its own records in milliseconds, and a device's change after replay's write must win.
  return plan(entity, state, v, ctx, { at: change.eventTime + 999, ...(state ? { localVersion: change.shadowVersion } : {}) });
}

function plan(entity: CapturedEntity, state: EntityState | undefined, v: VersionFields, ctx: PlanContext, known: NonNullable<ReplacePlan['known']>): ReplacePlan {
  const keys = entityKeys(entity);
  const target = { ...keys, kind: entity.kind };
  if (state === undefined) {
    return {
      mode: 'replace',
      item: tombstoneItem(target, { ...v, capturedAt: ctx.now, expiresAt: tombstoneExpiry(ctx) }),
      fingerprints: [],
      cascade: CASCADING_KINDS.has(entity.kind),
      known,
    };
  }
  const item: JournalItem = {
    pk: keys.pk,
    sk: keys.sk,
    ...(keys.ref !== undefined ? { ref: keys.ref } : {}),
    kind: entity.kind,
    ...v,
    deleted: false,
    state,
    stateHash: stateHash(state),
    capturedAt: ctx.now,
  };
  return { mode: 'replace', item, fingerprints: [], cascade: false, known };
}
