/**
 * What the device-identity replays (certificates, CA certificates, policies, attachments, principals,
 * provisioning templates, role aliases, shadows) share: desired states read from journal items (validated,
 * and rebuilt canonically by identity-state.ts), typed errors for IoT's refusals, and the journal look-ups
 * that tell a dependency "on its way" from "deleted".
 *
 * No echo fingerprints here: capture recognises replay's own CloudTrail events by the caller's role, and
 * its shadow writes by their client token.
 */
import { ConcurrentModification, DependencyNotReady, MalformedInput } from '../shared/errors';
import {
  type ArnScope,
  caCertificateState,
  certificateState,
  policyTargetState,
  principalState,
  roleAliasState,
  shadowState,
} from '../shared/identity-state';
import { parseTarget } from '../shared/keys';
import type {
  CaCertificateState,
  CertificateState,
  JournalItem,
  PolicyState,
  PolicyTargetState,
  PrincipalState,
  ProvisioningTemplateState,
  RoleAliasState,
  ShadowState,
} from '../shared/model';
import { log } from '../shared/telemetry';
import { isNotFound } from '../shared/iot-errors';
import { assertNoPendingLocalChange, type LocalSnapshot, type ReconcileOutcome, recordInStep, recordWritten, type ReplayDeps, TOMBSTONE } from './common';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOptionalString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';

function stateOf(item: JournalItem): Record<string, unknown> {
  if (!isObject(item.state)) {
    throw new MalformedInput(`journal item ${item.sk} (version ${item.version}) is live but has no state`);
  }
  return item.state;
}

function malformed(item: JournalItem, what: string): MalformedInput {
  // Never the state itself in the message: a certificate's state holds its PEM.
  return new MalformedInput(`journal item ${item.sk} (version ${item.version}) has a malformed ${what} state`);
}

/** The region and account region-neutral ARNs are written back with here. */
export const scopeOf = (deps: ReplayDeps): ArnScope => ({ region: deps.region, accountId: deps.identity.accountId });

export function certificateStateOf(item: JournalItem, certificateId: string): CertificateState {
  const s = stateOf(item);
  if (s.certificateId !== certificateId || typeof s.certificatePem !== 'string' || s.certificatePem === '' || typeof s.status !== 'string' || !isOptionalString(s.caCertificateId)) {
    throw malformed(item, 'certificate');
  }
  return certificateState({ certificateId, certificatePem: s.certificatePem, status: s.status, caCertificateId: s.caCertificateId });
}

export function caCertificateStateOf(item: JournalItem, certificateId: string): CaCertificateState {
  const s = stateOf(item);
  if (
    s.certificateId !== certificateId ||
    typeof s.certificatePem !== 'string' ||
    s.certificatePem === '' ||
    typeof s.status !== 'string' ||
    typeof s.autoRegistration !== 'string'
  ) {
    throw malformed(item, 'CA certificate');
  }
  return caCertificateState({ certificateId, certificatePem: s.certificatePem, status: s.status, autoRegistration: s.autoRegistration });
}

/** IoT keeps at most five versions of a policy. */
export const MAX_POLICY_VERSIONS = 5;

export function policyStateOf(item: JournalItem, policyName: string): PolicyState {
  const s = stateOf(item);
  const documents = s.documents;
  if (
    s.policyName !== policyName ||
    !Array.isArray(documents) ||
    documents.length === 0 ||
    documents.length > MAX_POLICY_VERSIONS ||
    !documents.every((d) => typeof d === 'string' && d !== '') ||
    !Number.isInteger(s.defaultIndex) ||
    (s.defaultIndex as number) < 0 ||
    (s.defaultIndex as number) >= documents.length
  ) {
    throw malformed(item, 'policy');
  }
  // Documents are journaled canonical and region-neutral already; rebuilding them would hash differently.
  return { policyName, documents: [...(documents as string[])], defaultIndex: s.defaultIndex as number };
}

export function policyTargetStateOf(item: JournalItem, policyName: string, target: string): PolicyTargetState {
  const s = stateOf(item);
  if (s.policyName !== policyName || s.target !== target || !parseTarget(target)) throw malformed(item, 'policy attachment');
  return policyTargetState(policyName, target);
}

export function principalStateOf(item: JournalItem, thingName: string, certificateId: string): PrincipalState {
  const s = stateOf(item);
  if (s.thingName !== thingName || s.certificateId !== certificateId) throw malformed(item, 'thing principal');
  return principalState(thingName, certificateId);
}

export function provisioningTemplateStateOf(item: JournalItem, templateName: string): ProvisioningTemplateState {
  const s = stateOf(item);
  const hook = s.preProvisioningHook;
  if (
    s.templateName !== templateName ||
    !isOptionalString(s.description) ||
    typeof s.templateBody !== 'string' ||
    typeof s.enabled !== 'boolean' ||
    typeof s.provisioningRoleArn !== 'string' ||
    !isOptionalString(s.type) ||
    (hook !== undefined && (!isObject(hook) || typeof hook.targetArn !== 'string' || !isOptionalString(hook.payloadVersion)))
  ) {
    throw malformed(item, 'provisioning template');
  }
  // Journaled canonical and region-neutral already: rebuilt field by field, as provisioningTemplateState does.
  const present = (v: string | undefined): string | undefined => (v ? v : undefined);
  const hookState = hook as { targetArn: string; payloadVersion?: string } | undefined;
  const description = present(s.description);
  const type = present(s.type);
  const payloadVersion = present(hookState?.payloadVersion);
  return {
    templateName,
    ...(description ? { description } : {}),
    templateBody: s.templateBody,
    enabled: s.enabled,
    provisioningRoleArn: s.provisioningRoleArn,
    ...(hookState?.targetArn ? { preProvisioningHook: { targetArn: hookState.targetArn, ...(payloadVersion ? { payloadVersion } : {}) } } : {}),
    ...(type ? { type } : {}),
  };
}

