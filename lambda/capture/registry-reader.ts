/**
 * Reads an entity's current state from this region's IoT registry, for partial events (type association,
 * group hierarchy) about entities that existed before replication started and so have no journal item.
 */
import { DescribeThingCommand, DescribeThingGroupCommand, type IoTClient } from '@aws-sdk/client-iot';
import type { ThingGroupState, ThingState } from '../shared/model';

export interface RegistryReader {
  /** The thing's state here, or undefined when it does not exist (any more). */
  describeThing(thingName: string): Promise<ThingState | undefined>;
  /** The group's state here, or undefined when it does not exist (any more). */
  describeThingGroup(thingGroupName: string): Promise<ThingGroupState | undefined>;
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
  };
}

function isNotFound(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'ResourceNotFoundException';
}
