import { randomUUID } from 'node:crypto';
import { applyAttributePayload, attributesEqual, sortedAttributes } from './attributes';
import { toEpochSeconds, type EmulatorContext } from './context';
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
import type { ThingGroupRecord, ThingRecord } from './state';
import { resolveThing } from './things';

/** Static thing groups, their hierarchy and their thing memberships. */
export function thingGroupRoutes(ctx: EmulatorContext): Route[] {
  return [
    { operation: 'CreateThingGroup', method: 'POST', path: '/thing-groups/{thingGroupName}', handle: (i) => createThingGroup(ctx, i) },
    { operation: 'DescribeThingGroup', method: 'GET', path: '/thing-groups/{thingGroupName}', handle: (i) => describeThingGroup(ctx, i) },
    { operation: 'UpdateThingGroup', method: 'PATCH', path: '/thing-groups/{thingGroupName}', handle: (i) => updateThingGroup(ctx, i) },
    { operation: 'DeleteThingGroup', method: 'DELETE', path: '/thing-groups/{thingGroupName}', handle: (i) => deleteThingGroup(ctx, i) },
    { operation: 'ListThingGroups', method: 'GET', path: '/thing-groups', handle: (i) => listThingGroups(ctx, i) },
    {
      operation: 'AddThingToThingGroup',
      method: 'PUT',
      path: '/thing-groups/addThingToThingGroup',
      handle: (i) => addThingToThingGroup(ctx, i),
    },
    {
      operation: 'RemoveThingFromThingGroup',
      method: 'PUT',
      path: '/thing-groups/removeThingFromThingGroup',
      handle: (i) => removeThingFromThingGroup(ctx, i),
    },
    {
      operation: 'ListThingGroupsForThing',
      method: 'GET',
      path: '/things/{thingName}/thing-groups',
      handle: (i) => listThingGroupsForThing(ctx, i),
    },
    {
      operation: 'ListThingsInThingGroup',
      method: 'GET',
      path: '/thing-groups/{thingGroupName}/things',
      handle: (i) => listThingsInThingGroup(ctx, i),
    },
  ];
}

function createThingGroup(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const groupName = nameLabel(input, 'thingGroupName', 'thingGroupName');
  const parentName = optionalString(input.body, 'parentGroupName');
  const properties = optionalObject(input.body, 'thingGroupProperties') ?? {};
  const description = optionalString(properties, 'thingGroupDescription');
  const attributePayload = optionalObject(properties, 'attributePayload');
  const attributes = (attributePayload && optionalStringMap(attributePayload, 'attributes')) ?? {};

  const existing = ctx.state.thingGroups.get(groupName);
  if (existing !== undefined) {
    // AWS: creating a group identical to an existing one answers 200 (and publishes nothing).
    const same =
      existing.parentName === parentName &&
      existing.description === description &&
      attributesEqual(existing.attributes, attributes);
    if (same) return groupIdentity(existing);
    throw resourceAlreadyExists(`Thing group ${groupName} already exists with different properties`, existing.id, existing.arn);
  }
  let parent: ThingGroupRecord | undefined;
  if (parentName !== undefined) {
    validateName('parentGroupName', parentName);
    parent = ctx.state.thingGroups.get(parentName);
    if (parent === undefined) throw resourceNotFound(`Parent thing group ${parentName} cannot be found.`);
  }

  const group: ThingGroupRecord = {
    name: groupName,
    id: randomUUID(),
    arn: ctx.arns.thingGroup(groupName),
    parentName,
    creationDate: ctx.now(),
    description,
    attributes: { ...attributes },
    version: 1,
  };
  ctx.state.thingGroups.set(groupName, group);
  publishThingGroupEvent(ctx, group, 'CREATED');
  if (parent !== undefined) publishHierarchyEvent(ctx, parent, group, 'ADDED');
  return groupIdentity(group);
}

function describeThingGroup(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const group = requireGroup(ctx, nameLabel(input, 'thingGroupName', 'thingGroupName'));
  return {
    thingGroupName: group.name,
    thingGroupId: group.id,
    thingGroupArn: group.arn,
    version: group.version,
    thingGroupProperties: {
      ...(group.description !== undefined ? { thingGroupDescription: group.description } : {}),
      attributePayload: { attributes: { ...group.attributes } },
    },
    thingGroupMetadata: {
      ...(group.parentName !== undefined ? { parentGroupName: group.parentName } : {}),
      rootToParentThingGroups: ctx.state.ancestorsOf(group).map((g) => ({ groupName: g.name, groupArn: g.arn })),
      creationDate: toEpochSeconds(group.creationDate),
    },
  };
}

