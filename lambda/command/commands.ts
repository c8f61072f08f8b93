/**
 * The mutating commands, as IoT calls in the API's own region: onboard, suspend, resume, decommission. Each
 * returns its answer and the journal entities it changed; the handler (command-handler.ts) journals them
 * synchronously before answering.
 *
 * Onboarding checks its dependencies (policy, group, type, a thing with another configuration) before it
 * creates anything, so most refusals leave nothing behind. A failure after that rolls back what the attempt
 * created (certificate, thing) and releases the idempotency key; what a rollback could not undo stays in the
 * key's progress, so a retry with the same key resumes: it reuses a certificate made from the device's CSR,
 * and deletes one whose private key was never handed out.
 */
import {
  AddThingToThingGroupCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  DescribeThingTypeCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  ListPrincipalThingsCommand,
  RemoveThingFromThingGroupCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { ObservedEntity } from '../capture/observed-state';
import { certificateIdOf, iotArn, policiesOf, principalsOf } from '../shared/identity-adapter';
import type { ArnScope } from '../shared/identity-state';
import { isNotFound } from '../shared/iot-errors';
import { certTarget } from '../shared/keys';
import { groupsOfThing, type RegistryClient } from '../shared/registry-adapter';
import { log } from '../shared/telemetry';
import { conflict, notFound, toCommandError, unprocessable } from './errors';
import type { RequestProgress } from './idempotency';
import type { OnboardRequest } from './validation';

export interface CommandContext {
  /** IoT of the API's own region, through its CommandAccessRole. */
  readonly iot: RegistryClient;
  /** The iot-services account and this region: the ARNs of certificates and groups. */
  readonly scope: ArnScope;
  /** What an earlier attempt with the same idempotency key left behind. */
  readonly progress?: RequestProgress;
  /** Records what this attempt has created so far (in the idempotency table). */
  saveProgress(progress: RequestProgress): Promise<void>;
}

export interface CommandOutcome {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
  /** What the command changed, journaled before the answer (links before the entities they need gone, things last). */
  readonly entities: readonly ObservedEntity[];
  /** The private key of a key pair IoT created: answered once, never stored or logged. */
  readonly privateKey?: string;
  /** Undoes the command in IoT: used when the answer cannot be given (the private key would be lost). */
  readonly rollback?: () => Promise<void>;
}

/** A command failed; `progress` is what it could not undo (for the retry). */
export class CommandFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly progress: RequestProgress,
  ) {
    super('command failed', { cause: error });
    this.name = 'CommandFailed';
  }
}

/** Runs `send`, mapping its error to a CommandError that names `step`. */
async function step<T>(name: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw toCommandError(err, name);
  }
}

/** True when `send` succeeded, false when the entity was not found; other errors propagate. */
async function existsBy(send: () => Promise<unknown>, name: string): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw toCommandError(err, name);
  }
}

