import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HANDLER_ENV, TELEMETRY_ENV, telemetryForwarderRoleName } from '../../../lambda/contract';
import { TelemetryForwarder } from '../../../lib/data-analytics/telemetry-forwarder';
import type { TelemetryForwarderProps } from '../../../lib/data-analytics/telemetry-forwarder-props';
import { ACCOUNT, PRIMARY, SECONDARY, getAtt, logicalId, policyStatements, ref, stackIn, testApp } from '../helpers';

const ANALYTICS = '333333333333';
const busArn = (region: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:${region}:${ANALYTICS}:event-bus/cdk-iot-dr-telemetry`]],
});

function forwarderIn(stack: Stack, props: Partial<TelemetryForwarderProps> = {}): TelemetryForwarder {
  return new TelemetryForwarder(stack, 'Telemetry', { topicFilter: 'dt/+/telemetry/#', analyticsAccount: ANALYTICS, ...props });
}

function envOf(template: Template): Record<string, unknown> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function'));
  expect(fns).toHaveLength(1);
  return fns[0].Properties.Environment.Variables as Record<string, unknown>;
}

describe('TelemetryForwarder, phase one (regional bus, SigV4)', () => {
  let stack: Stack;
  let forwarder: TelemetryForwarder;
  let template: Template;
  let topic: sns.Topic;

  beforeAll(() => {
    stack = stackIn(PRIMARY);
    topic = new sns.Topic(stack, 'Alarms');
    forwarder = forwarderIn(stack, { alarmActions: [new SnsAction(topic)] });
    template = Template.fromStack(stack);
  });

  it('selects the topic filter with the topic, the receive time and the trace id, into the buffer; errors into the dead-letter queue', () => {
    const role = getAtt(forwarder.ruleRole, 'Arn');
    template.resourceCountIs('AWS::IoT::TopicRule', 1);
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: {
        Sql: "SELECT *, topic() AS topic, timestamp() AS receivedAt, traceid() AS traceId FROM 'dt/+/telemetry/#'",
        AwsIotSqlVersion: '2016-03-23',
        RuleDisabled: false,
        Actions: [{ Sqs: { QueueUrl: ref(forwarder.bufferQueue), RoleArn: role, UseBase64: false } }],
        ErrorAction: { Sqs: { QueueUrl: ref(forwarder.deadLetterQueue), RoleArn: role, UseBase64: false } },
      },
    });
  });

  it('lets the rule only send to the two queues', () => {
    expect(policyStatements(template, forwarder.ruleRole)).toEqual([
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: [getAtt(forwarder.bufferQueue, 'Arn'), getAtt(forwarder.deadLetterQueue, 'Arn')] },
    ]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'iot.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } }],
      },
    });
  });

  it('buffers 14 days, encrypted, TLS only, redriving after 1000 receives (held ≈ 10 days 9 hours)', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: getAtt(forwarder.deadLetterQueue, 'Arn'), maxReceiveCount: 1000 },
    });
    template.hasResource('AWS::SQS::Queue', {
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600, RedrivePolicy: Match.absent() },
      DeletionPolicy: 'Retain',
    });
    for (const queue of [forwarder.bufferQueue, forwarder.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queue)],
        PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
      });
    }
    expect(forwarder.maxReceiveCount).toBe(1000);
    expect(forwarder.holdTime.toSeconds()).toBe(895_530);
  });

  it("names the function's role for the analytics bus policy", () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: telemetryForwarderRoleName(PRIMARY) });
    expect(telemetryForwarderRoleName(PRIMARY)).toBe('cdk-iot-dr-telemetry-forwarder-us-west-2');
  });

  it('lets the function put events on exactly the analytics bus of this region, and dead-letter', () => {
    const statements = policyStatements(template, forwarder.role);
    expect(statements).toContainEqual({ Action: 'events:PutEvents', Effect: 'Allow', Resource: busArn(PRIMARY) });
    expect(statements).toContainEqual({ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(forwarder.deadLetterQueue, 'Arn') });
    expect(statements).toContainEqual({
      Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Effect: 'Allow',
      Resource: getAtt(forwarder.bufferQueue, 'Arn'),
    });
    const puts = statements.filter((s) => JSON.stringify(s).includes('events:'));
    expect(puts).toHaveLength(1);
    expect(forwarder.eventBusArns).toHaveLength(1);
  });

  it('runs on Node 22, ARM, traced, draining the buffer in batches of ten with partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      TracingConfig: { Mode: 'Active' },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(forwarder.bufferQueue, 'Arn'),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it("sends to this region's regional endpoint, with the bus ARN, the queues and the receive count", () => {
    expect(envOf(template)).toEqual({
      [TELEMETRY_ENV.eventBusArn]: busArn(PRIMARY),
      [TELEMETRY_ENV.endpointUrl]: { 'Fn::Join': ['', [`https://events.${PRIMARY}.`, { Ref: 'AWS::URLSuffix' }]] },
      [TELEMETRY_ENV.bufferQueueUrl]: ref(forwarder.bufferQueue),
      [HANDLER_ENV.deadLetterQueueUrl]: ref(forwarder.deadLetterQueue),
      [HANDLER_ENV.maxReceiveCount]: '1000',
      [HANDLER_ENV.metricsNamespace]: 'IotDr',
    });
  });

  it('alarms on backlog age (buffer or held back), dead letters and function errors, with the given actions', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    const actions = [ref(topic)];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: actions,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([bufferAge, heldAgeMs / 1000])' }),
        Match.objectLike({
          Id: 'bufferAge',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ApproximateAgeOfOldestMessage' }), Period: 900, Stat: 'Maximum' }),
        }),
        Match.objectLike({
          Id: 'heldAgeMs',
          MetricStat: Match.objectLike({ Metric: { Namespace: 'IotDr', MetricName: 'TelemetryHeldMessageAge' }, Period: 900, Stat: 'Maximum' }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(forwarder.deadLetterQueue, 'QueueName') }],
      Threshold: 1,
      AlarmActions: actions,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
      Period: 300,
      AlarmActions: actions,
    });
  });
});

