/**
 * CA certificate replay: RegisterCACertificate in SNI_ONLY (multi-account) mode — which needs no
 * verification certificate, so no private key of the CA is ever involved — UpdateCACertificate for status
 * and auto-registration, and deactivate-then-DeleteCACertificate for a tombstone. Certificates registered
 * with a CA stay registered when the CA is deleted (IoT does not cascade), so nothing else is touched.
 */
import { DeleteCACertificateCommand, RegisterCACertificateCommand, UpdateCACertificateCommand } from '@aws-sdk/client-iot';
import { ConcurrentModification } from '../shared/errors';
import { describeCaCertificate } from '../shared/identity-adapter';
import { isAlreadyExists, isNotFound } from '../shared/iot-errors';
import { caCertKeys } from '../shared/keys';
import type { CaCertificateState } from '../shared/model';
import { log } from '../shared/telemetry';
import {
  assertNoPendingLocalChange,
  keepsChanging,
  type ReconcileOutcome,
  type ReconcileRequest,
  recordInStep,
  recordWritten,
  replayHandlerFor,
  snapshotOf,
  TOMBSTONE,
  writeToDescribed,
} from './common';
import { caCertificateStateOf, identityError } from './identity-common';


/** ACTIVE or INACTIVE (a CA has no other status replay can write). */
const caStatus = (status: string): 'ACTIVE' | 'INACTIVE' => (status === 'ACTIVE' ? 'ACTIVE' : 'INACTIVE');
const autoRegistration = (value: string): 'ENABLE' | 'DISABLE' => (value === 'ENABLE' ? 'ENABLE' : 'DISABLE');

/** Runs a CA write; CertificateStateException means its status changed here meanwhile: retried. */
async function caWrite(what: string, write: () => Promise<unknown>, dependent?: string): Promise<void> {
  try {
    await write();
  } catch (err) {
    if ((err as Error).name === 'CertificateStateException') {
      throw new ConcurrentModification(`${what}: its status changed in this region while replaying (${(err as Error).message})`, { cause: err });
    }
    throw identityError(err, what, dependent);
  }
}

async function reconcileCaCertificate({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [certificateId] = names;
  const { iot } = deps;
  const key = item.sk;
  const what = `CA certificate ${certificateId}`;

  if (item.deleted) {
    const local = await describeCaCertificate(iot, certificateId);
    if (!local) {
      await recordInStep(deps, key, TOMBSTONE, item.expiresAt);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, snapshotOf(local));
    const startedAt = deps.now();
    if (local.status === 'ACTIVE') {
      await writeToDescribed(what, () => caWrite(what, () => iot.send(new UpdateCACertificateCommand({ certificateId, newStatus: 'INACTIVE' }))));
      await recordWritten(deps, key, snapshotOf({ ...local, status: 'INACTIVE' }), startedAt);
    }
    const deleteStartedAt = deps.now();
    try {
      await caWrite(what, () => iot.send(new DeleteCACertificateCommand({ certificateId })), key);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await recordWritten(deps, key, TOMBSTONE, deleteStartedAt, item.expiresAt);
    return 'deleted';
  }

  const journaled = caCertificateStateOf(item, certificateId);
  const status = caStatus(journaled.status);
  const auto = autoRegistration(journaled.autoRegistration);
  const desired: CaCertificateState = { ...journaled, status, autoRegistration: auto };
  for (let pass = 0; pass < 2; pass++) {
    const local = await describeCaCertificate(iot, certificateId);
    if (!local) {
      await assertNoPendingLocalChange(deps, key, TOMBSTONE);
      const startedAt = deps.now();
      try {
        await iot.send(
          new RegisterCACertificateCommand({
            caCertificate: desired.certificatePem,
            certificateMode: 'SNI_ONLY',
            setAsActive: desired.status === 'ACTIVE',
            allowAutoRegistration: desired.autoRegistration === 'ENABLE',
          }),
        );
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'CA certificate appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw identityError(err, what);
      }
      await recordWritten(deps, key, snapshotOf(desired), startedAt);
      return 'created';
    }

    const here = snapshotOf(local);
    const statusDiffers = local.status !== desired.status;
    const autoDiffers = local.autoRegistration !== desired.autoRegistration;
    if (!statusDiffers && !autoDiffers) {
      await recordInStep(deps, key, here);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, here);
    const startedAt = deps.now();
    await writeToDescribed(what, () =>
      caWrite(what, () =>
        iot.send(
          new UpdateCACertificateCommand({
            certificateId,
            ...(statusDiffers ? { newStatus: status } : {}),
            ...(autoDiffers ? { newAutoRegistrationStatus: auto } : {}),
          }),
        ),
      ),
    );
    await recordWritten(deps, key, snapshotOf({ ...local, status: desired.status, autoRegistration: desired.autoRegistration }), startedAt);
    return 'updated';
  }
  throw keepsChanging(what);
}

/** The CA certificate replay handler over plain dependencies. */
export const createCaCertificateReplay = replayHandlerFor({
  kind: 'caCert',
  partitionOf: ([certificateId]) => caCertKeys(certificateId).pk,
  reconcile: reconcileCaCertificate,
});