export function roleAliasStateOf(item: JournalItem, roleAlias: string): RoleAliasState {
  const s = stateOf(item);
  const duration = s.credentialDurationSeconds;
  if (s.roleAlias !== roleAlias || typeof s.roleArn !== 'string' || s.roleArn === '' || (duration !== undefined && !Number.isInteger(duration))) {
    throw malformed(item, 'role alias');
  }
  return roleAliasState({ roleAlias, roleArn: s.roleArn, credentialDurationSeconds: duration as number | undefined });
}

export function shadowStateOf(item: JournalItem, thingName: string, shadowName: string | undefined): ShadowState {
  const s = stateOf(item);
  if (
    s.thingName !== thingName ||
    s.shadowName !== shadowName ||
    (s.desired !== undefined && !isObject(s.desired)) ||
    (s.reported !== undefined && !isObject(s.reported))
  ) {
    throw malformed(item, 'shadow');
  }
  return shadowState(thingName, shadowName, { desired: s.desired, reported: s.reported });
}

/**
 * IoT refused a write for good (a malformed policy, a certificate it will not take, a revoked certificate
 * to reactivate): never retried, dead-lettered with this reason. The message names the entity and IoT's
 * answer, never a certificate body.
 */
export class IdentityReplayRefused extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityReplayRefused';
  }
}

/** IoT revokes for good: a certificate REVOKED here cannot become ACTIVE (or anything else) again. */
export class CertificateRevokedHere extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateRevokedHere';
  }
}

const nameOf = (err: unknown): string | undefined => (err instanceof Error ? err.name : undefined);

/** IoT's exceptions that refuse a request for good, whatever the timing: dead-lettered with IoT's reason. */
const DEFINITE_REFUSALS = new Set([
  'MalformedPolicyException',
  'CertificateValidationException',
  'CertificateConflictException',
  'RegistrationCodeValidationException',
  'UnauthorizedException',
  'AccessDeniedException',
]);

/**
 * IoT's answers that mean "not now" on identity writes, mapped to the typed retryable errors; definite
 * refusals to IdentityReplayRefused; anything else is returned as is (createReplayHandler maps throttles,
 * 5xx and network errors, and everything unknown is dead-lettered under its own name).
 */
export function identityError(err: unknown, what: string, dependent?: string): unknown {
  const name = nameOf(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (name) {
    case 'DeleteConflictException':
      return new DependencyNotReady(`${what} is still in use here (${message}); its dependents' replays remove them`, dependent ?? what);
    case 'VersionsLimitExceededException':
    case 'ConflictingResourceUpdateException':
    case 'ResourceAlreadyExistsException':
      return new ConcurrentModification(`${what} changed in this region while replaying (${name}: ${message})`, { cause: err });
    default:
      if (name !== undefined && DEFINITE_REFUSALS.has(name)) return new IdentityReplayRefused(`${what}: IoT refused it (${name}: ${message})`, { cause: err });
      return err;
  }
}

/** Runs `write`, translating IoT's identity exceptions (see identityError). */
export async function identityWrite<T>(what: string, write: () => Promise<T>, dependent?: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw identityError(err, what, dependent);
  }
}

/**
 * A dependency (`parentKey`: a certificate, a policy, a thing, a thing group) missing here. While the
 * journal holds a tombstone for it, an attachment to it is dead — whatever its version: no IoT registry can
 * hold an attachment to a deleted entity, and the parent's delete tombstoned its dependents — so nothing is
 * done. Otherwise the parent's replay is on its way: DependencyNotReady (retried, then parked).
 */
export async function missingDependency(deps: ReplayDeps, item: JournalItem, parentKey: string, what: string): Promise<ReconcileOutcome> {
  const parent = await deps.journal.get(parentKey, parentKey);
  if (parent?.deleted) {
    log('INFO', 'attachment is dead: what it attaches is deleted', { key: item.sk, parent: parentKey, parentVersion: parent.version });
    return 'unchanged';
  }
  throw new DependencyNotReady(`${what} of ${item.sk} does not exist in this region yet`, parentKey);
}

/**
 * Replays a tombstone onto an entity whose delete is one call: absent here, the region is in step with the
 * journal (recorded); present (`here`), a local change the journal has not ordered yet stops it
 * (`LocalChangePending`), otherwise `remove` runs — IoT's not-found counting as done, any other error mapped
 * by `refused` — and the deletion is recorded as written.
 */
export async function replayTombstone(
  deps: ReplayDeps,
  item: JournalItem,
  here: LocalSnapshot | undefined,
  remove: () => Promise<unknown>,
  refused: (err: unknown) => unknown = (err) => err,
): Promise<ReconcileOutcome> {
  const key = item.sk;
  if (!here) {
    await recordInStep(deps, key, TOMBSTONE, item.expiresAt);
    return 'unchanged';
  }
  await assertNoPendingLocalChange(deps, key, here);
  const startedAt = deps.now();
  try {
    await remove();
  } catch (err) {
    if (!isNotFound(err)) throw refused(err);
  }
  await recordWritten(deps, key, TOMBSTONE, startedAt, item.expiresAt);
  return 'deleted';
}
