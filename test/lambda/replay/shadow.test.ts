import { CreateThingCommand } from '@aws-sdk/client-iot';
import { GetThingShadowCommand, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { REPLAY_CLIENT_TOKEN_PREFIX } from '../../../lambda/contract';
import { createShadowReplay, replayClientToken, shadowPatch } from '../../../lambda/replay/shadow';
import { CLASSIC_SHADOW_NAME, shadowKeys, thingKeys } from '../../../lambda/shared/keys';
import type { JournalItem } from '../../../lambda/shared/model';
import type { MqttMessage } from '../../support/iot-emulator';
import { captureConsole, failureOf, type IdentityTestContext, journalItem, newContext, NOW, startWorld, stopWorld } from './identity-harness';

beforeAll(startWorld);
afterAll(stopWorld);

let ctx: IdentityTestContext;
beforeEach(async () => {
  ctx = await newContext();
  captureConsole();
});
afterEach(() => jest.restoreAllMocks());

type Doc = Record<string, unknown>;

function shadow(shadowName: string | undefined, state: { desired?: Doc; reported?: Doc } | undefined, eventTime = NOW - 2000): JournalItem {
  return journalItem({
    keys: shadowKeys('lamp-1', shadowName),
    kind: 'shadow',
    state: state === undefined ? undefined : { thingName: 'lamp-1', ...(shadowName ? { shadowName } : {}), ...state },
    eventTime,
  });
}

const replay = (item: JournalItem) => ctx.replay(createShadowReplay(ctx.deps), item);
const thingHere = () => ctx.operator.send(new CreateThingCommand({ thingName: 'lamp-1' }));

async function stateHere(shadowName?: string): Promise<unknown> {
  const res = await ctx.operatorData.send(new GetThingShadowCommand({ thingName: 'lamp-1', ...(shadowName ? { shadowName } : {}) }));
  // Without the delta IoT computes.
  const { delta: _delta, ...state } = (JSON.parse(Buffer.from(res.payload ?? new Uint8Array()).toString('utf8')) as { state: Doc }).state;
  return state;
}
const updateHere = (state: unknown, shadowName?: string) =>
  ctx.operatorData.send(new UpdateThingShadowCommand({ thingName: 'lamp-1', ...(shadowName ? { shadowName } : {}), payload: Buffer.from(JSON.stringify({ state })) }));

describe('shadow replay', () => {
  test('creates a classic shadow, with the replay client token on its documents', async () => {
    await thingHere();
    const messages: MqttMessage[] = [];
    const off = ctx.emulator.onMessage((m) => messages.push(m));
    const item = shadow(undefined, { desired: { power: 'on' }, reported: { power: 'off' } });
    expect((await replay(item)).action).toBe('created');
    expect(await stateHere()).toEqual({ desired: { power: 'on' }, reported: { power: 'off' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    off();
    const documents = messages.filter((m) => m.topic.endsWith('/update/documents'));
    expect(documents.length).toBeGreaterThan(0);
    for (const m of documents) expect(JSON.stringify(m)).toContain(`"clientToken":"${replayClientToken(item.version)}"`);
    expect(replayClientToken(item.version).startsWith(`${REPLAY_CLIENT_TOKEN_PREFIX}-`)).toBe(true);
    expect((await replay(item)).action).toBe('unchanged');
  });

  test('makes a named shadow equal the journal: keys only here removed at every depth', async () => {
    await thingHere();
    await updateHere({ desired: { power: 'on', color: { r: 1, g: 2 } }, reported: { firmware: '1.0', extra: true } }, 'config');
    const item = shadow('config', { desired: { color: { r: 1 } }, reported: { firmware: '1.1' } });
    expect((await replay(item)).action).toBe('updated');
    expect(await stateHere('config')).toEqual({ desired: { color: { r: 1 } }, reported: { firmware: '1.1' } });
    expect((await replay(item)).action).toBe('unchanged');
  });

  test('a section the journal lacks is removed', async () => {
    await thingHere();
    await updateHere({ desired: { power: 'on' }, reported: { power: 'on' } });
    expect((await replay(shadow(undefined, { reported: { power: 'on' } }))).action).toBe('updated');
    expect(await stateHere()).toEqual({ reported: { power: 'on' } });
  });

  test('deletes for a tombstone; nothing to do when it is not here', async () => {
    await thingHere();
    await updateHere({ reported: { power: 'on' } }, 'config');
    expect((await replay(shadow('config', undefined))).action).toBe('deleted');
    expect((await failureOf(stateHere('config'))).name).toBe('ResourceNotFoundException');
    expect((await replay(shadow('config', undefined))).action).toBe('unchanged');
  });

  test('waits for its thing; dead once the thing is deleted in the journal', async () => {
    const item = shadow(undefined, { reported: { power: 'on' } });
    expect(await failureOf(replay(item))).toMatchObject({ name: 'DependencyNotReady', missing: thingKeys('lamp-1').sk });
    await ctx.putItem(journalItem({ keys: thingKeys('lamp-1'), kind: 'thing' }));
    expect((await replay(item)).action).toBe('unchanged');
  });

  test("does not overwrite a device's report capture has not journaled yet", async () => {
    await thingHere();
    await updateHere({ reported: { power: 'on' } });
    expect((await replay(shadow(undefined, { reported: { power: 'on' } }, NOW - 3000))).action).toBe('unchanged');
    await updateHere({ reported: { power: 'off' } });
    expect((await failureOf(replay(shadow(undefined, { reported: { power: 'dim' } }, NOW - 2000)))).name).toBe('LocalChangePending');
    expect(await stateHere()).toEqual({ reported: { power: 'off' } });
  });

  test('the classic shadow key part is never sent as a shadow name', () => {
    expect(shadowKeys('lamp-1').sk).toBe(`shadow#lamp-1#${CLASSIC_SHADOW_NAME}`);
  });
});

describe('shadowPatch', () => {
  test('values that differ, nested patches, nulls for keys only here', () => {
    expect(shadowPatch({ a: 1, b: { c: 1, d: 2 }, e: [1] }, { a: 1, b: { c: 2 }, e: [1, 2], f: 'x' })).toEqual({ b: { c: 2, d: null }, e: [1, 2], f: 'x' });
  });
  test('undefined when equal; null to remove a whole section', () => {
    expect(shadowPatch({ a: { b: 1 } }, { a: { b: 1 } })).toBeUndefined();
    expect(shadowPatch({ a: 1 }, undefined)).toBeNull();
    expect(shadowPatch(undefined, undefined)).toBeUndefined();
  });
});
