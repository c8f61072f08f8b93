import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CommandApi } from '../../../lib/command-control';
import { ACCOUNT, PRIMARY, SECONDARY, logicalId, policyStatements, stackIn } from '../helpers';

const IOT_ACCOUNT = '444444444444';
const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

describe('CommandApi', () => {
  let api: CommandApi;
  let template: Template;
  beforeAll(() => {
    const stack = stackIn(PRIMARY);
    const topic = new sns.Topic(stack, 'Alarms');
    api = new CommandApi(stack, 'Commands', {
      iotServicesAccount: IOT_ACCOUNT,
      peerRegion: SECONDARY,
      domainName: 'api.example.com',
      alarmActions: [{ bind: () => ({ alarmActionArn: topic.topicArn }) }],
    });
    template = Template.fromStack(stack);
  });

  test('a regional REST API, stage v1 with access logs, throttling and X-Ray', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 })],
    });
  });

  test('IAM auth and the request validator on every method; the Idempotency-Key header required on mutating ones', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(['DELETE', 'GET', 'POST', 'POST', 'POST']);
    const validatorId = Object.keys(template.findResources('AWS::ApiGateway::RequestValidator'))[0];
    for (const m of methods) {
      expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(m.Properties.RequestValidatorId).toEqual({ Ref: validatorId });
      if (m.Properties.HttpMethod !== 'GET') expect(m.Properties.RequestParameters['method.request.header.Idempotency-Key']).toBe(true);
      else expect(m.Properties.RequestParameters).toEqual({ 'method.request.path.thingName': true });
    }
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
  });

  test('the onboarding body is validated by a model; API Gateway\'s own refusals answer in the JSON error shape', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'OnboardRequest',
      Schema: Match.objectLike({ required: ['thingName', 'policyName'], additionalProperties: false }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', RequestModels: { 'application/json': Match.anyValue() } });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"error":\\{"code"') },
    });
    template.resourceCountIs('AWS::ApiGateway::GatewayResponse', 4);
  });

  test('custom domain api.<domain>: regional, TLS 1.2, a DNS-validated certificate, mapped to the stage; its regional name is an output', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'api.example.com', ValidationMethod: 'DNS' });
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { Stage: Match.anyValue() });
    expect(api.regionalDomainName).toBeDefined();
    const outputs = template.findOutputs('*');
    const regional = Object.values(outputs).find((o) => String(o.Description).includes('failover record'));
    expect(regional?.Value).toEqual({ 'Fn::GetAtt': [logicalId(api.domain!), 'RegionalDomainName'] });
  });

  test('the function role has its fixed name and may assume exactly the access roles of this and the peer region', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: `cdk-iot-dr-command-api-${PRIMARY}` });
    const statements = policyStatements(template, api.functionRole) as Record<string, unknown>[];
    expect(statements.find((s) => s.Sid === 'AssumeCommandAccessRoles')).toEqual({
      Sid: 'AssumeCommandAccessRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: [
        partitionArn(`:iam::${IOT_ACCOUNT}:role/cdk-iot-dr-command-access-${PRIMARY}`),
        partitionArn(`:iam::${IOT_ACCOUNT}:role/cdk-iot-dr-command-access-${SECONDARY}`),
      ],
    });
    expect(statements.find((s) => s.Sid === 'Idempotency')).toEqual({
      Sid: 'Idempotency',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Resource: { 'Fn::GetAtt': [logicalId(api.idempotencyTable), 'Arn'] },
    });
    // No other cross-account power: IoT and the journal are only reachable through the access roles.
    expect(JSON.stringify(statements)).not.toMatch(/"iot:|iot-dr-journal/);
    expect(CommandApi.functionRoleArnFor(ACCOUNT, PRIMARY)).toBe(`arn:aws:iam::${ACCOUNT}:role/cdk-iot-dr-command-api-${PRIMARY}`);
  });

  test('the function knows both access roles, the tables by their fixed names and the idempotency table', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          IOT_SERVICES_ACCOUNT: IOT_ACCOUNT,
          ACCESS_ROLE_ARN: partitionArn(`:iam::${IOT_ACCOUNT}:role/cdk-iot-dr-command-access-${PRIMARY}`),
          PEER_REGION: SECONDARY,
          PEER_ACCESS_ROLE_ARN: partitionArn(`:iam::${IOT_ACCOUNT}:role/cdk-iot-dr-command-access-${SECONDARY}`),
          JOURNAL_TABLE_NAME: 'iot-dr-journal',
          ECHO_LEDGER_TABLE_NAME: 'iot-dr-echo-ledger',
          IDEMPOTENCY_TABLE_NAME: { Ref: logicalId(api.idempotencyTable) },
          IDEMPOTENCY_TTL_SECONDS: '86400',
        }),
      },
    });
  });

  test('idempotency table: TTL, point-in-time recovery, encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('alarms on the 5XX rate, function errors and throttles, with the given action', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(['5XXError', 'Errors', 'Throttles']);
    for (const a of alarms) expect(a.Properties.AlarmActions).toHaveLength(1);
  });

  test('a Cognito user pool replaces IAM auth by a JWT authorizer on every method', () => {
    const stack = stackIn(PRIMARY);
    const pool = new cognito.UserPool(stack, 'Pool');
    new CommandApi(stack, 'Commands', { iotServicesAccount: IOT_ACCOUNT, userPool: pool, authorizationScopes: ['devices/write'] });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS' });
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method'));
    for (const m of methods) {
      expect(m.Properties.AuthorizationType).toBe('COGNITO_USER_POOLS');
      expect(m.Properties.AuthorizationScopes).toEqual(['devices/write']);
    }
    // Without a peer the function assumes this region's access role only; without a domain there is none.
    t.resourceCountIs('AWS::ApiGateway::DomainName', 0);
  });

  test('an existing certificate is used as is', () => {
    const stack = stackIn(PRIMARY);
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', `arn:aws:acm:${PRIMARY}:${ACCOUNT}:certificate/abc`);
    const a = new CommandApi(stack, 'Commands', { iotServicesAccount: IOT_ACCOUNT, domainName: 'api.example.com', certificate });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    t.hasResourceProperties('AWS::ApiGateway::DomainName', { RegionalCertificateArn: `arn:aws:acm:${PRIMARY}:${ACCOUNT}:certificate/abc` });
    a.addAlarmAction({ bind: () => ({ alarmActionArn: 'arn:aws:sns:us-west-2:222222222222:ops' }) } as cloudwatch.IAlarmAction);
    expect(a.serverErrorAlarm).toBeDefined();
  });

  test('prop errors name the prop', () => {
    const make = (props: Partial<ConstructorParameters<typeof CommandApi>[2]>) => () =>
      new CommandApi(stackIn(PRIMARY), 'Commands', { iotServicesAccount: IOT_ACCOUNT, ...props });
    expect(make({ iotServicesAccount: '12' })).toThrow("Commands: iotServicesAccount must be a 12-digit account id, got '12'");
    expect(make({ peerRegion: PRIMARY })).toThrow(/peerRegion must be the other region of the pair/);
    expect(make({ peerRegion: 'us-est-1' })).toThrow(/peerRegion must be a region name/);
    expect(make({ domainName: 'api' })).toThrow(/domainName must be a fully qualified host name/);
    expect(make({ throttlingRateLimit: 0 })).toThrow(/throttlingRateLimit must be between 1 and 10000/);
    expect(make({ idempotencyTtl: Duration.minutes(5) })).toThrow(/idempotencyTtl must be between 1 hour and 7 days/);
    expect(make({ authorizationScopes: ['a/b'] })).toThrow(/authorizationScopes need userPool/);
  });
});
