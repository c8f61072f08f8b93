/**
 * Registry events shaped exactly like the examples in the AWS IoT developer guide ("Registry events"),
 * as the capture rules deliver them (`SELECT *, topic() AS topic`), plus SQS batch wrappers.
 */
import type { SQSEvent, SQSRecord } from 'aws-lambda';

const ACCOUNT = '123456789012';
const REGION = 'ap-northeast-2';
let seq = 0;
const nextId = (): string => `evt-${String(++seq).padStart(6, '0')}`;

export interface Common {
  readonly eventId?: string;
  readonly timestamp?: number;
}

export type Crud = 'CREATED' | 'UPDATED' | 'DELETED';

export function thingEvent(
  thingName: string,
  operation: Crud,
  opts: Common & { versionNumber?: number; thingTypeName?: string | null; attributes?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    eventType: 'THING_EVENT',
    eventId: opts.eventId ?? nextId(),
    timestamp: opts.timestamp ?? 1234567890123,
    operation,
    accountId: ACCOUNT,
    thingId: 'b604f69c-aa9a-4d4a-829e-c480e958a0b5',
    thingName,
    versionNumber: opts.versionNumber ?? 1,
    thingTypeName: opts.thingTypeName ?? null,
    attributes: opts.attributes ?? { attribute3: 'value3', attribute1: 'value1', attribute2: 'value2' },
    topic: `$aws/events/thing/${thingName}/${operation.toLowerCase()}`,
  };
}

export function thingTypeEvent(
  thingTypeName: string,
  operation: Crud,
  opts: Common & { isDeprecated?: boolean; searchableAttributes?: string[]; description?: string | null } = {},
): Record<string, unknown> {
  return {
    eventType: 'THING_TYPE_EVENT',
    eventId: opts.eventId ?? nextId(),
    timestamp: opts.timestamp ?? 1234567890123,
    operation,
    accountId: ACCOUNT,
    thingTypeId: 'c530ae83-32aa-4592-94d3-da29879d1aac',
    thingTypeName,
    isDeprecated: opts.isDeprecated ?? false,
    deprecationDate: null,
    searchableAttributes: opts.searchableAttributes ?? ['attribute1', 'attribute2', 'attribute3'],
    description: opts.description === undefined ? 'My thing type' : opts.description,
    topic: `$aws/events/thingType/${thingTypeName}/${operation.toLowerCase()}`,
  };
}

export function thingTypeAssociationEvent(
  thingName: string,
  thingTypeName: string,
  operation: 'CREATED' | 'DELETED',
  opts: Common = {},
): Record<string, unknown> {
  return {
    eventId: opts.eventId ?? nextId(),
    eventType: 'THING_TYPE_ASSOCIATION_EVENT',
    operation,
    thingId: 'b604f69c-aa9a-4d4a-829e-c480e958a0b5',
    thingName,
    thingTypeName,
    timestamp: opts.timestamp ?? 1234567890123,
    topic: `$aws/events/thingTypeAssociation/thing/${thingName}/${thingTypeName}`,
  };
}

export function thingGroupEvent(
  thingGroupName: string,
  operation: Crud,
  opts: Common & { versionNumber?: number; parentGroupName?: string | null; description?: string | null; attributes?: Record<string, string> } = {},
): Record<string, unknown> {
  const parent = opts.parentGroupName === undefined ? null : opts.parentGroupName;
  return {
    eventType: 'THING_GROUP_EVENT',
    eventId: opts.eventId ?? nextId(),
    timestamp: opts.timestamp ?? 1603995417409,
    operation,
    accountId: '571EXAMPLE833',
    thingGroupId: '8757eec8-bb37-4cca-a6fa-403b003d139f',
    thingGroupName,
    versionNumber: opts.versionNumber ?? 1,
    parentGroupName: parent,
    parentGroupId: parent ? '5fce366a-7875-4c0e-870b-79d8d1dce119' : null,
    description: opts.description === undefined ? `New description for ${thingGroupName}` : opts.description,
    rootToParentThingGroups: parent
      ? [{ groupArn: `arn:aws:iot:us-west-2:571EXAMPLE833:thinggroup/${parent}`, groupId: '5fce366a-7875-4c0e-870b-79d8d1dce119' }]
      : [],
    attributes: opts.attributes ?? { attribute1: 'value1', attribute3: 'value3', attribute2: 'value2' },
    dynamicGroupMappingId: null,
    topic: `$aws/events/thingGroup/${thingGroupName}/${operation.toLowerCase()}`,
  };
}

export function membershipEvent(thingGroupName: string, thingName: string, operation: 'ADDED' | 'REMOVED', opts: Common = {}): Record<string, unknown> {
  return {
    eventType: 'THING_GROUP_MEMBERSHIP_EVENT',
    eventId: opts.eventId ?? nextId(),
    timestamp: opts.timestamp ?? 1234567890123,
    operation,
    accountId: ACCOUNT,
    groupArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thinggroup/${thingGroupName}`,
    groupId: '06838589-373f-4312-b1f2-53f2192291c4',
    thingArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thing/${thingName}`,
    thingId: 'b604f69c-aa9a-4d4a-829e-c480e958a0b5',
    membershipId: '8505ebf8-4d32-4286-80e9-c23a4a16bbd8',
    topic: `$aws/events/thingGroupMembership/thingGroup/${thingGroupName}/thing/${thingName}/${operation.toLowerCase()}`,
  };
}

export function hierarchyEvent(parentGroupName: string, childGroupName: string, operation: 'ADDED' | 'REMOVED', opts: Common = {}): Record<string, unknown> {
  return {
    eventType: 'THING_GROUP_HIERARCHY_EVENT',
    eventId: opts.eventId ?? nextId(),
    timestamp: opts.timestamp ?? 1234567890123,
    operation,
    accountId: ACCOUNT,
    thingGroupId: '8f82a106-6b1d-4331-8984-a84db5f6f8cb',
    thingGroupName: parentGroupName,
    childGroupId: '06838589-373f-4312-b1f2-53f2192291c4',
    childGroupName,
    topic: `$aws/events/thingGroupHierarchy/thingGroup/${parentGroupName}/childThingGroup/${childGroupName}/${operation.toLowerCase()}`,
  };
}

/** One SQS record per body (objects are JSON-encoded, strings passed through as raw bodies). */
export function sqsBatch(...bodies: ReadonlyArray<Record<string, unknown> | string>): SQSEvent {
  return { Records: bodies.map((b, i) => sqsRecord(b, `msg-${++seq}-${i}`)) };
}

export function sqsRecord(body: Record<string, unknown> | string, messageId: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1234567890123',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1234567890123',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-west-2:123456789012:iot-dr-capture',
    awsRegion: 'us-west-2',
  };
}
