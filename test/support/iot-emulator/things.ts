import { randomUUID } from 'node:crypto';
import { applyAttributePayload, attributesEqual, sortedAttributes, type Attributes } from './attributes';
import type { EmulatorContext } from './context';
import { invalidRequest, resourceAlreadyExists, resourceNotFound, versionConflict } from './errors';
import {
  nameLabel,
  optionalBoolean,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringMap,
  queryBoolean,
  queryInteger,
  validateName,
} from './input';
import { paginate } from './pagination';
import type { OperationInput, OperationOutput, Route } from './router';
import type { ThingRecord } from './state';

/** AWS: a thing without a type can have up to three attributes, one with a type up to 50. */
const MAX_ATTRIBUTES_WITHOUT_TYPE = 3;
const MAX_ATTRIBUTES_WITH_TYPE = 50;

export function thingRoutes(ctx: EmulatorContext): Route[] {
  return [
    { operation: 'CreateThing', method: 'POST', path: '/things/{thingName}', handle: (i) => createThing(ctx, i) },
    { operation: 'DescribeThing', method: 'GET', path: '/things/{thingName}', handle: (i) => describeThing(ctx, i) },
    { operation: 'UpdateThing', method: 'PATCH', path: '/things/{thingName}', handle: (i) => updateThing(ctx, i) },
    { operation: 'DeleteThing', method: 'DELETE', path: '/things/{thingName}', handle: (i) => deleteThing(ctx, i) },
    { operation: 'ListThings', method: 'GET', path: '/things', handle: (i) => listThings(ctx, i) },
  ];
}

/** A thing named directly or by ARN (AddThingToThingGroup and friends accept either). */
export function resolveThing(ctx: EmulatorContext, name: string | undefined, arn: string | undefined): ThingRecord {
  if (name === undefined && arn === undefined) throw invalidRequest('Either thingName or thingArn must be given');
  const resolvedName = name ?? ctx.arns.nameFrom(arn ?? '', 'thing');
  const thing = resolvedName === undefined ? undefined : ctx.state.things.get(resolvedName);
  if (thing === undefined) throw resourceNotFound(`Thing ${name ?? arn} cannot be found.`);
  return thing;
}

function createThing(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thingName = nameLabel(input, 'thingName', 'thingName');
  const typeName = optionalString(input.body, 'thingTypeName');
  const attributePayload = optionalObject(input.body, 'attributePayload');
  // `merge` only means something on updates; at creation the attributes are taken as given.
  const attributes = (attributePayload && optionalStringMap(attributePayload, 'attributes')) ?? {};

  const existing = ctx.state.things.get(thingName);
  if (existing !== undefined) {
    // Same name and configuration: idempotent success, and nothing changed so no event.
    if (existing.typeName === typeName && attributesEqual(existing.attributes, attributes)) return thingIdentity(existing);
    throw resourceAlreadyExists(
      `Thing ${thingName} already exists in account with different attributes`,
      existing.id,
      existing.arn,
    );
  }
  if (typeName !== undefined) requireAssignableType(ctx, typeName);
  checkAttributeCount(thingName, attributes, typeName);

  const thing: ThingRecord = {
    name: thingName,
    id: randomUUID(),
    arn: ctx.arns.thing(thingName),
    typeName,
    attributes: { ...attributes },
    version: 1,
  };
  ctx.state.things.set(thingName, thing);
  publishThingEvent(ctx, thing, 'CREATED');
  if (typeName !== undefined) publishTypeAssociation(ctx, thing, typeName, 'CREATED');
  return thingIdentity(thing);
}

function describeThing(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thing = requireThing(ctx, nameLabel(input, 'thingName', 'thingName'));
  return {
    defaultClientId: thing.name,
    thingName: thing.name,
    thingId: thing.id,
    thingArn: thing.arn,
    ...(thing.typeName !== undefined ? { thingTypeName: thing.typeName } : {}),
    attributes: { ...thing.attributes },
    version: thing.version,
  };
}

function updateThing(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thing = requireThing(ctx, nameLabel(input, 'thingName', 'thingName'));
  const expectedVersion = optionalNumber(input.body, 'expectedVersion');
  const requestedType = optionalString(input.body, 'thingTypeName');
  const removeThingType = optionalBoolean(input.body, 'removeThingType') === true;
  const attributePayload = optionalObject(input.body, 'attributePayload');

  if (expectedVersion !== undefined && expectedVersion !== thing.version) {
    throw versionConflict(
      `The version for thing ${thing.name} does not match the expected version (expected ${expectedVersion}, is ${thing.version}).`,
    );
  }
  if (removeThingType && requestedType !== undefined) {
    throw invalidRequest('Cannot specify both thingTypeName and removeThingType');
  }
  const nextType = removeThingType ? undefined : (requestedType ?? thing.typeName);
  if (nextType !== undefined && nextType !== thing.typeName) requireAssignableType(ctx, nextType);
  const nextAttributes = applyAttributePayload(
    thing.attributes,
    attributePayload && {
      attributes: optionalStringMap(attributePayload, 'attributes'),
      merge: optionalBoolean(attributePayload, 'merge'),
    },
  );
  checkAttributeCount(thing.name, nextAttributes, nextType);

  const previousType = thing.typeName;
  // A no-op update keeps the version and publishes nothing, so replaying a state twice is invisible.
  if (nextType === previousType && attributesEqual(nextAttributes, thing.attributes)) return;

  thing.typeName = nextType;
  thing.attributes = nextAttributes;
  thing.version += 1;
  publishThingEvent(ctx, thing, 'UPDATED');
  if (previousType !== nextType) {
    if (previousType !== undefined) publishTypeAssociation(ctx, thing, previousType, 'DELETED');
    if (nextType !== undefined) publishTypeAssociation(ctx, thing, nextType, 'CREATED');
  }
}

