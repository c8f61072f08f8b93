/**
 * Parsing and strict validation of AWS IoT registry events as the capture rules deliver them: the event
 * JSON plus `topic` (`SELECT *, topic() AS topic`). Anything that is not exactly one of the six families
 * throws MalformedInput, which capture sends to the dead-letter queue instead of retrying.
 *
 * Membership and hierarchy payloads name their entities only by ARN (or only one side), so names come
 * from the topic; where the payload also names them, the two must agree.
 */
import type { RegistryEventFamily } from '../contract';
import { MalformedInput } from '../shared/errors';

export type CrudOperation = 'CREATED' | 'UPDATED' | 'DELETED';
export type AssociationOperation = 'CREATED' | 'DELETED';
export type MembershipOperation = 'ADDED' | 'REMOVED';

interface EventHeader {
  readonly eventId: string;
  /** The event's `timestamp`, epoch milliseconds. */
  readonly eventTime: number;
  readonly topic: string;
}

export interface ThingEvent extends EventHeader {
  readonly family: 'thing';
  readonly operation: CrudOperation;
  readonly thingName: string;
  readonly versionNumber?: number;
  readonly thingTypeName?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ThingTypeEvent extends EventHeader {
  readonly family: 'thingType';
  readonly operation: CrudOperation;
  readonly thingTypeName: string;
  readonly description?: string;
  readonly searchableAttributes: readonly string[];
  readonly deprecated: boolean;
}

export interface ThingTypeAssociationEvent extends EventHeader {
  readonly family: 'thingTypeAssociation';
  readonly operation: AssociationOperation;
  readonly thingName: string;
  readonly thingTypeName: string;
}

export interface ThingGroupEvent extends EventHeader {
  readonly family: 'thingGroup';
  readonly operation: CrudOperation;
  readonly thingGroupName: string;
  readonly versionNumber?: number;
  readonly parentGroupName?: string;
  readonly description?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ThingGroupMembershipEvent extends EventHeader {
  readonly family: 'thingGroupMembership';
  readonly operation: MembershipOperation;
  readonly thingGroupName: string;
  readonly thingName: string;
}

export interface ThingGroupHierarchyEvent extends EventHeader {
  readonly family: 'thingGroupHierarchy';
  readonly operation: MembershipOperation;
  readonly parentGroupName: string;
  readonly childGroupName: string;
}

export type RegistryEvent =
  | ThingEvent
  | ThingTypeEvent
  | ThingTypeAssociationEvent
  | ThingGroupEvent
  | ThingGroupMembershipEvent
  | ThingGroupHierarchyEvent;

const EVENT_TYPES: Record<RegistryEventFamily, string> = {
  thing: 'THING_EVENT',
  thingType: 'THING_TYPE_EVENT',
  thingTypeAssociation: 'THING_TYPE_ASSOCIATION_EVENT',
  thingGroup: 'THING_GROUP_EVENT',
  thingGroupMembership: 'THING_GROUP_MEMBERSHIP_EVENT',
  thingGroupHierarchy: 'THING_GROUP_HIERARCHY_EVENT',
};

/** IoT's pattern for thing, thing type and thing group names; it also keeps '#' and '/' out of journal keys. */
const NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
/** Versions pad event time to 15 digits; anything longer would break their string order. */
const MAX_EVENT_TIME = 10 ** 15 - 1;

/**
 * How far ahead of this Lambda's clock an event may be stamped. Versions order by event time, so an event
 * from the future would win over every genuine change until that time: it is malformed, not newest.
 */
export const MAX_EVENT_CLOCK_SKEW_MS = 5 * 60 * 1000;

type Json = Record<string, unknown>;

/** Throws MalformedInput, naming the timestamp and the limit, for an event stamped beyond `now` + the skew. */
export function checkEventTime(event: Pick<RegistryEvent, 'eventTime'>, now: number): void {
  const limit = now + MAX_EVENT_CLOCK_SKEW_MS;
  if (event.eventTime > limit) {
    throw new MalformedInput(
      `timestamp ${event.eventTime} (${new Date(event.eventTime).toISOString()}) is later than now + the allowed clock skew of ` +
        `${MAX_EVENT_CLOCK_SKEW_MS / 1000} s (${new Date(limit).toISOString()})`,
    );
  }
}

/** Parses one SQS message body; throws MalformedInput saying what is wrong. */
export function parseRegistryEvent(body: string): RegistryEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new MalformedInput('body is not JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MalformedInput('body is not a JSON object');
  }
  const p = raw as Json;
  const topic = requireString(p, 'topic');
  const t = parseTopic(topic);
  const eventType = requireString(p, 'eventType');
  if (eventType !== EVENT_TYPES[t.family]) {
    throw new MalformedInput(`eventType '${eventType}' does not match topic family '${t.family}' (expected ${EVENT_TYPES[t.family]})`);
  }
  const eventId = requireString(p, 'eventId');
  if (eventId.length > 256) throw new MalformedInput('eventId is longer than 256 characters');
  const eventTime = p.timestamp;
  if (typeof eventTime !== 'number' || !Number.isSafeInteger(eventTime) || eventTime < 0 || eventTime > MAX_EVENT_TIME) {
    throw new MalformedInput(`timestamp must be epoch milliseconds, got ${JSON.stringify(eventTime)}`);
  }
  const operation = requireString(p, 'operation');
  const header: EventHeader = { eventId, eventTime, topic };

