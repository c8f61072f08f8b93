/**
 * The one reader of this region's IoT registry: describes things, thing types, thing groups and
 * memberships into the journal's canonical state shape (entity-state.ts). Capture reads through it to
 * fill in partial events and settle ties, replay to compare this region with the journal — so both see
 * the same state, with the same hash, for the same entity.
 */
import {
  DescribeThingCommand,
  DescribeThingGroupCommand,
  DescribeThingTypeCommand,
  type IoTClient,
  ListThingGroupsForThingCommand,
  type ListThingGroupsForThingCommandOutput,
} from '@aws-sdk/client-iot';
import { thingGroupState, thingState, thingTypeState, membershipState } from './entity-state';
import { isNotFound } from './iot-errors';
import type { MembershipState, ThingGroupState, ThingState, ThingTypeState } from './model';

export type RegistryClient = Pick<IoTClient, 'send'>;

/** A described entity's state and IoT's per-region version number (things and thing groups have one). */
export interface Described<S> {
  readonly state: S;
  readonly version?: number;
}

/** Runs a describe; a missing entity is undefined, any other error propagates. */
async function unlessNotFound<T>(describe: () => Promise<T>): Promise<T | undefined> {
  try {
    return await describe();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function describeThing(iot: RegistryClient, thingName: string): Promise<Described<ThingState> | undefined> {
  return unlessNotFound(async () => {
    const res = await iot.send(new DescribeThingCommand({ thingName }));
    return { state: thingState({ thingName, thingTypeName: res.thingTypeName, attributes: res.attributes }), version: res.version };
  });
}

export function describeThingType(iot: RegistryClient, thingTypeName: string): Promise<ThingTypeState | undefined> {
  return unlessNotFound(async () => {
    const res = await iot.send(new DescribeThingTypeCommand({ thingTypeName }));
    return thingTypeState({
      thingTypeName,
      description: res.thingTypeProperties?.thingTypeDescription,
      searchableAttributes: res.thingTypeProperties?.searchableAttributes,
      deprecated: res.thingTypeMetadata?.deprecated,
    });
  });
}

export function describeThingGroup(iot: RegistryClient, thingGroupName: string): Promise<Described<ThingGroupState> | undefined> {
  return unlessNotFound(async () => {
    const res = await iot.send(new DescribeThingGroupCommand({ thingGroupName }));
    const state = thingGroupState({
      thingGroupName,
      parentGroupName: res.thingGroupMetadata?.parentGroupName,
      description: res.thingGroupProperties?.thingGroupDescription,
      attributes: res.thingGroupProperties?.attributePayload?.attributes,
    });
    return { state, version: res.version };
  });
}

/** The names of the groups a thing is directly in here, or undefined when the thing does not exist here. */
export function groupsOfThing(iot: RegistryClient, thingName: string): Promise<Set<string> | undefined> {
  return unlessNotFound(async () => {
    const groups = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page: ListThingGroupsForThingCommandOutput = await iot.send(
        new ListThingGroupsForThingCommand({ thingName, nextToken, maxResults: 250 }),
      );
      for (const g of page.thingGroups ?? []) {
        if (g.groupName) groups.add(g.groupName);
      }
      nextToken = page.nextToken || undefined;
    } while (nextToken);
    return groups;
  });
}

/** The membership's state here, or undefined when the thing is not (directly) in the group. */
export async function describeMembership(iot: RegistryClient, thingGroupName: string, thingName: string): Promise<MembershipState | undefined> {
  return (await groupsOfThing(iot, thingName))?.has(thingGroupName) ? membershipState(thingGroupName, thingName) : undefined;
}

/** The registry's current states, without versions: what capture journals. */
export interface RegistryReader {
  /** The thing's state here, or undefined when it does not exist (any more). */
  describeThing(thingName: string): Promise<ThingState | undefined>;
  /** The group's state here, or undefined when it does not exist (any more). */
  describeThingGroup(thingGroupName: string): Promise<ThingGroupState | undefined>;
  /** The thing type's state here, or undefined when it does not exist (any more). */
  describeThingType(thingTypeName: string): Promise<ThingTypeState | undefined>;
  /** The membership's state here, or undefined when the thing is not (directly) in the group. */
  describeMembership(thingGroupName: string, thingName: string): Promise<MembershipState | undefined>;
}

export function iotRegistryReader(iot: RegistryClient): RegistryReader {
  return {
    describeThing: async (thingName) => (await describeThing(iot, thingName))?.state,
    describeThingGroup: async (thingGroupName) => (await describeThingGroup(iot, thingGroupName))?.state,
    describeThingType: (thingTypeName) => describeThingType(iot, thingTypeName),
    describeMembership: (thingGroupName, thingName) => describeMembership(iot, thingGroupName, thingName),
  };
}
