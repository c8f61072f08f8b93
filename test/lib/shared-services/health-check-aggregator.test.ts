import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AGGREGATOR_ENV, HEALTHY_SEARCH_STRING } from '../../../lambda/contract';
import { DrRegionRole, HealthCheckAggregator, HealthCheckTarget, RegionalHealthApi, type HealthApiEndpoint } from '../../../lib';
import { ACCOUNT, PRIMARY, SECONDARY, logicalId, policyStatements, ref, stackIn, testApp } from '../helpers';

const IOT_ACCOUNT = '333333333333';
const COMMAND_ACCOUNT = '444444444444';
const APIS: HealthApiEndpoint[] = [
  { name: 'iot-services', url: `https://abc123def4.execute-api.${PRIMARY}.amazonaws.com/v1/health`, account: IOT_ACCOUNT },
  { name: 'command-control', url: `https://zyx987wvu6.execute-api.${PRIMARY}.amazonaws.com/v1/health`, account: COMMAND_ACCOUNT },
];

function aggregator(overrides: Partial<ConstructorParameters<typeof HealthCheckAggregator>[2]> = {}, stack: Stack = stackIn()) {
  const agg = new HealthCheckAggregator(stack, 'Aggregator', { regionRole: DrRegionRole.PRIMARY, healthApis: APIS, ...overrides });
  return { stack, agg, template: Template.fromStack(stack) };
}

