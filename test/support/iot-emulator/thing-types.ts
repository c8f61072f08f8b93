import { randomUUID } from 'node:crypto';
import { toEpochSeconds, type EmulatorContext } from './context';
import { invalidRequest, resourceAlreadyExists, resourceNotFound } from './errors';
import { nameLabel, optionalBoolean, optionalObject, optionalString, optionalStringList } from './input';
import { paginate } from './pagination';
import type { OperationInput, OperationOutput, Route } from './router';
import type { PropagatingAttribute, ThingTypeRecord } from './state';

export function thingTypeRoutes(ctx: EmulatorContext): Route[] {
  return [
    { operation: 'CreateThingType', method: 'POST', path: '/thing-types/{thingTypeName}', handle: (i) => createThingType(ctx, i) },
    { operation: 'DescribeThingType', method: 'GET', path: '/thing-types/{thingTypeName}', handle: (i) => describeThingType(ctx, i) },
    {
      operation: 'DeprecateThingType',
      method: 'POST',
      path: '/thing-types/{thingTypeName}/deprecate',
      handle: (i) => deprecateThingType(ctx, i),
    },
    { operation: 'DeleteThingType', method: 'DELETE', path: '/thing-types/{thingTypeName}', handle: (i) => deleteThingType(ctx, i) },
    { operation: 'ListThingTypes', method: 'GET', path: '/thing-types', handle: (i) => listThingTypes(ctx, i) },
  ];
}

function createThingType(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const typeName = nameLabel(input, 'thingTypeName', 'thingTypeName');
  const properties = optionalObject(input.body, 'thingTypeProperties') ?? {};
  const description = optionalString(properties, 'thingTypeDescription');
  const searchableAttributes = optionalStringList(properties, 'searchableAttributes');
  const propagatingAttributes = readPropagatingAttributes(properties);

  const existing = ctx.state.thingTypes.get(typeName);
  if (existing !== undefined) {
    // Thing types are immutable: the same definition again is a no-op, anything else a conflict.
    const same =
      existing.description === description &&
      JSON.stringify(existing.searchableAttributes) === JSON.stringify(searchableAttributes) &&
      JSON.stringify(existing.propagatingAttributes) === JSON.stringify(propagatingAttributes);
    if (same) return typeIdentity(existing);
    throw resourceAlreadyExists(`Thing type ${typeName} already exists with different properties`, existing.id, existing.arn);
  }

  const type: ThingTypeRecord = {
    name: typeName,
    id: randomUUID(),
    arn: ctx.arns.thingType(typeName),
    description,
    searchableAttributes,
    propagatingAttributes,
    creationDate: ctx.now(),
    deprecated: false,
    deprecationDate: undefined,
  };
  ctx.state.thingTypes.set(typeName, type);
  publishThingTypeEvent(ctx, type, 'CREATED');
  return typeIdentity(type);
}

function describeThingType(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const type = requireThingType(ctx, nameLabel(input, 'thingTypeName', 'thingTypeName'));
  return {
    thingTypeName: type.name,
    thingTypeId: type.id,
    thingTypeArn: type.arn,
    thingTypeProperties: typeProperties(type),
    thingTypeMetadata: typeMetadata(type),
  };
}

function deprecateThingType(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const type = requireThingType(ctx, nameLabel(input, 'thingTypeName', 'thingTypeName'));
  const deprecate = optionalBoolean(input.body, 'undoDeprecate') !== true;
  // Deprecating twice keeps the first date: the delete cooldown runs from the original deprecation.
  if (type.deprecated === deprecate) return;
  type.deprecated = deprecate;
  type.deprecationDate = deprecate ? ctx.now() : undefined;
  publishThingTypeEvent(ctx, type, 'UPDATED');
}

