import { toEpochSeconds, type EmulatorContext } from './context';
import { invalidRequest, resourceAlreadyExists, resourceNotFound } from './errors';
import { optionalNumber, optionalString } from './input';
import { byCreation, paginateByMarker } from './markers';
import type { OperationInput, OperationOutput, Route } from './router';
import type { RoleAliasRecord } from './state';

const ROLE_ALIAS_PATTERN = /^[\w=,@-]{1,128}$/;
const ROLE_ARN_PATTERN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/.+$/;
/** AWS: credentials last 900 s to 12 h; 3600 s by default. */
const MIN_DURATION = 900;
const MAX_DURATION = 43_200;
const DEFAULT_DURATION = 3600;

/** Role aliases of the credentials provider. */
export function roleAliasRoutes(ctx: EmulatorContext): Route[] {
  const identity = { response: ['roleAlias', 'roleAliasArn'] };
  return [
    { operation: 'CreateRoleAlias', method: 'POST', path: '/role-aliases/{roleAlias}', handle: (i) => createRoleAlias(ctx, i), audit: identity },
    { operation: 'DescribeRoleAlias', method: 'GET', path: '/role-aliases/{roleAlias}', handle: (i) => describeRoleAlias(ctx, i) },
    { operation: 'UpdateRoleAlias', method: 'PUT', path: '/role-aliases/{roleAlias}', handle: (i) => updateRoleAlias(ctx, i), audit: identity },
    { operation: 'DeleteRoleAlias', method: 'DELETE', path: '/role-aliases/{roleAlias}', handle: (i) => deleteRoleAlias(ctx, i), audit: {} },
    { operation: 'ListRoleAliases', method: 'GET', path: '/role-aliases', handle: (i) => listRoleAliases(ctx, i) },
  ];
}

function createRoleAlias(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const name = aliasLabel(input);
  const roleArn = validateRoleArn(optionalString(input.body, 'roleArn'));
  const duration = validateDuration(optionalNumber(input.body, 'credentialDurationSeconds') ?? DEFAULT_DURATION);
  const existing = ctx.state.roleAliases.get(name);
  if (existing !== undefined) throw resourceAlreadyExists(`Role alias ${name} already exists.`, name, existing.arn);
  const now = ctx.now();
  const alias: RoleAliasRecord = {
    name,
    arn: ctx.arns.roleAlias(name),
    creationDate: now,
    roleArn,
    credentialDurationSeconds: duration,
    lastModifiedDate: now,
  };
  ctx.state.roleAliases.set(name, alias);
  return { roleAlias: name, roleAliasArn: alias.arn };
}

function describeRoleAlias(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const alias = requireAlias(ctx, input);
  return {
    roleAliasDescription: {
      roleAlias: alias.name,
      roleAliasArn: alias.arn,
      roleArn: alias.roleArn,
      owner: ctx.accountId,
      credentialDurationSeconds: alias.credentialDurationSeconds,
      creationDate: toEpochSeconds(alias.creationDate),
      lastModifiedDate: toEpochSeconds(alias.lastModifiedDate),
    },
  };
}

function updateRoleAlias(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const alias = requireAlias(ctx, input);
  const roleArn = optionalString(input.body, 'roleArn');
  const duration = optionalNumber(input.body, 'credentialDurationSeconds');
  if (roleArn !== undefined) validateRoleArn(roleArn);
  if (duration !== undefined) validateDuration(duration);
  if (roleArn !== undefined) alias.roleArn = roleArn;
  if (duration !== undefined) alias.credentialDurationSeconds = duration;
  alias.lastModifiedDate = ctx.now();
  return { roleAlias: alias.name, roleAliasArn: alias.arn };
}

function deleteRoleAlias(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const alias = requireAlias(ctx, input);
  ctx.state.roleAliases.delete(alias.name);
}

function listRoleAliases(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const page = paginateByMarker([...ctx.state.roleAliases.values()], (a) => byCreation(a.creationDate, a.name), input.query, {
    descendingByDefault: true,
  });
  return { roleAliases: page.items.map((a) => a.name), ...(page.nextMarker !== undefined ? { nextMarker: page.nextMarker } : {}) };
}

function aliasLabel(input: OperationInput): string {
  const name = input.labels.roleAlias ?? '';
  if (!ROLE_ALIAS_PATTERN.test(name)) throw invalidRequest(`roleAlias '${name}' must be 1-128 characters of [\\w=,@-]`);
  return name;
}

function requireAlias(ctx: EmulatorContext, input: OperationInput): RoleAliasRecord {
  const name = aliasLabel(input);
  const alias = ctx.state.roleAliases.get(name);
  if (alias === undefined) throw resourceNotFound(`Role alias ${name} does not exist.`);
  return alias;
}

function validateRoleArn(roleArn: string | undefined): string {
  if (roleArn === undefined || !ROLE_ARN_PATTERN.test(roleArn)) throw invalidRequest(`roleArn '${roleArn ?? ''}' is not an IAM role ARN`);
  return roleArn;
}

function validateDuration(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < MIN_DURATION || seconds > MAX_DURATION) {
    throw invalidRequest(`credentialDurationSeconds must be an integer between ${MIN_DURATION} and ${MAX_DURATION}, got ${seconds}`);
  }
  return seconds;
}
