/**
 * Replay against the IoT emulator and dynalite: optimistic concurrency (never overwrite a local change the
 * journal has not seen: LocalChangePending) and echo fingerprints after writes whose answer was lost.
 */
import {
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteThingCommand,
  DeprecateThingTypeCommand,
  InternalFailureException,
  IoTClient,
  UpdateThingCommand,
  UpdateThingGroupCommand,
} from '@aws-sdk/client-iot';
import { RETRYABLE_ERRORS } from '../../../lambda/contract';
import type { ReplayDeps, ReplayHandler } from '../../../lambda/replay/common';
import { createMembershipReplay } from '../../../lambda/replay/membership';
import { createThingReplay } from '../../../lambda/replay/thing';
import { createThingGroupReplay } from '../../../lambda/replay/thing-group';
import { createThingTypeReplay } from '../../../lambda/replay/thing-type';
import { EchoLedgerStore, hashFingerprint, versionFingerprint } from '../../../lambda/shared/echo-ledger-store';
import { thingGroupState, thingState, thingTypeState } from '../../../lambda/shared/entity-state';
import { TOMBSTONE_HASH, stateHash } from '../../../lambda/shared/hash';
import { JournalStore } from '../../../lambda/shared/journal-store';
import { memberKeys, thingGroupKeys, thingKeys, thingTypeKeys } from '../../../lambda/shared/keys';
import type { JournalItem } from '../../../lambda/shared/model';
import { type IotEmulator, type RegistryEvent, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { captureOutput, journalItem, LOCAL, taskFor } from './harness';
import { identityDeps } from '../../support/identity-deps';

let emulator: IotEmulator;
let tables: JournalTables;
let tableCount = 0;

beforeAll(async () => {
  emulator = await startIotEmulator({ region: LOCAL, thingTypeDeleteCooldownMs: 0 });
  tables = await startJournalTables({ region: LOCAL });
});
afterAll(async () => {
  await emulator?.close();
  await tables?.close();
});

/** The next call of `command` fails with a 5xx: before it reaches IoT, or after IoT applied it (its answer lost). */
type Fault = { command: string; applied: boolean } | undefined;

interface World {
  readonly deps: ReplayDeps;
  readonly ledger: EchoLedgerStore;
  readonly events: RegistryEvent[];
  /** The registry as users (and capture's describes) see it; no faults. */
  readonly user: IoTClient;
  fail(command: string, applied: boolean): void;
  replay(handler: (deps: ReplayDeps) => ReplayHandler, item: JournalItem): Promise<unknown>;
}

let world: World;

beforeEach(async () => {
  captureOutput();
  emulator.reset();
  emulator.enableAllEvents();
  const names = await tables.createTables(`local-changes-${++tableCount}`);
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const iot = new IoTClient({ endpoint: emulator.endpoint, region: LOCAL, credentials, maxAttempts: 1 });
  let fault: Fault;
  iot.middlewareStack.add(
    (next, context) => async (args) => {
      const f = fault;
      if (!f || context.commandName !== f.command) return next(args);
      fault = undefined;
      if (f.applied) await next(args);
      throw new InternalFailureException({ message: 'injected 5xx', $metadata: { httpStatusCode: 500 } });
    },
    { step: 'initialize', name: 'injectFault' },
  );
  const ledger = new EchoLedgerStore(tables.doc, names.ledgerTable);
  const journal = new JournalStore(tables.doc, names.journalTable);
  const deps: ReplayDeps = { iot, journal, ledger, region: LOCAL, now: Date.now, metricsNamespace: 'IotDrTest', identity: identityDeps(LOCAL, emulator.endpoint) };
  const events: RegistryEvent[] = [];
  emulator.onEvent((e) => events.push(e));
  world = {
    deps,
    ledger,
    events,
    user: new IoTClient({ endpoint: emulator.endpoint, region: LOCAL, credentials }),
    fail: (command, applied) => void (fault = { command, applied }),
    replay: async (handler, item) => {
      await journal.putIfNewer(item);
      return handler(deps)(taskFor(item));
    },
  };
});

const thingItem = (attributes: Record<string, string>, eventTime = Date.now()) =>
  journalItem({ keys: thingKeys('t'), kind: 'thing', state: thingState({ thingName: 't', attributes }), eventTime, localVersion: 7 });
const thingTombstone = (eventTime = Date.now()) => journalItem({ keys: thingKeys('t'), kind: 'thing', eventTime });
const groupItem = (description: string) =>
  journalItem({ keys: thingGroupKeys('g'), kind: 'thingGroup', state: thingGroupState({ thingGroupName: 'g', description }), eventTime: Date.now(), localVersion: 3 });
const typeItem = (deprecated: boolean) =>
  journalItem({ keys: thingTypeKeys('T'), kind: 'thingType', state: thingTypeState({ thingTypeName: 'T', deprecated }), eventTime: Date.now() });

const flushEvents = () => new Promise((resolve) => setTimeout(resolve, 5));
const attributesOfT = () => emulator.snapshot().things.find((t) => t.name === 't')?.attributes;

describe('replay never overwrites a local change the journal has not seen', () => {
  test('a thing whose version moved past the known one waits; once capture records it, replay applies', async () => {
    await world.replay(createThingReplay, thingItem({ v: '0' })); // creates t here: known version 1
    expect(await world.ledger.knownState('thing#t')).toMatchObject({ localVersion: 1, stateHash: stateHash(thingState({ thingName: 't', attributes: { v: '0' } })) });

    await world.user.send(new UpdateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'Y' } } })); // version 2, not captured
    await expect(world.replay(createThingReplay, thingItem({ v: 'X' }))).rejects.toMatchObject({ name: RETRYABLE_ERRORS.localChangePending });
    expect(attributesOfT()).toEqual({ v: 'Y' });

    // Capture journals (or finds superseded) the local change and records it: the journal has ordered it.
    await world.ledger.recordKnownState('thing#t', { localVersion: 2, stateHash: 'y', at: Date.now() });
    await expect(world.replay(createThingReplay, thingItem({ v: 'X' }))).resolves.toMatchObject({ action: 'updated' });
    expect(attributesOfT()).toEqual({ v: 'X' });
    expect(await world.ledger.knownState('thing#t')).toMatchObject({ localVersion: 3 });
  });

  test('a local delete not captured yet: replay does not re-create the thing', async () => {
    await world.replay(createThingReplay, thingItem({ v: '0' }));
    await world.user.send(new DeleteThingCommand({ thingName: 't' }));
    await expect(world.replay(createThingReplay, thingItem({ v: 'X' }))).rejects.toMatchObject({ name: RETRYABLE_ERRORS.localChangePending });
    expect(attributesOfT()).toBeUndefined();
  });

  test('a local creation not captured yet (the known state is a tombstone): replay does not delete or overwrite it', async () => {
    await world.replay(createThingReplay, thingItem({ v: '0' }));
    await world.replay(createThingReplay, thingTombstone());
    expect(await world.ledger.knownState('thing#t')).toMatchObject({ stateHash: TOMBSTONE_HASH });
    await world.user.send(new CreateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'local' } } }));
    await expect(world.replay(createThingReplay, thingItem({ v: 'X' }))).rejects.toMatchObject({ name: RETRYABLE_ERRORS.localChangePending });
    await expect(world.replay(createThingReplay, thingTombstone())).rejects.toMatchObject({ name: RETRYABLE_ERRORS.localChangePending });
    expect(attributesOfT()).toEqual({ v: 'local' });
  });

  test('no known state (an entity that predates replication): replay proceeds, and records what it wrote', async () => {
    await world.user.send(new CreateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'old' } } }));
    await expect(world.replay(createThingReplay, thingItem({ v: 'X' }))).resolves.toMatchObject({ action: 'updated' });
    expect(await world.ledger.knownState('thing#t')).toMatchObject({ localVersion: 2 });
  });

  test('a region already at the desired state needs no record, and gets one', async () => {
    await world.user.send(new CreateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'X' } } }));
    await world.ledger.recordKnownState('thing#t', { stateHash: TOMBSTONE_HASH, at: Date.now() - 1000 });
    await expect(world.replay(createThingReplay, thingItem({ v: 'X' }))).resolves.toMatchObject({ action: 'unchanged' });
    expect(await world.ledger.knownState('thing#t')).toMatchObject({ localVersion: 1 });
  });

  test('thing groups compare versions too', async () => {
    await world.replay(createThingGroupReplay, groupItem('zero'));
    await world.user.send(new UpdateThingGroupCommand({ thingGroupName: 'g', thingGroupProperties: { thingGroupDescription: 'local' } }));
    await expect(world.replay(createThingGroupReplay, groupItem('remote'))).rejects.toMatchObject({ name: RETRYABLE_ERRORS.localChangePending });
    expect(emulator.snapshot().thingGroups.find((g) => g.name === 'g')?.description).toBe('local');
  });

  test('thing types compare state hashes', async () => {
    await world.replay(createThingTypeReplay, typeItem(false));
    expect(await world.ledger.knownState('thingType#T')).toEqual(expect.objectContaining({ stateHash: stateHash(thingTypeState({ thingTypeName: 'T', deprecated: false })) }));
    await world.user.send(new DeprecateThingTypeCommand({ thingTypeName: 'T' })); // not captured yet
    await expect(world.replay(createThingTypeReplay, journalItem({ keys: thingTypeKeys('T'), kind: 'thingType', eventTime: Date.now() }))).rejects.toMatchObject({
      name: RETRYABLE_ERRORS.localChangePending,
    });
    expect(emulator.snapshot().thingTypes.map((t) => t.name)).toEqual(['T']);
  });

  test('a thing type replay records each step it leaves: deprecated, then deleted', async () => {
    await world.replay(createThingTypeReplay, typeItem(false));
    const tombstone = journalItem({ keys: thingTypeKeys('T'), kind: 'thingType', eventTime: Date.now() });
    await expect(world.replay(createThingTypeReplay, tombstone)).resolves.toMatchObject({ action: 'deleted' });
    expect(await world.ledger.knownState('thingType#T')).toMatchObject({ stateHash: TOMBSTONE_HASH });
    // The tombstone replayed again finds the region in step.
    await expect(world.replay(createThingTypeReplay, tombstone)).resolves.toMatchObject({ action: 'unchanged' });
  });
});

