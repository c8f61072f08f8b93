import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IOT_ACCOUNT, customerKeyStream, exampleStateMachine, exampleStream } from './analytics-fixtures';
import { ANALYTICS_EVENT_BUS_NAME, TELEMETRY_DETAIL_TYPE, TELEMETRY_EVENT_SOURCE, telemetryForwarderRoleName } from '../../../lambda/contract';
import { AnalyticsEventBus } from '../../../lib/data-analytics/analytics-event-bus';
import type { AnalyticsEventBusProps } from '../../../lib/data-analytics/analytics-event-bus-props';
import { ACCOUNT, PRIMARY, SECONDARY, getAtt, logicalId, policiesOf, ref, stackIn, testApp } from '../helpers';

const partition = { Ref: 'AWS::Partition' };
const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
const busArn = (region: string) => join('arn:', partition, `:events:${region}:${ACCOUNT}:event-bus/${ANALYTICS_EVENT_BUS_NAME}`);
const forwarderRoleArn = (region: string) => join('arn:', partition, `:iam::${IOT_ACCOUNT}:role/${telemetryForwarderRoleName(region)}`);

/**
 * The principal of every Allow statement anywhere in the template (resource, trust and key policies). Deny
 * statements may name `*`: the queues' and topics' enforce-TLS statements deny everyone without TLS.
 */
function allowedPrincipals(value: unknown, found: unknown[] = []): unknown[] {
  if (Array.isArray(value)) value.forEach((v) => allowedPrincipals(v, found));
  else if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (node.Effect === 'Allow' && ('Principal' in node || 'NotPrincipal' in node)) found.push(node.Principal ?? { NotPrincipal: node.NotPrincipal });
    Object.values(node).forEach((v) => allowedPrincipals(v, found));
  }
  return found;
}

function isWildcard(principal: unknown): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') {
    return Object.values(principal).some((v) => v === '*' || (Array.isArray(v) && v.includes('*')));
  }
  return false;
}

interface Primary {
  stack: Stack;
  bus: AnalyticsEventBus;
  stream: kinesis.Stream;
  machine: sfn.StateMachine;
  topic: sns.Topic;
  template: Template;
}

function primaryBus(): Primary {
  const stack = stackIn(PRIMARY);
  const stream = exampleStream(stack);
  const machine = exampleStateMachine(stack);
  const topic = new sns.Topic(stack, 'Alarms', { masterKey: new kms.Key(stack, 'AlarmsKey', { enableKeyRotation: true }), enforceSSL: true });
  const bus = new AnalyticsEventBus(stack, 'Analytics', {
    iotServicesAccount: IOT_ACCOUNT,
    peerRegion: SECONDARY,
    globalEndpoint: {},
    kinesisStreams: [stream],
    alarmActions: [new cwActions.SnsAction(topic)],
  });
  // A target added after construction gets the alarm actions as well.
  bus.addStateMachineTarget(machine);
  return { stack, bus, stream, machine, topic, template: Template.fromStack(stack) };
}

function busIn(region: string, props: Partial<AnalyticsEventBusProps> = {}) {
  const stack = stackIn(region);
  const bus = new AnalyticsEventBus(stack, 'Analytics', {
    iotServicesAccount: IOT_ACCOUNT,
    peerRegion: region === PRIMARY ? SECONDARY : PRIMARY,
    ...props,
  });
  return { stack, bus, template: Template.fromStack(stack) };
}

