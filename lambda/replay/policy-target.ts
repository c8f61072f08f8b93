/**
 * Policy attachment replay: AttachPolicy / DetachPolicy with the target's ARN in this region (a certificate
 * or a thing group; the journal names it region-neutrally, `cert/<id>` or `thinggroup/<name>`). An
 * attachment waits (DependencyNotReady: retried, then parked) until its policy and its target exist here,
 * and is dead when the journal holds a tombstone for either.
 */
import { AttachPolicyCommand, DetachPolicyCommand, GetPolicyCommand } from '@aws-sdk/client-iot';
import { MalformedInput } from '../shared/errors';
import { describeCertificate, policiesOf, targetArn } from '../shared/identity-adapter';
import { policyTargetState } from '../shared/identity-state';
import { isNotFound } from '../shared/iot-errors';
import { certKey, parseTarget, policyKey, policyTargetKeys, thingGroupKey } from '../shared/keys';
import { describeThingGroup } from '../shared/registry-adapter';
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
import { identityError, missingDependency, policyTargetStateOf, scopeOf, replayTombstone } from './identity-common';


async function policyExists(deps: ReplayDeps, policyName: string): Promise<boolean> {
  try {
    await deps.iot.send(new GetPolicyCommand({ policyName }));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function targetExists(deps: ReplayDeps, type: 'cert' | 'thinggroup', name: string): Promise<boolean> {
  return type === 'cert' ? (await describeCertificate(deps.iot, name)) !== undefined : (await describeThingGroup(deps.iot, name)) !== undefined;
}

async function reconcilePolicyTarget({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [policyName, target] = names;
  const parsed = parseTarget(target);
  if (!parsed) throw new MalformedInput(`${item.sk}: '${target}' is not a policy target (cert/<id> or thinggroup/<name>)`);
  const { iot } = deps;
  const key = item.sk;
  const arn = targetArn(scopeOf(deps), target);
  const targetKey = parsed.type === 'cert' ? certKey(parsed.name) : thingGroupKey(parsed.name);
  const targetWhat = parsed.type === 'cert' ? `certificate ${parsed.name}` : `thing group '${parsed.name}'`;
  const what = `attachment of policy '${policyName}' to ${targetWhat}`;

  if (!item.deleted && (await mayCreateBlind(deps, key))) {
    // Write first (see mayCreateBlind): AttachPolicy is idempotent, and it tells when an end is missing.
    const desired = policyTargetStateOf(item, policyName, target);
    const startedAt = deps.now();
    try {
      await iot.send(new AttachPolicyCommand({ policyName, target: arn }));
    } catch (err) {
      if (!isNotFound(err)) throw identityError(err, what);
      // ListAttachedPolicies (15 TPS) tells whether the target exists; then the policy is what is missing.
      if ((await policiesOf(iot, arn)) === undefined) return missingDependency(deps, item, targetKey, targetWhat);
      return missingDependency(deps, item, policyKey(policyName), `policy '${policyName}'`);
    }
    await recordWritten(deps, key, snapshotOf(desired), startedAt);
    return 'created';
  }

  // Undefined when the target does not exist here.
  const attached = await policiesOf(iot, arn);
  const here = snapshotOf(attached?.has(policyName) ? policyTargetState(policyName, target) : undefined);

  if (item.deleted) {
    const detach = () => iot.send(new DetachPolicyCommand({ policyName, target: arn }));
    return replayTombstone(deps, item, attached?.has(policyName) ? here : undefined, detach, (err) => identityError(err, what));
  }

  const desired = policyTargetStateOf(item, policyName, target);
  if (!attached) return missingDependency(deps, item, targetKey, targetWhat);
  if (attached.has(policyName)) {
    await recordInStep(deps, key, here);
    return 'unchanged';
  }
  if (!(await policyExists(deps, policyName))) return missingDependency(deps, item, policyKey(policyName), `policy '${policyName}'`);
  await assertNoPendingLocalChange(deps, key, TOMBSTONE);
  const startedAt = deps.now();
  try {
    await iot.send(new AttachPolicyCommand({ policyName, target: arn }));
  } catch (err) {
    if (!isNotFound(err)) throw identityError(err, what);
    // One of them vanished since we looked: decide as above.
    if (!(await targetExists(deps, parsed.type, parsed.name))) return missingDependency(deps, item, targetKey, targetWhat);
    return missingDependency(deps, item, policyKey(policyName), `policy '${policyName}'`);
  }
  await recordWritten(deps, key, snapshotOf(desired), startedAt);
  return 'created';
}

/** The policy attachment replay handler over plain dependencies. */
export const createPolicyTargetReplay = replayHandlerFor({
  kind: 'policyTarget',
  partitionOf: ([policyName, target]) => policyTargetKeys(policyName, target).pk,
  reconcile: reconcilePolicyTarget,
});
