/**
 * Certificate replay: registers the journaled certificate here by multi-account registration —
 * RegisterCertificate when its CA is registered here (SNI_ONLY mode), RegisterCertificateWithoutCA otherwise —
 * keeps its status in step with UpdateCertificate, and deletes it (deactivated and detached first).
 * A certificate's id is its fingerprint, so it is the same in both regions.
 *
 * The PEM is public, but still never goes into a log line, an error message, a metric or a result.
 */
import {
  DeleteCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  ListAttachedPoliciesCommand,
  type ListAttachedPoliciesCommandOutput,
  ListPrincipalThingsCommand,
  type ListPrincipalThingsCommandOutput,
  RegisterCertificateCommand,
  RegisterCertificateWithoutCACommand,
  UpdateCertificateCommand,
  type CertificateStatus,
} from '@aws-sdk/client-iot';
import { ConcurrentModification, DependencyNotReady } from '../shared/errors';
import { stateHash } from '../shared/hash';
import { describeCaCertificate, describeCertificate, iotArn } from '../shared/identity-adapter';
import { certificateState } from '../shared/identity-state';
import { isAlreadyExists, isNotFound } from '../shared/iot-errors';
import { caCertKey, certKeys } from '../shared/keys';
import type { CertificateState } from '../shared/model';
import { log } from '../shared/telemetry';
import {
  assertNoPendingLocalChange,
  keepsChanging,
  mayCreateBlind,
  type ReconcileOutcome,
  type ReconcileRequest,
  recordInStep,
  recordWritten,
  type ReplayDeps,
  replayHandlerFor,
  snapshotOf,
  TOMBSTONE,
  writeToDescribed,
} from './common';
import { CertificateRevokedHere, certificateStateOf, IdentityReplayRefused, identityError, identityWrite, scopeOf } from './identity-common';

/** The statuses replay writes; any other source status (PENDING_TRANSFER, ...) is replayed as INACTIVE. */
const REPLAYED_STATUSES = new Set(['ACTIVE', 'INACTIVE', 'REVOKED']);

/** The status this region should have for the journal's `status`. */
export function replayedStatus(status: string, key: string): CertificateStatus {
  if (REPLAYED_STATUSES.has(status)) return status as CertificateStatus;
  log('WARN', 'certificate status cannot be replayed as is; replaying it as INACTIVE', { key, status });
  return 'INACTIVE';
}


/** The issuing CA's PEM when the CA is registered here; DependencyNotReady while the journal's CA is on its way. */
async function caPemHere(deps: ReplayDeps, desired: CertificateState): Promise<string | undefined> {
  const caId = desired.caCertificateId;
  if (caId === undefined) return undefined;
  const ca = await describeCaCertificate(deps.iot, caId);
  if (ca) return ca.certificatePem;
  const caKey = caCertKey(caId);
  const journaled = await deps.journal.get(caKey, caKey);
  if (journaled && !journaled.deleted) {
    throw new DependencyNotReady(`CA certificate ${caId} of certificate ${desired.certificateId} does not exist in this region yet`, caKey);
  }
  // The CA is not replicated (registered in the source only, or deleted): register the certificate without it.
  return undefined;
}

async function thingsOf(deps: ReplayDeps, principal: string): Promise<string[]> {
  const things: string[] = [];
  let nextToken: string | undefined;
  do {
    const page: ListPrincipalThingsCommandOutput = await deps.iot.send(new ListPrincipalThingsCommand({ principal, nextToken, maxResults: 250 }));
    things.push(...(page.things ?? []));
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return things;
}

async function policiesOf(deps: ReplayDeps, target: string): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page: ListAttachedPoliciesCommandOutput = await deps.iot.send(new ListAttachedPoliciesCommand({ target, recursive: false, marker, pageSize: 250 }));
    for (const p of page.policies ?? []) if (p.policyName) names.push(p.policyName);
    marker = page.nextMarker || undefined;
  } while (marker);
  return names;
}

/** IoT's refusal of a status change or delete the certificate's current status forbids. */
const CERTIFICATE_STATE = 'CertificateStateException';

/**
 * UpdateCertificate or DeleteCertificate refused for the certificate's status: it changed here since we
 * described it (reactivated, revoked, a transfer started). The retry describes it again.
 */
async function statusWrite(what: string, write: () => Promise<unknown>, dependent?: string): Promise<void> {
  try {
    await identityWrite(what, write, dependent);
  } catch (err) {
    if ((err as Error).name === CERTIFICATE_STATE) {
      throw new ConcurrentModification(`${what}: its status changed in this region while replaying (${(err as Error).message})`, { cause: err });
    }
    throw err;
  }
}

