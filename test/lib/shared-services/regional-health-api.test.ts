import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { HEALTH_API_ENV } from '../../../lambda/contract';
import { HealthCheckAggregator, HealthCheckTarget, RegionalHealthApi } from '../../../lib/shared-services';
import { ACCOUNT, PRIMARY, getAtt, logicalId, policyStatements, ref, stackIn } from '../helpers';

const SHARED = '111111111111';
const AGGREGATOR_ROLE = `arn:aws:iam::${SHARED}:role/cdk-iot-dr-health-aggregator-${PRIMARY}`;

function iotServicesApi(stack: Stack = stackIn()) {
  const parkingQueue = new sqs.Queue(stack, 'Parking');
  const api = new RegionalHealthApi(stack, 'Health', { callerRoleArns: [AGGREGATOR_ROLE], checkIotCore: true, parkingQueue });
  return { stack, api, parkingQueue, template: Template.fromStack(stack) };
}

describe('RegionalHealthApi', () => {
  test('a regional REST API, GET /health with IAM auth, proxied to the health function', () => {
    const { api, template } = iotServicesApi();
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.resourceCountIs('AWS::ApiGateway::Method', 1);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'AWS_IAM',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'health' });
    expect(Stack.of(api).resolve(api.url)).toEqual({
      'Fn::Join': ['', ['https://', ref(api.api), `.execute-api.${PRIMARY}.`, { Ref: 'AWS::URLSuffix' }, '/', ref(api.api.deploymentStage), '/health']],
    });
    expect(api.checkNames).toEqual(['iot-data-plane', 'iot-registry']);
  });

  test('the resource policy admits exactly the aggregator roles and denies everyone else; no wildcard Allow', () => {
    const { template } = iotServicesApi();
    const [policy] = Object.values(template.findResources('AWS::ApiGateway::RestApi')).map((r) => r.Properties.Policy);
    expect(policy.Statement).toEqual([
      { Sid: 'AllowHealthCheckAggregators', Effect: 'Allow', Principal: { AWS: AGGREGATOR_ROLE }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*/GET/health' },
      {
        Sid: 'DenyEveryoneElse',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
        Condition: { StringNotEquals: { 'aws:PrincipalArn': [AGGREGATOR_ROLE] } },
      },
    ]);
    for (const s of policy.Statement.filter((s: { Effect: string }) => s.Effect === 'Allow')) {
      expect(JSON.stringify(s.Principal)).not.toContain('*');
    }
  });

  test('throttling, access logs with retention, X-Ray on the stage', () => {
    const { template } = iotServicesApi();
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 }],
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  test('the function: its checks, timeout and readiness settings in the environment', () => {
    const { api, parkingQueue, template } = iotServicesApi();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.regionalHealth',
      Timeout: 6,
      Environment: {
        Variables: {
          [HEALTH_API_ENV.checks]: JSON.stringify([
            { kind: 'iot-data-plane', name: 'iot-data-plane' },
            { kind: 'iot-registry', name: 'iot-registry' },
          ]),
          [HEALTH_API_ENV.checkTimeoutMs]: '1000',
          [HEALTH_API_ENV.metricsNamespace]: 'IotDr',
          [HEALTH_API_ENV.parkingQueueUrl]: ref(parkingQueue),
        },
      },
    });
    expect(api.checkTimeout.toMilliseconds()).toBe(1000);
  });

  test('IAM: publish, retain and read back exactly the health topic; read-only wildcards in their own policy', () => {
    const { api, parkingQueue, template } = iotServicesApi();
    const topic = `arn:aws:iot:${PRIMARY}:${ACCOUNT}:topic/cdk-iot-dr/health/${PRIMARY}/probe`;
    const statements = policyStatements(template, api.role) as { Action: unknown; Resource: unknown }[];
    const topicArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:${PRIMARY}:${ACCOUNT}:topic/cdk-iot-dr/health/${PRIMARY}/probe`]] };
    expect(topic).toContain('/probe');
    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:RetainPublish', 'iot:GetRetainedMessage'], Resource: topicArn },
        { Effect: 'Allow', Action: 'sqs:GetQueueAttributes', Resource: getAtt(parkingQueue, 'Arn') },
        { Effect: 'Allow', Action: ['iot:ListThings', 'iot:DescribeEndpoint', 'cloudwatch:GetMetricData'], Resource: '*' },
      ]),
    );
    // No other IoT or SQS permissions anywhere on the role.
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])) as string[];
    expect(actions.filter((a) => a.startsWith('iot:') || a.startsWith('sqs:')).sort()).toEqual(
      ['iot:DescribeEndpoint', 'iot:GetRetainedMessage', 'iot:ListThings', 'iot:Publish', 'iot:RetainPublish', 'sqs:GetQueueAttributes'].sort(),
    );
    // Only the read policy carries Resource: * besides X-Ray's.
    const wildcards = statements.filter((s) => s.Resource === '*').map((s) => s.Action);
    expect(wildcards).toEqual(
      expect.arrayContaining([['iot:ListThings', 'iot:DescribeEndpoint', 'cloudwatch:GetMetricData'], ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']]),
    );
    expect(wildcards).toHaveLength(2);
  });

  test('user checks: a Lambda invoked by exact ARN, an HTTPS URL; no IoT permission without checkIotCore', () => {
    const stack = stackIn();
    const fn = lambda.Function.fromFunctionArn(stack, 'App', `arn:aws:lambda:${PRIMARY}:${ACCOUNT}:function:command-api-health`);
    const api = new RegionalHealthApi(stack, 'Health', {
      callerRoleArns: [AGGREGATOR_ROLE],
      checks: [HealthCheckTarget.lambdaFunction(fn, 'command-api'), HealthCheckTarget.url('https://status.example.com/ok', 'status-page')],
      checkTimeout: Duration.millis(800),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.regionalHealth',
      Environment: {
        Variables: Match.objectEquals({
          [HEALTH_API_ENV.checks]: JSON.stringify([
            { kind: 'lambda', name: 'command-api', target: fn.functionArn },
            { kind: 'url', name: 'status-page', target: 'https://status.example.com/ok' },
          ]),
          [HEALTH_API_ENV.checkTimeoutMs]: '800',
          [HEALTH_API_ENV.metricsNamespace]: 'IotDr',
        }),
      },
    });
    const statements = policyStatements(template, api.role) as { Action: unknown; Resource: unknown }[];
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fn.functionArn });
    expect(JSON.stringify(statements)).not.toContain('iot:');
    expect(JSON.stringify(statements)).not.toContain(`${fn.functionArn}:*`);
  });

  test('accepts the aggregator role ARN as HealthCheckAggregator.roleArnFor renders it (a token)', () => {
    const stack = stackIn();
    new RegionalHealthApi(stack, 'Health', { callerRoleArns: [HealthCheckAggregator.roleArnFor(SHARED, PRIMARY)], checkIotCore: true });
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::RestApi')).map((r) => r.Properties.Policy);
    expect(policy.Statement[0].Principal).toEqual({
      AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${SHARED}:role/cdk-iot-dr-health-aggregator-${PRIMARY}`]] },
    });
  });

  test('an error alarm on the function', () => {
    const { api, template } = iotServicesApi();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: ref(api.function) }],
      Threshold: 1,
      EvaluationPeriods: 3,
    });
    expect(logicalId(api.errorAlarm)).toBeDefined();
  });

  describe('validation', () => {
    const base = { callerRoleArns: [AGGREGATOR_ROLE], checkIotCore: true };
    test.each([
      [{ ...base, callerRoleArns: [] }, /Health: callerRoleArns must name at least one role/],
      [{ ...base, callerRoleArns: [`arn:aws:iam::${SHARED}:role/*`] }, /callerRoleArns must be IAM role ARNs .* got 'arn:aws:iam::111111111111:role\/\*'/],
      [{ ...base, callerRoleArns: [`arn:aws:iam::${SHARED}:root`] }, /callerRoleArns must be IAM role ARNs/],
      [{ ...base, checkTimeout: Duration.seconds(2) }, /checkTimeout must be between 100 ms and 1200 ms, got 2000 ms/],
      [{ ...base, checkTimeout: Duration.millis(50) }, /checkTimeout must be between 100 ms and 1200 ms, got 50 ms/],
      [{ callerRoleArns: [AGGREGATOR_ROLE] }, /nothing to check: set checkIotCore: true/],
      [{ ...base, checks: [HealthCheckTarget.url('http://plain.example.com', 'plain')] }, /the URL of check 'plain' must start with https:\/\//],
      [{ ...base, checks: [HealthCheckTarget.url('https://a.example.com', 'iot-registry')] }, /the name 'iot-registry' is used twice/],
      [{ ...base, checks: [HealthCheckTarget.url('https://a.example.com', 'has space')] }, /a check name must be 1 to 64 letters/],
      [{ ...base, throttlingRateLimit: 0 }, /throttlingRateLimit must be between 1 and 10000/],
      [{ ...base, throttlingBurstLimit: 1.5 }, /throttlingBurstLimit must be an integer between 1 and 5000, got 1.5/],
    ])('%#: %s', (props, error) => {
      expect(() => new RegionalHealthApi(stackIn(), 'Health', props)).toThrow(error);
    });

    test('parkingQueue needs checkIotCore', () => {
      const stack = stackIn();
      expect(
        () =>
          new RegionalHealthApi(stack, 'Health', {
            callerRoleArns: [AGGREGATOR_ROLE],
            checks: [HealthCheckTarget.url('https://a.example.com', 'a')],
            parkingQueue: new sqs.Queue(stack, 'Q'),
          }),
      ).toThrow(/parkingQueue is only read with checkIotCore: true/);
    });
  });
});