describe('HealthCheckAggregator', () => {
  test('a public regional REST API, GET /health without auth (Route 53 cannot sign), throttled, logged', () => {
    const { template } = aggregator();
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'NONE', Integration: { Type: 'AWS_PROXY' } });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }],
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    const [api] = Object.values(template.findResources('AWS::ApiGateway::RestApi'));
    expect(api.Properties.Policy).toBeUndefined();
  });

  test('what Route 53 needs: host name, path, port, search string; the answer-time budget', () => {
    const { stack, agg } = aggregator();
    expect(stack.resolve(agg.domainName)).toEqual({ 'Fn::Join': ['', [ref(agg.api), `.execute-api.${PRIMARY}.`, { Ref: 'AWS::URLSuffix' }]] });
    expect(agg.healthPath).toBe('/v1/health');
    expect(agg.port).toBe(443);
    expect(HealthCheckAggregator.HEALTHY_SEARCH_STRING).toBe('"status":"HEALTHY"');
    expect(HealthCheckAggregator.HEALTHY_SEARCH_STRING).toBe(HEALTHY_SEARCH_STRING);
    expect(agg.timeout.toMilliseconds()).toBe(2000);
    expect(aggregator({ healthApiTimeout: Duration.millis(800) }).agg.timeout.toMilliseconds()).toBe(1300);
  });

  test('the function environment: APIs, region role, timings, manual-mode parameter', () => {
    const { template } = aggregator({ regionRole: DrRegionRole.SECONDARY });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.aggregateHealth',
      Environment: {
        Variables: {
          [AGGREGATOR_ENV.healthApis]: JSON.stringify(APIS.map(({ name, url }) => ({ name, url }))),
          [AGGREGATOR_ENV.regionRole]: 'secondary',
          [AGGREGATOR_ENV.healthApiTimeoutMs]: '1500',
          [AGGREGATOR_ENV.verdictCacheMs]: '5000',
          [AGGREGATOR_ENV.manualModeParameterName]: '/cdk-iot-dr/failover/mode',
          [AGGREGATOR_ENV.manualModeCacheMs]: '5000',
        },
      },
    });
  });

  test('a role with a fixed name other accounts can admit; roleArnFor renders the same ARN', () => {
    const { stack, agg, template } = aggregator();
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: `cdk-iot-dr-health-aggregator-${PRIMARY}` });
    expect(stack.resolve(HealthCheckAggregator.roleArnFor(ACCOUNT, PRIMARY))).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:role/cdk-iot-dr-health-aggregator-${PRIMARY}`]],
    });
    expect(HealthCheckAggregator.defaultRoleName(SECONDARY)).toBe(`cdk-iot-dr-health-aggregator-${SECONDARY}`);
    expect(logicalId(agg.role)).toBeDefined();
    aggregator({ roleName: 'my-aggregator' }).template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'my-aggregator' });
  });

  test('IAM: invoke exactly GET /health of each named API, read exactly the mode parameter', () => {
    const { agg, template } = aggregator();
    const arn = (service: string, resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:${PRIMARY}:${resource}`]] });
    const statements = policyStatements(template, agg.role) as { Action: unknown; Resource: unknown }[];
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: [arn('execute-api', `${IOT_ACCOUNT}:abc123def4/v1/GET/health`), arn('execute-api', `${COMMAND_ACCOUNT}:zyx987wvu6/v1/GET/health`)],
        },
        { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: arn('ssm', `${ACCOUNT}:parameter/cdk-iot-dr/failover/mode`) },
      ]),
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])) as string[];
    expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')).sort()).toEqual(['execute-api:Invoke', 'ssm:GetParameter']);
  });

  test('an API known only by a deploy-time URL: GET /health of any API in its account only', () => {
    const stack = stackIn();
    const health = new RegionalHealthApi(stack, 'Health', { callerRoleArns: [HealthCheckAggregator.roleArnFor(ACCOUNT, PRIMARY)], checkIotCore: true });
    const agg = new HealthCheckAggregator(stack, 'Aggregator', {
      regionRole: DrRegionRole.PRIMARY,
      healthApis: [{ name: 'iot-services', url: health.url, account: ACCOUNT }],
    });
    const statements = policyStatements(Template.fromStack(stack), agg.role);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'execute-api:Invoke',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:execute-api:${PRIMARY}:${ACCOUNT}:*/*/GET/health`]] },
    });
  });

  test('alarms: function errors and throttles', () => {
    const { agg, template } = aggregator();
    for (const metric of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: ref(agg.function) }],
        Threshold: 1,
      });
    }
  });

  test('cdk-nag AwsSolutions: no finding left for a health API and an aggregator', () => {
    const app = testApp();
    const stack = new Stack(app, 'Nag', { env: { account: ACCOUNT, region: PRIMARY } });
    const health = new RegionalHealthApi(stack, 'Health', {
      callerRoleArns: [HealthCheckAggregator.roleArnFor(ACCOUNT, PRIMARY)],
      checkIotCore: true,
      checks: [HealthCheckTarget.url('https://status.example.com', 'status')],
    });
    // Two APIs known by URL at synth time, one only at deploy time (its acknowledged wildcard).
    new HealthCheckAggregator(stack, 'Aggregator', {
      regionRole: DrRegionRole.PRIMARY,
      healthApis: [...APIS, { name: 'local', url: health.url, account: ACCOUNT }],
    });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  describe('validation', () => {
    test.each([
      [{ healthApis: [] }, /Aggregator: healthApis must name at least one regional health API/],
      [{ healthApis: [APIS[0], { ...APIS[1], name: 'iot-services' }] }, /the name 'iot-services' is used twice/],
      [{ healthApis: [{ ...APIS[0], name: 'iot services' }] }, /a name must be 1 to 64 letters/],
      [{ healthApis: [{ ...APIS[0], account: '12345' }] }, /account of 'iot-services' must be a 12-digit account id, got '12345'/],
      [{ healthApis: [{ ...APIS[0], url: 'http://abc.execute-api.us-west-2.amazonaws.com/v1/health' }] }, /url of 'iot-services' must start with https:\/\//],
      [
        { healthApis: [{ ...APIS[0], url: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/health' }] },
        /'iot-services' is in eu-west-1, but this aggregator serves us-west-2/,
      ],
      [{ healthApiTimeout: Duration.seconds(2) }, /healthApiTimeout must be between 200 ms and 1800 ms, got 2000 ms/],
      [{ verdictCacheDuration: Duration.minutes(2) }, /verdictCacheDuration must be between 0 ms and 60000 ms, got 120000 ms/],
      [{ manualModeCacheDuration: Duration.minutes(5) }, /manualModeCacheDuration must be between 0 ms and 60000 ms/],
      [{ manualModeParameterName: 'mode' }, /manualModeParameterName must be a path such as '\/cdk-iot-dr\/failover\/mode', got 'mode'/],
      [{ throttlingRateLimit: 20_000 }, /throttlingRateLimit must be between 1 and 10000/],
    ])('%#: %s', (overrides, error) => {
      expect(() => aggregator(overrides as never)).toThrow(error);
    });
  });
});
