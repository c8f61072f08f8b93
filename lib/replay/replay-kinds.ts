import type { HandlerId } from '../../lambda/contract';
import type { IotRegistryResource } from '../private/iot';
import { REPLAY_STATE_NAMES } from './state-names';

/**
 * Calls on resources that are not IoT resources of a type: IoT actions with no resource-level permission
 * (`anyIotResource`: registering a certificate, whose ARN does not exist before the call), Lambda functions
 * of this region and account (`lambdaFunction`), and IAM roles passed to IoT (`passRoleToIot`: a
 * provisioning template's or role alias's role; the statement is conditioned on `iam:PassedToService`).
 */
export interface OtherReplayPermission {
  readonly resource: 'anyIotResource' | 'lambdaFunction' | 'passRoleToIot';
  readonly actions: readonly string[];
}

/** One replay kind: which journal keys it handles, its handler, and the IoT calls it may make. */
export interface ReplayKind {
  readonly stateName: string;
  readonly keyPattern: string;
  readonly handler: HandlerId;
  readonly description: string;
  readonly permissions: ReadonlyArray<{ readonly resource: IotRegistryResource; readonly actions: readonly string[] }>;
  /** Calls beyond IoT's typed resources. */
  readonly otherPermissions?: readonly OtherReplayPermission[];
  /** Whether the handler queries the journal (a recreated group reads its journaled memberships). */
  readonly queriesJournal?: boolean;
  /** Routed only when shadows are replicated (`replicateShadows`). */
  readonly shadowsOnly?: boolean;
}

