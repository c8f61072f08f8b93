/**
 * Thing principal replay: AttachThingPrincipal / DetachThingPrincipal with the certificate's ARN in this
 * region. An attachment waits (DependencyNotReady: retried, then parked) until its thing and certificate
 * exist here, and is dead when the journal holds a tombstone for either.
 */
import { AttachThingPrincipalCommand, DetachThingPrincipalCommand } from '@aws-sdk/client-iot';
import { TOMBSTONE_HASH } from '../shared/hash';
import { certificateIdOf, describeCertificate, iotArn, principalsOf } from '../shared/identity-adapter';
import { principalState } from '../shared/identity-state';
import { isNotFound } from '../shared/iot-errors';
import { certKey, principalKeys, thingKey } from '../shared/keys';
import {
  assertNoPendingLocalChange,
  type LocalSnapshot,
  type ReconcileOutcome,
  type ReconcileRequest,
  recordInStep,
  recordWritten,
  replayHandlerFor,
  snapshotOf,
} from './common';
import { identityError, missingDependency, principalStateOf, scopeOf } from './identity-common';

const TOMBSTONE: LocalSnapshot = { stateHash: TOMBSTONE_HASH };

async function reconcilePrincipal({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingName, certificateId] = names;
  const { iot } = deps;
  const key = item.sk;
  const principal = iotArn(scopeOf(deps), `cert/${certificateId}`);
  const what = `attachment of certificate ${certificateId} to thing '${thingName}'`;

  // Undefined when the thing does not exist here.
  const principals = await principalsOf(iot, thingName);
  const isAttached = principals?.some((p) => certificateIdOf(p) === certificateId) === true;
  const here = snapshotOf(isAttached ? principalState(thingName, certificateId) : undefined);

  if (item.deleted) {
    if (!isAttached) {
      await recordInStep(deps, key, TOMBSTONE, item.expiresAt);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, here);
    const startedAt = deps.now();
    try {
      await iot.send(new DetachThingPrincipalCommand({ thingName, principal }));
    } catch (err) {
      if (!isNotFound(err)) throw identityError(err, what);
    }
    await recordWritten(deps, key, TOMBSTONE, startedAt, item.expiresAt);
    return 'deleted';
  }

  const desired = principalStateOf(item, thingName, certificateId);
  if (!principals) return missingDependency(deps, item, thingKey(thingName), `thing '${thingName}'`);
  if (isAttached) {
    await recordInStep(deps, key, here);
    return 'unchanged';
  }
  await assertNoPendingLocalChange(deps, key, TOMBSTONE);
  const startedAt = deps.now();
  try {
    // The certificate's existence is learnt from the attach itself: DescribeCertificate shares
    // RegisterCertificate's low quota, and a bulk copy attaches every device's certificate.
    await iot.send(new AttachThingPrincipalCommand({ thingName, principal }));
  } catch (err) {
    if (!isNotFound(err)) throw identityError(err, what);
    if (!(await describeCertificate(iot, certificateId))) return missingDependency(deps, item, certKey(certificateId), `certificate ${certificateId}`);
    return missingDependency(deps, item, thingKey(thingName), `thing '${thingName}'`);
  }
  await recordWritten(deps, key, snapshotOf(desired), startedAt);
  return 'created';
}

/** The thing principal replay handler over plain dependencies. */
export const createPrincipalReplay = replayHandlerFor({
  kind: 'principal',
  partitionOf: ([thingName, certificateId]) => principalKeys(thingName, certificateId).pk,
  reconcile: reconcilePrincipal,
});
