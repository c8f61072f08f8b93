import {
  AddThingToThingGroupCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  CreateThingTypeCommand,
  DeleteThingCommand,
  DeleteThingGroupCommand,
  DeleteThingTypeCommand,
  DeprecateThingTypeCommand,
  DescribeEventConfigurationsCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  DescribeThingTypeCommand,
  InvalidRequestException,
  IoTClient,
  IoTServiceException,
  ListJobsCommand,
  ListThingGroupsCommand,
  type ListThingGroupsCommandInput,
  ListThingGroupsForThingCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  ListThingsInThingGroupCommand,
  ListThingTypesCommand,
  paginateListThings,
  RemoveThingFromThingGroupCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
  UpdateEventConfigurationsCommand,
  UpdateThingCommand,
  UpdateThingGroupCommand,
  VersionConflictException,
} from '@aws-sdk/client-iot';
import { startIotEmulator, type IotEmulator, type RegistryEvent } from './iot-emulator';

const ACCOUNT = '123456789012';
const REGION = 'us-west-2';
const FIVE_MINUTES = 300_000;

let emulator: IotEmulator;
let iot: IoTClient;
/** The emulator clock; tests move it to cross the thing-type delete cooldown and to check timestamps. */
let clock = Date.UTC(2025, 0, 1);
const events: RegistryEvent[] = [];

