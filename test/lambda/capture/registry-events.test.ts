import { parseRegistryEvent, parseTopic } from '../../../lambda/capture/registry-events';
import { MalformedInput } from '../../../lambda/shared/errors';
import {
  hierarchyEvent,
  membershipEvent,
  thingEvent,
  thingGroupEvent,
  thingTypeAssociationEvent,
  thingTypeEvent,
} from './registry-event-builders';

const parse = (o: Record<string, unknown>) => parseRegistryEvent(JSON.stringify(o));
const malformed = (o: Record<string, unknown> | string, message?: RegExp) => {
  const body = typeof o === 'string' ? o : JSON.stringify(o);
  expect(() => parseRegistryEvent(body)).toThrow(MalformedInput);
  if (message) expect(() => parseRegistryEvent(body)).toThrow(message);
};

describe('parseRegistryEvent: the six families as AWS documents them', () => {
  test('thing created/updated/deleted', () => {
    expect(parse(thingEvent('MyThing', 'CREATED', { eventId: 'e1', versionNumber: 1 }))).toEqual({
      family: 'thing',
      operation: 'CREATED',
      eventId: 'e1',
      eventTime: 1234567890123,
      topic: '$aws/events/thing/MyThing/created',
      thingName: 'MyThing',
      versionNumber: 1,
      thingTypeName: undefined,
      attributes: { attribute1: 'value1', attribute2: 'value2', attribute3: 'value3' },
    });
    expect(parse(thingEvent('MyThing', 'UPDATED', { versionNumber: 7, thingTypeName: 'Sensor', attributes: {} }))).toMatchObject({
      operation: 'UPDATED',
      versionNumber: 7,
      thingTypeName: 'Sensor',
      attributes: {},
    });
    expect(parse(thingEvent('MyThing', 'DELETED'))).toMatchObject({ family: 'thing', operation: 'DELETED', thingName: 'MyThing' });
  });

  test('a thing without attributes or versionNumber (null / absent) parses', () => {
    const e = thingEvent('T', 'CREATED');
    delete e.versionNumber;
    e.attributes = null;
    expect(parse(e)).toMatchObject({ versionNumber: undefined, attributes: {} });
  });

  test('a delete is not dead-lettered over state fields it does not need', () => {
    expect(parse({ ...thingEvent('T', 'DELETED'), attributes: { a: 1 }, thingTypeName: 42 })).toMatchObject({ operation: 'DELETED' });
    expect(parse({ ...thingTypeEvent('TT', 'DELETED'), searchableAttributes: 'x' })).toMatchObject({ operation: 'DELETED' });
  });

  test('an attribute named __proto__ survives', () => {
    const body = JSON.stringify(thingEvent('T', 'CREATED', { attributes: {} })).replace('"attributes":{}', '"attributes":{"__proto__":"x"}');
    const e = parseRegistryEvent(body);
    expect(e.family === 'thing' && Object.keys(e.attributes)).toEqual(['__proto__']);
  });

  test('thing type created/updated (deprecated)/deleted', () => {
    expect(parse(thingTypeEvent('MyThingType', 'CREATED', { eventId: 'e2' }))).toEqual({
      family: 'thingType',
      operation: 'CREATED',
      eventId: 'e2',
      eventTime: 1234567890123,
      topic: '$aws/events/thingType/MyThingType/created',
      thingTypeName: 'MyThingType',
      description: 'My thing type',
      searchableAttributes: ['attribute1', 'attribute2', 'attribute3'],
      deprecated: false,
    });
    expect(parse(thingTypeEvent('MyThingType', 'UPDATED', { isDeprecated: true, description: null }))).toMatchObject({
      deprecated: true,
      description: undefined,
    });
    expect(parse(thingTypeEvent('MyThingType', 'DELETED'))).toMatchObject({ operation: 'DELETED' });
  });

  test('thing type association: both names from the topic, checked against the payload', () => {
    expect(parse(thingTypeAssociationEvent('myThing', 'MyThingType', 'CREATED', { eventId: 'e3' }))).toEqual({
      family: 'thingTypeAssociation',
      operation: 'CREATED',
      eventId: 'e3',
      eventTime: 1234567890123,
      topic: '$aws/events/thingTypeAssociation/thing/myThing/MyThingType',
      thingName: 'myThing',
      thingTypeName: 'MyThingType',
    });
    expect(parse(thingTypeAssociationEvent('myThing', 'MyThingType', 'DELETED'))).toMatchObject({ operation: 'DELETED' });
    malformed({ ...thingTypeAssociationEvent('myThing', 'MyThingType', 'CREATED'), thingTypeName: 'Other' }, /does not match/);
    malformed({ ...thingTypeAssociationEvent('myThing', 'MyThingType', 'CREATED'), operation: 'UPDATED' }, /CREATED or DELETED/);
  });

  test('thing group created/updated/deleted', () => {
    expect(parse(thingGroupEvent('Tg_level5', 'UPDATED', { eventId: 'e4', versionNumber: 3, parentGroupName: 'Tg_level4' }))).toEqual({
      family: 'thingGroup',
      operation: 'UPDATED',
      eventId: 'e4',
      eventTime: 1603995417409,
      topic: '$aws/events/thingGroup/Tg_level5/updated',
      thingGroupName: 'Tg_level5',
      versionNumber: 3,
      parentGroupName: 'Tg_level4',
      description: 'New description for Tg_level5',
      attributes: { attribute1: 'value1', attribute2: 'value2', attribute3: 'value3' },
    });
    expect(parse(thingGroupEvent('Root', 'CREATED', { description: null }))).toMatchObject({ parentGroupName: undefined, description: undefined });
    expect(parse(thingGroupEvent('Root', 'DELETED', { versionNumber: 9 }))).toMatchObject({ operation: 'DELETED', versionNumber: 9 });
  });

  test('thing group membership: names from the topic, ARNs must agree', () => {
    expect(parse(membershipEvent('MyChildThingGroup', 'MyThing', 'ADDED', { eventId: 'e5' }))).toEqual({
      family: 'thingGroupMembership',
      operation: 'ADDED',
      eventId: 'e5',
      eventTime: 1234567890123,
      topic: '$aws/events/thingGroupMembership/thingGroup/MyChildThingGroup/thing/MyThing/added',
      thingGroupName: 'MyChildThingGroup',
      thingName: 'MyThing',
    });
    expect(parse(membershipEvent('G', 'T', 'REMOVED'))).toMatchObject({ operation: 'REMOVED' });
    malformed({ ...membershipEvent('G', 'T', 'ADDED'), groupArn: 'arn:aws:iot:us-east-1:1:thinggroup/Other' }, /groupArn/);
    malformed({ ...membershipEvent('G', 'T', 'ADDED'), thingArn: 'arn:aws:iot:us-east-1:1:thing/GT' }, /thingArn/);
    malformed({ ...membershipEvent('G', 'T', 'ADDED'), thingArn: 7 }, /thingArn/);
  });

  test('thing group hierarchy: parent and child from the topic', () => {
    expect(parse(hierarchyEvent('MyRootThingGroup', 'MyChildThingGroup', 'ADDED', { eventId: 'e6' }))).toEqual({
      family: 'thingGroupHierarchy',
      operation: 'ADDED',
      eventId: 'e6',
      eventTime: 1234567890123,
      topic: '$aws/events/thingGroupHierarchy/thingGroup/MyRootThingGroup/childThingGroup/MyChildThingGroup/added',
      parentGroupName: 'MyRootThingGroup',
      childGroupName: 'MyChildThingGroup',
    });
    malformed({ ...hierarchyEvent('P', 'C', 'REMOVED'), childGroupName: 'X' }, /childGroupName/);
  });
});

