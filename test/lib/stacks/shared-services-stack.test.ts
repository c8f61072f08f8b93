import { Template } from 'aws-cdk-lib/assertions';
import { testApp } from '../helpers';
import { SharedServicesStack, DrRegionRole, DrTopology } from '../../../lib';

describe('SharedServicesStack', () => {
  it.each([
    [DrRegionRole.PRIMARY, 'us-west-2'],
    [DrRegionRole.SECONDARY, 'us-east-1'],
  ])('goes to the sharedServices account in the %s region and synthesizes without resources yet', (role, region) => {
    const stack = new SharedServicesStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: role, stackName: 'named' });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['111111111111', region, 'named']);
    expect(Template.fromStack(stack).toJSON().Description).toBe(`cdk-iot-dr shared services (${role} region)`);
    expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
  });
});