function updateThingGroup(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const group = requireGroup(ctx, nameLabel(input, 'thingGroupName', 'thingGroupName'));
  const expectedVersion = optionalNumber(input.body, 'expectedVersion');
  const properties = optionalObject(input.body, 'thingGroupProperties');
  if (properties === undefined) throw invalidRequest('thingGroupProperties is required');
  if (expectedVersion !== undefined && expectedVersion !== group.version) {
    throw versionConflict(
      `The version for thing group ${group.name} does not match the expected version (expected ${expectedVersion}, is ${group.version}).`,
    );
  }
  const requestedDescription = optionalString(properties, 'thingGroupDescription');
  const attributePayload = optionalObject(properties, 'attributePayload');
  const nextDescription = requestedDescription ?? group.description;
  const nextAttributes = applyAttributePayload(
    group.attributes,
    attributePayload && {
      attributes: optionalStringMap(attributePayload, 'attributes'),
      merge: optionalBoolean(attributePayload, 'merge'),
    },
  );
  // Nothing changed: keep the version and publish nothing.
  if (nextDescription === group.description && attributesEqual(nextAttributes, group.attributes)) {
    return { version: group.version };
  }
  group.description = nextDescription;
  group.attributes = nextAttributes;
  group.version += 1;
  publishThingGroupEvent(ctx, group, 'UPDATED');
  return { version: group.version };
}

function deleteThingGroup(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const groupName = nameLabel(input, 'thingGroupName', 'thingGroupName');
  const expectedVersion = queryInteger(input.query, 'expectedVersion');
  const group = ctx.state.thingGroups.get(groupName);
  // DeleteThingGroup has no ResourceNotFoundException: deleting a missing group succeeds.
  if (group === undefined) return;
  if (expectedVersion !== undefined && expectedVersion !== group.version) {
    throw versionConflict(
      `The version for thing group ${groupName} does not match the expected version (expected ${expectedVersion}, is ${group.version}).`,
    );
  }
  if (ctx.state.childrenOf(groupName).length > 0) {
    // The message AWS documents for this case.
    throw invalidRequest(`Cannot delete thing group : ${groupName} when there are still child groups attached to it.`);
  }
  // Memberships go with the group and, as in AWS, without THING_GROUP_MEMBERSHIP events.
  for (const membership of ctx.state.membershipsOfGroup(groupName)) {
    ctx.state.removeMembership(groupName, membership.thingName);
  }
  // Policies attached to the group are detached with it.
  for (const policyName of ctx.state.policiesOfTarget(group.arn)) ctx.state.detachPolicy(policyName, group.arn);
  ctx.state.thingGroups.delete(groupName);
  publishThingGroupEvent(ctx, group, 'DELETED');
  const parent = group.parentName === undefined ? undefined : ctx.state.thingGroups.get(group.parentName);
  if (parent !== undefined) publishHierarchyEvent(ctx, parent, group, 'REMOVED');
}

function listThingGroups(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const parentName = input.query.get('parentGroup') ?? undefined;
  const prefix = input.query.get('namePrefixFilter') ?? undefined;
  const recursive = queryBoolean(input.query, 'recursive') === true;
  let groups: ThingGroupRecord[];
  if (parentName === undefined) {
    groups = [...ctx.state.thingGroups.values()];
  } else {
    requireGroup(ctx, parentName);
    groups = recursive ? ctx.state.descendantsOf(parentName) : ctx.state.childrenOf(parentName);
  }
  if (prefix !== undefined) groups = groups.filter((g) => g.name.startsWith(prefix));
  const page = paginate(groups, (g) => g.name, input.query);
  return {
    thingGroups: page.items.map((g) => ({ groupName: g.name, groupArn: g.arn })),
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
  };
}

function addThingToThingGroup(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const group = resolveGroup(ctx, optionalString(input.body, 'thingGroupName'), optionalString(input.body, 'thingGroupArn'));
  const thing = resolveThing(ctx, optionalString(input.body, 'thingName'), optionalString(input.body, 'thingArn'));
  // Already a member: success without a second event.
  if (ctx.state.membership(group.name, thing.name) !== undefined) return;
  const membership = { groupName: group.name, thingName: thing.name, membershipId: randomUUID() };
  ctx.state.addMembership(membership);
  publishMembershipEvent(ctx, group, thing, membership.membershipId, 'ADDED');
}

function removeThingFromThingGroup(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const group = resolveGroup(ctx, optionalString(input.body, 'thingGroupName'), optionalString(input.body, 'thingGroupArn'));
  const thing = resolveThing(ctx, optionalString(input.body, 'thingName'), optionalString(input.body, 'thingArn'));
  const membership = ctx.state.membership(group.name, thing.name);
  if (membership === undefined) return;
  ctx.state.removeMembership(group.name, thing.name);
  publishMembershipEvent(ctx, group, thing, membership.membershipId, 'REMOVED');
}

