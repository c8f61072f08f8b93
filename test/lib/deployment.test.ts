import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { testApp } from './helpers';
import { DrTopology, IotDrDeployment } from '../../lib';

describe('IotDrDeployment', () => {
  let deployment: IotDrDeployment;
  let templates: Map<Stack, Template>;

  beforeAll(() => {
    const app = testApp();
    deployment = new IotDrDeployment(app, 'IotDr', { topology: DrTopology.DEFAULT });
    templates = new Map(deployment.stacks.map((s) => [s, Template.fromStack(s)]));
  });

  it.each([
    ['sharedServices', 'SharedServices', '111111111111'],
    ['iotServices', 'IotServices', '222222222222'],
    ['commandControl', 'CommandControl', '333333333333'],
    ['dataAnalytics', 'DataAnalytics', '444444444444'],
  ] as const)('puts %s in its account in both regions', (prop, part, account) => {
    const { primary, secondary } = deployment[prop];
    expect([primary.account, primary.region, primary.stackName]).toEqual([account, 'us-west-2', `IotDr-${part}-us-west-2`]);
    expect([secondary.account, secondary.region, secondary.stackName]).toEqual([account, 'us-east-1', `IotDr-${part}-us-east-1`]);
  });

  it('creates eight stacks', () => {
    expect(deployment.stacks).toHaveLength(8);
  });

  it("deploys the secondary IoT services stack after the primary's, which owns the journal", () => {
    const { primary, secondary } = deployment.iotServices;
    expect(secondary.dependencies).toContain(primary);
    expect(primary.dependencies).toEqual([]);
    templates.get(primary)!.resourcePropertiesCountIs('AWS::DynamoDB::GlobalTable', { TableName: 'iot-dr-journal' }, 1);
    templates.get(secondary)!.resourcePropertiesCountIs('AWS::DynamoDB::GlobalTable', { TableName: 'iot-dr-journal' }, 0);
    templates.get(secondary)!.resourceCountIs('Custom::IotDrReplicaStreamArn', 1);
  });

  it('leaves the other accounts without resources for now', () => {
    for (const prop of ['sharedServices', 'commandControl', 'dataAnalytics'] as const) {
      for (const stack of [deployment[prop].primary, deployment[prop].secondary]) {
        expect(templates.get(stack)!.toJSON().Resources ?? {}).toEqual({});
      }
    }
  });

  it('matches the snapshots of both IoT services stacks', () => {
    expect(templates.get(deployment.iotServices.primary)!.toJSON()).toMatchSnapshot('primary');
    expect(templates.get(deployment.iotServices.secondary)!.toJSON()).toMatchSnapshot('secondary');
  });

  it('takes a stack name prefix and replication settings', () => {
    const app = testApp();
    const custom = new IotDrDeployment(app, 'Platform', {
      topology: DrTopology.DEFAULT,
      stackNamePrefix: 'fleet-dr',
      registryReplication: { tableName: 'fleet-journal', metricsNamespace: 'Fleet' },
    });
    expect(custom.iotServices.primary.stackName).toBe('fleet-dr-IotServices-us-west-2');
    const template = Template.fromStack(custom.iotServices.primary);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'fleet-journal' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Fleet' });
  });
});
