import { Template } from 'aws-cdk-lib/assertions';
import { testApp } from '../helpers';
import { DrRegionRole, DrTopology, GlobalFailoverStack, SharedServicesStack } from '../../../lib';

describe('SharedServicesStack', () => {
  it.each([
    [DrRegionRole.PRIMARY, 'us-west-2', 'pppppppp'],
    [DrRegionRole.SECONDARY, 'us-east-1', 'ssssssss'],
  ])('goes to the sharedServices account in the %s region with the aggregator of its health APIs', (role, region, apiPrefix) => {
    const stack = new SharedServicesStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: role, stackName: 'named' });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['111111111111', region, 'named']);
    const template = Template.fromStack(stack);
    expect(template.toJSON().Description).toBe(`cdk-iot-dr shared services (${role} region)`);
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: `cdk-iot-dr-health-aggregator-${region}` });
    const env = Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
    const apis = JSON.parse(Object.values(env).find((v) => typeof v === 'string' && v.includes('iot-services')) as string);
    expect(apis).toEqual([
      { name: 'iot-services', url: `https://${apiPrefix}01.execute-api.${region}.amazonaws.com/v1/health` },
      { name: 'command-control', url: `https://${apiPrefix}02.execute-api.${region}.amazonaws.com/v1/health` },
      { name: 'data-analytics', url: `https://${apiPrefix}03.execute-api.${region}.amazonaws.com/v1/health` },
    ]);
  });

  it('holds no resources before the health API URLs are known (phase one)', () => {
    const { accounts, primaryRegion, secondaryRegion, domainName } = DrTopology.DEFAULT;
    const topology = new DrTopology({ accounts, primaryRegion, secondaryRegion, domainName, failover: { iotEndpointPrefix: 'a1b2c3d4e5f6g7' } });
    const stack = new SharedServicesStack(testApp(), 'Stack', { topology, regionRole: DrRegionRole.PRIMARY });
    expect(stack.healthCheckAggregator).toBeUndefined();
    expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
  });
});

describe('GlobalFailoverStack', () => {
  it('goes to the sharedServices account in us-east-1, and refuses env', () => {
    const stack = new GlobalFailoverStack(testApp(), 'Global', { topology: DrTopology.DEFAULT });
    expect([stack.account, stack.region]).toEqual(['111111111111', 'us-east-1']);
    expect(() => new GlobalFailoverStack(testApp(), 'Global', { topology: DrTopology.DEFAULT, env: { region: 'eu-west-1' } })).toThrow(
      /^Global: env follows from the topology \(accounts.sharedServices in us-east-1\); remove env$/,
    );
  });
});
