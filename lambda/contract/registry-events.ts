/** The IoT registry event families capture subscribes to, with the MQTT topic filter of each. */
export const REGISTRY_EVENT_TOPICS = {
  thing: '$aws/events/thing/+/+',
  thingType: '$aws/events/thingType/+/+',
  thingTypeAssociation: '$aws/events/thingTypeAssociation/thing/+/+',
  thingGroup: '$aws/events/thingGroup/+/+',
  thingGroupMembership: '$aws/events/thingGroupMembership/thingGroup/+/thing/+/+',
  thingGroupHierarchy: '$aws/events/thingGroupHierarchy/thingGroup/+/childThingGroup/+/+',
} as const;

export type RegistryEventFamily = keyof typeof REGISTRY_EVENT_TOPICS;

/** IoT event configuration types capture needs enabled (`UpdateEventConfigurations`). */
export const REGISTRY_EVENT_TYPES = [
  'THING',
  'THING_TYPE',
  'THING_TYPE_ASSOCIATION',
  'THING_GROUP',
  'THING_GROUP_MEMBERSHIP',
  'THING_GROUP_HIERARCHY',
] as const;
