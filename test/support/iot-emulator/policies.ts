import { randomUUID } from 'node:crypto';
import { certificateOfPrincipal } from './certificates';
import { toEpochSeconds, type EmulatorContext } from './context';
import { invalidRequest, resourceAlreadyExists, resourceNotFound } from './errors';
import { deleteConflict, limitExceeded, malformedPolicy, versionsLimitExceeded } from './identity-errors';
import { optionalString, queryBoolean } from './input';
import { byCreation, paginateByMarker } from './markers';
import type { OperationInput, OperationOutput, Route } from './router';
import type { PolicyRecord, PolicyVersionRecord } from './state';

/** AWS: a policy has at most five versions. */
const MAX_POLICY_VERSIONS = 5;
/** AWS: at most 10 policies attached to one certificate (or thing group, or Cognito identity). */
const MAX_POLICIES_PER_TARGET = 10;
/** AWS: a policy document is at most 2048 characters, whitespace excluded. */
const MAX_DOCUMENT_LENGTH = 2048;
const POLICY_NAME_PATTERN = /^[\w+=,.@-]{1,128}$/;
const COGNITO_IDENTITY_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d:[0-9a-f-]{36}$/;

/** IoT policies, their versions, and policy attachments to certificates and thing groups. */
export function policyRoutes(ctx: EmulatorContext): Route[] {
  return [
    {
      operation: 'CreatePolicy',
      method: 'POST',
      path: '/policies/{policyName}',
      handle: (i) => createPolicy(ctx, i),
      audit: { response: ['policyName', 'policyArn', 'policyVersionId'] },
    },
    { operation: 'GetPolicy', method: 'GET', path: '/policies/{policyName}', handle: (i) => getPolicy(ctx, i) },
    { operation: 'DeletePolicy', method: 'DELETE', path: '/policies/{policyName}', handle: (i) => deletePolicy(ctx, i), audit: {} },
    { operation: 'ListPolicies', method: 'GET', path: '/policies', handle: (i) => listPolicies(ctx, i) },
    {
      operation: 'CreatePolicyVersion',
      method: 'POST',
      path: '/policies/{policyName}/version',
      handle: (i) => createPolicyVersion(ctx, i),
      audit: { response: ['policyArn', 'policyVersionId', 'isDefaultVersion'] },
    },
    {
      operation: 'GetPolicyVersion',
      method: 'GET',
      path: '/policies/{policyName}/version/{policyVersionId}',
      handle: (i) => getPolicyVersion(ctx, i),
    },
    { operation: 'ListPolicyVersions', method: 'GET', path: '/policies/{policyName}/version', handle: (i) => listPolicyVersions(ctx, i) },
    {
      operation: 'SetDefaultPolicyVersion',
      method: 'PATCH',
      path: '/policies/{policyName}/version/{policyVersionId}',
      handle: (i) => setDefaultPolicyVersion(ctx, i),
      audit: {},
    },
    {
      operation: 'DeletePolicyVersion',
      method: 'DELETE',
      path: '/policies/{policyName}/version/{policyVersionId}',
      handle: (i) => deletePolicyVersion(ctx, i),
      audit: {},
    },
    { operation: 'AttachPolicy', method: 'PUT', path: '/target-policies/{policyName}', handle: (i) => attachPolicy(ctx, i), audit: {} },
    { operation: 'DetachPolicy', method: 'POST', path: '/target-policies/{policyName}', handle: (i) => detachPolicy(ctx, i), audit: {} },
    { operation: 'ListTargetsForPolicy', method: 'POST', path: '/policy-targets/{policyName}', handle: (i) => listTargetsForPolicy(ctx, i) },
    { operation: 'ListAttachedPolicies', method: 'POST', path: '/attached-policies/{target}', handle: (i) => listAttachedPolicies(ctx, i) },
  ];
}

/** Adds a policy with version 1 as default; shared by the API and `seed()`. */
export function putPolicy(ctx: EmulatorContext, name: string, document: string): PolicyRecord {
  const now = ctx.now();
  const policy: PolicyRecord = {
    name,
    arn: ctx.arns.policy(name),
    creationDate: now,
    versions: new Map([['1', { id: '1', document, createDate: now }]]),
    defaultVersionId: '1',
    nextVersionId: 2,
    lastModifiedDate: now,
    generationId: randomUUID(),
  };
  ctx.state.policies.set(name, policy);
  return policy;
}