const ignoreNotFound = async (write: () => Promise<unknown>): Promise<void> => {
  try {
    await write();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
};

async function deleteCertificate(deps: ReplayDeps, key: string, certificateId: string, local: CertificateState, expiresAt?: number): Promise<ReconcileOutcome> {
  const { iot } = deps;
  const what = `certificate ${certificateId}`;
  const arn = iotArn(scopeOf(deps), `cert/${certificateId}`);
  const startedAt = deps.now();
  if (local.status === 'ACTIVE') {
    // IoT deletes no ACTIVE certificate; the deactivation is a state of its own, recorded so a retry after a
    // refused delete is not taken for a local change.
    await writeToDescribed(what, () => statusWrite(what, () => iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }))));
    await recordWritten(deps, key, { stateHash: stateHash({ ...local, status: 'INACTIVE' }) }, startedAt);
  }
  // The attachments' own tombstones detach them too; a delete must not wait for those replays.
  const deleteStartedAt = deps.now();
  try {
    for (const thingName of await thingsOf(deps, arn)) {
      await ignoreNotFound(() => iot.send(new DetachThingPrincipalCommand({ thingName, principal: arn })));
    }
    for (const policyName of await policiesOf(deps, arn)) {
      await ignoreNotFound(() => iot.send(new DetachPolicyCommand({ policyName, target: arn })));
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    // Gone while we listed its attachments: another replay of the same tombstone (a redelivery, or two
    // stream records of one delete) deleted it first.
    await recordWritten(deps, key, TOMBSTONE, deleteStartedAt, expiresAt);
    return 'deleted';
  }
  try {
    // forceDelete: policies attached since the listing go with it (things do not: IoT refuses, and we retry).
    await statusWrite(what, () => iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true })), key);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await recordWritten(deps, key, TOMBSTONE, deleteStartedAt, expiresAt);
  return 'deleted';
}

/**
 * Registers the certificate if it does not exist here: true when this call registered it, false when IoT
 * says it exists (then the caller describes it and reconciles its status).
 */
async function registerIfAbsent(deps: ReplayDeps, key: string, desired: CertificateState, status: CertificateStatus): Promise<boolean> {
  const caPem = await caPemHere(deps, desired);
  const startedAt = deps.now();
  try {
    await deps.iot.send(
      caPem !== undefined
        ? new RegisterCertificateCommand({ certificatePem: desired.certificatePem, caCertificatePem: caPem, status })
        : new RegisterCertificateWithoutCACommand({ certificatePem: desired.certificatePem, status }),
    );
  } catch (err) {
    // Present here in some status: the describe-first path decides (and refuses what must be refused).
    if (isAlreadyExists(err) || (err as Error).name === CERTIFICATE_STATE) return false;
    throw identityError(err, `certificate ${desired.certificateId}`);
  }
  const registered = certificateState({ ...desired, status, caCertificateId: caPem !== undefined ? desired.caCertificateId : undefined });
  await recordWritten(deps, key, snapshotOf(registered), startedAt);
  return true;
}

async function reconcileCertificate({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [certificateId] = names;
  const { iot } = deps;
  const key = item.sk;
  const what = `certificate ${certificateId}`;

  if (item.deleted) {
    const local = await describeCertificate(iot, certificateId);
    if (!local) {
      await recordInStep(deps, key, TOMBSTONE, item.expiresAt);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, snapshotOf(local));
    return deleteCertificate(deps, key, certificateId, local, item.expiresAt);
  }

  const desired = certificateStateOf(item, certificateId);
  const status = replayedStatus(desired.status, key);
  if (await mayCreateBlind(deps, key)) {
    const created = await registerIfAbsent(deps, key, desired, status);
    if (created) return 'created';
  }
  for (let pass = 0; pass < 2; pass++) {
    const local = await describeCertificate(iot, certificateId);
    if (!local) {
      await assertNoPendingLocalChange(deps, key, TOMBSTONE);
      const caPem = await caPemHere(deps, desired);
      const startedAt = deps.now();
      try {
        await iot.send(
          caPem !== undefined
            ? new RegisterCertificateCommand({ certificatePem: desired.certificatePem, caCertificatePem: caPem, status })
            : new RegisterCertificateWithoutCACommand({ certificatePem: desired.certificatePem, status }),
        );
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'certificate appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        if ((err as Error).name === CERTIFICATE_STATE) throw new IdentityReplayRefused(`${what}: IoT refused to register it (${(err as Error).message})`, { cause: err });
        throw identityError(err, what);
      }
      const registered = certificateState({ ...desired, status, caCertificateId: caPem !== undefined ? desired.caCertificateId : undefined });
      await recordWritten(deps, key, snapshotOf(registered), startedAt);
      return 'created';
    }

    // The PEM is the id's preimage and cannot differ; the issuing CA is fixed at registration. Only status moves.
    const here = snapshotOf(local);
    if (local.status === status) {
      await recordInStep(deps, key, here);
      return 'unchanged';
    }
    if (local.status === 'REVOKED') {
      throw new CertificateRevokedHere(
        `${what} is REVOKED in this region and the journal has it ${desired.status}; IoT never reactivates a revoked certificate: ` +
          'register a new certificate for the device, or revoke it in the other region too',
      );
    }
    await assertNoPendingLocalChange(deps, key, here);
    const startedAt = deps.now();
    await writeToDescribed(what, () => statusWrite(what, () => iot.send(new UpdateCertificateCommand({ certificateId, newStatus: status }))));
    await recordWritten(deps, key, snapshotOf({ ...local, status }), startedAt);
    return 'updated';
  }
  throw keepsChanging(what);
}

/** The certificate replay handler over plain dependencies. */
export const createCertificateReplay = replayHandlerFor({
  kind: 'cert',
  partitionOf: ([certificateId]) => certKeys(certificateId).pk,
  reconcile: reconcileCertificate,
});