describe('AnalyticsEventBus', () => {
  let primary: Primary;
  let secondary: ReturnType<typeof busIn>;

  beforeAll(() => {
    primary = primaryBus();
    secondary = busIn(SECONDARY);
  });

  describe('the bus and its policy', () => {
    test('a custom bus with the fixed name, encrypted with an AWS owned key by default', () => {
      primary.template.hasResourceProperties('AWS::Events::EventBus', { Name: ANALYTICS_EVENT_BUS_NAME });
      const [bus] = Object.values(primary.template.findResources('AWS::Events::EventBus'));
      expect(bus.Properties.KmsKeyIdentifier).toBeUndefined();
      expect(bus.Properties.DeadLetterConfig).toBeUndefined();
      expect(primary.bus.eventBusName).toBe(ANALYTICS_EVENT_BUS_NAME);
      expect(primary.stack.resolve(primary.bus.eventBusArn)).toEqual(getAtt(primary.bus.eventBus, 'Arn'));
      expect(primary.stack.resolve(primary.bus.peerEventBusArn)).toEqual(busArn(SECONDARY));
    });

    test.each([
      ['primary', () => primary],
      ['secondary', () => secondary],
    ])('the %s bus admits exactly the two forwarder roles: the iot-services account, with aws:PrincipalArn', (_, get) => {
      const { template, bus, stack } = get();
      const region = stack.region;
      const expected = [forwarderRoleArn(region), forwarderRoleArn(region === PRIMARY ? SECONDARY : PRIMARY)];
      template.resourceCountIs('AWS::Events::EventBusPolicy', 1);
      template.hasResourceProperties('AWS::Events::EventBusPolicy', {
        EventBusName: ref(bus.eventBus),
        StatementId: 'cdk-AllowTelemetryForwarders',
        Statement: {
          Sid: 'cdk-AllowTelemetryForwarders',
          Effect: 'Allow',
          Principal: { AWS: join('arn:', partition, `:iam::${IOT_ACCOUNT}:root`) },
          Action: 'events:PutEvents',
          Resource: getAtt(bus.eventBus, 'Arn'),
          Condition: { ArnEquals: { 'aws:PrincipalArn': expected } },
        },
      });
      expect(stack.resolve(bus.forwarderRoleArns)).toEqual(expected);
    });

    test('no Allow statement anywhere names a wildcard principal', () => {
      const encrypted = stackIn(PRIMARY);
      new AnalyticsEventBus(encrypted, 'Analytics', {
        iotServicesAccount: IOT_ACCOUNT,
        peerRegion: SECONDARY,
        encryptionKey: new kms.Key(encrypted, 'BusKey'),
        globalEndpoint: {},
      });
      for (const template of [primary.template, secondary.template, Template.fromStack(encrypted)]) {
        const found = allowedPrincipals(template.toJSON());
        expect(found.length).toBeGreaterThan(0);
        expect(found.filter(isWildcard)).toEqual([]);
      }
    });

    test('ARN helpers: the bus and the forwarder roles, in any partition', () => {
      const { stack } = primary;
      expect(stack.resolve(AnalyticsEventBus.eventBusArnFor(ACCOUNT, SECONDARY))).toEqual(busArn(SECONDARY));
      expect(AnalyticsEventBus.eventBusArnFor(ACCOUNT, 'cn-north-1', 'aws-cn')).toBe(
        `arn:aws-cn:events:cn-north-1:${ACCOUNT}:event-bus/${ANALYTICS_EVENT_BUS_NAME}`,
      );
      expect(AnalyticsEventBus.eventBusArnFor(ACCOUNT, PRIMARY, 'aws', 'other')).toBe(`arn:aws:events:${PRIMARY}:${ACCOUNT}:event-bus/other`);
      expect(AnalyticsEventBus.forwarderRoleArnFor(IOT_ACCOUNT, PRIMARY, 'aws')).toBe(
        `arn:aws:iam::${IOT_ACCOUNT}:role/cdk-iot-dr-telemetry-forwarder-${PRIMARY}`,
      );
    });
  });

  test('an archive of the telemetry events, 30 days by default', () => {
    primary.template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: getAtt(primary.bus.eventBus, 'Arn'),
      EventPattern: { source: [TELEMETRY_EVENT_SOURCE] },
      RetentionDays: 30,
    });
    busIn(PRIMARY, { archiveRetention: Duration.days(400) }).template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 400 });
  });

  describe('the global endpoint (primary only)', () => {
    test('fails over from this region to the peer on the health check, replicating between the two buses', () => {
      const { template, bus } = primary;
      template.resourceCountIs('AWS::Events::Endpoint', 1);
      template.hasResourceProperties('AWS::Events::Endpoint', {
        Name: ANALYTICS_EVENT_BUS_NAME,
        EventBuses: [{ EventBusArn: getAtt(bus.eventBus, 'Arn') }, { EventBusArn: busArn(SECONDARY) }],
        RoutingConfig: {
          FailoverConfig: {
            Primary: { HealthCheck: join('arn:', partition, ':route53:::healthcheck/', ref(bus.healthCheck!)) },
            Secondary: { Route: SECONDARY },
          },
        },
        ReplicationConfig: { State: 'ENABLED' },
        RoleArn: getAtt(bus.replicationRole!, 'Arn'),
      });
      expect(primary.stack.resolve(bus.endpointId)).toEqual(getAtt(bus.globalEndpoint!, 'EndpointId'));
      expect(primary.stack.resolve(bus.endpointUrl)).toEqual(getAtt(bus.globalEndpoint!, 'EndpointUrl'));
      expect(primary.stack.resolve(bus.endpointArn)).toEqual(getAtt(bus.globalEndpoint!, 'Arn'));
    });

    test('the replication role: trusted by EventBridge, PutEvents on exactly the two buses', () => {
      const { template, bus } = primary;
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      });
      expect(Object.values(policiesOf(template, bus.replicationRole!))).toEqual([
        [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: [getAtt(bus.eventBus, 'Arn'), busArn(SECONDARY)] }],
      ]);
      const [endpoint] = Object.values(template.findResources('AWS::Events::Endpoint'));
      expect(endpoint.DependsOn).toEqual(expect.arrayContaining([logicalId(bus.replicationRole!)]));
    });

    test('the health check watches an alarm on EventBridge latency in this region, as AWS recommends', () => {
      const { template, bus } = primary;
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: {
          Type: 'CLOUDWATCH_METRIC',
          AlarmIdentifier: { Name: ref(bus.healthCheckAlarm!), Region: PRIMARY },
          InsufficientDataHealthStatus: 'LastKnownStatus',
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp('Route 53 health check'),
        Namespace: 'AWS/Events',
        MetricName: 'IngestionToInvocationStartLatency',
        Statistic: 'Average',
        Period: 60,
        Threshold: 30_000,
        EvaluationPeriods: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
      });
      // A routing signal: no alarm action of its own.
      const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(bus.healthCheckAlarm!)];
      expect(alarm.Properties.AlarmActions).toBeUndefined();
      expect(alarm.Properties.Dimensions).toBeUndefined();
    });

    test('health check options: missing data, insufficient data, threshold; replication off drops the role', () => {
      const { template } = busIn(PRIMARY, {
        latencyThreshold: Duration.seconds(10),
        latencyEvaluationPeriods: 3,
        globalEndpoint: {
          endpointName: 'telemetry-endpoint',
          replication: false,
          healthCheckMissingData: cloudwatch.TreatMissingData.MISSING,
          insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.HEALTHY,
        },
      });
      template.hasResourceProperties('AWS::Route53::HealthCheck', { HealthCheckConfig: Match.objectLike({ InsufficientDataHealthStatus: 'Healthy' }) });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp('Route 53 health check'),
        Threshold: 10_000,
        EvaluationPeriods: 3,
        TreatMissingData: 'missing',
      });
      template.hasResourceProperties('AWS::Events::Endpoint', { Name: 'telemetry-endpoint', ReplicationConfig: { State: 'DISABLED' } });
      const [endpoint] = Object.values(template.findResources('AWS::Events::Endpoint'));
      expect(endpoint.Properties.RoleArn).toBeUndefined();
      template.resourceCountIs('AWS::IAM::Role', 0);
    });

    test('outputs GlobalEndpointId and GlobalEndpointUrl for the forwarder', () => {
      const { template, bus } = primary;
      template.hasOutput(AnalyticsEventBus.GLOBAL_ENDPOINT_ID_OUTPUT, { Value: getAtt(bus.globalEndpoint!, 'EndpointId') });
      template.hasOutput(AnalyticsEventBus.GLOBAL_ENDPOINT_URL_OUTPUT, { Value: getAtt(bus.globalEndpoint!, 'EndpointUrl') });
      expect(AnalyticsEventBus.GLOBAL_ENDPOINT_ID_OUTPUT).toBe('GlobalEndpointId');
    });

    test('the secondary has none: no endpoint, health check, replication role or outputs', () => {
      const { template, bus } = secondary;
      for (const type of ['AWS::Events::Endpoint', 'AWS::Route53::HealthCheck', 'AWS::IAM::Role']) template.resourceCountIs(type, 0);
      expect(Object.keys(template.findOutputs('*'))).toEqual([]);
      expect([bus.globalEndpoint, bus.endpointId, bus.healthCheck, bus.healthCheckAlarm, bus.replicationRole]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
    });
  });

  describe('targets', () => {
    test('Kinesis: a rule on the bus for the telemetry, partitioned by topic, with retries and a dead-letter queue', () => {
      const { template, bus, stream } = primary;
      const [kinesisTarget] = bus.targets;
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: ref(bus.eventBus),
        EventPattern: { source: [TELEMETRY_EVENT_SOURCE], 'detail-type': [TELEMETRY_DETAIL_TYPE] },
        State: 'ENABLED',
        Targets: [
          {
            Arn: getAtt(stream, 'Arn'),
            Id: 'Target0',
            RoleArn: getAtt(kinesisTarget.role, 'Arn'),
            KinesisParameters: { PartitionKeyPath: '$.detail.topic' },
            DeadLetterConfig: { Arn: getAtt(kinesisTarget.deadLetterQueue, 'Arn') },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          },
        ],
      });
      expect(logicalId(kinesisTarget.rule)).toMatch(/^AnalyticsKinesisTelemetryRule/);
    });

    test('Kinesis role: PutRecord on the stream, nothing else (the aws/kinesis key needs no grant)', () => {
      const { template, bus, stream } = primary;
      const [kinesisTarget] = bus.targets;
      expect(Object.values(policiesOf(template, kinesisTarget.role)).flat()).toEqual([
        { Effect: 'Allow', Action: 'kinesis:PutRecord', Resource: getAtt(stream, 'Arn') },
      ]);
    });

    test('Kinesis with a customer managed key: GenerateDataKey on that key too', () => {
      const stack = stackIn(PRIMARY);
      const stream = customerKeyStream(stack);
      const bus = new AnalyticsEventBus(stack, 'Analytics', { iotServicesAccount: IOT_ACCOUNT, peerRegion: SECONDARY, kinesisStreams: [stream] });
      expect(Object.values(policiesOf(Template.fromStack(stack), bus.targets[0].role)).flat()).toEqual([
        { Effect: 'Allow', Action: 'kinesis:PutRecord', Resource: getAtt(stream, 'Arn') },
        { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: getAtt(stream.encryptionKey!, 'Arn') },
      ]);
    });

    test('Step Functions: StartExecution on the state machine only, no input transformation', () => {
      const { template, bus, machine } = primary;
      const machineTarget = bus.targets[1];
      template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: ref(bus.eventBus),
        Targets: [
          {
            Arn: ref(machine),
            Id: 'Target0',
            RoleArn: getAtt(machineTarget.role, 'Arn'),
            DeadLetterConfig: { Arn: getAtt(machineTarget.deadLetterQueue, 'Arn') },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          },
        ],
      });
      expect(Object.values(policiesOf(template, machineTarget.role)).flat()).toEqual([
        { Effect: 'Allow', Action: 'states:StartExecution', Resource: ref(machine) },
      ]);
    });

    test('dead-letter queues: retained, SSE-SQS, TLS only, 14 days, writable by their own rule only', () => {
      const { template, bus } = primary;
      for (const target of bus.targets) {
        const queue = template.findResources('AWS::SQS::Queue')[logicalId(target.deadLetterQueue)];
        expect(queue).toMatchObject({
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
          Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 },
        });
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(target.deadLetterQueue)],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
              {
                Sid: 'AllowThisRuleToDeadLetter',
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: getAtt(target.deadLetterQueue, 'Arn'),
                Condition: { ArnEquals: { 'aws:SourceArn': getAtt(target.rule, 'Arn') } },
              },
            ]),
          },
        });
      }
    });

    test('alarms per target: dead letters, and events lost; all with the alarm actions', () => {
      const { template, bus, topic } = primary;
      for (const target of bus.targets) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: getAtt(target.deadLetterQueue, 'QueueName') }],
          Statistic: 'Maximum',
          Threshold: 1,
          AlarmActions: [ref(topic)],
        });
        const lost = template.findResources('AWS::CloudWatch::Alarm')[logicalId(target.lostEventsAlarm)];
        expect(lost.Properties.AlarmActions).toEqual([ref(topic)]);
        const metrics = lost.Properties.Metrics as { Id: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } }; Expression?: string }[];
        expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(failed, 0) + FILL(undeliverable, 0)');
        for (const [id, name] of [
          ['failed', 'FailedInvocations'],
          ['undeliverable', 'InvocationsFailedToBeSentToDlq'],
        ]) {
          expect(metrics.find((m) => m.Id === id)?.MetricStat?.Metric).toEqual({
            Namespace: 'AWS/Events',
            MetricName: name,
            Dimensions: [
              { Name: 'EventBusName', Value: ref(bus.eventBus) },
              { Name: 'RuleName', Value: ref(target.rule) },
            ],
          });
        }
      }
    });

    test('the latency alarm in every region: quiet minutes count as healthy, alarm actions applied', () => {
      const { template, bus, topic } = primary;
      const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(bus.latencyAlarm)];
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/Events',
        MetricName: 'IngestionToInvocationStartLatency',
        Threshold: 30_000,
        EvaluationPeriods: 5,
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(topic)],
      });
      secondary.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IngestionToInvocationStartLatency', TreatMissingData: 'notBreaching' });
    });

    test('options: name, pattern, retry policy, partition key', () => {
      const stack = stackIn(PRIMARY);
      const stream = exampleStream(stack);
      const bus = new AnalyticsEventBus(stack, 'Analytics', { iotServicesAccount: IOT_ACCOUNT, peerRegion: SECONDARY });
      const target = bus.addKinesisTarget(stream, {
        name: 'Raw',
        eventPattern: { source: [TELEMETRY_EVENT_SOURCE], detail: { topic: [{ prefix: 'dt/factory/' }] } },
        retryAttempts: 10,
        maxEventAge: Duration.hours(1),
        partitionKeyPath: '$.detail.messageId',
      });
      expect(target.rule.node.id).toBe('RawRule');
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: [TELEMETRY_EVENT_SOURCE], detail: { topic: [{ prefix: 'dt/factory/' }] } },
        Targets: [
          Match.objectLike({
            KinesisParameters: { PartitionKeyPath: '$.detail.messageId' },
            RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          }),
        ],
      });
      expect(() => bus.addKinesisTarget(stream, { name: 'Raw' })).toThrow(/a target named 'Raw' already exists on this bus/);
    });

    test('a target in another region or account is refused', () => {
      const stack = stackIn(PRIMARY);
      const bus = new AnalyticsEventBus(stack, 'Analytics', { iotServicesAccount: IOT_ACCOUNT, peerRegion: SECONDARY });
      const elsewhere = kinesis.Stream.fromStreamArn(stack, 'Elsewhere', `arn:aws:kinesis:${SECONDARY}:${ACCOUNT}:stream/telemetry`);
      expect(() => bus.addKinesisTarget(elsewhere)).toThrow(
        /KinesisElsewhere: the target is in region 'us-east-1', the bus in 'us-west-2'; a rule delivers to its own region only/,
      );
      const otherAccount = kinesis.Stream.fromStreamArn(stack, 'OtherAccount', `arn:aws:kinesis:${PRIMARY}:${IOT_ACCOUNT}:stream/telemetry`);
      expect(() => bus.addKinesisTarget(otherAccount)).toThrow(/the target is in account '333333333333', the bus in '222222222222'/);
    });

    test('an unencrypted stream: no KMS permission', () => {
      const stack = stackIn(PRIMARY);
      const stream = new kinesis.Stream(stack, 'Plain', { encryption: kinesis.StreamEncryption.UNENCRYPTED });
      const bus = new AnalyticsEventBus(stack, 'Analytics', { iotServicesAccount: IOT_ACCOUNT, peerRegion: SECONDARY, kinesisStreams: [stream] });
      expect(Object.values(policiesOf(Template.fromStack(stack), bus.targets[0].role)).flat()).toEqual([
        { Effect: 'Allow', Action: 'kinesis:PutRecord', Resource: getAtt(stream, 'Arn') },
      ]);
    });
  });

  test('a customer managed key: bus, archive, key policy for EventBridge, and a bus dead-letter queue', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'BusKey', { enableKeyRotation: true });
    const bus = new AnalyticsEventBus(stack, 'Analytics', { iotServicesAccount: IOT_ACCOUNT, peerRegion: SECONDARY, encryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::EventBus', {
      KmsKeyIdentifier: getAtt(key, 'Arn'),
      DeadLetterConfig: { Arn: getAtt(bus.busDeadLetterQueue!, 'Arn') },
    });
    template.hasResourceProperties('AWS::Events::Archive', { KmsKeyIdentifier: getAtt(key, 'Arn') });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowEventBridgeArchiveOfTheAnalyticsBus',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncrypt*'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:EncryptionContext:aws:events:event-bus:arn': busArn(PRIMARY) } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
            Condition: { StringEquals: Match.objectLike({ 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': busArn(PRIMARY) }) },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(bus.busDeadLetterQueue!)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowThisBusToDeadLetter',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': busArn(PRIMARY) } },
          }),
        ]),
      },
    });
    expect(bus.busDeadLetterAlarm).toBeDefined();
  });

  describe('validation', () => {
    test.each([
      [{ iotServicesAccount: '12345' }, /Analytics: iotServicesAccount must be a 12-digit account id, got '12345'/],
      [{ peerRegion: PRIMARY }, /peerRegion must be the other region of the DR pair, not this stack's region 'us-west-2'/],
      [{ peerRegion: 'us-east-7' }, /peerRegion must be a region name such as 'us-east-1', got 'us-east-7'; did you mean/],
      [{ eventBusName: 'a/b' }, /eventBusName must be 1 to 256 letters, digits/],
      [{ eventBusName: 'default' }, /eventBusName must be .* \(not 'default'\)/],
      [{ archiveRetention: Duration.hours(12) }, /archiveRetention must be between 1 day and 3650 days, got 12 hours/],
      [{ archiveRetention: Duration.days(4000) }, /archiveRetention must be between 1 day and 3650 days/],
      [{ archiveRetention: Duration.hours(36) }, /archiveRetention must be whole days, got 1 day 12 hours/],
      [{ latencyThreshold: Duration.hours(2) }, /latencyThreshold must be between 1 second and 1 hour/],
      [{ latencyEvaluationPeriods: 0 }, /latencyEvaluationPeriods must be an integer between 1 and 60, got 0/],
      [{ globalEndpoint: { endpointName: 'a'.repeat(65) } }, /globalEndpoint.endpointName must be 1 to 64 letters/],
    ])('%#: %s', (overrides, error) => {
      expect(() => busIn(PRIMARY, overrides as Partial<AnalyticsEventBusProps>)).toThrow(error);
    });

    test('a global endpoint needs a concrete region', () => {
      const stack = new Stack(testApp(), 'Agnostic');
      expect(
        () => new AnalyticsEventBus(stack, 'Analytics', { iotServicesAccount: IOT_ACCOUNT, peerRegion: SECONDARY, globalEndpoint: {} }),
      ).toThrow(/Agnostic\/Analytics: globalEndpoint needs a stack with a concrete region/);
      // Without one, an environment-agnostic stack is fine.
      new AnalyticsEventBus(stack, 'Bus', { iotServicesAccount: IOT_ACCOUNT, peerRegion: SECONDARY });
    });

    test.each([
      [{ retryAttempts: 186 }, /KinesisTelemetry: retryAttempts must be an integer between 0 and 185, got 186/],
      [{ maxEventAge: Duration.seconds(30) }, /KinesisTelemetry: maxEventAge must be between 1 minute and 1 day/],
      [{ partitionKeyPath: 'detail.topic' }, /partitionKeyPath must be a JSON path such as '\$.detail.topic', got 'detail.topic'/],
      [{ name: 'my-target' }, /a target name must be 1 to 64 letters and digits, starting with a letter, got 'my-target'/],
    ])('target %#: %s', (options, error) => {
      const stack = stackIn(PRIMARY);
      const bus = new AnalyticsEventBus(stack, 'Analytics', { iotServicesAccount: IOT_ACCOUNT, peerRegion: SECONDARY });
      expect(() => bus.addKinesisTarget(exampleStream(stack), options)).toThrow(error);
    });
  });

  test('cdk-nag AwsSolutions: no finding left for both regions with the example Kinesis and Express targets', () => {
    const app = testApp();
    for (const [region, peer] of [
      [PRIMARY, SECONDARY],
      [SECONDARY, PRIMARY],
    ]) {
      const stack = new Stack(app, `Analytics-${region}`, { env: { account: ACCOUNT, region } });
      const key = new kms.Key(stack, 'BusKey', { enableKeyRotation: true });
      new AnalyticsEventBus(stack, 'Analytics', {
        iotServicesAccount: IOT_ACCOUNT,
        peerRegion: peer,
        encryptionKey: region === SECONDARY ? key : undefined,
        globalEndpoint: region === PRIMARY ? {} : undefined,
        kinesisStreams: [exampleStream(stack)],
        stateMachines: [exampleStateMachine(stack)],
      });
    }
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