export async function onboard(ctx: CommandContext, req: OnboardRequest): Promise<CommandOutcome> {
  const { iot, scope } = ctx;
  // Dependencies first: a refusal here leaves nothing to roll back.
  if (!(await existsBy(() => iot.send(new GetPolicyCommand({ policyName: req.policyName })), 'GetPolicy'))) {
    throw unprocessable('PolicyNotFound', `policy '${req.policyName}' does not exist in ${scope.region}; create it first`);
  }
  if (req.thingGroupName && !(await existsBy(() => iot.send(new DescribeThingGroupCommand({ thingGroupName: req.thingGroupName })), 'DescribeThingGroup'))) {
    throw unprocessable('ThingGroupNotFound', `thing group '${req.thingGroupName}' does not exist in ${scope.region}; create it first`);
  }
  if (req.thingTypeName) {
    try {
      const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: req.thingTypeName }));
      if (type.thingTypeMetadata?.deprecated) throw unprocessable('ThingTypeDeprecated', `thing type '${req.thingTypeName}' is deprecated`);
    } catch (err) {
      if (isNotFound(err)) throw unprocessable('ThingTypeNotFound', `thing type '${req.thingTypeName}' does not exist in ${scope.region}; create it first`);
      throw toCommandError(err, 'DescribeThingType');
    }
  }
  const existing = await describeThingOrUndefined(iot, req.thingName);
  const earlier = ctx.progress;
  if (existing) {
    const sameType = (existing.thingTypeName ?? undefined) === req.thingTypeName;
    if (!sameType || !sameAttributes(existing.attributes ?? {}, req.attributes ?? {})) {
      throw conflict('ThingExists', `thing '${req.thingName}' already exists with another thing type or attributes`);
    }
    const principals = (await principalsOf(iot, req.thingName)) ?? [];
    const others = principals.filter((p) => certificateIdOf(p) !== earlier?.certificateId);
    if (others.length > 0) throw conflict('DeviceAlreadyOnboarded', `thing '${req.thingName}' already has a certificate; decommission it first`);
  }

  const progress: { certificateId?: string; certificateSource?: 'csr' | 'keys'; thingCreated?: boolean } = {
    ...(earlier?.thingCreated ? { thingCreated: true } : {}),
  };
  let privateKey: string | undefined;
  let certificatePem: string | undefined;
  try {
    if (!existing) {
      await step('CreateThing', () =>
        iot.send(
          new CreateThingCommand({
            thingName: req.thingName,
            ...(req.thingTypeName ? { thingTypeName: req.thingTypeName } : {}),
            ...(req.attributes ? { attributePayload: { attributes: { ...req.attributes } } } : {}),
          }),
        ),
      );
      progress.thingCreated = true;
      await ctx.saveProgress(progress);
    }
    // An earlier attempt's certificate: reused when the device holds its key (CSR), deleted when nobody does.
    if (earlier?.certificateId) {
      if (earlier.certificateSource === 'csr' && req.csr) {
        const pem = await certificatePemOf(iot, earlier.certificateId);
        if (pem) {
          progress.certificateId = earlier.certificateId;
          progress.certificateSource = 'csr';
          certificatePem = pem;
        }
      } else {
        await removeCertificate(iot, scope, earlier.certificateId, req.thingName);
      }
    }
    if (!progress.certificateId) {
      if (req.csr) {
        const csr = req.csr;
        const res = await step('CreateCertificateFromCsr', () => iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: true })));
        progress.certificateId = res.certificateId;
        progress.certificateSource = 'csr';
        certificatePem = res.certificatePem;
      } else {
        const res = await step('CreateKeysAndCertificate', () => iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true })));
        progress.certificateId = res.certificateId;
        progress.certificateSource = 'keys';
        certificatePem = res.certificatePem;
        privateKey = res.keyPair?.PrivateKey;
      }
      if (!progress.certificateId || !certificatePem) throw new Error('IoT returned no certificate');
      await ctx.saveProgress(progress);
    }
    const certificateId = progress.certificateId;
    const certificateArn = iotArn(scope, certTarget(certificateId));
    await step('AttachPolicy', () => iot.send(new AttachPolicyCommand({ policyName: req.policyName, target: certificateArn })));
    await step('AttachThingPrincipal', () => iot.send(new AttachThingPrincipalCommand({ thingName: req.thingName, principal: certificateArn })));
    if (req.thingGroupName) {
      await step('AddThingToThingGroup', () => iot.send(new AddThingToThingGroupCommand({ thingGroupName: req.thingGroupName, thingName: req.thingName })));
    }
    const entities: ObservedEntity[] = [
      { kind: 'thing', thingName: req.thingName },
      { kind: 'cert', certificateId },
      { kind: 'policyTarget', policyName: req.policyName, target: certTarget(certificateId) },
      { kind: 'principal', thingName: req.thingName, certificateId },
      ...(req.thingGroupName ? [{ kind: 'member' as const, thingGroupName: req.thingGroupName, thingName: req.thingName }] : []),
    ];
    const rollback = async (): Promise<void> => {
      await removeCertificate(iot, scope, certificateId, req.thingName);
      if (progress.thingCreated) await removeThing(iot, req.thingName);
    };
    return {
      statusCode: 201,
      body: {
        thingName: req.thingName,
        thingArn: iotArn(scope, `thing/${req.thingName}`),
        certificateId,
        certificateArn,
        certificatePem,
        policyName: req.policyName,
        ...(req.thingGroupName ? { thingGroupName: req.thingGroupName } : {}),
        ...(req.thingTypeName ? { thingTypeName: req.thingTypeName } : {}),
        certificateSource: progress.certificateSource,
        region: scope.region,
      },
      entities,
      ...(privateKey ? { privateKey } : {}),
      rollback,
    };
  } catch (err) {
    throw new CommandFailed(err, await rollbackOnboarding(iot, scope, req, progress));
  }
}