beforeAll(async () => {
  emulator = await startIotEmulator({
    now: () => clock,
    // Small quota on one API keeps the quota test fast; the rest keep AWS defaults.
    quotas: { DescribeThingType: 5 },
  });
  emulator.onEvent((event) => events.push(event));
  // maxAttempts 1: the SDK must not hide throttling (or inflate call counts) by retrying.
  iot = new IoTClient({
    endpoint: emulator.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  iot.destroy();
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
  events.length = 0;
});

/** Events are delivered on setImmediate; let the queue drain. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function expectError(
  call: Promise<unknown>,
  type: abstract new (...args: any[]) => IoTServiceException,
  status: number,
): Promise<IoTServiceException> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  const serviceError = error as IoTServiceException;
  expect(serviceError.$metadata.httpStatusCode).toBe(status);
  return serviceError;
}

function topics(): string[] {
  return events.map((e) => e.topic);
}

describe('things', () => {
  test('create, describe, idempotent re-create, conflict, delete', async () => {
    const created = await iot.send(
      new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { site: 'paris' } } }),
    );
    expect(created.thingArn).toBe(`arn:aws:iot:${REGION}:${ACCOUNT}:thing/sensor-1`);
    expect(created.thingId).toMatch(/^[0-9a-f-]{36}$/);

    const described = await iot.send(new DescribeThingCommand({ thingName: 'sensor-1' }));
    expect(described).toMatchObject({
      thingName: 'sensor-1',
      defaultClientId: 'sensor-1',
      thingId: created.thingId,
      thingArn: created.thingArn,
      attributes: { site: 'paris' },
      version: 1,
    });
    expect(described.thingTypeName).toBeUndefined();

    const again = await iot.send(
      new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { site: 'paris' } } }),
    );
    expect(again.thingId).toBe(created.thingId);

    const conflict = await expectError(
      iot.send(new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { site: 'lyon' } } })),
      ResourceAlreadyExistsException,
      409,
    );
    expect((conflict as ResourceAlreadyExistsException).resourceId).toBe(created.thingId);
    expect((conflict as ResourceAlreadyExistsException).resourceArn).toBe(created.thingArn);

    await iot.send(new DeleteThingCommand({ thingName: 'sensor-1' }));
    await expectError(iot.send(new DescribeThingCommand({ thingName: 'sensor-1' })), ResourceNotFoundException, 404);
    // Deleting a thing that does not exist succeeds in AWS.
    await expect(iot.send(new DeleteThingCommand({ thingName: 'sensor-1' }))).resolves.toBeDefined();
  });

  test('type must exist and not be deprecated; attribute count depends on having a type', async () => {
    await expectError(
      iot.send(new CreateThingCommand({ thingName: 't1', thingTypeName: 'missing' })),
      ResourceNotFoundException,
      404,
    );
    const four = { a: '1', b: '2', c: '3', d: '4' };
    await expectError(
      iot.send(new CreateThingCommand({ thingName: 't1', attributePayload: { attributes: four } })),
      InvalidRequestException,
      400,
    );
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'Meter' }));
    await iot.send(new CreateThingCommand({ thingName: 't1', thingTypeName: 'Meter', attributePayload: { attributes: four } }));
    // Dropping the type would leave 4 attributes on an untyped thing.
    await expectError(iot.send(new UpdateThingCommand({ thingName: 't1', removeThingType: true })), InvalidRequestException, 400);

    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Meter' }));
    await expectError(
      iot.send(new CreateThingCommand({ thingName: 't2', thingTypeName: 'Meter' })),
      InvalidRequestException,
      400,
    );
    await iot.send(new CreateThingCommand({ thingName: 't2' }));
    await expectError(
      iot.send(new UpdateThingCommand({ thingName: 't2', thingTypeName: 'Meter' })),
      InvalidRequestException,
      400,
    );
    // Rejected names never reach the registry.
    await expectError(iot.send(new CreateThingCommand({ thingName: 'bad name' })), InvalidRequestException, 400);
  });

  test('UpdateThing: merge semantics, versions, expectedVersion, thing type changes', async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'Meter' }));
    await iot.send(new CreateThingCommand({ thingName: 'm1', attributePayload: { attributes: { a: '1', b: '2' } } }));

    await iot.send(
      new UpdateThingCommand({ thingName: 'm1', attributePayload: { attributes: { b: '', c: '3' }, merge: true } }),
    );
    let thing = await iot.send(new DescribeThingCommand({ thingName: 'm1' }));
    expect(thing.attributes).toEqual({ a: '1', c: '3' });
    expect(thing.version).toBe(2);

    await iot.send(new UpdateThingCommand({ thingName: 'm1', attributePayload: { attributes: { z: '9' } } }));
    thing = await iot.send(new DescribeThingCommand({ thingName: 'm1' }));
    expect(thing.attributes).toEqual({ z: '9' });
    expect(thing.version).toBe(3);

    await expectError(
      iot.send(new UpdateThingCommand({ thingName: 'm1', expectedVersion: 2, thingTypeName: 'Meter' })),
      VersionConflictException,
      409,
    );
    await iot.send(new UpdateThingCommand({ thingName: 'm1', expectedVersion: 3, thingTypeName: 'Meter' }));
    thing = await iot.send(new DescribeThingCommand({ thingName: 'm1' }));
    expect(thing).toMatchObject({ thingTypeName: 'Meter', version: 4 });

    // A no-op update keeps the version.
    await iot.send(new UpdateThingCommand({ thingName: 'm1', thingTypeName: 'Meter', attributePayload: { attributes: { z: '9' } } }));
    expect((await iot.send(new DescribeThingCommand({ thingName: 'm1' }))).version).toBe(4);

    await expectError(
      iot.send(new UpdateThingCommand({ thingName: 'm1', thingTypeName: 'Meter', removeThingType: true })),
      InvalidRequestException,
      400,
    );
    await iot.send(new UpdateThingCommand({ thingName: 'm1', removeThingType: true }));
    thing = await iot.send(new DescribeThingCommand({ thingName: 'm1' }));
    expect(thing.thingTypeName).toBeUndefined();
    expect(thing.version).toBe(5);

    await expectError(iot.send(new UpdateThingCommand({ thingName: 'ghost' })), ResourceNotFoundException, 404);
    await expectError(
      iot.send(new DeleteThingCommand({ thingName: 'm1', expectedVersion: 4 })),
      VersionConflictException,
      409,
    );
    await iot.send(new DeleteThingCommand({ thingName: 'm1', expectedVersion: 5 }));
  });

  test('ListThings paginates in name order and filters by type and attribute', async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'Gauge' }));
    for (let i = 0; i < 7; i++) {
      await iot.send(
        new CreateThingCommand({
          thingName: `dev-${i}`,
          thingTypeName: i % 2 === 0 ? 'Gauge' : undefined,
          attributePayload: { attributes: { serial: `SN-${i}` } },
        }),
      );
    }
    const first = await iot.send(new ListThingsCommand({ maxResults: 3 }));
    expect(first.things?.map((t) => t.thingName)).toEqual(['dev-0', 'dev-1', 'dev-2']);
    expect(first.things?.[0]).toMatchObject({ thingTypeName: 'Gauge', version: 1, attributes: { serial: 'SN-0' } });
    expect(first.nextToken).toBeDefined();

    const names: string[] = [];
    for await (const page of paginateListThings({ client: iot, pageSize: 3 }, {})) {
      names.push(...(page.things ?? []).map((t) => t.thingName ?? ''));
    }
    expect(names).toEqual(['dev-0', 'dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'dev-6']);

    const typed = await iot.send(new ListThingsCommand({ thingTypeName: 'Gauge' }));
    expect(typed.things?.map((t) => t.thingName)).toEqual(['dev-0', 'dev-2', 'dev-4', 'dev-6']);
    expect(typed.nextToken).toBeUndefined();
    const byAttribute = await iot.send(new ListThingsCommand({ attributeName: 'serial', attributeValue: 'SN-3' }));
    expect(byAttribute.things?.map((t) => t.thingName)).toEqual(['dev-3']);

    await expectError(iot.send(new ListThingsCommand({ nextToken: 'garbage' })), InvalidRequestException, 400);
    await expectError(iot.send(new ListThingsCommand({ maxResults: 251 })), InvalidRequestException, 400);
  });

  test('ListThingPrincipals is empty for a thing without principals', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'p1' }));
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'p1' }))).principals).toEqual([]);
    await expectError(iot.send(new ListThingPrincipalsCommand({ thingName: 'nope' })), ResourceNotFoundException, 404);
  });
});

describe('thing types', () => {
  test('create, describe, deprecate, undo, delete only after the cooldown and without things', async () => {
    const created = await iot.send(
      new CreateThingTypeCommand({
        thingTypeName: 'Lamp',
        thingTypeProperties: { thingTypeDescription: 'a lamp', searchableAttributes: ['watts'] },
      }),
    );
    expect(created.thingTypeArn).toBe(`arn:aws:iot:${REGION}:${ACCOUNT}:thingtype/Lamp`);
    // Same definition again: success; a different one: conflict.
    await iot.send(
      new CreateThingTypeCommand({
        thingTypeName: 'Lamp',
        thingTypeProperties: { thingTypeDescription: 'a lamp', searchableAttributes: ['watts'] },
      }),
    );
    await expectError(
      iot.send(new CreateThingTypeCommand({ thingTypeName: 'Lamp', thingTypeProperties: { thingTypeDescription: 'other' } })),
      ResourceAlreadyExistsException,
      409,
    );

    let type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'Lamp' }));
    expect(type.thingTypeProperties).toEqual({ thingTypeDescription: 'a lamp', searchableAttributes: ['watts'] });
    expect(type.thingTypeMetadata?.deprecated).toBe(false);
    expect(type.thingTypeMetadata?.creationDate).toEqual(new Date(clock));

    await expectError(iot.send(new DeleteThingTypeCommand({ thingTypeName: 'Lamp' })), InvalidRequestException, 400);
    await iot.send(new CreateThingCommand({ thingName: 'lamp-1', thingTypeName: 'Lamp' }));

    const deprecatedAt = clock;
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Lamp' }));
    type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'Lamp' }));
    expect(type.thingTypeMetadata).toMatchObject({ deprecated: true, deprecationDate: new Date(deprecatedAt) });

    clock += FIVE_MINUTES - 1_000;
    await expectError(iot.send(new DeleteThingTypeCommand({ thingTypeName: 'Lamp' })), InvalidRequestException, 400);
    clock += 1_000;
    // Cooldown over, but a thing still has the type.
    await expectError(iot.send(new DeleteThingTypeCommand({ thingTypeName: 'Lamp' })), InvalidRequestException, 400);
    await iot.send(new UpdateThingCommand({ thingName: 'lamp-1', removeThingType: true }));
    await iot.send(new DeleteThingTypeCommand({ thingTypeName: 'Lamp' }));
    await expectError(iot.send(new DescribeThingTypeCommand({ thingTypeName: 'Lamp' })), ResourceNotFoundException, 404);
    await expectError(iot.send(new DeleteThingTypeCommand({ thingTypeName: 'Lamp' })), ResourceNotFoundException, 404);
  });

  test('undoDeprecate makes the type assignable again and restarts the cooldown', async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'Valve' }));
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Valve' }));
    clock += FIVE_MINUTES;
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Valve', undoDeprecate: true }));
    const type = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'Valve' }));
    expect(type.thingTypeMetadata?.deprecated).toBe(false);
    expect(type.thingTypeMetadata?.deprecationDate).toBeUndefined();
    await iot.send(new CreateThingCommand({ thingName: 'v1', thingTypeName: 'Valve' }));
    await iot.send(new DeleteThingCommand({ thingName: 'v1' }));
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Valve' }));
    await expectError(iot.send(new DeleteThingTypeCommand({ thingTypeName: 'Valve' })), InvalidRequestException, 400);
  });

  test('ListThingTypes', async () => {
    for (const name of ['C', 'A', 'B']) await iot.send(new CreateThingTypeCommand({ thingTypeName: name }));
    const page = await iot.send(new ListThingTypesCommand({ maxResults: 2 }));
    expect(page.thingTypes?.map((t) => t.thingTypeName)).toEqual(['A', 'B']);
    expect(page.thingTypes?.[0].thingTypeMetadata?.deprecated).toBe(false);
    const rest = await iot.send(new ListThingTypesCommand({ maxResults: 2, nextToken: page.nextToken }));
    expect(rest.thingTypes?.map((t) => t.thingTypeName)).toEqual(['C']);
    expect(rest.nextToken).toBeUndefined();
    const filtered = await iot.send(new ListThingTypesCommand({ thingTypeName: 'B' }));
    expect(filtered.thingTypes?.map((t) => t.thingTypeName)).toEqual(['B']);
  });
});

describe('thing groups', () => {
  async function createHierarchy(): Promise<void> {
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'fleet' }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'europe', parentGroupName: 'fleet' }));
    await iot.send(
      new CreateThingGroupCommand({
        thingGroupName: 'paris',
        parentGroupName: 'europe',
        thingGroupProperties: { thingGroupDescription: 'Paris devices', attributePayload: { attributes: { tz: 'CET' } } },
      }),
    );
  }

  test('create with parent, describe hierarchy, idempotent re-create, conflicts', async () => {
    await createHierarchy();
    const paris = await iot.send(new DescribeThingGroupCommand({ thingGroupName: 'paris' }));
    expect(paris).toMatchObject({
      thingGroupName: 'paris',
      thingGroupArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thinggroup/paris`,
      version: 1,
      thingGroupProperties: { thingGroupDescription: 'Paris devices', attributePayload: { attributes: { tz: 'CET' } } },
      thingGroupMetadata: {
        parentGroupName: 'europe',
        rootToParentThingGroups: [
          { groupName: 'fleet', groupArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thinggroup/fleet` },
          { groupName: 'europe', groupArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thinggroup/europe` },
        ],
        creationDate: new Date(clock),
      },
    });
    const fleet = await iot.send(new DescribeThingGroupCommand({ thingGroupName: 'fleet' }));
    expect(fleet.thingGroupMetadata?.parentGroupName).toBeUndefined();

    const again = await iot.send(
      new CreateThingGroupCommand({
        thingGroupName: 'paris',
        parentGroupName: 'europe',
        thingGroupProperties: { thingGroupDescription: 'Paris devices', attributePayload: { attributes: { tz: 'CET' } } },
      }),
    );
    expect(again.thingGroupId).toBe(paris.thingGroupId);
    await expectError(
      iot.send(new CreateThingGroupCommand({ thingGroupName: 'paris', parentGroupName: 'fleet' })),
      ResourceAlreadyExistsException,
      409,
    );
    await expectError(
      iot.send(new CreateThingGroupCommand({ thingGroupName: 'orphan', parentGroupName: 'nowhere' })),
      ResourceNotFoundException,
      404,
    );
    await expectError(iot.send(new DescribeThingGroupCommand({ thingGroupName: 'nowhere' })), ResourceNotFoundException, 404);
  });

  test('UpdateThingGroup: versions, merge, expectedVersion', async () => {
    await createHierarchy();
    const first = await iot.send(
      new UpdateThingGroupCommand({
        thingGroupName: 'paris',
        thingGroupProperties: { attributePayload: { attributes: { tz: '', lang: 'fr' }, merge: true } },
      }),
    );
    expect(first.version).toBe(2);
    let paris = await iot.send(new DescribeThingGroupCommand({ thingGroupName: 'paris' }));
    expect(paris.thingGroupProperties).toEqual({
      thingGroupDescription: 'Paris devices',
      attributePayload: { attributes: { lang: 'fr' } },
    });

    const second = await iot.send(
      new UpdateThingGroupCommand({
        thingGroupName: 'paris',
        expectedVersion: 2,
        thingGroupProperties: { thingGroupDescription: 'Île-de-France', attributePayload: { attributes: { a: '1' } } },
      }),
    );
    expect(second.version).toBe(3);
    paris = await iot.send(new DescribeThingGroupCommand({ thingGroupName: 'paris' }));
    expect(paris.thingGroupProperties).toEqual({
      thingGroupDescription: 'Île-de-France',
      attributePayload: { attributes: { a: '1' } },
    });

    await expectError(
      iot.send(
        new UpdateThingGroupCommand({ thingGroupName: 'paris', expectedVersion: 2, thingGroupProperties: { thingGroupDescription: 'x' } }),
      ),
      VersionConflictException,
      409,
    );
    const noop = await iot.send(
      new UpdateThingGroupCommand({ thingGroupName: 'paris', thingGroupProperties: { thingGroupDescription: 'Île-de-France' } }),
    );
    expect(noop.version).toBe(3);
    await expectError(
      iot.send(new UpdateThingGroupCommand({ thingGroupName: 'nowhere', thingGroupProperties: {} })),
      ResourceNotFoundException,
      404,
    );
  });

  test('ListThingGroups: all, by parent, recursive, by prefix', async () => {
    await createHierarchy();
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'euro-lab', parentGroupName: 'fleet' }));
    const names = async (input: ListThingGroupsCommandInput): Promise<string[]> =>
      ((await iot.send(new ListThingGroupsCommand(input))).thingGroups ?? []).map((g) => g.groupName ?? '');

    expect(await names({})).toEqual(['euro-lab', 'europe', 'fleet', 'paris']);
    expect(await names({ parentGroup: 'fleet' })).toEqual(['euro-lab', 'europe']);
    expect(await names({ parentGroup: 'fleet', recursive: true })).toEqual(['euro-lab', 'europe', 'paris']);
    expect(await names({ namePrefixFilter: 'euro' })).toEqual(['euro-lab', 'europe']);
    const paged = await iot.send(new ListThingGroupsCommand({ maxResults: 3 }));
    expect(paged.thingGroups).toHaveLength(3);
    expect(paged.thingGroups?.[0]).toEqual({ groupName: 'euro-lab', groupArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thinggroup/euro-lab` });
    const rest = await iot.send(new ListThingGroupsCommand({ maxResults: 3, nextToken: paged.nextToken }));
    expect(rest.thingGroups?.map((g) => g.groupName)).toEqual(['paris']);
  });

  test('DeleteThingGroup refuses a group with children and succeeds for a missing group', async () => {
    await createHierarchy();
    const error = await expectError(
      iot.send(new DeleteThingGroupCommand({ thingGroupName: 'europe' })),
      InvalidRequestException,
      400,
    );
    expect(error.message).toContain('child groups');
    await expectError(
      iot.send(new DeleteThingGroupCommand({ thingGroupName: 'paris', expectedVersion: 7 })),
      VersionConflictException,
      409,
    );
    await iot.send(new DeleteThingGroupCommand({ thingGroupName: 'paris', expectedVersion: 1 }));
    await iot.send(new DeleteThingGroupCommand({ thingGroupName: 'europe' }));
    await iot.send(new DeleteThingGroupCommand({ thingGroupName: 'europe' }));
    expect(emulator.snapshot().thingGroups.map((g) => g.name)).toEqual(['fleet']);
  });

  test('memberships by name or ARN, listings, and existence checks', async () => {
    await createHierarchy();
    await iot.send(new CreateThingCommand({ thingName: 'lamp-1' }));
    await iot.send(new CreateThingCommand({ thingName: 'lamp-2' }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'paris', thingName: 'lamp-1' }));
    await iot.send(
      new AddThingToThingGroupCommand({
        thingGroupArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thinggroup/europe`,
        thingArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thing/lamp-2`,
      }),
    );
    // Adding again is a no-op success.
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'paris', thingName: 'lamp-1' }));

    const forThing = await iot.send(new ListThingGroupsForThingCommand({ thingName: 'lamp-1' }));
    expect(forThing.thingGroups).toEqual([{ groupName: 'paris', groupArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thinggroup/paris` }]);
    expect((await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'europe' }))).things).toEqual(['lamp-2']);
    expect((await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'fleet', recursive: true }))).things).toEqual([
      'lamp-1',
      'lamp-2',
    ]);

    await expectError(
      iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'paris', thingName: 'ghost' })),
      ResourceNotFoundException,
      404,
    );
    await expectError(
      iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'nowhere', thingName: 'lamp-1' })),
      ResourceNotFoundException,
      404,
    );
    await expectError(
      iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName: 'paris', thingName: 'ghost' })),
      ResourceNotFoundException,
      404,
    );
    await expectError(iot.send(new ListThingGroupsForThingCommand({ thingName: 'ghost' })), ResourceNotFoundException, 404);
    await expectError(iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'nowhere' })), ResourceNotFoundException, 404);

    await iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName: 'paris', thingName: 'lamp-1' }));
    expect((await iot.send(new ListThingGroupsForThingCommand({ thingName: 'lamp-1' }))).thingGroups).toEqual([]);
    expect(emulator.snapshot().memberships).toEqual([['europe', 'lamp-2']]);
  });
});

describe('registry events', () => {
  test('nothing is published until event types are enabled, then only the enabled ones', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'quiet' }));
    await settle();
    expect(events).toEqual([]);

    const before = await iot.send(new DescribeEventConfigurationsCommand({}));
    expect(before.eventConfigurations?.THING).toEqual({ Enabled: false });

    await iot.send(new UpdateEventConfigurationsCommand({ eventConfigurations: { THING: { Enabled: true } } }));
    const after = await iot.send(new DescribeEventConfigurationsCommand({}));
    expect(after.eventConfigurations?.THING).toEqual({ Enabled: true });
    expect(after.eventConfigurations?.THING_GROUP).toEqual({ Enabled: false });

    await iot.send(new CreateThingCommand({ thingName: 'loud' }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'unheard' }));
    await settle();
    expect(topics()).toEqual(['$aws/events/thing/loud/created']);
  });

  test('thing and thing-type-association events carry the documented payloads', async () => {
    emulator.enableAllEvents();
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'Meter' }));
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'Gauge' }));
    const { thingId } = await iot.send(
      new CreateThingCommand({ thingName: 'm1', thingTypeName: 'Meter', attributePayload: { attributes: { b: '2', a: '1' } } }),
    );
    await iot.send(new UpdateThingCommand({ thingName: 'm1', thingTypeName: 'Gauge' }));
    await iot.send(new DeleteThingCommand({ thingName: 'm1' }));
    await settle();

    const thingEvents = events.filter((e) => e.topic.startsWith('$aws/events/thing/'));
    expect(thingEvents.map((e) => e.topic)).toEqual([
      '$aws/events/thing/m1/created',
      '$aws/events/thing/m1/updated',
      '$aws/events/thing/m1/deleted',
    ]);
    expect(thingEvents[0].payload).toEqual({
      eventType: 'THING_EVENT',
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      timestamp: clock,
      operation: 'CREATED',
      accountId: ACCOUNT,
      thingId,
      thingName: 'm1',
      versionNumber: 1,
      thingTypeName: 'Meter',
      attributes: { a: '1', b: '2' },
    });
    expect(thingEvents[1].payload).toMatchObject({ operation: 'UPDATED', versionNumber: 2, thingTypeName: 'Gauge' });
    expect(thingEvents[2].payload).toMatchObject({ operation: 'DELETED', versionNumber: 2 });
    expect(new Set(events.map((e) => e.payload.eventId)).size).toBe(events.length);

    const associations = events.filter((e) => e.topic.startsWith('$aws/events/thingTypeAssociation/'));
    expect(associations.map((e) => [e.topic, e.payload.operation])).toEqual([
      ['$aws/events/thingTypeAssociation/thing/m1/Meter', 'CREATED'],
      ['$aws/events/thingTypeAssociation/thing/m1/Meter', 'DELETED'],
      ['$aws/events/thingTypeAssociation/thing/m1/Gauge', 'CREATED'],
    ]);
    expect(associations[0].payload).toEqual({
      eventId: expect.any(String),
      eventType: 'THING_TYPE_ASSOCIATION_EVENT',
      operation: 'CREATED',
      thingId,
      thingName: 'm1',
      thingTypeName: 'Meter',
      timestamp: clock,
    });
  });

  test('no events when nothing changed', async () => {
    emulator.enableAllEvents();
    await iot.send(new CreateThingCommand({ thingName: 'same', attributePayload: { attributes: { a: '1' } } }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'g' }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'g', thingName: 'same' }));
    await settle();
    events.length = 0;

    await iot.send(new CreateThingCommand({ thingName: 'same', attributePayload: { attributes: { a: '1' } } }));
    await iot.send(new UpdateThingCommand({ thingName: 'same', attributePayload: { attributes: { a: '1' }, merge: true } }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'g' }));
    await iot.send(new UpdateThingGroupCommand({ thingGroupName: 'g', thingGroupProperties: {} }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'g', thingName: 'same' }));
    await iot.send(new DeleteThingCommand({ thingName: 'absent' }));
    await settle();
    expect(events).toEqual([]);
  });

  test('thing type events on create, deprecate, undeprecate and delete', async () => {
    emulator.enableAllEvents();
    const { thingTypeId } = await iot.send(
      new CreateThingTypeCommand({
        thingTypeName: 'Lamp',
        thingTypeProperties: { thingTypeDescription: 'a lamp', searchableAttributes: ['watts'] },
      }),
    );
    const deprecatedAt = clock;
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Lamp' }));
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Lamp', undoDeprecate: true }));
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'Lamp' }));
    clock += FIVE_MINUTES;
    await iot.send(new DeleteThingTypeCommand({ thingTypeName: 'Lamp' }));
    await settle();

    expect(topics()).toEqual([
      '$aws/events/thingType/Lamp/created',
      '$aws/events/thingType/Lamp/updated',
      '$aws/events/thingType/Lamp/updated',
      '$aws/events/thingType/Lamp/updated',
      '$aws/events/thingType/Lamp/deleted',
    ]);
    expect(events[0].payload).toEqual({
      eventType: 'THING_TYPE_EVENT',
      eventId: expect.any(String),
      timestamp: deprecatedAt,
      operation: 'CREATED',
      accountId: ACCOUNT,
      thingTypeId,
      thingTypeName: 'Lamp',
      isDeprecated: false,
      deprecationDate: null,
      searchableAttributes: ['watts'],
      description: 'a lamp',
    });
    expect(events[1].payload).toMatchObject({ operation: 'UPDATED', isDeprecated: true, deprecationDate: deprecatedAt });
    expect(events[2].payload).toMatchObject({ operation: 'UPDATED', isDeprecated: false, deprecationDate: null });
    expect(events[4].payload).toMatchObject({ operation: 'DELETED', isDeprecated: true });
  });

  test('thing group, hierarchy and membership events', async () => {
    emulator.enableAllEvents();
    const root = await iot.send(new CreateThingGroupCommand({ thingGroupName: 'fleet' }));
    const child = await iot.send(
      new CreateThingGroupCommand({
        thingGroupName: 'europe',
        parentGroupName: 'fleet',
        thingGroupProperties: { thingGroupDescription: 'EU', attributePayload: { attributes: { region: 'eu' } } },
      }),
    );
    const thing = await iot.send(new CreateThingCommand({ thingName: 'lamp-1' }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'europe', thingName: 'lamp-1' }));
    await iot.send(new RemoveThingFromThingGroupCommand({ thingGroupName: 'europe', thingName: 'lamp-1' }));
    await iot.send(new UpdateThingGroupCommand({ thingGroupName: 'europe', thingGroupProperties: { thingGroupDescription: 'Europe' } }));
    await iot.send(new DeleteThingGroupCommand({ thingGroupName: 'europe' }));
    await settle();

    expect(topics()).toEqual([
      '$aws/events/thingGroup/fleet/created',
      '$aws/events/thingGroup/europe/created',
      '$aws/events/thingGroupHierarchy/thingGroup/fleet/childThingGroup/europe/added',
      '$aws/events/thing/lamp-1/created',
      '$aws/events/thingGroupMembership/thingGroup/europe/thing/lamp-1/added',
      '$aws/events/thingGroupMembership/thingGroup/europe/thing/lamp-1/removed',
      '$aws/events/thingGroup/europe/updated',
      '$aws/events/thingGroup/europe/deleted',
      '$aws/events/thingGroupHierarchy/thingGroup/fleet/childThingGroup/europe/removed',
    ]);
    expect(events[0].payload).toMatchObject({ parentGroupName: null, parentGroupId: null, rootToParentThingGroups: null });
    expect(events[1].payload).toEqual({
      eventType: 'THING_GROUP_EVENT',
      eventId: expect.any(String),
      timestamp: clock,
      operation: 'CREATED',
      accountId: ACCOUNT,
      thingGroupId: child.thingGroupId,
      thingGroupName: 'europe',
      versionNumber: 1,
      parentGroupName: 'fleet',
      parentGroupId: root.thingGroupId,
      description: 'EU',
      rootToParentThingGroups: [{ groupArn: root.thingGroupArn, groupId: root.thingGroupId }],
      attributes: { region: 'eu' },
      dynamicGroupMappingId: null,
    });
    expect(events[2].payload).toEqual({
      eventType: 'THING_GROUP_HIERARCHY_EVENT',
      eventId: expect.any(String),
      timestamp: clock,
      operation: 'ADDED',
      accountId: ACCOUNT,
      thingGroupId: root.thingGroupId,
      thingGroupName: 'fleet',
      childGroupId: child.thingGroupId,
      childGroupName: 'europe',
    });
    const added = events[4].payload;
    expect(added).toEqual({
      eventType: 'THING_GROUP_MEMBERSHIP_EVENT',
      eventId: expect.any(String),
      timestamp: clock,
      operation: 'ADDED',
      accountId: ACCOUNT,
      groupArn: child.thingGroupArn,
      groupId: child.thingGroupId,
      thingArn: thing.thingArn,
      thingId: thing.thingId,
      membershipId: expect.any(String),
    });
    expect(events[5].payload).toMatchObject({ operation: 'REMOVED', membershipId: added.membershipId });
    expect(events[6].payload).toMatchObject({ operation: 'UPDATED', versionNumber: 2, description: 'Europe' });
  });

  test('deleting a thing or a group drops its memberships without membership events', async () => {
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'g1' }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'g2' }));
    await iot.send(new CreateThingCommand({ thingName: 'a' }));
    await iot.send(new CreateThingCommand({ thingName: 'b' }));
    for (const [group, thing] of [
      ['g1', 'a'],
      ['g2', 'a'],
      ['g1', 'b'],
    ]) {
      await iot.send(new AddThingToThingGroupCommand({ thingGroupName: group, thingName: thing }));
    }
    emulator.enableAllEvents();

    await iot.send(new DeleteThingCommand({ thingName: 'a' }));
    await iot.send(new DeleteThingGroupCommand({ thingGroupName: 'g1' }));
    await settle();

    expect(topics()).toEqual(['$aws/events/thing/a/deleted', '$aws/events/thingGroup/g1/deleted']);
    expect(emulator.snapshot().memberships).toEqual([]);
    expect((await iot.send(new ListThingGroupsForThingCommand({ thingName: 'b' }))).thingGroups).toEqual([]);
    expect((await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: 'g2' }))).things).toEqual([]);
  });

  test('events arrive after the call that caused them, and stop when the listener unsubscribes', async () => {
    emulator.enableAllEvents();
    const seen: string[] = [];
    const unsubscribe = emulator.onEvent((e) => seen.push(e.topic));
    // The server answers before its setImmediate delivery runs, so the response comes first.
    const pending = iot.send(new CreateThingCommand({ thingName: 'x1' }));
    expect(seen).toEqual([]);
    await pending;
    await settle();
    unsubscribe();
    await iot.send(new CreateThingCommand({ thingName: 'x2' }));
    await settle();
    expect(seen).toEqual(['$aws/events/thing/x1/created']);
    expect(topics()).toEqual(['$aws/events/thing/x1/created', '$aws/events/thing/x2/created']);
  });
});

describe('throttling', () => {
  test('throttle() injects 429 ThrottlingException for the named APIs, counted as calls', async () => {
    await iot.send(new CreateThingCommand({ thingName: 't' }));
    emulator.throttle(150, ['DescribeThing']);
    const error = await expectError(iot.send(new DescribeThingCommand({ thingName: 't' })), ThrottlingException, 429);
    expect(error.name).toBe('ThrottlingException');
    await iot.send(new ListThingsCommand({}));
    expect(emulator.callCounts()).toMatchObject({ CreateThing: 1, DescribeThing: 1, ListThings: 1 });

    await new Promise((resolve) => setTimeout(resolve, 160));
    await iot.send(new DescribeThingCommand({ thingName: 't' }));

    emulator.throttle(100);
    await expectError(iot.send(new ListThingsCommand({})), ThrottlingException, 429);
    await expectError(iot.send(new CreateThingCommand({ thingName: 'u' })), ThrottlingException, 429);
    // A throttled call changes nothing.
    expect(emulator.snapshot().things.map((t) => t.name)).toEqual(['t']);
    expect(emulator.callCounts()).toMatchObject({ CreateThing: 2, DescribeThing: 2, ListThings: 2 });
  });

  test('per-API TPS quota: a burst of one second of quota passes, then 429 until tokens refill', async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'Q' }));
    const describe = (): Promise<unknown> => iot.send(new DescribeThingTypeCommand({ thingTypeName: 'Q' }));
    for (let i = 0; i < 5; i++) await describe();
    await expectError(describe(), ThrottlingException, 429);
    // 5 TPS refills one token every 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 250));
    await describe();
    await expectError(describe(), ThrottlingException, 429);
    expect(emulator.callCounts().DescribeThingType).toBe(8);
  });

  test('default quotas apply: UpdateEventConfigurations allows 1 TPS', async () => {
    await iot.send(new UpdateEventConfigurationsCommand({ eventConfigurations: { THING: { Enabled: true } } }));
    await expectError(
      iot.send(new UpdateEventConfigurationsCommand({ eventConfigurations: { THING_GROUP: { Enabled: true } } })),
      ThrottlingException,
      429,
    );
  });
});

describe('protocol and harness', () => {
  test('an operation the emulator lacks fails loudly with method and path', async () => {
    const error = await expectError(iot.send(new ListJobsCommand({})), IoTServiceException, 404);
    expect(error.name).toBe('UnknownOperationException');
    expect(error.message).toContain('GET /jobs');

    const raw = await fetch(`${emulator.endpoint}/no/such/route`, { method: 'POST' });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ message: expect.stringContaining('POST /no/such/route') });
  });

  test('snapshot is sorted plain data without ids, and reset() empties the registry', async () => {
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'T', thingTypeProperties: { searchableAttributes: ['s'] } }));
    await iot.send(new CreateThingGroupCommand({ thingGroupName: 'root' }));
    await iot.send(
      new CreateThingGroupCommand({
        thingGroupName: 'leaf',
        parentGroupName: 'root',
        thingGroupProperties: { attributePayload: { attributes: { z: '1', a: '2' } } },
      }),
    );
    await iot.send(new CreateThingCommand({ thingName: 'zeta', thingTypeName: 'T' }));
    await iot.send(new CreateThingCommand({ thingName: 'alpha', attributePayload: { attributes: { k: 'v' } } }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'root', thingName: 'zeta' }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: 'leaf', thingName: 'alpha' }));

    const snapshot = emulator.snapshot();
    expect(snapshot).toEqual({
      things: [
        { name: 'alpha', type: null, attributes: { k: 'v' } },
        { name: 'zeta', type: 'T', attributes: {} },
      ],
      thingTypes: [{ name: 'T', description: null, searchableAttributes: ['s'], deprecated: false }],
      thingGroups: [
        { name: 'leaf', parent: 'root', description: null, attributes: { a: '2', z: '1' } },
        { name: 'root', parent: null, description: null, attributes: {} },
      ],
      memberships: [
        ['leaf', 'alpha'],
        ['root', 'zeta'],
      ],
    });
    expect(Object.keys(snapshot.thingGroups[0].attributes)).toEqual(['a', 'z']);

    emulator.reset();
    expect(emulator.snapshot()).toEqual({ things: [], thingTypes: [], thingGroups: [], memberships: [] });
    expect(emulator.callCounts()).toEqual({});
    const config = await iot.send(new DescribeEventConfigurationsCommand({}));
    expect(Object.values(config.eventConfigurations ?? {}).every((c) => c.Enabled === false)).toBe(true);
  });

  test('region and account appear in ARNs of a second emulator', async () => {
    const other = await startIotEmulator({ region: 'eu-west-1', accountId: '210987654321' });
    const client = new IoTClient({
      endpoint: other.endpoint,
      region: other.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const created = await client.send(new CreateThingCommand({ thingName: 'x' }));
      expect(created.thingArn).toBe('arn:aws:iot:eu-west-1:210987654321:thing/x');
      // Separate state per emulator: the main one has no such thing.
      await expectError(iot.send(new DescribeThingCommand({ thingName: 'x' })), ResourceNotFoundException, 404);
    } finally {
      client.destroy();
      await other.close();
    }
  });
});