function deleteThingType(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const type = requireThingType(ctx, nameLabel(input, 'thingTypeName', 'thingTypeName'));
  if (!type.deprecated || type.deprecationDate === undefined) {
    throw invalidRequest(`Thing type ${type.name} must be deprecated before it can be deleted.`);
  }
  const deprecatedForMs = ctx.now() - type.deprecationDate;
  if (deprecatedForMs < ctx.thingTypeDeleteCooldownMs) {
    const waitSeconds = Math.ceil((ctx.thingTypeDeleteCooldownMs - deprecatedForMs) / 1000);
    throw invalidRequest(
      `Thing type ${type.name} was deprecated less than ${ctx.thingTypeDeleteCooldownMs / 60000} minutes ago; retry in ${waitSeconds} s.`,
    );
  }
  const associated = [...ctx.state.things.values()].filter((thing) => thing.typeName === type.name).length;
  if (associated > 0) {
    throw invalidRequest(`Thing type ${type.name} cannot be deleted: ${associated} thing(s) are still associated with it.`);
  }
  ctx.state.thingTypes.delete(type.name);
  publishThingTypeEvent(ctx, type, 'DELETED');
}

function listThingTypes(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const nameFilter = input.query.get('thingTypeName') ?? undefined;
  const types = [...ctx.state.thingTypes.values()].filter((t) => nameFilter === undefined || t.name === nameFilter);
  const page = paginate(types, (type) => type.name, input.query);
  return {
    thingTypes: page.items.map((type) => ({
      thingTypeName: type.name,
      thingTypeArn: type.arn,
      thingTypeProperties: typeProperties(type),
      thingTypeMetadata: typeMetadata(type),
    })),
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
  };
}

function requireThingType(ctx: EmulatorContext, typeName: string): ThingTypeRecord {
  const type = ctx.state.thingTypes.get(typeName);
  if (type === undefined) throw resourceNotFound(`Thing type ${typeName} cannot be found.`);
  return type;
}

function readPropagatingAttributes(properties: Readonly<Record<string, unknown>>): PropagatingAttribute[] | undefined {
  const mqtt5 = optionalObject(properties, 'mqtt5Configuration');
  const list = mqtt5?.propagatingAttributes;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw invalidRequest('mqtt5Configuration.propagatingAttributes must be a list');
  return list.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) throw invalidRequest('propagatingAttributes entries must be objects');
    const fields = entry as Readonly<Record<string, unknown>>;
    return {
      userPropertyKey: optionalString(fields, 'userPropertyKey'),
      thingAttribute: optionalString(fields, 'thingAttribute'),
      connectionAttribute: optionalString(fields, 'connectionAttribute'),
    };
  });
}

function typeIdentity(type: ThingTypeRecord): Record<string, unknown> {
  return { thingTypeName: type.name, thingTypeArn: type.arn, thingTypeId: type.id };
}

function typeProperties(type: ThingTypeRecord): Record<string, unknown> {
  return {
    ...(type.description !== undefined ? { thingTypeDescription: type.description } : {}),
    ...(type.searchableAttributes !== undefined ? { searchableAttributes: [...type.searchableAttributes] } : {}),
    ...(type.propagatingAttributes !== undefined
      ? { mqtt5Configuration: { propagatingAttributes: type.propagatingAttributes.map((a) => ({ ...a })) } }
      : {}),
  };
}

function typeMetadata(type: ThingTypeRecord): Record<string, unknown> {
  return {
    deprecated: type.deprecated,
    ...(type.deprecationDate !== undefined ? { deprecationDate: toEpochSeconds(type.deprecationDate) } : {}),
    creationDate: toEpochSeconds(type.creationDate),
  };
}

function publishThingTypeEvent(ctx: EmulatorContext, type: ThingTypeRecord, operation: 'CREATED' | 'UPDATED' | 'DELETED'): void {
  ctx.events.publish('THING_TYPE', `$aws/events/thingType/${type.name}/${operation.toLowerCase()}`, (header) => ({
    eventType: 'THING_TYPE_EVENT',
    eventId: header.eventId,
    timestamp: header.timestamp,
    operation,
    accountId: ctx.accountId,
    thingTypeId: type.id,
    thingTypeName: type.name,
    isDeprecated: type.deprecated,
    deprecationDate: type.deprecationDate ?? null,
    searchableAttributes: type.searchableAttributes !== undefined ? [...type.searchableAttributes] : [],
    ...(type.propagatingAttributes !== undefined
      ? { propagatingAttributes: type.propagatingAttributes.map((a) => ({ ...a })) }
      : {}),
    description: type.description ?? null,
  }));
}
