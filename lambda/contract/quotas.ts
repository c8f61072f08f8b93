/**
 * The AWS IoT Core TPS quotas the pipeline paces its calls to, per API: one table for replay, parking and
 * the reconciler, which share one rate limiter per region (lambda/shared/rate-limiter.ts). Values are the
 * per-account, per-region defaults of AWS IoT Core's API throttling table (AWS General Reference, "AWS IoT
 * Core endpoints and quotas" → "API throttling limits"; Device Shadow service quotas for the data plane).
 * Accounts with raised quotas override them (`iotQuotas` on the constructs → IOT_QUOTAS). APIs not listed
 * are not paced: each paced call costs a DynamoDB write.
 */

export const RATE_LIMIT_ENV = {
  /** JSON object of IoT API name → TPS, overriding DEFAULT_IOT_QUOTAS (raised quotas). */
  iotQuotas: 'IOT_QUOTAS',
  /** Share (0, 1] of each quota the pipeline may use; the rest is left to other callers and to bursts. */
  utilization: 'IOT_QUOTA_UTILIZATION',
  /**
   * Longest wait for a slot, ms, before a call gives up with a throttle (retried by the workflow or parked):
   * set below the function's timeout, so a Lambda never times out waiting for the limiter.
   */
  maxWaitMs: 'IOT_RATE_LIMIT_MAX_WAIT_MS',
} as const;

/** 0.9: close to the bound, with room for the fixed windows' edges and for the account's other callers. */
export const DEFAULT_QUOTA_UTILIZATION = 0.9;

/** Item key prefix of the rate limiter's windows in the echo ledger table (`rate#<api>#<epoch second>`). */
export const RATE_LIMIT_KEY_PREFIX = 'rate#';

export const DEFAULT_IOT_QUOTAS: Readonly<Record<string, number>> = {
  // Things, types, groups, memberships.
  ListThings: 10,
  ListThingTypes: 10,
  ListThingGroups: 10,
  ListThingsInThingGroup: 10,
  ListThingGroupsForThing: 10,
  DescribeThing: 350,
  DescribeThingType: 50,
  DescribeThingGroup: 100,
  CreateThing: 100,
  UpdateThing: 100,
  DeleteThing: 100,
  CreateThingGroup: 25,
  UpdateThingGroup: 25,
  DeleteThingGroup: 25,
  AddThingToThingGroup: 60,
  RemoveThingFromThingGroup: 60,
  CreateThingType: 15,
  DeprecateThingType: 15,
  DeleteThingType: 15,
  // Certificates and CA certificates.
  ListCertificates: 10,
  DescribeCertificate: 10,
  RegisterCertificate: 10,
  RegisterCertificateWithoutCA: 10,
  UpdateCertificate: 10,
  DeleteCertificate: 10,
  ListCACertificates: 10,
  DescribeCACertificate: 10,
  RegisterCACertificate: 10,
  UpdateCACertificate: 10,
  DeleteCACertificate: 10,
  // Policies and their attachments.
  ListPolicies: 10,
  GetPolicy: 10,
  ListPolicyVersions: 10,
  GetPolicyVersion: 15,
  CreatePolicy: 10,
  CreatePolicyVersion: 10,
  SetDefaultPolicyVersion: 10,
  DeletePolicyVersion: 10,
  DeletePolicy: 10,
  ListTargetsForPolicy: 10,
  ListAttachedPolicies: 15,
  AttachPolicy: 15,
  DetachPolicy: 15,
  // Thing principals.
  ListThingPrincipals: 10,
  ListPrincipalThings: 10,
  AttachThingPrincipal: 100,
  DetachThingPrincipal: 100,
  // Provisioning templates and role aliases.
  ListProvisioningTemplates: 10,
  DescribeProvisioningTemplate: 10,
  DescribeProvisioningTemplateVersion: 10,
  CreateProvisioningTemplate: 10,
  UpdateProvisioningTemplate: 10,
  CreateProvisioningTemplateVersion: 10,
  DeleteProvisioningTemplate: 10,
  ListRoleAliases: 10,
  DescribeRoleAlias: 10,
  CreateRoleAlias: 10,
  UpdateRoleAlias: 10,
  DeleteRoleAlias: 10,
  // Device Shadow (data plane), per account.
  ListNamedShadowsForThing: 10,
  GetThingShadow: 500,
  UpdateThingShadow: 500,
  DeleteThingShadow: 400,
};
