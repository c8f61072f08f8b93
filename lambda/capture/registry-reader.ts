/**
 * Reads an entity's current state from this region's IoT registry: for partial events (type association,
 * group hierarchy) about entities that existed before replication started and so have no journal item, and
 * to settle two changes of one entity that IoT stamped with the same millisecond (see capture-handler.ts).
 */
import {
  DescribeThingCommand,
  DescribeThingGroupCommand,
  DescribeThingTypeCommand,
  type IoTClient,
  ListThingGroupsForThingCommand,
} from '@aws-sdk/client-iot';
import { isNotFound } from '../shared/iot-errors';
import type { MembershipState, ThingGroupState, ThingState, ThingTypeState } from '../shared/model';

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

export function iotRegistryReader(iot: Pick<IoTClient, 'send'>): RegistryReader {
  return {
    async describeThing(thingName) {
      try {
        const res = await iot.send(new DescribeThingCommand({ thingName }));
        return {
          thingName: res.thingName ?? thingName,
          ...(res.thingTypeName ? { thingTypeName: res.thingTypeName } : {}),
          attributes: res.attributes ?? {},
        };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async describeThingGroup(thingGroupName) {
      try {
        const res = await iot.send(new DescribeThingGroupCommand({ thingGroupName }));
        const parent = res.thingGroupMetadata?.parentGroupName;
        const description = res.thingGroupProperties?.thingGroupDescription;
        return {
          thingGroupName: res.thingGroupName ?? thingGroupName,
          ...(parent ? { parentGroupName: parent } : {}),
          ...(description !== undefined ? { description } : {}),
          attributes: res.thingGroupProperties?.attributePayload?.attributes ?? {},
        };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async describeThingType(thingTypeName) {
      try {
        const res = await iot.send(new DescribeThingTypeCommand({ thingTypeName }));
        const description = res.thingTypeProperties?.thingTypeDescription;
        // The same shape planChange builds from a THING_TYPE event, so equal states hash equally.
        return {
          thingTypeName: res.thingTypeName ?? thingTypeName,
          ...(description !== undefined ? { description } : {}),
          searchableAttributes: res.thingTypeProperties?.searchableAttributes ?? [],
          deprecated: res.thingTypeMetadata?.deprecated ?? false,
        };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async describeMembership(thingGroupName, thingName) {
      let nextToken: string | undefined;
      try {
        do {
          const res = await iot.send(new ListThingGroupsForThingCommand({ thingName, nextToken }));
          if ((res.thingGroups ?? []).some((g) => g.groupName === thingGroupName)) return { thingGroupName, thingName };
          nextToken = res.nextToken;
        } while (nextToken);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      return undefined;
    },
  };
}
