import { Match, Template } from 'aws-cdk-lib/assertions';
import { testApp } from '../helpers';
import { CommandControlStack, DrRegionRole, DrTopology } from '../../../lib';

describe('CommandControlStack', () => {
  it.each([
    [DrRegionRole.PRIMARY, 'us-west-2'],
    [DrRegionRole.SECONDARY, 'us-east-1'],
  ])('goes to the commandControl account in the %s region with its health API', (role, region) => {
    const stack = new CommandControlStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: role, stackName: 'named' });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['333333333333', region, 'named']);
    const template = Template.fromStack(stack);
    expect(template.toJSON().Description).toBe(`cdk-iot-dr command and control (${role} region)`);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    expect(stack.healthApi.checkNames).toEqual(['lambda-service']);
    expect(template.toJSON().Outputs.HealthApiUrl.Description).toMatch(new RegExp(`failover.healthApiUrls.${role}.commandControl$`));
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
