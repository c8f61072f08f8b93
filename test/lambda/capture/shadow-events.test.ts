import { planShadowChange } from '../../../lambda/capture/identity-capture';
import { isReplayEcho, isShadowMessage, parseShadowMessage, parseShadowTopic } from '../../../lambda/capture/shadow-events';
import { REPLAY_CLIENT_TOKEN_PREFIX } from '../../../lambda/contract';
import { MalformedInput } from '../../../lambda/shared/errors';
import { stateHash, TOMBSTONE_HASH } from '../../../lambda/shared/hash';
import { compareVersions, makeVersion } from '../../../lambda/shared/version';
import { deleteAccepted, documents, SHADOW_TS as TS } from './shadow-event-builders';


describe('topics', () => {
  it.each([
    ['$aws/things/t-1/shadow/update/documents', { thingName: 't-1', operation: 'update' }],
    ['$aws/things/t-1/shadow/name/config:v2/update/documents', { thingName: 't-1', shadowName: 'config:v2', operation: 'update' }],
    ['$aws/things/t-1/shadow/delete/accepted', { thingName: 't-1', operation: 'delete' }],
    ['$aws/things/t-1/shadow/name/cfg/delete/accepted', { thingName: 't-1', shadowName: 'cfg', operation: 'delete' }],
  ])('%s', (topic, expected) => {
    expect(parseShadowTopic(topic)).toEqual(expected);
  });

  it.each([
    '$aws/things/t-1/shadow/update/accepted',
    '$aws/things/t-1/shadow/update/delta',
    '$aws/things/t-1/shadow/name//update/documents',
    '$aws/things/t#1/shadow/update/documents',
    '$aws/things/t-1/shadow/name/$x/update/documents',
    '$aws/things/t-1/jobs/notify',
    '$aws/events/thing/t/created',
  ])('rejects %s', (topic) => {
    expect(() => parseShadowTopic(topic)).toThrow(MalformedInput);
  });

  it('recognises shadow messages by topic', () => {
    expect(isShadowMessage(documents('t', undefined, 1, {}))).toBe(true);
    expect(isShadowMessage({ topic: '$aws/events/thing/t/created' })).toBe(false);
    expect(isShadowMessage({})).toBe(false);
  });
});

describe('messages', () => {
  it('an update is the whole current state, with the shadow version and the timestamp in ms', () => {
    const change = parseShadowMessage(documents('t', 'cfg', 7, { desired: { led: 'on' }, reported: { led: 'off', fw: { v: 2 } } }));
    expect(change).toEqual({
      operation: 'update',
      thingName: 't',
      shadowName: 'cfg',
      shadowVersion: 7,
      eventTime: TS * 1000,
      eventId: 'shadow-v7-0-update',
      topic: '$aws/things/t/shadow/name/cfg/update/documents',
      state: { thingName: 't', shadowName: 'cfg', desired: { led: 'on' }, reported: { led: 'off', fw: { v: 2 } } },
    });
  });

  it('empty sections are omitted, as the shadow service does', () => {
    const change = parseShadowMessage(documents('t', undefined, 2, { desired: {}, reported: { a: 1 } }));
    expect(change).toMatchObject({ state: { thingName: 't', reported: { a: 1 } } });
    expect(change.operation === 'update' && 'desired' in change.state).toBe(false);
  });

  it('a delete carries the version of the deleted document', () => {
    expect(parseShadowMessage(deleteAccepted('t', undefined, 4, { clientToken: 'c-1' }))).toEqual({
      operation: 'delete',
      thingName: 't',
      shadowVersion: 4,
      eventTime: TS * 1000,
      eventId: 'shadow-v4-1-delete',
      clientToken: 'c-1',
      topic: '$aws/things/t/shadow/delete/accepted',
    });
  });

  it.each([
    ['no timestamp', { ...documents('t', undefined, 1, {}), timestamp: undefined }, /timestamp must be epoch seconds/],
    ['a timestamp in ms beyond versions', { ...documents('t', undefined, 1, {}), timestamp: 10 ** 13 }, /timestamp/],
    ['no current', { ...documents('t', undefined, 1, {}), current: undefined }, /current must be an object/],
    ['no version', documents('t', undefined, -1, {}), /current.version must be a non-negative integer/],
    ['a state that is no object', { ...documents('t', undefined, 1, {}), current: { version: 1, state: 'x' } }, /current.state must be an object/],
    ['a delete without version', { ...deleteAccepted('t', undefined, 1), version: 'x' }, /version must be a non-negative integer/],
    ['a client token that is no string', deleteAccepted('t', undefined, 1, { clientToken: 5 }), /clientToken must be a string/],
  ])('%s is malformed', (_what, message, error) => {
    expect(() => parseShadowMessage(message as Record<string, unknown>)).toThrow(error);
  });

  it("replay's own writes are recognised by their client token", () => {
    expect(isReplayEcho(parseShadowMessage(documents('t', undefined, 1, {}, { clientToken: `${REPLAY_CLIENT_TOKEN_PREFIX}-0123456789abcdef` })))).toBe(true);
    expect(isReplayEcho(parseShadowMessage(documents('t', undefined, 1, {}, { clientToken: 'device-42' })))).toBe(false);
    expect(isReplayEcho(parseShadowMessage(documents('t', undefined, 1, {})))).toBe(false);
  });
});

describe('plans', () => {
  const ctx = { originRegion: 'us-east-1', now: TS * 1000 + 5000, tombstoneTtlSeconds: 60 };

  it('an update is a live item in the thing partition, versioned by timestamp then shadow version', () => {
    const plan = planShadowChange(parseShadowMessage(documents('t', 'cfg', 7, { reported: { a: 1 } })), ctx);
    const state = { thingName: 't', shadowName: 'cfg', reported: { a: 1 } };
    expect(plan).toEqual({
      mode: 'replace',
      item: {
        pk: 'thing#t',
        sk: 'shadow#t#cfg',
        kind: 'shadow',
        version: makeVersion({ eventTime: TS * 1000, originRegion: 'us-east-1', localVersion: 7, eventId: 'shadow-v7-0-update' }),
        eventTime: TS * 1000,
        eventId: 'shadow-v7-0-update',
        originRegion: 'us-east-1',
        deleted: false,
        state,
        stateHash: stateHash(state),
        capturedAt: ctx.now,
      },
      fingerprints: [],
      cascade: false,
      known: { at: TS * 1000 + 999, localVersion: 7 },
    });
  });

  it('a classic delete is a tombstone of `$classic`, later than an update of the same version and second', () => {
    const del = planShadowChange(parseShadowMessage(deleteAccepted('t', undefined, 3)), ctx);
    expect(del.item).toMatchObject({ pk: 'thing#t', sk: 'shadow#t#$classic', deleted: true, stateHash: TOMBSTONE_HASH, expiresAt: Math.floor(ctx.now / 1000) + 60 });
    expect(del.known).toEqual({ at: TS * 1000 + 999 });
    const upd = planShadowChange(parseShadowMessage(documents('t', undefined, 3, {})), ctx);
    expect(compareVersions(del.item.version, upd.item.version)).toBeGreaterThan(0);
    // The next update (version 4) is later than the delete.
    const next = planShadowChange(parseShadowMessage(documents('t', undefined, 4, { desired: { x: 1 } })), ctx);
    expect(compareVersions(next.item.version, del.item.version)).toBeGreaterThan(0);
  });
});