describe('TelemetryForwarder with a global endpoint and a customer managed key', () => {
  let forwarder: TelemetryForwarder;
  let template: Template;
  let key: kms.Key;

  beforeAll(() => {
    const stack = stackIn(SECONDARY);
    key = new kms.Key(stack, 'Key');
    forwarder = forwarderIn(stack, {
      globalEndpointId: 'abcde.veo',
      peerRegion: PRIMARY,
      queueEncryptionKey: key,
      maxReceiveCount: 100,
      batchSize: 5,
      backlogAgeAlarmThreshold: Duration.minutes(20),
      metricsNamespace: 'Telemetry',
    });
    template = Template.fromStack(stack);
  });

  it('signs for the global endpoint: its URL and id in the environment', () => {
    expect(envOf(template)).toMatchObject({
      [TELEMETRY_ENV.eventBusArn]: busArn(SECONDARY),
      [TELEMETRY_ENV.endpointId]: 'abcde.veo',
      [TELEMETRY_ENV.endpointUrl]: { 'Fn::Join': ['', ['https://abcde.veo.endpoint.events.', { Ref: 'AWS::URLSuffix' }]] },
      [HANDLER_ENV.maxReceiveCount]: '100',
      [HANDLER_ENV.metricsNamespace]: 'Telemetry',
    });
  });

  it('may put events on the bus of both regions (the endpoint routes to either), nothing else', () => {
    const statements = policyStatements(template, forwarder.role);
    expect(statements).toContainEqual({ Action: 'events:PutEvents', Effect: 'Allow', Resource: [busArn(SECONDARY), busArn(PRIMARY)] });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'cdk-iot-dr-telemetry-forwarder-us-east-1' });
  });

  it('encrypts both queues with the key, and lets the rule and the function use it', () => {
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: getAtt(key, 'Arn') }, 2);
    const keyUse = { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: getAtt(key, 'Arn') };
    expect(policyStatements(template, forwarder.ruleRole)).toContainEqual(keyUse);
    expect(policyStatements(template, forwarder.role)).toContainEqual(keyUse);
  });

  it('uses the given receive count, batch size and alarm threshold', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 100 }) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 1200 });
    expect(forwarder.holdTime.toSeconds()).toBe(85_530);
  });

  it('adds alarm actions later too', () => {
    const stack = stackIn(PRIMARY);
    const f = forwarderIn(stack);
    const topic = new sns.Topic(stack, 'Later');
    f.addAlarmAction(new SnsAction(topic));
    const t = Template.fromStack(stack);
    expect(Object.values(t.findResources('AWS::CloudWatch::Alarm')).every((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([ref(topic)]))).toBe(true);
    expect(f.metricForwarded()).toBeInstanceOf(cloudwatch.Metric);
    expect(logicalId(f.topicRule)).toMatch(/^TelemetryRule/);
  });
});

