import { toEpochSeconds, type EmulatorContext } from './context';
import { IotServiceError, invalidRequest, resourceAlreadyExists, resourceNotFound } from './errors';
import { deleteConflict, versionsLimitExceeded } from './identity-errors';
import { optionalBoolean, optionalNumber, optionalObject, optionalString, queryBoolean } from './input';
import { paginate } from './pagination';
import type { OperationInput, OperationOutput, Route } from './router';
import type { ProvisioningHook, ProvisioningTemplateRecord, ProvisioningTemplateVersionRecord } from './state';

/** AWS: a provisioning template has at most five versions. */
const MAX_TEMPLATE_VERSIONS = 5;
const TEMPLATE_NAME_PATTERN = /^[0-9A-Za-z_-]{1,36}$/;
const ROLE_ARN_PATTERN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/.+$/;
const LAMBDA_ARN_PATTERN = /^arn:aws(-[a-z]+)*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;
/** The only payload version of pre-provisioning hooks AWS defines. */
const DEFAULT_HOOK_PAYLOAD_VERSION = '2020-04-01';

/** Fleet provisioning / JITP templates and their versions. */
export function provisioningTemplateRoutes(ctx: EmulatorContext): Route[] {
  const base = '/provisioning-templates';
  return [
    {
      operation: 'CreateProvisioningTemplate',
      method: 'POST',
      path: base,
      handle: (i) => createTemplate(ctx, i),
      audit: { response: ['templateArn', 'templateName', 'defaultVersionId'] },
    },
    { operation: 'DescribeProvisioningTemplate', method: 'GET', path: `${base}/{templateName}`, handle: (i) => describeTemplate(ctx, i) },
    { operation: 'UpdateProvisioningTemplate', method: 'PATCH', path: `${base}/{templateName}`, handle: (i) => updateTemplate(ctx, i), audit: {} },
    { operation: 'DeleteProvisioningTemplate', method: 'DELETE', path: `${base}/{templateName}`, handle: (i) => deleteTemplate(ctx, i), audit: {} },
    { operation: 'ListProvisioningTemplates', method: 'GET', path: base, handle: (i) => listTemplates(ctx, i) },
    {
      operation: 'CreateProvisioningTemplateVersion',
      method: 'POST',
      path: `${base}/{templateName}/versions`,
      handle: (i) => createVersion(ctx, i),
      audit: { response: ['templateArn', 'templateName', 'versionId', 'isDefaultVersion'] },
    },
    {
      operation: 'ListProvisioningTemplateVersions',
      method: 'GET',
      path: `${base}/{templateName}/versions`,
      handle: (i) => listVersions(ctx, i),
    },
    {
      operation: 'DescribeProvisioningTemplateVersion',
      method: 'GET',
      path: `${base}/{templateName}/versions/{versionId}`,
      handle: (i) => describeVersion(ctx, i),
    },
    {
      operation: 'DeleteProvisioningTemplateVersion',
      method: 'DELETE',
      path: `${base}/{templateName}/versions/{versionId}`,
      handle: (i) => deleteVersion(ctx, i),
      audit: {},
    },
  ];
}

/**
 * Minimal AWS Lambda: GetFunctionConfiguration as `@aws-sdk/client-lambda` calls it, backed by the
 * emulator's set of function ARNs — enough to check that a pre-provisioning hook exists in a region.
 */
export function lambdaRoutes(ctx: EmulatorContext): Route[] {
  return [
    {
      operation: 'GetFunctionConfiguration',
      method: 'GET',
      path: '/2015-03-31/functions/{FunctionName}/configuration',
      handle: (i) => getFunctionConfiguration(ctx, i),
    },
  ];
}

/** The unqualified function ARN a name, partial ARN or (qualified) ARN refers to in this region. */
export function lambdaFunctionArn(ctx: Pick<EmulatorContext, 'region' | 'accountId'>, functionName: string): string {
  if (functionName.startsWith('arn:')) return functionName.split(':').slice(0, 7).join(':');
  const partial = /^(\d{12}):function:([^:]+)/.exec(functionName);
  if (partial) return `arn:aws:lambda:${ctx.region}:${partial[1]}:function:${partial[2]}`;
  return `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${functionName.split(':')[0]}`;
}

function getFunctionConfiguration(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const arn = lambdaFunctionArn(ctx, input.labels.FunctionName ?? '');
  if (!ctx.lambdaFunctions.has(arn)) {
    throw new IotServiceError('ResourceNotFoundException', 404, `Function not found: ${arn}`, { Type: 'User' });
  }
  const name = arn.split(':')[6];
  return {
    FunctionName: name,
    FunctionArn: arn,
    Runtime: 'nodejs20.x',
    Role: `arn:aws:iam::${ctx.accountId}:role/${name}-role`,
    Handler: 'index.handler',
    Version: '$LATEST',
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
  };
}