describe('an echo fingerprint only stands for a write known to have happened', () => {
  test('an update whose 5xx came before IoT applied it leaves no fingerprint: a genuine change with that version is captured', async () => {
    await world.user.send(new CreateThingCommand({ thingName: 't', attributePayload: { attributes: { v: '0' } } }));
    await world.ledger.recordKnownState('thing#t', { localVersion: 1, stateHash: 'zero', at: Date.now() - 1000 });
    world.fail('UpdateThingCommand', false);
    await expect(world.replay(createThingReplay, thingItem({ v: 'X' }))).rejects.toMatchObject({ name: RETRYABLE_ERRORS.unavailable });
    expect(attributesOfT()).toEqual({ v: '0' });

    world.events.length = 0;
    await world.user.send(new UpdateThingCommand({ thingName: 't', attributePayload: { attributes: { v: 'user' } } }));
    await flushEvents();
    const userEvent = world.events.find((e) => e.payload.eventType === 'THING_EVENT' && e.payload.operation === 'UPDATED');
    expect(userEvent?.payload.versionNumber).toBe(2);
    expect(await world.ledger.isEcho('thing#t', [versionFingerprint(2)], Number(userEvent?.payload.timestamp))).toBe(false);
  });

  test('an update IoT applied before its answer was lost keeps its fingerprint: its echo is still recognised', async () => {
    await world.user.send(new CreateThingCommand({ thingName: 't', attributePayload: { attributes: { v: '0' } } }));
    world.events.length = 0;
    world.fail('UpdateThingCommand', true);
    const item = thingItem({ v: 'X' });
    await expect(world.replay(createThingReplay, item)).rejects.toMatchObject({ name: RETRYABLE_ERRORS.unavailable });
    expect(attributesOfT()).toEqual({ v: 'X' });
    await flushEvents();
    const echo = world.events.find((e) => e.payload.eventType === 'THING_EVENT' && e.payload.operation === 'UPDATED');
    expect(await world.ledger.isEcho('thing#t', [versionFingerprint(2)], Number(echo?.payload.timestamp))).toBe(true);
    // The retry finds the region in step and records it as known.
    await expect(world.replay(createThingReplay, item)).resolves.toMatchObject({ action: 'unchanged' });
    expect(await world.ledger.knownState('thing#t')).toMatchObject({ localVersion: 2 });
  });

  test('a create that never happened leaves neither its version nor its hash fingerprint', async () => {
    world.fail('CreateThingCommand', false);
    const item = thingItem({ v: 'X' });
    await expect(world.replay(createThingReplay, item)).rejects.toMatchObject({ name: RETRYABLE_ERRORS.unavailable });
    expect(await world.ledger.isEcho('thing#t', [versionFingerprint(1)], Date.now())).toBe(false);
    expect(await world.ledger.isEcho('thing#t', [hashFingerprint(item.stateHash)], Date.now())).toBe(false);
  });

  test('a membership add that never happened leaves no fingerprint; one that did keeps it', async () => {
    await world.user.send(new CreateThingCommand({ thingName: 't' }));
    await world.user.send(new CreateThingGroupCommand({ thingGroupName: 'g' }));
    const member = journalItem({ keys: memberKeys('g', 't'), kind: 'member', state: { thingGroupName: 'g', thingName: 't' }, eventTime: Date.now() });
    world.fail('AddThingToThingGroupCommand', false);
    await expect(world.replay(createMembershipReplay, member)).rejects.toMatchObject({ name: RETRYABLE_ERRORS.unavailable });
    expect(await world.ledger.isEcho(member.sk, [hashFingerprint(member.stateHash)], Date.now())).toBe(false);

    world.fail('AddThingToThingGroupCommand', true);
    await expect(world.replay(createMembershipReplay, member)).rejects.toMatchObject({ name: RETRYABLE_ERRORS.unavailable });
    expect(emulator.snapshot().memberships).toEqual([['g', 't']]);
    expect(await world.ledger.isEcho(member.sk, [hashFingerprint(member.stateHash)], Date.now())).toBe(true);
  });
});
