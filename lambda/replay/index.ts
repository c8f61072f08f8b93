/**
 * The replay bundle: one handler per entity kind, each replaying one journal item of its kind into this
 * region's IoT registry, invoked by the replay state machine; and the parking queue's consumer, which
 * retries parked items of any kind with the same replays. The export names are HANDLERS in
 * lambda/contract/handlers.ts. Dependencies are built once per container, at module load.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createCaCertificateReplay } from './ca-certificate';
import { createCertificateReplay } from './certificate';
import { replayDepsFromEnv } from './config';
import { createHeartbeatReplay } from './heartbeat';
import { createMembershipReplay } from './membership';
import { parkingConsumerFromEnv } from './parking';
import { createPolicyReplay } from './policy';
import { createPolicyTargetReplay } from './policy-target';
import { createPrincipalReplay } from './principal';
import { createProvisioningTemplateReplay } from './provisioning-template';
import { createRoleAliasReplay } from './role-alias';
import { createShadowReplay } from './shadow';
import { createThingReplay } from './thing';
import { createThingGroupReplay } from './thing-group';
import { createThingTypeReplay } from './thing-type';

const deps = replayDepsFromEnv();

export const replayThing = createThingReplay(deps);
export const replayThingType = createThingTypeReplay(deps);
export const replayThingGroup = createThingGroupReplay(deps);
export const replayMembership = createMembershipReplay(deps);
export const replayCertificate = createCertificateReplay(deps);
export const replayCaCertificate = createCaCertificateReplay(deps);
export const replayPolicy = createPolicyReplay(deps);
export const replayPolicyTarget = createPolicyTargetReplay(deps);
export const replayPrincipal = createPrincipalReplay(deps);
export const replayProvisioningTemplate = createProvisioningTemplateReplay(deps);
export const replayRoleAlias = createRoleAliasReplay(deps);
export const replayShadow = createShadowReplay(deps);
export const replayParked = parkingConsumerFromEnv(deps, () => new SQSClient({ region: deps.region }));
export const replayHeartbeat = createHeartbeatReplay(deps);