  switch (t.family) {
    case 'thing': {
      const op = crudOperation(operation, t.suffix);
      const thingName = requireMatchingName(p, 'thingName', t.names[0]);
      const versionNumber = optionalVersion(p);
      // A delete carries no state worth validating: never dead-letter a delete over a stray attribute.
      if (op === 'DELETED') return { ...header, family: 'thing', operation: op, thingName, versionNumber, attributes: {} };
      return {
        ...header,
        family: 'thing',
        operation: op,
        thingName,
        versionNumber,
        thingTypeName: optionalName(p, 'thingTypeName'),
        attributes: attributeMap(p, 'attributes'),
      };
    }
    case 'thingType': {
      const op = crudOperation(operation, t.suffix);
      const thingTypeName = requireMatchingName(p, 'thingTypeName', t.names[0]);
      if (op === 'DELETED') return { ...header, family: 'thingType', operation: op, thingTypeName, searchableAttributes: [], deprecated: false };
      return {
        ...header,
        family: 'thingType',
        operation: op,
        thingTypeName,
        description: optionalString(p, 'description'),
        searchableAttributes: stringList(p, 'searchableAttributes'),
        deprecated: optionalBoolean(p, 'isDeprecated') ?? false,
      };
    }
    case 'thingTypeAssociation': {
      if (operation !== 'CREATED' && operation !== 'DELETED') {
        throw new MalformedInput(`operation '${operation}' is not CREATED or DELETED`);
      }
      return {
        ...header,
        family: 'thingTypeAssociation',
        operation,
        thingName: requireMatchingName(p, 'thingName', t.names[0]),
        thingTypeName: requireMatchingName(p, 'thingTypeName', t.names[1]),
      };
    }
    case 'thingGroup': {
      const op = crudOperation(operation, t.suffix);
      const thingGroupName = requireMatchingName(p, 'thingGroupName', t.names[0]);
      const versionNumber = optionalVersion(p);
      if (op === 'DELETED') return { ...header, family: 'thingGroup', operation: op, thingGroupName, versionNumber, attributes: {} };
      return {
        ...header,
        family: 'thingGroup',
        operation: op,
        thingGroupName,
        versionNumber,
        parentGroupName: optionalName(p, 'parentGroupName'),
        description: optionalString(p, 'description'),
        attributes: attributeMap(p, 'attributes'),
      };
    }
    case 'thingGroupMembership': {
      const [thingGroupName, thingName] = t.names;
      requireArnTail(p, 'groupArn', `thinggroup/${thingGroupName}`);
      requireArnTail(p, 'thingArn', `thing/${thingName}`);
      return { ...header, family: 'thingGroupMembership', operation: membershipOperation(operation, t.suffix), thingGroupName, thingName };
    }
    case 'thingGroupHierarchy': {
      const [parentGroupName, childGroupName] = t.names;
      optionalMatchingName(p, 'thingGroupName', parentGroupName);
      optionalMatchingName(p, 'childGroupName', childGroupName);
      return {
        ...header,
        family: 'thingGroupHierarchy',
        operation: membershipOperation(operation, t.suffix),
        parentGroupName,
        childGroupName,
      };
    }
  }
}

interface ParsedTopic {
  readonly family: RegistryEventFamily;
  /** Entity names in topic order. */
  readonly names: readonly string[];
  /** The trailing operation segment (`created`, `added`, ...), when the family has one. */
  readonly suffix?: string;
}

/**
 * Topic shapes:
 * `$aws/events/{thing|thingType|thingGroup}/<name>/{created|updated|deleted}`,
 * `$aws/events/thingTypeAssociation/thing/<thing>/<type>`,
 * `$aws/events/thingGroupMembership/thingGroup/<group>/thing/<thing>/{added|removed}`,
 * `$aws/events/thingGroupHierarchy/thingGroup/<parent>/childThingGroup/<child>/{added|removed}`.
 */
export function parseTopic(topic: string): ParsedTopic {
  const s = topic.split('/');
  const bad = (why: string): never => {
    throw new MalformedInput(`topic '${topic}' is not a registry event topic: ${why}`);
  };
  if (s[0] !== '$aws' || s[1] !== 'events') bad("it does not start with '$aws/events/'");
  const family = s[2];
  const name = (i: number): string => (NAME.test(s[i] ?? '') ? s[i] : bad(`'${s[i] ?? ''}' is not a valid name`));
  switch (family) {
    case 'thing':
    case 'thingType':
    case 'thingGroup':
      if (s.length !== 5) bad(`expected $aws/events/${family}/<name>/<operation>`);
      return { family, names: [name(3)], suffix: s[4] };
    case 'thingTypeAssociation':
      if (s.length !== 6 || s[3] !== 'thing') bad('expected $aws/events/thingTypeAssociation/thing/<thing>/<type>');
      return { family, names: [name(4), name(5)] };
    case 'thingGroupMembership':
      if (s.length !== 8 || s[3] !== 'thingGroup' || s[5] !== 'thing') {
        bad('expected $aws/events/thingGroupMembership/thingGroup/<group>/thing/<thing>/<operation>');
      }
      return { family, names: [name(4), name(6)], suffix: s[7] };
    case 'thingGroupHierarchy':
      if (s.length !== 8 || s[3] !== 'thingGroup' || s[5] !== 'childThingGroup') {
        bad('expected $aws/events/thingGroupHierarchy/thingGroup/<parent>/childThingGroup/<child>/<operation>');
      }
      return { family, names: [name(4), name(6)], suffix: s[7] };
    default:
      return bad(`unknown event family '${family ?? ''}'`);
  }
}

function crudOperation(operation: string, suffix: string | undefined): CrudOperation {
  if (operation !== 'CREATED' && operation !== 'UPDATED' && operation !== 'DELETED') {
    throw new MalformedInput(`operation '${operation}' is not CREATED, UPDATED or DELETED`);
  }
  if (suffix !== operation.toLowerCase()) {
    throw new MalformedInput(`operation '${operation}' does not match topic suffix '${suffix}'`);
  }
  return operation;
}

function membershipOperation(operation: string, suffix: string | undefined): MembershipOperation {
  if (operation !== 'ADDED' && operation !== 'REMOVED') {
    throw new MalformedInput(`operation '${operation}' is not ADDED or REMOVED`);
  }
  if (suffix !== operation.toLowerCase()) {
    throw new MalformedInput(`operation '${operation}' does not match topic suffix '${suffix}'`);
  }
  return operation;
}

function requireString(p: Json, field: string): string {
  const v = p[field];
  if (typeof v !== 'string' || v === '') {
    throw new MalformedInput(`${field} must be a non-empty string, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  return v;
}

function requireMatchingName(p: Json, field: string, fromTopic: string): string {
  const v = requireString(p, field);
  if (v !== fromTopic) throw new MalformedInput(`${field} '${v}' does not match the topic's '${fromTopic}'`);
  return v;
}

function optionalMatchingName(p: Json, field: string, fromTopic: string): void {
  if (p[field] === undefined || p[field] === null) return;
  requireMatchingName(p, field, fromTopic);
}

/** Membership payloads identify entities by ARN (`arn:aws:iot:<region>:<account>:thinggroup/<name>`). */
function requireArnTail(p: Json, field: string, tail: string): void {
  const v = p[field];
  if (v === undefined || v === null) return;
  if (typeof v !== 'string' || !v.startsWith('arn:') || !v.endsWith(`:${tail}`)) {
    throw new MalformedInput(`${field} ${JSON.stringify(v)} does not end with ':${tail}' from the topic`);
  }
}

function optionalString(p: Json, field: string): string | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new MalformedInput(`${field} must be a string or null, got ${JSON.stringify(v)}`);
  return v;
}

function optionalName(p: Json, field: string): string | undefined {
  const v = optionalString(p, field);
  if (v !== undefined && !NAME.test(v)) throw new MalformedInput(`${field} '${v}' is not a valid name`);
  return v;
}

function optionalBoolean(p: Json, field: string): boolean | undefined {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new MalformedInput(`${field} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function optionalVersion(p: Json): number | undefined {
  const v = p.versionNumber;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new MalformedInput(`versionNumber must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function attributeMap(p: Json, field: string): Record<string, string> {
  const v = p[field];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new MalformedInput(`${field} must be an object of strings`);
  const entries = Object.entries(v as Json);
  for (const [k, val] of entries) {
    if (typeof val !== 'string') throw new MalformedInput(`${field}.${k} must be a string, got ${JSON.stringify(val)}`);
  }
  // fromEntries defines own properties, so even an attribute named '__proto__' survives.
  return Object.fromEntries(entries) as Record<string, string>;
}

function stringList(p: Json, field: string): string[] {
  const v = p[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new MalformedInput(`${field} must be an array of strings`);
  }
  return v as string[];
}
