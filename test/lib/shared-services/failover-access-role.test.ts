import { Template } from 'aws-cdk-lib/assertions';
import { FailoverAccessRole } from '../../../lib';
import { ACCOUNT, PRIMARY, stackIn } from '../helpers';

describe('FailoverAccessRole', () => {
  test('a role named per region, trusted by the shared-services account: iot:Publish on the notice topic, GetMetricData', () => {
    const stack = stackIn(PRIMARY);
    new FailoverAccessRole(stack, 'Access', { sharedServicesAccount: '111111111111' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'cdk-iot-dr-failover-access-us-west-2',
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } } }],
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'iot:Publish', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:${PRIMARY}:${ACCOUNT}:topic/cdk-iot-dr/failover`]] } },
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
  });

  test('its ARN is computable from the account and region, without a reference to the other account\'s stack', () => {
    expect(FailoverAccessRole.roleArnFor(ACCOUNT, PRIMARY)).toBe(`arn:aws:iam::${ACCOUNT}:role/cdk-iot-dr-failover-access-us-west-2`);
  });

  test('publish only, and a bad account id', () => {
    const stack = stackIn(PRIMARY);
    new FailoverAccessRole(stack, 'Access', { sharedServicesAccount: '111111111111', readMetrics: false });
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).toHaveLength(1);
    expect(() => new FailoverAccessRole(stackIn(PRIMARY), 'Access', { sharedServicesAccount: '1111' })).toThrow("Access: sharedServicesAccount must be a 12-digit account id, got '1111'");
  });
});
