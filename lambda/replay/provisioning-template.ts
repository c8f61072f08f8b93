/**
 * Provisioning template replay: CreateProvisioningTemplate, UpdateProvisioningTemplate (settings) plus
 * CreateProvisioningTemplateVersion set as default (a different body), DeleteProvisioningTemplate. The body
 * and the pre-provisioning hook's ARN are journaled region-neutral and written with this region's region
 * and account. A hook that is a Lambda function of this region must exist here before the template is
 * written: until it is deployed, the replay waits (DependencyNotReady, retried and parked) and, when the
 * parking retention ends, is dead-lettered with that reason.
 *
 * A template's type (FLEET_PROVISIONING or JITP) is fixed at creation: when it differs, replay logs a WARN
 * and leaves it, as recreating a template in use would break provisioning in this region.
 */
import {
  CreateProvisioningTemplateCommand,
  CreateProvisioningTemplateVersionCommand,
  DeleteProvisioningTemplateCommand,
  DeleteProvisioningTemplateVersionCommand,
  ListProvisioningTemplateVersionsCommand,
  type ListProvisioningTemplateVersionsCommandOutput,
  type ProvisioningTemplateVersionSummary,
  UpdateProvisioningTemplateCommand,
  type TemplateType,
} from '@aws-sdk/client-iot';
import { DependencyNotReady } from '../shared/errors';
import { stateHash } from '../shared/hash';
import { describeProvisioningTemplate } from '../shared/identity-adapter';
import { type ArnScope, localArns } from '../shared/identity-state';
import { isAlreadyExists, isNotFound } from '../shared/iot-errors';
import { provisioningTemplateKeys } from '../shared/keys';
import type { ProvisioningTemplateState } from '../shared/model';
import { log } from '../shared/telemetry';
import {
  assertNoPendingLocalChange,
  keepsChanging,
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
import { identityError, provisioningTemplateStateOf, scopeOf, replayTombstone } from './identity-common';


/** IoT keeps at most five versions of a provisioning template. */
const MAX_TEMPLATE_VERSIONS = 5;

/** `arn:<partition>:lambda:<region>:<account>:function:<name>[:qualifier]` of `scope`'s region and account. */
function isLocalFunction(arn: string, scope: ArnScope): boolean {
  const m = /^arn:aws[a-z-]*:lambda:([^:]+):(\d{12}):function:[^:]+(:[^:]+)?$/.exec(arn);
  return m !== null && m[1] === scope.region && m[2] === scope.accountId;
}

/**
 * Throws DependencyNotReady when the template's hook is a Lambda function of this region that does not
 * exist here. A hook of another region or account is left to IoT to accept or refuse.
 */
async function assertHookDeployed(deps: ReplayDeps, key: string, hookArn: string, scope: ArnScope): Promise<void> {
  if (!isLocalFunction(hookArn, scope)) return;
  if (!(await deps.identity.functions.functionExists(hookArn))) {
    throw new DependencyNotReady(`pre-provisioning hook Lambda ${hookArn} does not exist in ${scope.region}: deploy it there`, key);
  }
}

async function versionsOf(deps: ReplayDeps, templateName: string): Promise<ProvisioningTemplateVersionSummary[]> {
  const versions: ProvisioningTemplateVersionSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page: ListProvisioningTemplateVersionsCommandOutput = await deps.iot.send(
      new ListProvisioningTemplateVersionsCommand({ templateName, nextToken, maxResults: 250 }),
    );
    versions.push(...(page.versions ?? []));
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return versions;
}

/** Makes room for one more version: deletes the oldest non-default ones beyond IoT's five. */
async function makeRoomForVersion(deps: ReplayDeps, templateName: string): Promise<void> {
  const versions = await versionsOf(deps, templateName);
  const removable = versions.filter((v) => !v.isDefaultVersion).sort((a, b) => (a.versionId ?? 0) - (b.versionId ?? 0));
  for (let excess = versions.length - MAX_TEMPLATE_VERSIONS + 1; excess > 0 && removable.length > 0; excess--) {
    const oldest = removable.shift();
    try {
      await deps.iot.send(new DeleteProvisioningTemplateVersionCommand({ templateName, versionId: oldest?.versionId }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** The local state replay leaves: the journal's, with the type that cannot change here. */
const writtenState = (desired: ProvisioningTemplateState, localType: string | undefined): ProvisioningTemplateState => {
  const { type: _type, ...rest } = desired;
  return { ...rest, ...(localType ? { type: localType } : {}) };
};

async function reconcileProvisioningTemplate({ deps, item, names }: ReconcileRequest): Promise<ReconcileOutcome> {
  const [templateName] = names;
  const { iot } = deps;
  const key = item.sk;
  const scope = scopeOf(deps);
  const what = `provisioning template '${templateName}'`;

  if (item.deleted) {
    const local = await describeProvisioningTemplate(iot, templateName, scope);
    return replayTombstone(deps, item, local && snapshotOf(local), () => iot.send(new DeleteProvisioningTemplateCommand({ templateName })), (err) =>
      identityError(err, what, key),
    );
  }

  const desired = provisioningTemplateStateOf(item, templateName);
  const hookArn = desired.preProvisioningHook ? localArns(desired.preProvisioningHook.targetArn, scope) : undefined;
  const hook = hookArn ? { targetArn: hookArn, ...(desired.preProvisioningHook?.payloadVersion ? { payloadVersion: desired.preProvisioningHook.payloadVersion } : {}) } : undefined;
  const body = localArns(desired.templateBody, scope);

  for (let pass = 0; pass < 2; pass++) {
    const local = await describeProvisioningTemplate(iot, templateName, scope);
    if (!local) {
      await assertNoPendingLocalChange(deps, key, TOMBSTONE);
      if (hookArn) await assertHookDeployed(deps, key, hookArn, scope);
      const startedAt = deps.now();
      try {
        await iot.send(
          new CreateProvisioningTemplateCommand({
            templateName,
            description: desired.description,
            templateBody: body,
            enabled: desired.enabled,
            provisioningRoleArn: desired.provisioningRoleArn,
            preProvisioningHook: hook,
            type: desired.type as TemplateType | undefined,
          }),
        );
      } catch (err) {
        if (isAlreadyExists(err)) {
          log('INFO', 'provisioning template appeared while replaying; reconciling it as an update', { key });
          continue;
        }
        throw identityError(err, what);
      }
      await recordWritten(deps, key, snapshotOf(desired), startedAt);
      return 'created';
    }

    if (desired.type !== undefined && local.type !== desired.type) {
      log('WARN', 'provisioning template type differs from the journal; IoT cannot change it in place', { key, local: local.type, desired: desired.type });
    }
    const target = writtenState(desired, local.type);
    const here = snapshotOf(local);
    if (here.stateHash === stateHash(target)) {
      await recordInStep(deps, key, here);
      return 'unchanged';
    }
    await assertNoPendingLocalChange(deps, key, here);
    const hookDiffers = stateHash(local.preProvisioningHook) !== stateHash(desired.preProvisioningHook);
    if (hookArn && hookDiffers) await assertHookDeployed(deps, key, hookArn, scope);
    const startedAt = deps.now();
    let versionCreated = false;
    try {
      if (local.templateBody !== desired.templateBody) {
        await makeRoomForVersion(deps, templateName);
        await writeToDescribed(what, () => iot.send(new CreateProvisioningTemplateVersionCommand({ templateName, templateBody: body, setAsDefault: true })));
        versionCreated = true;
      }
      const settingsDiffer =
        local.description !== desired.description ||
        local.enabled !== desired.enabled ||
        local.provisioningRoleArn !== desired.provisioningRoleArn ||
        hookDiffers;
      if (settingsDiffer) {
        await writeToDescribed(what, () =>
          iot.send(
            new UpdateProvisioningTemplateCommand({
              templateName,
              // '' clears a description the journal does not have.
              description: desired.description ?? '',
              enabled: desired.enabled,
              provisioningRoleArn: desired.provisioningRoleArn,
              ...(hookDiffers ? (hook ? { preProvisioningHook: hook } : { removePreProvisioningHook: true }) : {}),
            }),
          ),
        );
      }
    } catch (err) {
      if (versionCreated) {
        // Half written: record what is here now, or the retry would take our new version for a local change.
        const now = await describeProvisioningTemplate(iot, templateName, scope).catch(() => undefined);
        if (now) await recordWritten(deps, key, snapshotOf(now), startedAt);
      }
      throw identityError(err, what);
    }
    await recordWritten(deps, key, snapshotOf(target), startedAt);
    return 'updated';
  }
  throw keepsChanging(what);
}

/** The provisioning template replay handler over plain dependencies. */
export const createProvisioningTemplateReplay = replayHandlerFor({
  kind: 'provisioningTemplate',
  partitionOf: ([templateName]) => provisioningTemplateKeys(templateName).pk,
  reconcile: reconcileProvisioningTemplate,
});
