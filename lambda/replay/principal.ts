/**
 * Thing principal replay: AttachThingPrincipal / DetachThingPrincipal with the certificate's ARN in this
 * region. An attachment waits (DependencyNotReady: retried, then parked) until its thing and certificate
 * exist here, and is dead when the journal holds a tombstone for either.
 */
import { AttachThingPrincipalCommand, DetachThingPrincipalCommand } from '@aws-sdk/client-iot';
import { certificateIdOf, iotArn, principalsOf } from '../shared/identity-adapter';
import { principalState } from '../shared/identity-state';
import { isNotFound } from '../shared/iot-errors';
import { certKey, principalKeys, thingKey } from '../shared/keys';
import type { JournalItem } from '../shared/model';
import { describeThing } from '../shared/registry-adapter';
import {
  assertNoPendingLocalChange,
  mayCreateBlind,
  type ReconcileOutcome,
  type ReconcileRequest,
  recordInStep,
  recordWritten,
  type ReplayDeps,
  replayHandlerFor,
  snapshotOf,
  TOMBSTONE,
} from './common';
import { identityError, missingDependency, principalStateOf, scopeOf, replayTombstone } from './identity-common';


/**
 * IoT found no thing or no certificate to attach: which one, decided by DescribeThing (350 TPS) rather than
 * DescribeCertificate (10 TPS, RegisterCertificate's quota in a bulk copy): the thing exists, so the
 * certificate is what is missing (or the thing went in between: the retry decides again).
 */
async function missingEnd(deps: ReplayDeps, item: JournalItem, thingName: string, certificateId: string): Promise<ReconcileOutcome> {
  if (!(await describeThing(deps.iot, thingName))) return missingDependency(deps, item, thingKey(thingName), `thing '${thingName}'`);
  return missingDependency(deps, item, certKey(certificateId), `certificate ${certificateId}`);
}

async function reconcilePrincipal({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [thingName, certificateId] = names;
  const { iot } = deps;
  const key = item.sk;
  const principal = iotArn(scopeOf(deps), `cert/${certificateId}`);
  const what = `attachment of certificate ${certificateId} to thing '${thingName}'`;

  /**
   * Attaches and records what it wrote. The certificate's existence is learnt from the attach itself:
   * DescribeCertificate shares RegisterCertificate's low quota, and a bulk copy attaches every device's
   * certificate. AttachThingPrincipal is idempotent, and its refusal tells which end is missing.
   */
  const attach = async (): Promise<ReconcileOutcome> => {
    const desired = principalStateOf(item, thingName, certificateId);
    const startedAt = deps.now();
    try {
      await iot.send(new AttachThingPrincipalCommand({ thingName, principal }));
    } catch (err) {
      if (!isNotFound(err)) throw identityError(err, what);
      return missingEnd(deps, item, thingName, certificateId);
    }
    await recordWritten(deps, key, snapshotOf(desired), startedAt);
    return 'created';
  };

  // Write first (see mayCreateBlind).
  if (!item.deleted && (await mayCreateBlind(deps, key))) return attach();

  // Undefined when the thing does not exist here.
  const principals = await principalsOf(iot, thingName);
  const isAttached = principals?.some((p) => certificateIdOf(p) === certificateId) === true;
  const here = snapshotOf(isAttached ? principalState(thingName, certificateId) : undefined);

  if (item.deleted) {
    const detach = () => iot.send(new DetachThingPrincipalCommand({ thingName, principal }));
    return replayTombstone(deps, item, isAttached ? here : undefined, detach, (err) => identityError(err, what));
  }

  if (!principals) return missingDependency(deps, item, thingKey(thingName), `thing '${thingName}'`);
  if (isAttached) {
    await recordInStep(deps, key, here);
    return 'unchanged';
  }
  await assertNoPendingLocalChange(deps, key, TOMBSTONE);
  return attach();
}

/** The thing principal replay handler over plain dependencies. */
export const createPrincipalReplay = replayHandlerFor({
  kind: 'principal',
  partitionOf: ([thingName, certificateId]) => principalKeys(thingName, certificateId).pk,
  reconcile: reconcilePrincipal,
});