/** Undoes an onboarding attempt; returns what is left (for the retry's progress). */
async function rollbackOnboarding(iot: RegistryClient, scope: ArnScope, req: OnboardRequest, progress: RequestProgress): Promise<RequestProgress> {
  const left: { certificateId?: string; certificateSource?: 'csr' | 'keys'; thingCreated?: boolean } = { ...progress };
  try {
    if (progress.certificateId) {
      await removeCertificate(iot, scope, progress.certificateId, req.thingName);
      delete left.certificateId;
      delete left.certificateSource;
    }
    if (progress.thingCreated) {
      await removeThing(iot, req.thingName);
      delete left.thingCreated;
    }
  } catch (err) {
    log('WARN', 'onboarding rollback incomplete; a retry with the same Idempotency-Key resumes from what is left', {
      thingName: req.thingName,
      left: Object.keys(left),
      error: err,
    });
  }
  return left;
}

/** Detaches `certificateId` from `thingName` and its policies, revokes and deletes it (absent: nothing to do). */
async function removeCertificate(iot: RegistryClient, scope: ArnScope, certificateId: string, thingName: string): Promise<void> {
  const arn = iotArn(scope, certTarget(certificateId));
  for (const policyName of (await policiesOf(iot, arn)) ?? []) {
    await ignoreNotFound(() => iot.send(new DetachPolicyCommand({ policyName, target: arn })));
  }
  await ignoreNotFound(() => iot.send(new DetachThingPrincipalCommand({ thingName, principal: arn })));
  await ignoreNotFound(() => iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'REVOKED' })));
  await ignoreNotFound(() => iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true })));
}

async function removeThing(iot: RegistryClient, thingName: string): Promise<void> {
  await ignoreNotFound(() => iot.send(new DeleteThingCommand({ thingName })));
}

