import { membershipState, thingGroupState, thingState, thingTypeState } from '../../../lambda/shared/entity-state';

test('absent, null and empty optional names and descriptions are omitted, not stored as undefined', () => {
  for (const none of [undefined, null, '']) {
    expect(Object.keys(thingState({ thingName: 't', thingTypeName: none }))).toEqual(['thingName', 'attributes']);
    expect(Object.keys(thingTypeState({ thingTypeName: 'T', description: none }))).toEqual(['thingTypeName', 'searchableAttributes', 'deprecated']);
    expect(Object.keys(thingGroupState({ thingGroupName: 'g', parentGroupName: none, description: none }))).toEqual(['thingGroupName', 'attributes']);
  }
});

test('maps, lists and flags are never absent', () => {
  expect(thingState({ thingName: 't', attributes: null })).toStrictEqual({ thingName: 't', attributes: {} });
  expect(thingTypeState({ thingTypeName: 'T', searchableAttributes: null, deprecated: null })).toStrictEqual({
    thingTypeName: 'T',
    searchableAttributes: [],
    deprecated: false,
  });
  expect(thingGroupState({ thingGroupName: 'g' })).toStrictEqual({ thingGroupName: 'g', attributes: {} });
});

test('present values are kept as they are; fields outside the state are dropped', () => {
  const event = { thingName: 't', thingTypeName: 'Pump', attributes: { a: '1' }, versionNumber: 3, eventId: 'e' };
  expect(thingState(event)).toStrictEqual({ thingName: 't', thingTypeName: 'Pump', attributes: { a: '1' } });
  expect(thingGroupState({ thingGroupName: 'g', parentGroupName: 'p', description: 'd', attributes: { k: 'v' } })).toStrictEqual({
    thingGroupName: 'g',
    parentGroupName: 'p',
    description: 'd',
    attributes: { k: 'v' },
  });
  expect(membershipState('g', 't')).toStrictEqual({ thingGroupName: 'g', thingName: 't' });
});