/** Validates an AttachPolicy target: a certificate or thing group ARN of this region, or a Cognito identity id. */
export function resolvePolicyTarget(ctx: EmulatorContext, target: string): string {
  if (target.startsWith(`${ctx.arns.prefix}cert/`)) {
    if (certificateOfPrincipal(ctx, target) === undefined) throw resourceNotFound(`The certificate given in the principal does not exist: ${target}`);
    return target;
  }
  const groupName = ctx.arns.nameFrom(target, 'thinggroup');
  if (groupName !== undefined) {
    if (!ctx.state.thingGroups.has(groupName)) throw resourceNotFound(`Thing group ${groupName} cannot be found.`);
    return target;
  }
  if (COGNITO_IDENTITY_PATTERN.test(target)) return target;
  throw invalidRequest(`Invalid target: ${target} is not a certificate or thing group ARN of ${ctx.region}, nor a Cognito identity id`);
}

function createPolicy(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const name = policyNameLabel(input);
  const document = validateDocument(optionalString(input.body, 'policyDocument'));
  const existing = ctx.state.policies.get(name);
  if (existing !== undefined) throw resourceAlreadyExists(`Policy cannot be created - name already exists (name=${name})`, name, existing.arn);
  const policy = putPolicy(ctx, name, document);
  return { policyName: policy.name, policyArn: policy.arn, policyDocument: document, policyVersionId: '1' };
}

function getPolicy(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  const version = defaultVersion(policy);
  return {
    policyName: policy.name,
    policyArn: policy.arn,
    policyDocument: version.document,
    defaultVersionId: policy.defaultVersionId,
    creationDate: toEpochSeconds(policy.creationDate),
    lastModifiedDate: toEpochSeconds(policy.lastModifiedDate),
    generationId: policy.generationId,
  };
}

function deletePolicy(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  if (ctx.state.targetsOfPolicy(policy.name).length > 0) {
    throw deleteConflict(`The policy cannot be deleted as the policy is attached to one or more principals (name=${policy.name})`);
  }
  if (policy.versions.size > 1) {
    throw deleteConflict(`The policy cannot be deleted as versions other than the default version exist (name=${policy.name})`);
  }
  ctx.state.policies.delete(policy.name);
}

function listPolicies(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const page = paginateByMarker([...ctx.state.policies.values()], (p) => byCreation(p.creationDate, p.name), input.query, {
    descendingByDefault: true,
  });
  return {
    policies: page.items.map((p) => ({ policyName: p.name, policyArn: p.arn })),
    ...(page.nextMarker !== undefined ? { nextMarker: page.nextMarker } : {}),
  };
}

function createPolicyVersion(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  const document = validateDocument(optionalString(input.body, 'policyDocument'));
  const setAsDefault = queryBoolean(input.query, 'setAsDefault') === true;
  if (policy.versions.size >= MAX_POLICY_VERSIONS) {
    throw versionsLimitExceeded(
      `The policy ${policy.name} already has the maximum number of versions (${MAX_POLICY_VERSIONS}); delete one before creating another.`,
    );
  }
  const now = ctx.now();
  const version: PolicyVersionRecord = { id: String(policy.nextVersionId), document, createDate: now };
  policy.nextVersionId += 1;
  policy.versions.set(version.id, version);
  if (setAsDefault) policy.defaultVersionId = version.id;
  policy.lastModifiedDate = now;
  policy.generationId = randomUUID();
  return { policyArn: policy.arn, policyDocument: document, policyVersionId: version.id, isDefaultVersion: setAsDefault };
}

function getPolicyVersion(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  const version = requireVersion(policy, input);
  return {
    policyArn: policy.arn,
    policyName: policy.name,
    policyDocument: version.document,
    policyVersionId: version.id,
    isDefaultVersion: version.id === policy.defaultVersionId,
    creationDate: toEpochSeconds(version.createDate),
    lastModifiedDate: toEpochSeconds(policy.lastModifiedDate),
    generationId: policy.generationId,
  };
}

function listPolicyVersions(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  return {
    policyVersions: [...policy.versions.values()]
      .sort((a, b) => Number(b.id) - Number(a.id))
      .map((v) => ({ versionId: v.id, isDefaultVersion: v.id === policy.defaultVersionId, createDate: toEpochSeconds(v.createDate) })),
  };
}

