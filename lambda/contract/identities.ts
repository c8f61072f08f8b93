/**
 * Device identities (certificates, CA certificates, policies, attachments, principals, provisioning
 * templates, role aliases) produce no registry event: capture learns of their changes from CloudTrail
 * management events, which EventBridge delivers when a trail records management events. Shadows come from
 * their MQTT topics. The constructs (rule patterns, topic rules) and the handlers (parsing) share these names.
 */

/** The IoT API calls whose successful CloudTrail events capture journals, per entity kind they change. */
export const IDENTITY_API_CALLS = {
  cert: [
    'CreateKeysAndCertificate',
    'CreateCertificateFromCsr',
    'RegisterCertificate',
    'RegisterCertificateWithoutCA',
    'UpdateCertificate',
    'DeleteCertificate',
  ],
  caCert: ['RegisterCACertificate', 'UpdateCACertificate', 'DeleteCACertificate'],
  policy: ['CreatePolicy', 'CreatePolicyVersion', 'SetDefaultPolicyVersion', 'DeletePolicyVersion', 'DeletePolicy'],
  policyTarget: ['AttachPolicy', 'DetachPolicy'],
  principal: ['AttachThingPrincipal', 'DetachThingPrincipal'],
  provisioningTemplate: [
    'CreateProvisioningTemplate',
    'UpdateProvisioningTemplate',
    'CreateProvisioningTemplateVersion',
    'DeleteProvisioningTemplate',
  ],
  roleAlias: ['CreateRoleAlias', 'UpdateRoleAlias', 'DeleteRoleAlias'],
} as const;

/** Every API call name of IDENTITY_API_CALLS, for the EventBridge rule's pattern. */
export const IDENTITY_EVENT_NAMES: readonly string[] = Object.values(IDENTITY_API_CALLS).flat();

/** EventBridge's `source` and `detail-type` of CloudTrail management events of AWS IoT. */
export const CLOUDTRAIL_EVENT_SOURCE = 'aws.iot';
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** The shadow topics capture subscribes to when shadows are replicated (classic and named; updates and deletes). */
export const SHADOW_TOPICS = {
  classicUpdate: '$aws/things/+/shadow/update/documents',
  namedUpdate: '$aws/things/+/shadow/name/+/update/documents',
  classicDelete: '$aws/things/+/shadow/delete/accepted',
  namedDelete: '$aws/things/+/shadow/name/+/delete/accepted',
} as const;

/**
 * Prefix of the `clientToken` replay sets on its shadow writes: capture skips shadow documents carrying it,
 * which are replay's own echoes.
 */
export const REPLAY_CLIENT_TOKEN_PREFIX = 'cdk-iot-dr-replay';
