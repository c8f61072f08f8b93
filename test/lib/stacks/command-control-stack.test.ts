import { Match, Template } from 'aws-cdk-lib/assertions';
import { logicalId, testApp } from '../helpers';
import { CommandControlStack, DrRegionRole, DrTopology } from '../../../lib';

const PHASE_ONE = new DrTopology({
  accounts: DrTopology.DEFAULT.accounts,
  primaryRegion: 'us-west-2',
  secondaryRegion: 'us-east-1',
  domainName: 'example.com',
});

describe('CommandControlStack', () => {
  it.each([
    [DrRegionRole.PRIMARY, 'us-west-2', 'us-east-1'],
    [DrRegionRole.SECONDARY, 'us-east-1', 'us-west-2'],
  ])('goes to the commandControl account in the %s region with the command API, its domain and its health API', (role, region, peer) => {
    const stack = new CommandControlStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: role, stackName: 'named' });
    expect([stack.account, stack.region, stack.stackName]).toEqual(['333333333333', region, 'named']);
    const template = Template.fromStack(stack);
    expect(template.toJSON().Description).toBe(`cdk-iot-dr command and control (${role} region)`);
    // The command API and the health API.
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    expect(stack.resolve(stack.commandApi.accessRoleArns)).toEqual(
      [region, peer].map((r) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::222222222222:role/cdk-iot-dr-command-access-${r}`]] })),
    );
    // Phase two (the default topology has health API URLs): api.<domain> with the output the topology takes.
    template.hasResourceProperties('AWS::ApiGateway::DomainName', { DomainName: 'api.example.com', EndpointConfiguration: { Types: ['REGIONAL'] } });
    const outputs = template.toJSON().Outputs;
    expect(outputs.ApiRegionalDomainName.Value).toEqual({ 'Fn::GetAtt': [logicalId(stack.commandApi.domain!), 'RegionalDomainName'] });
    expect(outputs.ApiUrl).toBeDefined();
    expect(outputs.AlarmTopicArn).toBeDefined();
    // The health API runs the command function's self-check (access role, IoT, journal).
    expect(stack.healthApi.checkNames).toEqual(['command-api']);
    expect(outputs.HealthApiUrl.Description).toMatch(new RegExp(`failover.healthApiUrls.${role}.commandControl$`));
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [logicalId(stack.commandApi.function), 'Arn'] } })]),
      },
    });
    // Every alarm notifies the stack's topic.
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(stack.alarmTopic) }]);
    }
  });

  it('creates no custom domain in phase one (its certificate is validated in the zone phase two sets up)', () => {
    const stack = new CommandControlStack(testApp(), 'Stack', { topology: PHASE_ONE, regionRole: DrRegionRole.PRIMARY });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    expect(template.toJSON().Outputs.ApiRegionalDomainName).toBeUndefined();
    expect(template.toJSON().Outputs.ApiUrl).toBeDefined();
  });

  it('uses an existing certificate for api.<domain> when given', () => {
    const arn = 'arn:aws:acm:us-west-2:333333333333:certificate/11111111-2222-3333-4444-555555555555';
    const stack = new CommandControlStack(testApp(), 'Stack', { topology: DrTopology.DEFAULT, regionRole: DrRegionRole.PRIMARY, apiCertificateArn: arn });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.hasResourceProperties('AWS::ApiGateway::DomainName', { RegionalCertificateArn: arn });
  });
});