it('passes cdk-nag AwsSolutions, with a global endpoint and a customer managed key too', () => {
  const app = testApp();
  forwarderIn(stackIn(PRIMARY, app));
  const stack = stackIn(SECONDARY, app);
  forwarderIn(stack, { globalEndpointId: 'abcde.veo', peerRegion: PRIMARY, queueEncryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) });
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});

describe('TelemetryForwarder prop validation', () => {
  const bad = (props: Partial<TelemetryForwarderProps>) => () => forwarderIn(stackIn(PRIMARY), props);

  it.each([
    ['', /topicFilter must not be empty/],
    ['dt/#/x', /'#' only as its whole last level/],
    ['dt/a#', /'#' only as its whole last level/],
    ['dt/a+/b', /'\+' only as a whole level/],
    ["dt/x' OR 1=1", /must not contain '/],
    ['$aws/events/thing/+/+', /reserved topic.*allowReservedTopics/],
    [`dt/${'x'.repeat(260)}`, /over 256 bytes/],
  ])('rejects the topic filter %j', (topicFilter, message) => {
    expect(bad({ topicFilter })).toThrow(message);
  });

  it('accepts valid filters, and reserved topics when allowed', () => {
    for (const topicFilter of ['#', '+', 'dt/+/telemetry', 'a//b/#', '+/+/#']) expect(bad({ topicFilter })).not.toThrow();
    expect(bad({ topicFilter: '$aws/rules/x', allowReservedTopics: true })).not.toThrow();
  });

  it('names the construct path and the prop', () => {
    expect(bad({ analyticsAccount: '1234' })).toThrow("Test-us-west-2/Telemetry: analyticsAccount must be a 12-digit AWS account id, got '1234'");
  });

  it.each([
    [{ globalEndpointId: 'abcde.veo' }, /globalEndpointId needs peerRegion/],
    [{ globalEndpointId: 'not an id', peerRegion: SECONDARY }, /globalEndpointId must be an EventBridge endpoint id/],
    [{ peerRegion: PRIMARY }, /peerRegion must be the other region/],
    [{ peerRegion: 'us-east-9' }, /peerRegion must be a region name/],
    [{ eventBusName: 'bad name' }, /eventBusName must be/],
    [{ maxReceiveCount: 1 }, /maxReceiveCount must be an integer between 2 and 1000, got 1/],
    [{ maxReceiveCount: 1001 }, /maxReceiveCount must be an integer between 2 and 1000/],
    [{ batchSize: 11 }, /batchSize must be an integer between 1 and 10, got 11/],
    [{ backlogAgeAlarmThreshold: Duration.seconds(30) }, /backlogAgeAlarmThreshold must be between 1 minute and 14 days/],
    [{ metricsNamespace: 'AWS/Mine' }, /metricsNamespace must be/],
  ])('rejects %j', (props, message) => {
    expect(bad(props as Partial<TelemetryForwarderProps>)).toThrow(message);
  });
});
