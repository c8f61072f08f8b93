import { randomUUID } from 'node:crypto';
import { certificateIdOf } from '../x509';
import { putCertificate } from './certificates';
import type { EmulatorContext } from './context';
import { putPolicy } from './policies';
import type { CertificateMode, CertificateStatus, ThingGroupRecord } from './state';

/** One device for `seed()`: a thing, optionally with its certificate, policies and group memberships. */
export interface SeedDevice {
  readonly thingName: string;
  readonly attributes?: Readonly<Record<string, string>>;
  /** Registered (if not yet) and attached to the thing as its principal. */
  readonly certificatePem?: string;
  /** Skips hashing the PEM when the caller already knows the id (x509.ts returns it). */
  readonly certificateId?: string;
  /** @default 'ACTIVE' */
  readonly certificateStatus?: CertificateStatus;
  /** Registered CA the certificate links to (its mode becomes the CA's). */
  readonly caCertificateId?: string;
  /** Policies attached to the certificate; created with `defaultPolicyDocument` if missing. */
  readonly policies?: readonly string[];
  /** Static thing groups (created as root groups if missing) the thing joins. */
  readonly thingGroups?: readonly string[];
}

export interface SeedInput {
  readonly devices?: readonly SeedDevice[];
  /** Policies to create up front, name → document. */
  readonly policies?: Readonly<Record<string, string>>;
  /** Document of policies that devices name but `policies` does not define. */
  readonly defaultPolicyDocument?: string;
}

export interface SeedResult {
  readonly things: number;
  readonly certificates: number;
  readonly policies: number;
  readonly thingGroups: number;
}

const ALLOW_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });

/**
 * Writes devices straight into the region's state — no HTTP, no quotas, no call counts, no registry
 * events or CloudTrail — so a benchmark can start from N devices in milliseconds. Existing entities are
 * reused (seeding twice is idempotent); the state looks exactly as if the APIs had built it.
 */
export function seedState(ctx: EmulatorContext, input: SeedInput): SeedResult {
  const counts = { things: 0, certificates: 0, policies: 0, thingGroups: 0 };
  const now = ctx.now();
  for (const [name, document] of Object.entries(input.policies ?? {})) {
    if (!ctx.state.policies.has(name)) {
      putPolicy(ctx, name, document);
      counts.policies += 1;
    }
  }
  for (const device of input.devices ?? []) {
    const name = device.thingName;
    if (!ctx.state.things.has(name)) {
      ctx.state.things.set(name, {
        name,
        id: randomUUID(),
        arn: ctx.arns.thing(name),
        typeName: undefined,
        attributes: { ...(device.attributes ?? {}) },
        version: 1,
      });
      counts.things += 1;
    }
    for (const groupName of device.thingGroups ?? []) {
      if (!ctx.state.thingGroups.has(groupName)) {
        const group: ThingGroupRecord = {
          name: groupName,
          id: randomUUID(),
          arn: ctx.arns.thingGroup(groupName),
          parentName: undefined,
          creationDate: now,
          description: undefined,
          attributes: {},
          version: 1,
        };
        ctx.state.thingGroups.set(groupName, group);
        counts.thingGroups += 1;
      }
      if (ctx.state.membership(groupName, name) === undefined) {
        ctx.state.addMembership({ groupName, thingName: name, membershipId: randomUUID() });
      }
    }
    if (device.certificatePem === undefined) continue;
    const id = device.certificateId ?? certificateIdOf(device.certificatePem);
    let certificate = ctx.state.certificates.get(id);
    if (certificate === undefined) {
      const ca = device.caCertificateId === undefined ? undefined : ctx.state.caCertificates.get(device.caCertificateId);
      if (device.caCertificateId !== undefined && ca === undefined) {
        throw new Error(`seed: CA certificate ${device.caCertificateId} is not registered`);
      }
      const mode: CertificateMode = ca?.certificateMode ?? 'SNI_ONLY';
      certificate = putCertificate(ctx, device.certificatePem, device.certificateStatus ?? 'ACTIVE', mode, ca?.id, id);
      counts.certificates += 1;
    }
    ctx.state.attachThingPrincipal(name, certificate.arn, false);
    for (const policyName of device.policies ?? []) {
      if (!ctx.state.policies.has(policyName)) {
        putPolicy(ctx, policyName, input.defaultPolicyDocument ?? ALLOW_ALL);
        counts.policies += 1;
      }
      ctx.state.attachPolicy(policyName, certificate.arn);
    }
  }
  return counts;
}