function createTemplate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const name = optionalString(input.body, 'templateName') ?? '';
  validateTemplateName(name);
  const body = validateBody(optionalString(input.body, 'templateBody'));
  const roleArn = validateRoleArn(optionalString(input.body, 'provisioningRoleArn'));
  const type = optionalString(input.body, 'type') ?? 'FLEET_PROVISIONING';
  if (type !== 'FLEET_PROVISIONING' && type !== 'JITP') throw invalidRequest(`type must be FLEET_PROVISIONING or JITP, got ${type}`);
  const hook = parseHook(optionalObject(input.body, 'preProvisioningHook'));
  if (hook !== undefined && type !== 'FLEET_PROVISIONING') throw invalidRequest('preProvisioningHook is only supported for FLEET_PROVISIONING templates');
  const existing = ctx.state.provisioningTemplates.get(name);
  if (existing !== undefined) throw resourceAlreadyExists(`Provisioning template ${name} already exists.`, name, existing.arn);
  const now = ctx.now();
  const template: ProvisioningTemplateRecord = {
    name,
    arn: ctx.arns.provisioningTemplate(name),
    type,
    creationDate: now,
    versions: new Map([[1, { versionId: 1, body, creationDate: now }]]),
    description: optionalString(input.body, 'description'),
    enabled: optionalBoolean(input.body, 'enabled') ?? false,
    provisioningRoleArn: roleArn,
    preProvisioningHook: hook,
    defaultVersionId: 1,
    nextVersionId: 2,
    lastModifiedDate: now,
  };
  ctx.state.provisioningTemplates.set(name, template);
  return { templateArn: template.arn, templateName: name, defaultVersionId: 1 };
}

function describeTemplate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const template = requireTemplate(ctx, input);
  return {
    templateArn: template.arn,
    templateName: template.name,
    ...(template.description !== undefined ? { description: template.description } : {}),
    creationDate: toEpochSeconds(template.creationDate),
    lastModifiedDate: toEpochSeconds(template.lastModifiedDate),
    defaultVersionId: template.defaultVersionId,
    templateBody: requireVersionRecord(template, template.defaultVersionId).body,
    enabled: template.enabled,
    provisioningRoleArn: template.provisioningRoleArn,
    ...(template.preProvisioningHook !== undefined ? { preProvisioningHook: hookOutput(template.preProvisioningHook) } : {}),
    type: template.type,
  };
}

function updateTemplate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const template = requireTemplate(ctx, input);
  const description = optionalString(input.body, 'description');
  const enabled = optionalBoolean(input.body, 'enabled');
  const defaultVersionId = optionalNumber(input.body, 'defaultVersionId');
  const roleArn = optionalString(input.body, 'provisioningRoleArn');
  const hook = parseHook(optionalObject(input.body, 'preProvisioningHook'));
  const removeHook = optionalBoolean(input.body, 'removePreProvisioningHook') === true;
  if (hook !== undefined && removeHook) throw invalidRequest('Cannot specify both preProvisioningHook and removePreProvisioningHook');
  if (hook !== undefined && template.type !== 'FLEET_PROVISIONING') {
    throw invalidRequest('preProvisioningHook is only supported for FLEET_PROVISIONING templates');
  }
  if (roleArn !== undefined) validateRoleArn(roleArn);
  if (defaultVersionId !== undefined) requireVersionRecord(template, defaultVersionId);

  if (description !== undefined) template.description = description;
  if (enabled !== undefined) template.enabled = enabled;
  if (defaultVersionId !== undefined) template.defaultVersionId = defaultVersionId;
  if (roleArn !== undefined) template.provisioningRoleArn = roleArn;
  if (hook !== undefined) template.preProvisioningHook = hook;
  if (removeHook) template.preProvisioningHook = undefined;
  template.lastModifiedDate = ctx.now();
}

function deleteTemplate(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const template = requireTemplate(ctx, input);
  ctx.state.provisioningTemplates.delete(template.name);
}

function listTemplates(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const page = paginate([...ctx.state.provisioningTemplates.values()], (t) => t.name, input.query);
  return {
    templates: page.items.map((t) => ({
      templateArn: t.arn,
      templateName: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      creationDate: toEpochSeconds(t.creationDate),
      lastModifiedDate: toEpochSeconds(t.lastModifiedDate),
      enabled: t.enabled,
      type: t.type,
    })),
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
  };
}