function deleteThing(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thingName = nameLabel(input, 'thingName', 'thingName');
  const expectedVersion = queryInteger(input.query, 'expectedVersion');
  const thing = ctx.state.things.get(thingName);
  // AWS: deleting a thing that does not exist succeeds.
  if (thing === undefined) return;
  if (expectedVersion !== undefined && expectedVersion !== thing.version) {
    throw versionConflict(
      `The version for thing ${thingName} does not match the expected version (expected ${expectedVersion}, is ${thing.version}).`,
    );
  }
  if (ctx.state.principalsOfThing(thingName).length > 0) {
    // The message AWS answers with.
    throw invalidRequest(`Cannot delete. Thing ${thingName} is still attached to one or more principals`);
  }
  // Memberships go with the thing and, as in AWS, without THING_GROUP_MEMBERSHIP events.
  for (const membership of ctx.state.membershipsOfThing(thingName)) {
    ctx.state.removeMembership(membership.groupName, thingName);
  }
  ctx.state.things.delete(thingName);
  publishThingEvent(ctx, thing, 'DELETED');
}

function listThings(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const typeName = input.query.get('thingTypeName') ?? undefined;
  const attributeName = input.query.get('attributeName') ?? undefined;
  const attributeValue = input.query.get('attributeValue') ?? undefined;
  const usePrefix = queryBoolean(input.query, 'usePrefixAttributeValue') === true;
  if (attributeValue !== undefined && attributeName === undefined) {
    throw invalidRequest('attributeValue requires attributeName');
  }
  const matches = [...ctx.state.things.values()].filter((thing) => {
    if (typeName !== undefined && thing.typeName !== typeName) return false;
    if (attributeName === undefined) return true;
    const value = thing.attributes[attributeName];
    if (value === undefined) return false;
    if (attributeValue === undefined) return true;
    return usePrefix ? value.startsWith(attributeValue) : value === attributeValue;
  });
  const page = paginate(matches, (thing) => thing.name, input.query);
  return {
    things: page.items.map((thing) => ({
      thingName: thing.name,
      ...(thing.typeName !== undefined ? { thingTypeName: thing.typeName } : {}),
      thingArn: thing.arn,
      attributes: { ...thing.attributes },
      version: thing.version,
    })),
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
  };
}

function requireThing(ctx: EmulatorContext, thingName: string): ThingRecord {
  const thing = ctx.state.things.get(thingName);
  if (thing === undefined) throw resourceNotFound(`Thing ${thingName} cannot be found.`);
  return thing;
}

/** A thing can only be given a type that exists and is not deprecated. */
function requireAssignableType(ctx: EmulatorContext, typeName: string): void {
  validateName('thingTypeName', typeName);
  const type = ctx.state.thingTypes.get(typeName);
  if (type === undefined) throw resourceNotFound(`Thing type ${typeName} cannot be found.`);
  if (type.deprecated) throw invalidRequest(`Thing type ${typeName} is deprecated and cannot be associated with things.`);
}

function checkAttributeCount(thingName: string, attributes: Readonly<Attributes>, typeName: string | undefined): void {
  const limit = typeName === undefined ? MAX_ATTRIBUTES_WITHOUT_TYPE : MAX_ATTRIBUTES_WITH_TYPE;
  const count = Object.keys(attributes).length;
  if (count > limit) {
    throw invalidRequest(
      `Thing ${thingName} would have ${count} attributes; at most ${limit} are allowed ${typeName === undefined ? 'without a thing type' : 'with a thing type'}.`,
    );
  }
}

function thingIdentity(thing: ThingRecord): Record<string, unknown> {
  return { thingName: thing.name, thingArn: thing.arn, thingId: thing.id };
}

function publishThingEvent(ctx: EmulatorContext, thing: ThingRecord, operation: 'CREATED' | 'UPDATED' | 'DELETED'): void {
  ctx.events.publish('THING', `$aws/events/thing/${thing.name}/${operation.toLowerCase()}`, (header) => ({
    eventType: 'THING_EVENT',
    eventId: header.eventId,
    timestamp: header.timestamp,
    operation,
    accountId: ctx.accountId,
    thingId: thing.id,
    thingName: thing.name,
    versionNumber: thing.version,
    thingTypeName: thing.typeName ?? null,
    attributes: sortedAttributes(thing.attributes),
  }));
}

function publishTypeAssociation(
  ctx: EmulatorContext,
  thing: ThingRecord,
  typeName: string,
  operation: 'CREATED' | 'DELETED',
): void {
  // The documented payload of this event has no accountId.
  ctx.events.publish('THING_TYPE_ASSOCIATION', `$aws/events/thingTypeAssociation/thing/${thing.name}/${typeName}`, (header) => ({
    eventId: header.eventId,
    eventType: 'THING_TYPE_ASSOCIATION_EVENT',
    operation,
    thingId: thing.id,
    thingName: thing.name,
    thingTypeName: typeName,
    timestamp: header.timestamp,
  }));
}