async function ignoreNotFound(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

async function describeThingOrUndefined(iot: RegistryClient, thingName: string): Promise<{ thingTypeName?: string; attributes?: Record<string, string> } | undefined> {
  try {
    return await iot.send(new DescribeThingCommand({ thingName }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw toCommandError(err, 'DescribeThing');
  }
}

async function certificatePemOf(iot: RegistryClient, certificateId: string): Promise<string | undefined> {
  try {
    return (await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.certificatePem;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw toCommandError(err, 'DescribeCertificate');
  }
}

function sameAttributes(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The thing's certificate ids, or a 404 when the thing does not exist here. */
async function certificatesOfThing(iot: RegistryClient, thingName: string, region: string): Promise<{ principals: string[]; certificateIds: string[] }> {
  let principals: string[] | undefined;
  try {
    principals = await principalsOf(iot, thingName);
  } catch (err) {
    throw toCommandError(err, 'ListThingPrincipals');
  }
  if (!principals) throw notFound('ThingNotFound', `thing '${thingName}' does not exist in ${region}`);
  return { principals, certificateIds: principals.map(certificateIdOf).filter((id): id is string => id !== undefined) };
}

/** Suspend (INACTIVE) or resume (ACTIVE) every certificate of the thing. A revoked certificate cannot be resumed. */
export async function setDeviceStatus(ctx: CommandContext, thingName: string, status: 'ACTIVE' | 'INACTIVE'): Promise<CommandOutcome> {
  const { iot, scope } = ctx;
  const { certificateIds } = await certificatesOfThing(iot, thingName, scope.region);
  const results: { certificateId: string; status: string }[] = [];
  for (const certificateId of certificateIds) {
    const current = await step('DescribeCertificate', () => iot.send(new DescribeCertificateCommand({ certificateId })));
    const was = current.certificateDescription?.status;
    if (was === 'REVOKED') {
      if (status === 'ACTIVE') throw conflict('CertificateRevoked', `certificate ${certificateId} of '${thingName}' is revoked and cannot be resumed`);
      results.push({ certificateId, status: was });
      continue;
    }
    if (was !== status) await step('UpdateCertificate', () => iot.send(new UpdateCertificateCommand({ certificateId, newStatus: status })));
    results.push({ certificateId, status });
  }
  return {
    statusCode: 200,
    body: { thingName, status: status === 'ACTIVE' ? 'resumed' : 'suspended', certificates: results, region: scope.region },
    entities: certificateIds.map((certificateId) => ({ kind: 'cert' as const, certificateId })),
  };
}

/**
 * Detaches every principal (and its policies), revokes and deletes the thing's certificates (unless another
 * thing still uses one: then only detached), removes the thing from its groups and deletes it.
 */
export async function decommission(ctx: CommandContext, thingName: string): Promise<CommandOutcome> {
  const { iot, scope } = ctx;
  const { principals } = await certificatesOfThing(iot, thingName, scope.region);
  const groups = [...((await step('ListThingGroupsForThing', () => groupsOfThing(iot, thingName))) ?? [])];
  const entities: ObservedEntity[] = [];
  const deleted: string[] = [];
  const detached: string[] = [];
  for (const principal of principals) {
    const certificateId = certificateIdOf(principal);
    if (certificateId) {
      for (const policyName of (await step('ListAttachedPolicies', () => policiesOf(iot, principal))) ?? []) {
        await step('DetachPolicy', () => ignoreNotFound(() => iot.send(new DetachPolicyCommand({ policyName, target: principal }))));
        entities.push({ kind: 'policyTarget', policyName, target: certTarget(certificateId) });
      }
    }
    await step('DetachThingPrincipal', () => ignoreNotFound(() => iot.send(new DetachThingPrincipalCommand({ thingName, principal }))));
    if (!certificateId) continue;
    entities.push({ kind: 'principal', thingName, certificateId });
    const users = await step('ListPrincipalThings', () => iot.send(new ListPrincipalThingsCommand({ principal, maxResults: 2 })));
    if ((users.things ?? []).some((t) => t !== thingName)) {
      detached.push(certificateId);
      continue;
    }
    await step('UpdateCertificate', () => ignoreNotFound(() => iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'REVOKED' }))));
    await step('DeleteCertificate', () => ignoreNotFound(() => iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }))));
    deleted.push(certificateId);
  }
  for (const thingGroupName of groups) {
    await step('RemoveThingFromThingGroup', () => ignoreNotFound(() => iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName, thingName }))));
    entities.push({ kind: 'member', thingGroupName, thingName });
  }
  await step('DeleteThing', () => ignoreNotFound(() => iot.send(new DeleteThingCommand({ thingName }))));
  entities.push(...deleted.map((certificateId) => ({ kind: 'cert' as const, certificateId })), { kind: 'thing', thingName });
  return {
    statusCode: 200,
    body: {
      thingName,
      decommissioned: true,
      deletedCertificates: deleted,
      ...(detached.length > 0 ? { detachedCertificates: detached } : {}),
      removedFromGroups: groups,
      region: scope.region,
    },
    entities,
  };
}
