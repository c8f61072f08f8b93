import {
  DescribeThingCommand,
  DescribeThingGroupCommand,
  DescribeThingTypeCommand,
  IoTClient,
  ListThingGroupsForThingCommand,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { planChange, type ReplacePlan } from '../../../lambda/capture/desired-state';
import { parseRegistryEvent } from '../../../lambda/capture/registry-events';
import { thingGroupStateOf, thingStateOf, thingTypeStateOf } from '../../../lambda/replay/state';
import { stateHash } from '../../../lambda/shared/hash';
import type { EntityState, JournalItem } from '../../../lambda/shared/model';
import { describeThing, describeThingGroup, describeThingType, iotRegistryReader } from '../../../lambda/shared/registry-adapter';
import { thingEvent, thingGroupEvent, thingTypeEvent } from '../capture/registry-event-builders';

const iot = mockClient(IoTClient);
const client = new IoTClient({ region: 'us-east-1' });
const reader = iotRegistryReader(client);

beforeEach(() => iot.reset());
afterAll(() => iot.restore());

describe('capture reads the registry as journal states', () => {
  test('describes a thing as its journal state', async () => {
    iot.on(DescribeThingCommand, { thingName: 'T' }).resolves({ thingName: 'T', thingTypeName: 'Pump', attributes: { a: '1' }, version: 4 });
    expect(await reader.describeThing('T')).toEqual({ thingName: 'T', thingTypeName: 'Pump', attributes: { a: '1' } });
    iot.on(DescribeThingCommand, { thingName: 'U' }).resolves({ thingName: 'U' });
    expect(await reader.describeThing('U')).toEqual({ thingName: 'U', attributes: {} });
  });

  test('describes a thing group as its journal state', async () => {
    iot.on(DescribeThingGroupCommand, { thingGroupName: 'C' }).resolves({
      thingGroupName: 'C',
      version: 2,
      thingGroupProperties: { thingGroupDescription: 'child', attributePayload: { attributes: { k: 'v' } } },
      thingGroupMetadata: { parentGroupName: 'P', rootToParentThingGroups: [{ groupName: 'P', groupArn: 'arn' }] },
    });
    expect(await reader.describeThingGroup('C')).toEqual({ thingGroupName: 'C', parentGroupName: 'P', description: 'child', attributes: { k: 'v' } });
    iot.on(DescribeThingGroupCommand, { thingGroupName: 'R' }).resolves({ thingGroupName: 'R', thingGroupProperties: {} });
    expect(await reader.describeThingGroup('R')).toEqual({ thingGroupName: 'R', attributes: {} });
  });

  test('describes a membership from the thing’s groups, all pages', async () => {
    iot
      .on(ListThingGroupsForThingCommand, { thingName: 'T', nextToken: undefined })
      .resolves({ thingGroups: [{ groupName: 'a' }], nextToken: 'p2' })
      .on(ListThingGroupsForThingCommand, { thingName: 'T', nextToken: 'p2' })
      .resolves({ thingGroups: [{ groupName: 'b' }] });
    expect(await reader.describeMembership('b', 'T')).toEqual({ thingGroupName: 'b', thingName: 'T' });
    expect(await reader.describeMembership('c', 'T')).toBeUndefined();
  });

  test('a missing entity is undefined; other errors propagate (SQS retries them)', async () => {
    iot.on(DescribeThingCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    iot.on(DescribeThingGroupCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    iot.on(ListThingGroupsForThingCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    expect(await reader.describeThing('X')).toBeUndefined();
    expect(await reader.describeMembership('g', 'X')).toBeUndefined();
    await expect(reader.describeThingGroup('Y')).rejects.toThrow('slow down');
  });
});

describe('replay reads the registry with versions', () => {
  test('things and thing groups carry IoT’s version number beside the state', async () => {
    iot.on(DescribeThingCommand).resolves({ thingName: 'T', attributes: { a: '1' }, version: 7 });
    iot.on(DescribeThingGroupCommand).resolves({ thingGroupName: 'G', version: 3, thingGroupProperties: {} });
    expect(await describeThing(client, 'T')).toEqual({ state: { thingName: 'T', attributes: { a: '1' } }, version: 7 });
    expect(await describeThingGroup(client, 'G')).toEqual({ state: { thingGroupName: 'G', attributes: {} }, version: 3 });
  });
});

/**
 * The echo check compares hashes computed on both sides: capture hashes the state of a registry event or
 * of a describe, replay the state of the journal item it applied. All must agree on "no description".
 */
describe('one canonical state on both sides', () => {
  const ctx = { originRegion: 'us-east-1', now: 1, tombstoneTtlSeconds: 60 };
  const captured = (event: Record<string, unknown>): EntityState => (planChange(parseRegistryEvent(JSON.stringify(event)), ctx) as ReplacePlan).item.state!;
  const journaled = (state: Record<string, unknown>): JournalItem =>
    ({ pk: 'k', sk: 'k', kind: 'thing', version: 'v', eventTime: 1, eventId: 'e', originRegion: 'r', deleted: false, state, stateHash: 'h', capturedAt: 1 }) as unknown as JournalItem;

  // In events IoT writes no description as null; a journal item or a describe leaves it out.
  const inEvent = (d: string | undefined): string | null => (d === undefined ? null : d);

  test.each([undefined, ''])('thing type description %p: omitted everywhere, one hash', async (description) => {
    iot.on(DescribeThingTypeCommand).resolves({
      thingTypeName: 'Pump',
      thingTypeProperties: { searchableAttributes: ['a'], thingTypeDescription: description },
      thingTypeMetadata: { deprecated: false },
    });
    const described = await describeThingType(client, 'Pump');
    const fromEvent = captured(thingTypeEvent('Pump', 'CREATED', { description: inEvent(description), searchableAttributes: ['a'] }));
    const fromJournal = thingTypeStateOf(journaled({ thingTypeName: 'Pump', description, searchableAttributes: ['a'], deprecated: false }), 'Pump');
    const expected = { thingTypeName: 'Pump', searchableAttributes: ['a'], deprecated: false };
    for (const state of [described, fromEvent, fromJournal]) {
      expect(state).toStrictEqual(expected);
      expect(stateHash(state)).toBe(stateHash(expected));
    }
  });

  test.each([undefined, ''])('thing group description %p and no parent: omitted everywhere, one hash', async (description) => {
    iot.on(DescribeThingGroupCommand).resolves({
      thingGroupName: 'G',
      thingGroupProperties: { thingGroupDescription: description, attributePayload: { attributes: { k: 'v' } } },
      thingGroupMetadata: {},
    });
    const described = (await describeThingGroup(client, 'G'))?.state;
    const fromEvent = captured(thingGroupEvent('G', 'UPDATED', { description: inEvent(description), parentGroupName: null, attributes: { k: 'v' } }));
    const fromJournal = thingGroupStateOf(journaled({ thingGroupName: 'G', description, attributes: { k: 'v' } }), 'G');
    const expected = { thingGroupName: 'G', attributes: { k: 'v' } };
    for (const state of [described, fromEvent, fromJournal]) {
      expect(state).toStrictEqual(expected);
      expect(stateHash(state)).toBe(stateHash(expected));
    }
  });

  test('a thing without a type or attributes: the same state from an event, a describe and a journal item', async () => {
    iot.on(DescribeThingCommand).resolves({ thingName: 'T', thingTypeName: '' });
    const described = (await describeThing(client, 'T'))?.state;
    const fromEvent = captured(thingEvent('T', 'CREATED', { thingTypeName: null, attributes: {} }));
    const fromJournal = thingStateOf(journaled({ thingName: 'T', thingTypeName: '' }), 'T');
    for (const state of [described, fromEvent, fromJournal]) expect(state).toStrictEqual({ thingName: 'T', attributes: {} });
  });
});