describe('parseRegistryEvent: strict validation', () => {
  const good = thingEvent('T', 'UPDATED', { versionNumber: 2 });

  test.each([
    ['not JSON', '{nope', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
  ])('body that is %s', (_what, body, message) => malformed(body, message));

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['missing topic', { ...good, topic: undefined }, /topic must be/],
    ['non-string topic', { ...good, topic: 5 }, /topic must be/],
    ['foreign topic', { ...good, topic: 'dt/T/updated' }, /\$aws\/events/],
    ['unknown family', { ...good, topic: '$aws/events/certificate/abc/created' }, /unknown event family/],
    ['lifecycle topic', { ...good, topic: '$aws/events/presence/connected/T' }, /unknown event family/],
    ['extra topic level', { ...good, topic: '$aws/events/thing/T/x/updated' }, /expected/],
    ['eventType of another family', { ...good, eventType: 'THING_GROUP_EVENT' }, /does not match topic family/],
    ['operation not matching the topic', { ...good, operation: 'CREATED' }, /topic suffix/],
    ['unknown operation', { ...good, operation: 'RENAMED' }, /not CREATED, UPDATED or DELETED/],
    ['operation of another family', { ...good, operation: 'ADDED', topic: '$aws/events/thing/T/added' }, /not CREATED/],
    ['name different from the topic', { ...good, thingName: 'U' }, /does not match the topic/],
    ['missing name', { ...good, thingName: undefined }, /thingName must be/],
    ['numeric eventId', { ...good, eventId: 12 }, /eventId must be/],
    ['empty eventId', { ...good, eventId: '' }, /eventId must be/],
    ['string timestamp', { ...good, timestamp: '1234567890123' }, /timestamp/],
    ['fractional timestamp', { ...good, timestamp: 1.5 }, /timestamp/],
    ['negative timestamp', { ...good, timestamp: -1 }, /timestamp/],
    ['timestamp too large for versions', { ...good, timestamp: 10 ** 15 }, /timestamp/],
    ['non-integer versionNumber', { ...good, versionNumber: '2' }, /versionNumber/],
    ['attribute that is not a string', { ...good, attributes: { a: 1 } }, /attributes\.a/],
    ['attributes as a list', { ...good, attributes: ['a'] }, /attributes/],
    ['invalid thing type name', { ...good, thingTypeName: 'a#b' }, /thingTypeName/],
  ])('rejects %s', (_what, body, message) => malformed(body, message));

  test('rejects names that would corrupt journal keys', () => {
    malformed({ ...thingEvent('T', 'CREATED'), thingName: 'a#b', topic: '$aws/events/thing/a#b/created' }, /not a valid name/);
    malformed({ ...thingEvent('T', 'CREATED'), topic: '$aws/events/thing//created' }, /not a valid name/);
  });

  test('thing type fields are typed', () => {
    malformed({ ...thingTypeEvent('TT', 'UPDATED'), isDeprecated: 'yes' }, /isDeprecated/);
    malformed({ ...thingTypeEvent('TT', 'UPDATED'), searchableAttributes: [1] }, /searchableAttributes/);
    malformed({ ...thingTypeEvent('TT', 'UPDATED'), description: 3 }, /description/);
  });
});

describe('parseTopic', () => {
  test('recognises every family', () => {
    expect(parseTopic('$aws/events/thingType/A/deleted')).toEqual({ family: 'thingType', names: ['A'], suffix: 'deleted' });
    expect(parseTopic('$aws/events/thingTypeAssociation/thing/T/A')).toEqual({ family: 'thingTypeAssociation', names: ['T', 'A'] });
    expect(parseTopic('$aws/events/thingGroupMembership/thingGroup/G/thing/T/added')).toMatchObject({ names: ['G', 'T'] });
    expect(parseTopic('$aws/events/thingGroupHierarchy/thingGroup/P/childThingGroup/C/removed')).toMatchObject({ names: ['P', 'C'] });
  });

  test('rejects misplaced literal segments', () => {
    expect(() => parseTopic('$aws/events/thingGroupMembership/group/G/thing/T/added')).toThrow(MalformedInput);
    expect(() => parseTopic('$aws/events/thingGroupHierarchy/thingGroup/P/child/C/added')).toThrow(MalformedInput);
    expect(() => parseTopic('$aws/events/thingTypeAssociation/things/T/A')).toThrow(MalformedInput);
  });
});
