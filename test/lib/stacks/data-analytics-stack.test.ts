import { Match, Template } from 'aws-cdk-lib/assertions';
import { testApp } from '../helpers';
import { DataAnalyticsStack, DrRegionRole, DrTopology } from '../../../lib';

describe('DataAnalyticsStack', () => {
  it.each([
    [DrRegionRole.PRIMARY, 'us-west-2'],
    [DrRegionRole.SECONDARY, 'us-east-1'],
  ])('goes to the dataAnalytics account in the %s region with its health API', (role, region) => {
    const stack = new DataAnalyticsStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: role, stackName: 'named' });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['444444444444', region, 'named']);
    const template = Template.fromStack(stack);
    expect(template.toJSON().Description).toBe(`cdk-iot-dr data analytics (${role} region)`);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    expect(stack.healthApi.checkNames).toEqual(['lambda-service']);
    expect(template.toJSON().Outputs.HealthApiUrl.Description).toMatch(new RegExp(`failover.healthApiUrls.${role}.dataAnalytics$`));
    // The service-availability check: a function answering healthy, invocable by the health function only.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { ZipFile: 'exports.handler = async () => ({ healthy: true });' },
      Runtime: 'nodejs22.x',
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ServiceAvailabilityCheck'), 'Arn'] } })]) },
    });
  });
});
