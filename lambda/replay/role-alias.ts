/**
 * Role alias replay: CreateRoleAlias / UpdateRoleAlias (role and credential duration) / DeleteRoleAlias.
 * The role is an IAM role ARN — global, so written as journaled; replay's role may pass it to IoT only.
 */
import { CreateRoleAliasCommand, DeleteRoleAliasCommand, UpdateRoleAliasCommand } from '@aws-sdk/client-iot';
import { describeRoleAlias } from '../shared/identity-adapter';
import { isAlreadyExists } from '../shared/iot-errors';
import { roleAliasKeys } from '../shared/keys';
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
import { identityError, identityWrite, roleAliasStateOf, replayTombstone } from './identity-common';


async function reconcileRoleAlias({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [roleAlias] = names;
  const { iot } = deps;
  const key = item.sk;
  const what = `role alias '${roleAlias}'`;

  if (item.deleted) {
    const local = await describeRoleAlias(iot, roleAlias);
    return replayTombstone(deps, item, local && snapshotOf(local), () => iot.send(new DeleteRoleAliasCommand({ roleAlias })), (err) => identityError(err, what, key));
  }

  const desired = roleAliasStateOf(item, roleAlias);
  for (let pass = 0; pass < 2; pass++) {
    const local = await describeRoleAlias(iot, roleAlias);
    if (!local) {
      await assertNoPendingLocalChange(deps, key, TOMBSTONE);
      const startedAt = deps.now();
      try {
        await iot.send(new CreateRoleAliasCommand({ roleAlias, roleArn: desired.roleArn, credentialDurationSeconds: desired.credentialDurationSeconds }));
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'role alias appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw identityError(err, what);
      }
      await recordWritten(deps, key, snapshotOf(desired), startedAt);
      return 'created';
    }
    const here = snapshotOf(local);
    if (local.roleArn === desired.roleArn && local.credentialDurationSeconds === desired.credentialDurationSeconds) {
      await recordInStep(deps, key, here);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, here);
    const startedAt = deps.now();
    await writeToDescribed(what, () =>
      identityWrite(what, () =>
        iot.send(new UpdateRoleAliasCommand({ roleAlias, roleArn: desired.roleArn, credentialDurationSeconds: desired.credentialDurationSeconds })),
      ),
    );
    await recordWritten(deps, key, snapshotOf(desired), startedAt);
    return 'updated';
  }
  throw keepsChanging(what);
}

/** The role alias replay handler over plain dependencies. */
export const createRoleAliasReplay = replayHandlerFor({
  kind: 'roleAlias',
  partitionOf: ([roleAlias]) => roleAliasKeys(roleAlias).pk,
  reconcile: reconcileRoleAlias,
});