/** The kinds replay routes to, in routing order; IAM as data, so each function's role is exactly its calls. */
export const REPLAY_KINDS: readonly ReplayKind[] = [
  {
    stateName: REPLAY_STATE_NAMES.replayThing,
    keyPattern: 'thing#*',
    handler: 'replayThing',
    description: 'things',
    permissions: [
      {
        resource: 'thing',
        // A deleted thing's principals are detached before DeleteThing (IoT refuses it while they are attached).
        actions: ['iot:DescribeThing', 'iot:CreateThing', 'iot:UpdateThing', 'iot:DeleteThing', 'iot:ListThingPrincipals', 'iot:DetachThingPrincipal'],
      },
      { resource: 'cert', actions: ['iot:DetachThingPrincipal'] },
      // DeprecateThingType: a thing that took its type before the type was deprecated is written with the
      // deprecation lifted for the write (IoT accepts no new association with a deprecated type).
      { resource: 'thingtype', actions: ['iot:DescribeThingType', 'iot:DeprecateThingType'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayThingType,
    keyPattern: 'thingType#*',
    handler: 'replayThingType',
    description: 'thing types',
    permissions: [
      {
        resource: 'thingtype',
        actions: ['iot:DescribeThingType', 'iot:CreateThingType', 'iot:DeprecateThingType', 'iot:DeleteThingType'],
      },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayThingGroup,
    keyPattern: 'thingGroup#*',
    handler: 'replayThingGroup',
    description: 'thing groups',
    queriesJournal: true,
    permissions: [
      {
        resource: 'thinggroup',
        actions: [
          'iot:DescribeThingGroup',
          'iot:CreateThingGroup',
          'iot:UpdateThingGroup',
          'iot:DeleteThingGroup',
          'iot:AddThingToThingGroup',
        ],
      },
      // Restoring a recreated group's memberships adds things to it.
      { resource: 'thing', actions: ['iot:AddThingToThingGroup'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayMembership,
    keyPattern: 'member#*',
    handler: 'replayMembership',
    description: 'thing group memberships',
    permissions: [
      {
        resource: 'thing',
        actions: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:ListThingGroupsForThing'],
      },
      {
        resource: 'thinggroup',
        actions: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:DescribeThingGroup'],
      },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayCertificate,
    keyPattern: 'cert#*',
    handler: 'replayCertificate',
    description: 'certificates',
    permissions: [
      {
        resource: 'cert',
        actions: [
          'iot:DescribeCertificate',
          'iot:UpdateCertificate',
          'iot:DeleteCertificate',
          // A deleted certificate is detached from its things and policies first.
          'iot:ListPrincipalThings',
          'iot:DetachThingPrincipal',
          'iot:ListAttachedPolicies',
          'iot:DetachPolicy',
        ],
      },
      { resource: 'thing', actions: ['iot:DetachThingPrincipal'] },
      // RegisterCertificate sends the issuing CA's PEM, read here.
      { resource: 'cacert', actions: ['iot:DescribeCACertificate'] },
    ],
    otherPermissions: [{ resource: 'anyIotResource', actions: ['iot:RegisterCertificate', 'iot:RegisterCertificateWithoutCA'] }],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayCaCertificate,
    keyPattern: 'caCert#*',
    handler: 'replayCaCertificate',
    description: 'CA certificates',
    permissions: [{ resource: 'cacert', actions: ['iot:DescribeCACertificate', 'iot:UpdateCACertificate', 'iot:DeleteCACertificate'] }],
    otherPermissions: [{ resource: 'anyIotResource', actions: ['iot:RegisterCACertificate'] }],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayPolicy,
    keyPattern: 'policy#*',
    handler: 'replayPolicy',
    description: 'policies',
    permissions: [
      {
        resource: 'policy',
        actions: [
          'iot:ListPolicyVersions',
          'iot:GetPolicyVersion',
          'iot:CreatePolicy',
          'iot:CreatePolicyVersion',
          'iot:SetDefaultPolicyVersion',
          'iot:DeletePolicyVersion',
          'iot:DeletePolicy',
          // A policy still attached is not deleted: the attachments are named in the DependencyNotReady.
          'iot:ListTargetsForPolicy',
        ],
      },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayPolicyTarget,
    keyPattern: 'policyTarget#*',
    handler: 'replayPolicyTarget',
    description: 'policy attachments',
    permissions: [
      { resource: 'cert', actions: ['iot:ListAttachedPolicies', 'iot:AttachPolicy', 'iot:DetachPolicy', 'iot:DescribeCertificate'] },
      { resource: 'thinggroup', actions: ['iot:ListAttachedPolicies', 'iot:AttachPolicy', 'iot:DetachPolicy', 'iot:DescribeThingGroup'] },
      { resource: 'policy', actions: ['iot:GetPolicy'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayPrincipal,
    keyPattern: 'principal#*',
    handler: 'replayPrincipal',
    description: 'thing principals',
    permissions: [
      { resource: 'thing', actions: ['iot:ListThingPrincipals', 'iot:AttachThingPrincipal', 'iot:DetachThingPrincipal'] },
      { resource: 'cert', actions: ['iot:AttachThingPrincipal', 'iot:DetachThingPrincipal', 'iot:DescribeCertificate'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayProvisioningTemplate,
    keyPattern: 'provisioningTemplate#*',
    handler: 'replayProvisioningTemplate',
    description: 'provisioning templates',
    permissions: [
      {
        resource: 'provisioningtemplate',
        actions: [
          'iot:DescribeProvisioningTemplate',
          'iot:DescribeProvisioningTemplateVersion',
          'iot:CreateProvisioningTemplate',
          'iot:UpdateProvisioningTemplate',
          'iot:CreateProvisioningTemplateVersion',
          'iot:ListProvisioningTemplateVersions',
          'iot:DeleteProvisioningTemplateVersion',
          'iot:DeleteProvisioningTemplate',
        ],
      },
    ],
    otherPermissions: [
      // Whether the pre-provisioning hook is deployed in this region.
      { resource: 'lambdaFunction', actions: ['lambda:GetFunctionConfiguration'] },
      // IoT checks that the caller may pass the provisioning role.
      { resource: 'passRoleToIot', actions: ['iam:PassRole'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayRoleAlias,
    keyPattern: 'roleAlias#*',
    handler: 'replayRoleAlias',
    description: 'role aliases',
    permissions: [{ resource: 'rolealias', actions: ['iot:DescribeRoleAlias', 'iot:CreateRoleAlias', 'iot:UpdateRoleAlias', 'iot:DeleteRoleAlias'] }],
    otherPermissions: [{ resource: 'passRoleToIot', actions: ['iam:PassRole'] }],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayShadow,
    keyPattern: 'shadow#*',
    handler: 'replayShadow',
    description: 'device shadows',
    shadowsOnly: true,
    permissions: [
      // Data-plane actions on the thing's ARN (classic and named shadows alike); DescribeThing: a shadow waits for its thing.
      { resource: 'thing', actions: ['iot:GetThingShadow', 'iot:UpdateThingShadow', 'iot:DeleteThingShadow', 'iot:DescribeThing'] },
    ],
  },
];

/** The kinds routed with these settings: shadows only when they are replicated. */
export function replayKinds(options: { readonly replicateShadows: boolean }): readonly ReplayKind[] {
  return REPLAY_KINDS.filter((k) => !k.shadowsOnly || options.replicateShadows);
}