function setDefaultPolicyVersion(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  const version = requireVersion(policy, input);
  if (policy.defaultVersionId === version.id) return;
  policy.defaultVersionId = version.id;
  policy.lastModifiedDate = ctx.now();
  policy.generationId = randomUUID();
}

function deletePolicyVersion(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  const version = requireVersion(policy, input);
  if (version.id === policy.defaultVersionId) {
    throw deleteConflict(`Cannot delete the default version of a policy (name=${policy.name}, version=${version.id}); use DeletePolicy.`);
  }
  policy.versions.delete(version.id);
}

function attachPolicy(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  const target = resolvePolicyTarget(ctx, requiredTarget(input));
  const attached = ctx.state.policiesOfTarget(target);
  if (attached.includes(policy.name)) return;
  if (attached.length >= MAX_POLICIES_PER_TARGET) {
    throw limitExceeded(`Target ${target} already has the maximum number of policies attached (${MAX_POLICIES_PER_TARGET}).`);
  }
  ctx.state.attachPolicy(policy.name, target);
}

function detachPolicy(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  const target = resolvePolicyTarget(ctx, requiredTarget(input));
  ctx.state.detachPolicy(policy.name, target);
}

function listTargetsForPolicy(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const policy = requirePolicy(ctx, policyNameLabel(input));
  const page = paginateByMarker(ctx.state.targetsOfPolicy(policy.name), (t) => t, input.query);
  return { targets: page.items, ...(page.nextMarker !== undefined ? { nextMarker: page.nextMarker } : {}) };
}

function listAttachedPolicies(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const target = resolvePolicyTarget(ctx, input.labels.target ?? '');
  const recursive = queryBoolean(input.query, 'recursive') === true;
  const targets = [target];
  const groupName = ctx.arns.nameFrom(target, 'thinggroup');
  const group = groupName === undefined ? undefined : ctx.state.thingGroups.get(groupName);
  if (recursive && group !== undefined) targets.push(...ctx.state.ancestorsOf(group).map((g) => g.arn));
  const names = [...new Set(targets.flatMap((t) => ctx.state.policiesOfTarget(t)))];
  const page = paginateByMarker(names, (n) => n, input.query);
  return {
    policies: page.items.map((name) => ({ policyName: name, policyArn: ctx.arns.policy(name) })),
    ...(page.nextMarker !== undefined ? { nextMarker: page.nextMarker } : {}),
  };
}

// --- helpers ---------------------------------------------------------------------------------------

function policyNameLabel(input: OperationInput): string {
  const name = input.labels.policyName ?? '';
  if (!POLICY_NAME_PATTERN.test(name)) throw invalidRequest(`policyName '${name}' must be 1-128 characters of [\\w+=,.@-]`);
  return name;
}

function requirePolicy(ctx: EmulatorContext, name: string): PolicyRecord {
  const policy = ctx.state.policies.get(name);
  if (policy === undefined) throw resourceNotFound(`Policy not found (name=${name})`);
  return policy;
}

function requireVersion(policy: PolicyRecord, input: OperationInput): PolicyVersionRecord {
  const id = input.labels.policyVersionId ?? '';
  if (!/^[0-9]+$/.test(id)) throw invalidRequest(`policyVersionId '${id}' must be a number`);
  const version = policy.versions.get(id);
  if (version === undefined) throw resourceNotFound(`Policy version not found (name=${policy.name}, version=${id})`);
  return version;
}

function defaultVersion(policy: PolicyRecord): PolicyVersionRecord {
  const version = policy.versions.get(policy.defaultVersionId);
  if (version === undefined) throw new Error(`policy ${policy.name} lost its default version`);
  return version;
}

function requiredTarget(input: OperationInput): string {
  const target = optionalString(input.body, 'target');
  if (target === undefined || target === '') throw invalidRequest('target is required');
  return target;
}

function validateDocument(document: string | undefined): string {
  if (document === undefined || document.trim() === '') throw invalidRequest('policyDocument is required');
  if (document.replace(/\s/g, '').length > MAX_DOCUMENT_LENGTH) {
    throw malformedPolicy(`Policy document exceeds ${MAX_DOCUMENT_LENGTH} characters (whitespace excluded)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    throw malformedPolicy('Policy document is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw malformedPolicy('Policy document must be a JSON object');
  }
  if (!('Statement' in parsed)) throw malformedPolicy('Policy document must contain Statement');
  return document;
}
