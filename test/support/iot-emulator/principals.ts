import { certificateOfPrincipal } from './certificates';
import type { EmulatorContext } from './context';
import { invalidRequest, resourceNotFound } from './errors';
import { nameLabel } from './input';
import { paginate } from './pagination';
import type { OperationInput, OperationOutput, Route } from './router';

const COGNITO_IDENTITY_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d:[0-9a-f-]{36}$/;
type ThingPrincipalType = 'EXCLUSIVE_THING' | 'NON_EXCLUSIVE_THING';

/**
 * Thing principals: certificates (ARNs of this region) or Cognito identities attached to things. The
 * principal travels in the `x-amzn-principal` header, as the SDK binds it. DeleteThing refuses a thing
 * that still has principals (things.ts), DeleteCertificate one attached to a thing (certificates.ts).
 */
export function principalRoutes(ctx: EmulatorContext): Route[] {
  const principalHeader = { headers: { 'x-amzn-principal': 'principal' } };
  return [
    {
      operation: 'AttachThingPrincipal',
      method: 'PUT',
      path: '/things/{thingName}/principals',
      handle: (i) => attachThingPrincipal(ctx, i),
      audit: principalHeader,
    },
    {
      operation: 'DetachThingPrincipal',
      method: 'DELETE',
      path: '/things/{thingName}/principals',
      handle: (i) => detachThingPrincipal(ctx, i),
      audit: principalHeader,
    },
    {
      operation: 'ListThingPrincipals',
      method: 'GET',
      path: '/things/{thingName}/principals',
      handle: (i) => listThingPrincipals(ctx, i, false),
    },
    {
      operation: 'ListThingPrincipalsV2',
      method: 'GET',
      path: '/things/{thingName}/principals-v2',
      handle: (i) => listThingPrincipals(ctx, i, true),
    },
    { operation: 'ListPrincipalThings', method: 'GET', path: '/principals/things', handle: (i) => listPrincipalThings(ctx, i, false) },
    { operation: 'ListPrincipalThingsV2', method: 'GET', path: '/principals/things-v2', handle: (i) => listPrincipalThings(ctx, i, true) },
  ];
}

function attachThingPrincipal(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thingName = requireThingName(ctx, input);
  const principal = requirePrincipal(ctx, input);
  const type = principalType(input.query.get('thingPrincipalType'));
  const others = ctx.state.thingsOfPrincipal(principal).filter((t) => t !== thingName);
  if (others.length > 0 && (type === 'EXCLUSIVE_THING' || ctx.state.exclusivePrincipals.has(principal))) {
    throw invalidRequest(`Principal ${principal} is attached exclusively, or would be: it is already attached to thing ${others[0]}.`);
  }
  ctx.state.attachThingPrincipal(thingName, principal, type === 'EXCLUSIVE_THING');
}

function detachThingPrincipal(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thingName = requireThingName(ctx, input);
  const principal = requirePrincipal(ctx, input);
  ctx.state.detachThingPrincipal(thingName, principal);
}

function listThingPrincipals(ctx: EmulatorContext, input: OperationInput, v2: boolean): OperationOutput {
  const thingName = requireThingName(ctx, input);
  const filter = v2 ? input.query.get('thingPrincipalType') : null;
  const principals = ctx.state
    .principalsOfThing(thingName)
    .filter((p) => filter === null || typeOf(ctx, p) === principalType(filter));
  const page = paginate(principals, (principal) => principal, input.query);
  const next = page.nextToken !== undefined ? { nextToken: page.nextToken } : {};
  if (!v2) return { principals: page.items, ...next };
  return { thingPrincipalObjects: page.items.map((principal) => ({ principal, thingPrincipalType: typeOf(ctx, principal) })), ...next };
}

function listPrincipalThings(ctx: EmulatorContext, input: OperationInput, v2: boolean): OperationOutput {
  const principal = requirePrincipal(ctx, input);
  const filter = v2 ? input.query.get('thingPrincipalType') : null;
  const things = filter === null || typeOf(ctx, principal) === principalType(filter) ? ctx.state.thingsOfPrincipal(principal) : [];
  const page = paginate(things, (thing) => thing, input.query);
  const next = page.nextToken !== undefined ? { nextToken: page.nextToken } : {};
  if (!v2) return { things: page.items, ...next };
  return { principalThingObjects: page.items.map((thingName) => ({ thingName, thingPrincipalType: typeOf(ctx, principal) })), ...next };
}

function requireThingName(ctx: EmulatorContext, input: OperationInput): string {
  const thingName = nameLabel(input, 'thingName', 'thingName');
  if (!ctx.state.things.has(thingName)) throw resourceNotFound(`Thing ${thingName} cannot be found.`);
  return thingName;
}

/** The `x-amzn-principal` header: a certificate ARN of this region (which must exist) or a Cognito identity id. */
function requirePrincipal(ctx: EmulatorContext, input: OperationInput): string {
  const principal = input.headers['x-amzn-principal'];
  if (principal === undefined || principal === '') throw invalidRequest('principal is required');
  if (principal.startsWith(`${ctx.arns.prefix}cert/`)) {
    if (certificateOfPrincipal(ctx, principal) === undefined) throw resourceNotFound(`The certificate ${principal} does not exist.`);
    return principal;
  }
  if (COGNITO_IDENTITY_PATTERN.test(principal)) return principal;
  throw invalidRequest(`Invalid principal: ${principal} is not a certificate ARN of ${ctx.region} nor a Cognito identity id`);
}

function principalType(value: string | null): ThingPrincipalType {
  if (value === null || value === 'NON_EXCLUSIVE_THING') return 'NON_EXCLUSIVE_THING';
  if (value === 'EXCLUSIVE_THING') return value;
  throw invalidRequest(`thingPrincipalType must be EXCLUSIVE_THING or NON_EXCLUSIVE_THING, got ${value}`);
}

function typeOf(ctx: EmulatorContext, principal: string): ThingPrincipalType {
  return ctx.state.exclusivePrincipals.has(principal) ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING';
}
