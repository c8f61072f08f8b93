import { DescribeThingCommand, DescribeThingGroupCommand, IoTClient, ResourceNotFoundException, ThrottlingException } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { iotRegistryReader } from '../../../lambda/capture/registry-reader';

const iot = mockClient(IoTClient);
const reader = iotRegistryReader(new IoTClient({ region: 'us-east-1' }));

beforeEach(() => iot.reset());
afterAll(() => iot.restore());

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

test('a missing entity is undefined; other errors propagate (SQS retries them)', async () => {
  iot.on(DescribeThingCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
  iot.on(DescribeThingGroupCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
  expect(await reader.describeThing('X')).toBeUndefined();
  await expect(reader.describeThingGroup('Y')).rejects.toThrow('slow down');
});
