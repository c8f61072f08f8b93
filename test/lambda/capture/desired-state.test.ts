import {
  type GroupHierarchyMerge,
  mergedItem,
  mergeFingerprints,
  mergeState,
  type MergePlan,
  planChange,
  type ReplacePlan,
  type ThingTypeAssociationMerge,
} from '../../../lambda/capture/desired-state';
import { parseRegistryEvent } from '../../../lambda/capture/registry-events';
import { hashFingerprint, versionFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { stateHash, TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import type { ThingGroupState, ThingState } from '../../../lambda/shared/model';
import { compareVersions, makeVersion } from '../../../lambda/shared/version';
import {
  hierarchyEvent,
  membershipEvent,
  thingEvent,
  thingGroupEvent,
  thingTypeAssociationEvent,
  thingTypeEvent,
} from './registry-event-builders';

const NOW = 1_700_000_000_123;
const ctx = { originRegion: 'us-east-1', now: NOW, tombstoneTtlSeconds: 1209600 };
const plan = (o: Record<string, unknown>) => planChange(parseRegistryEvent(JSON.stringify(o)), ctx);
const replace = (o: Record<string, unknown>) => plan(o) as ReplacePlan;
const mergePlan = (o: Record<string, unknown>) => plan(o) as MergePlan;

describe('planChange: whole-entity events replace the item', () => {
  test('thing: attributes and type, versioned by IoT version number', () => {
    const p = replace(thingEvent('MyThing', 'UPDATED', { eventId: 'e1', timestamp: 1000, versionNumber: 4, thingTypeName: 'Sensor' }));
    const state = { thingName: 'MyThing', thingTypeName: 'Sensor', attributes: { attribute1: 'value1', attribute2: 'value2', attribute3: 'value3' } };
    expect(p).toEqual({
      mode: 'replace',
      cascade: false,
      fingerprints: [versionFingerprint(4)],
      item: {
        pk: 'thing#MyThing',
        sk: 'thing#MyThing',
        kind: 'thing',
        version: makeVersion({ eventTime: 1000, originRegion: 'us-east-1', localVersion: 4, eventId: 'e1' }),
        eventTime: 1000,
        eventId: 'e1',
        originRegion: 'us-east-1',
        deleted: false,
        state,
        stateHash: stateHash(state),
        capturedAt: NOW,
      },
    });
    expect(p.item).not.toHaveProperty('expiresAt');
    expect(p.item).not.toHaveProperty('ref');
  });

  test('thing without a type stores no thingTypeName (not null)', () => {
    const p = replace(thingEvent('T', 'CREATED', { attributes: {} }));
    expect(p.item.state).toEqual({ thingName: 'T', attributes: {} });
    expect(Object.keys(p.item.state!)).not.toContain('thingTypeName');
  });

  test('thing delete: tombstone that cascades, hashed and expiring', () => {
    const p = replace(thingEvent('T', 'DELETED', { eventId: 'd1', timestamp: 2000, versionNumber: 3 }));
    expect(p.cascade).toBe(true);
    expect(p.fingerprints).toEqual([hashFingerprint(TOMBSTONE_HASH)]);
    expect(p.item).toEqual({
      pk: 'thing#T',
      sk: 'thing#T',
      kind: 'thing',
      version: makeVersion({ eventTime: 2000, originRegion: 'us-east-1', localVersion: 3, eventId: 'd1' }),
      eventTime: 2000,
      eventId: 'd1',
      originRegion: 'us-east-1',
      deleted: true,
      stateHash: TOMBSTONE_HASH,
      capturedAt: NOW,
      expiresAt: Math.floor(NOW / 1000) + 1209600,
    });
  });

  test('a thing event without versionNumber falls back to a state-hash fingerprint', () => {
    const e = thingEvent('T', 'UPDATED');
    delete e.versionNumber;
    const p = replace(e);
    expect(p.fingerprints).toEqual([hashFingerprint(p.item.stateHash)]);
    expect(p.item.version).toContain('#000000000000#');
  });

  test('thing type: description, searchable attributes, deprecation; hash fingerprint; no cascade on delete', () => {
    const p = replace(thingTypeEvent('MyThingType', 'UPDATED', { isDeprecated: true }));
    expect(p.item).toMatchObject({ pk: 'thingType#MyThingType', sk: 'thingType#MyThingType', kind: 'thingType', deleted: false });
    expect(p.item.state).toEqual({
      thingTypeName: 'MyThingType',
      description: 'My thing type',
      searchableAttributes: ['attribute1', 'attribute2', 'attribute3'],
      deprecated: true,
    });
    expect(p.fingerprints).toEqual([hashFingerprint(stateHash(p.item.state))]);
    expect(p.item.version).toContain('#000000000000#');
    const d = replace(thingTypeEvent('MyThingType', 'DELETED'));
    expect(d).toMatchObject({ cascade: false, item: { deleted: true, stateHash: TOMBSTONE_HASH } });
  });

  test('thing group: parent, description, attributes; delete cascades', () => {
    const p = replace(thingGroupEvent('Tg_level5', 'UPDATED', { versionNumber: 3, parentGroupName: 'Tg_level4' }));
    expect(p.item).toMatchObject({ pk: 'thingGroup#Tg_level5', sk: 'thingGroup#Tg_level5', kind: 'thingGroup' });
    expect(p.item.state).toEqual({
      thingGroupName: 'Tg_level5',
      parentGroupName: 'Tg_level4',
      description: 'New description for Tg_level5',
      attributes: { attribute1: 'value1', attribute2: 'value2', attribute3: 'value3' },
    });
    expect(p.fingerprints).toEqual([versionFingerprint(3)]);
    expect(replace(thingGroupEvent('G', 'CREATED', { description: null })).item.state).toEqual({
      thingGroupName: 'G',
      attributes: { attribute1: 'value1', attribute2: 'value2', attribute3: 'value3' },
    });
    expect(replace(thingGroupEvent('G', 'DELETED')).cascade).toBe(true);
  });

  test('membership: item under the group partition, ref to the thing; removal is a tombstone', () => {
    const a = replace(membershipEvent('G', 'T', 'ADDED'));
    expect(a.item).toMatchObject({
      pk: 'thingGroup#G',
      sk: 'member#G#T',
      ref: 'thing#T',
      kind: 'member',
      deleted: false,
      state: { thingGroupName: 'G', thingName: 'T' },
    });
    expect(a.fingerprints).toEqual([hashFingerprint(stateHash({ thingGroupName: 'G', thingName: 'T' }))]);
    const r = replace(membershipEvent('G', 'T', 'REMOVED'));
    expect(r.item).toMatchObject({ pk: 'thingGroup#G', sk: 'member#G#T', ref: 'thing#T', deleted: true, stateHash: TOMBSTONE_HASH });
    expect(r.item).not.toHaveProperty('state');
    expect(r.cascade).toBe(false);
  });
});

describe('planChange: partial events merge into the owning item', () => {
  test('type association targets the thing item', () => {
    const p = mergePlan(thingTypeAssociationEvent('T', 'Sensor', 'CREATED', { eventId: 'a1', timestamp: 500 }));
    expect(p).toMatchObject({
      mode: 'merge',
      kind: 'thing',
      keys: { pk: 'thing#T', sk: 'thing#T' },
      thingName: 'T',
      thingTypeName: 'Sensor',
      associate: true,
      version: makeVersion({ eventTime: 500, originRegion: 'us-east-1', eventId: 'a1' }),
      capturedAt: NOW,
    });
    expect((mergePlan(thingTypeAssociationEvent('T', 'Sensor', 'DELETED')) as ThingTypeAssociationMerge).associate).toBe(false);
  });

  test('hierarchy targets the child group item', () => {
    const p = mergePlan(hierarchyEvent('P', 'C', 'ADDED'));
    expect(p).toMatchObject({ kind: 'thingGroup', keys: { pk: 'thingGroup#C', sk: 'thingGroup#C' }, parentGroupName: 'P', attach: true });
    expect((mergePlan(hierarchyEvent('P', 'C', 'REMOVED')) as GroupHierarchyMerge).attach).toBe(false);
  });

  test('the full thing event wins a same-millisecond tie with its partial association event', () => {
    const full = replace(thingEvent('T', 'UPDATED', { eventId: 'zzz', timestamp: 700, versionNumber: 2 }));
    const partial = mergePlan(thingTypeAssociationEvent('T', 'Sensor', 'CREATED', { eventId: 'zzzz', timestamp: 700 }));
    expect(compareVersions(full.item.version, partial.version)).toBeGreaterThan(0);
  });
});

describe('mergeState', () => {
  const thing: ThingState = { thingName: 'T', thingTypeName: 'Old', attributes: { a: '1' } };
  const group: ThingGroupState = { thingGroupName: 'C', parentGroupName: 'P', description: 'd', attributes: { x: 'y' } };

  test('association sets the type; disassociation clears only the type it names', () => {
    const set = mergePlan(thingTypeAssociationEvent('T', 'New', 'CREATED'));
    expect(mergeState(set, thing)).toEqual({ thingName: 'T', thingTypeName: 'New', attributes: { a: '1' } });
    const clearOld = mergePlan(thingTypeAssociationEvent('T', 'Old', 'DELETED'));
    const cleared = mergeState(clearOld, thing);
    expect(cleared).toEqual({ thingName: 'T', attributes: { a: '1' } });
    expect(Object.keys(cleared)).not.toContain('thingTypeName');
    const clearOther = mergePlan(thingTypeAssociationEvent('T', 'Other', 'DELETED'));
    expect(mergeState(clearOther, thing)).toEqual(thing);
  });

  test('hierarchy sets the parent; removal clears only that parent', () => {
    expect(mergeState(mergePlan(hierarchyEvent('Q', 'C', 'ADDED')), group)).toEqual({ ...group, parentGroupName: 'Q' });
    expect(mergeState(mergePlan(hierarchyEvent('P', 'C', 'REMOVED')), group)).toEqual({ thingGroupName: 'C', description: 'd', attributes: { x: 'y' } });
    expect(mergeState(mergePlan(hierarchyEvent('Z', 'C', 'REMOVED')), group)).toEqual(group);
  });

  test('merged item carries the partial event version and the merged hash as fingerprint', () => {
    const p = mergePlan(thingTypeAssociationEvent('T', 'New', 'CREATED', { eventId: 'm1', timestamp: 900 }));
    const item = mergedItem(p, mergeState(p, thing));
    expect(item).toMatchObject({ pk: 'thing#T', sk: 'thing#T', kind: 'thing', version: p.version, eventTime: 900, eventId: 'm1', deleted: false });
    expect(item.stateHash).toBe(stateHash({ thingName: 'T', thingTypeName: 'New', attributes: { a: '1' } }));
    expect(mergeFingerprints(item)).toEqual([hashFingerprint(item.stateHash)]);
  });
});