function listThingGroupsForThing(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thingName = nameLabel(input, 'thingName', 'thingName');
  if (!ctx.state.things.has(thingName)) throw resourceNotFound(`Thing ${thingName} cannot be found.`);
  // Direct memberships only: these are what AddThingToThingGroup created and what replication copies.
  const groups = ctx.state
    .membershipsOfThing(thingName)
    .map((m) => ctx.state.thingGroups.get(m.groupName))
    .filter((g): g is ThingGroupRecord => g !== undefined);
  const page = paginate(groups, (g) => g.name, input.query);
  return {
    thingGroups: page.items.map((g) => ({ groupName: g.name, groupArn: g.arn })),
    ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}),
  };
}

function listThingsInThingGroup(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const group = requireGroup(ctx, nameLabel(input, 'thingGroupName', 'thingGroupName'));
  const recursive = queryBoolean(input.query, 'recursive') === true;
  const groupNames = [group.name, ...(recursive ? ctx.state.descendantsOf(group.name).map((g) => g.name) : [])];
  const thingNames = [...new Set(groupNames.flatMap((name) => ctx.state.membershipsOfGroup(name).map((m) => m.thingName)))];
  const page = paginate(thingNames, (name) => name, input.query);
  return { things: page.items, ...(page.nextToken !== undefined ? { nextToken: page.nextToken } : {}) };
}

function requireGroup(ctx: EmulatorContext, groupName: string): ThingGroupRecord {
  const group = ctx.state.thingGroups.get(groupName);
  if (group === undefined) throw resourceNotFound(`Thing group ${groupName} cannot be found.`);
  return group;
}

function resolveGroup(ctx: EmulatorContext, name: string | undefined, arn: string | undefined): ThingGroupRecord {
  if (name === undefined && arn === undefined) throw invalidRequest('Either thingGroupName or thingGroupArn must be given');
  const resolvedName = name ?? ctx.arns.nameFrom(arn ?? '', 'thinggroup');
  const group = resolvedName === undefined ? undefined : ctx.state.thingGroups.get(resolvedName);
  if (group === undefined) throw resourceNotFound(`Thing group ${name ?? arn} cannot be found.`);
  return group;
}

function groupIdentity(group: ThingGroupRecord): Record<string, unknown> {
  return { thingGroupName: group.name, thingGroupArn: group.arn, thingGroupId: group.id };
}

function publishThingGroupEvent(
  ctx: EmulatorContext,
  group: ThingGroupRecord,
  operation: 'CREATED' | 'UPDATED' | 'DELETED',
): void {
  const parent = group.parentName === undefined ? undefined : ctx.state.thingGroups.get(group.parentName);
  const ancestors = ctx.state.ancestorsOf(group);
  ctx.events.publish('THING_GROUP', `$aws/events/thingGroup/${group.name}/${operation.toLowerCase()}`, (header) => ({
    eventType: 'THING_GROUP_EVENT',
    eventId: header.eventId,
    timestamp: header.timestamp,
    operation,
    accountId: ctx.accountId,
    thingGroupId: group.id,
    thingGroupName: group.name,
    versionNumber: group.version,
    parentGroupName: group.parentName ?? null,
    parentGroupId: parent?.id ?? null,
    description: group.description ?? null,
    // Root first, as in the documented example; null for a root group.
    rootToParentThingGroups: ancestors.length === 0 ? null : ancestors.map((g) => ({ groupArn: g.arn, groupId: g.id })),
    attributes: sortedAttributes(group.attributes),
    dynamicGroupMappingId: null,
  }));
}

function publishHierarchyEvent(
  ctx: EmulatorContext,
  parent: ThingGroupRecord,
  child: ThingGroupRecord,
  operation: 'ADDED' | 'REMOVED',
): void {
  const topic = `$aws/events/thingGroupHierarchy/thingGroup/${parent.name}/childThingGroup/${child.name}/${operation.toLowerCase()}`;
  ctx.events.publish('THING_GROUP_HIERARCHY', topic, (header) => ({
    eventType: 'THING_GROUP_HIERARCHY_EVENT',
    eventId: header.eventId,
    timestamp: header.timestamp,
    operation,
    accountId: ctx.accountId,
    thingGroupId: parent.id,
    thingGroupName: parent.name,
    childGroupId: child.id,
    childGroupName: child.name,
  }));
}

function publishMembershipEvent(
  ctx: EmulatorContext,
  group: ThingGroupRecord,
  thing: ThingRecord,
  membershipId: string,
  operation: 'ADDED' | 'REMOVED',
): void {
  // Names are only in the topic; the payload identifies group and thing by ARN and id.
  const topic = `$aws/events/thingGroupMembership/thingGroup/${group.name}/thing/${thing.name}/${operation.toLowerCase()}`;
  ctx.events.publish('THING_GROUP_MEMBERSHIP', topic, (header) => ({
    eventType: 'THING_GROUP_MEMBERSHIP_EVENT',
    eventId: header.eventId,
    timestamp: header.timestamp,
    operation,
    accountId: ctx.accountId,
    groupArn: group.arn,
    groupId: group.id,
    thingArn: thing.arn,
    thingId: thing.id,
    membershipId,
  }));
}
