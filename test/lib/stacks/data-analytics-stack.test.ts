import { Template } from 'aws-cdk-lib/assertions';
import { logicalId, testApp } from '../helpers';
import { DataAnalyticsStack, DrRegionRole, DrTopology } from '../../../lib';

describe('DataAnalyticsStack', () => {
  it.each([
    [DrRegionRole.PRIMARY, 'us-west-2'],
    [DrRegionRole.SECONDARY, 'us-east-1'],
  ])('goes to the dataAnalytics account in the %s region with the analytics bus, the example targets and its health API', (role, region) => {
    const stack = new DataAnalyticsStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: role, stackName: 'named' });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['444444444444', region, 'named']);
    const template = Template.fromStack(stack);
    expect(template.toJSON().Description).toBe(`cdk-iot-dr data analytics (${role} region)`);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'cdk-iot-dr-telemetry' });
    // The global endpoint in the primary only, with the output the topology's analytics.globalEndpointId takes.
    template.resourceCountIs('AWS::Events::Endpoint', role === DrRegionRole.PRIMARY ? 1 : 0);
    expect(template.toJSON().Outputs.GlobalEndpointId !== undefined).toBe(role === DrRegionRole.PRIMARY);
    // One Kinesis stream and one Express state machine, each a target of the bus with its dead-letter queue.
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.resourcePropertiesCountIs('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' }, 1);
    expect(stack.analyticsBus.targets.map((t) => t.rule.node.id)).toHaveLength(2);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    expect(stack.healthApi.checkNames).toEqual(['lambda-service']);
    expect(template.toJSON().Outputs.HealthApiUrl.Description).toMatch(new RegExp(`failover.healthApiUrls.${role}.dataAnalytics$`));
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      if (alarm.Properties.AlarmActions) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(stack.alarmTopic) }]);
    }
  });

  it('leaves the example targets out when asked', () => {
    const stack = new DataAnalyticsStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: DrRegionRole.SECONDARY, exampleTargets: false });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    expect(stack.analyticsBus.targets).toEqual([]);
    expect(stack.exampleStream).toBeUndefined();
  });
});