function createVersion(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const template = requireTemplate(ctx, input);
  const body = validateBody(optionalString(input.body, 'templateBody'));
  const setAsDefault = queryBoolean(input.query, 'setAsDefault') === true;
  if (template.versions.size >= MAX_TEMPLATE_VERSIONS) {
    throw versionsLimitExceeded(
      `The provisioning template ${template.name} already has the maximum number of versions (${MAX_TEMPLATE_VERSIONS}).`,
    );
  }
  const now = ctx.now();
  const version: ProvisioningTemplateVersionRecord = { versionId: template.nextVersionId, body, creationDate: now };
  template.nextVersionId += 1;
  template.versions.set(version.versionId, version);
  if (setAsDefault) template.defaultVersionId = version.versionId;
  template.lastModifiedDate = now;
  return { templateArn: template.arn, templateName: template.name, versionId: version.versionId, isDefaultVersion: setAsDefault };
}

function listVersions(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const template = requireTemplate(ctx, input);
  const page = paginate([...template.versions.values()], (v) => String(v.versionId).padStart(10, '0'), input.query);
  return {
    versions: page.items.map((v) => ({
      versionId: v.versionId,
      creationDate: toEpochSeconds(v.creationDate),
      isDefaultVersion: v.versionId === template.defaultVersionId,
    })),
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
  };
}

function describeVersion(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const template = requireTemplate(ctx, input);
  const version = requireVersionRecord(template, versionIdLabel(input));
  return {
    versionId: version.versionId,
    creationDate: toEpochSeconds(version.creationDate),
    templateBody: version.body,
    isDefaultVersion: version.versionId === template.defaultVersionId,
  };
}

function deleteVersion(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const template = requireTemplate(ctx, input);
  const version = requireVersionRecord(template, versionIdLabel(input));
  if (version.versionId === template.defaultVersionId) {
    throw deleteConflict(`Cannot delete the default version ${version.versionId} of provisioning template ${template.name}.`);
  }
  template.versions.delete(version.versionId);
}

// --- helpers ---------------------------------------------------------------------------------------

function validateTemplateName(name: string): void {
  if (!TEMPLATE_NAME_PATTERN.test(name)) throw invalidRequest(`templateName '${name}' must be 1-36 characters of [0-9A-Za-z_-]`);
}

function requireTemplate(ctx: EmulatorContext, input: OperationInput): ProvisioningTemplateRecord {
  const name = input.labels.templateName ?? '';
  validateTemplateName(name);
  const template = ctx.state.provisioningTemplates.get(name);
  if (template === undefined) throw resourceNotFound(`Provisioning template ${name} cannot be found.`);
  return template;
}

function versionIdLabel(input: OperationInput): number {
  const raw = input.labels.versionId ?? '';
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 1) throw invalidRequest(`versionId '${raw}' must be a positive integer`);
  return id;
}

function requireVersionRecord(template: ProvisioningTemplateRecord, versionId: number): ProvisioningTemplateVersionRecord {
  const version = template.versions.get(versionId);
  if (version === undefined) throw resourceNotFound(`Version ${versionId} of provisioning template ${template.name} cannot be found.`);
  return version;
}

function validateBody(body: string | undefined): string {
  if (body === undefined || body === '') throw invalidRequest('templateBody is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalidRequest('templateBody is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidRequest('templateBody must be a JSON object');
  return body;
}

function validateRoleArn(roleArn: string | undefined): string {
  if (roleArn === undefined || !ROLE_ARN_PATTERN.test(roleArn)) throw invalidRequest(`provisioningRoleArn '${roleArn ?? ''}' is not an IAM role ARN`);
  return roleArn;
}

function parseHook(fields: Readonly<Record<string, unknown>> | undefined): ProvisioningHook | undefined {
  if (fields === undefined) return undefined;
  const targetArn = optionalString(fields, 'targetArn');
  if (targetArn === undefined || !LAMBDA_ARN_PATTERN.test(targetArn)) {
    throw invalidRequest(`preProvisioningHook.targetArn '${targetArn ?? ''}' is not a Lambda function ARN`);
  }
  const payloadVersion = optionalString(fields, 'payloadVersion');
  if (payloadVersion !== undefined && payloadVersion !== DEFAULT_HOOK_PAYLOAD_VERSION) {
    throw invalidRequest(`preProvisioningHook.payloadVersion must be ${DEFAULT_HOOK_PAYLOAD_VERSION}`);
  }
  return { targetArn, payloadVersion: payloadVersion ?? DEFAULT_HOOK_PAYLOAD_VERSION };
}

function hookOutput(hook: ProvisioningHook): Record<string, unknown> {
  return { targetArn: hook.targetArn, payloadVersion: hook.payloadVersion ?? DEFAULT_HOOK_PAYLOAD_VERSION };
}
