import { Template } from 'aws-cdk-lib/assertions';
import { testApp } from '../helpers';
import { CommandControlStack, DrRegionRole, DrTopology } from '../../../lib';

describe('CommandControlStack', () => {
  it.each([
    [DrRegionRole.PRIMARY, 'us-west-2'],
    [DrRegionRole.SECONDARY, 'us-east-1'],
  ])('goes to the commandControl account in the %s region and synthesizes without resources yet', (role, region) => {
    const stack = new CommandControlStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: role, stackName: 'named' });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['333333333333', region, 'named']);
    expect(Template.fromStack(stack).toJSON().Description).toBe(`cdk-iot-dr command and control (${role} region)`);
    expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
  });
});
