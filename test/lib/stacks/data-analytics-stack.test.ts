import { Template } from 'aws-cdk-lib/assertions';
import { testApp } from '../helpers';
import { DataAnalyticsStack, DrRegionRole, DrTopology } from '../../../lib';

describe('DataAnalyticsStack', () => {
  it.each([
    [DrRegionRole.PRIMARY, 'us-west-2'],
    [DrRegionRole.SECONDARY, 'us-east-1'],
  ])('goes to the dataAnalytics account in the %s region and synthesizes without resources yet', (role, region) => {
    const stack = new DataAnalyticsStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: role, stackName: 'named' });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['444444444444', region, 'named']);
    expect(Template.fromStack(stack).toJSON().Description).toBe(`cdk-iot-dr data analytics (${role} region)`);
    expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
  });
});
