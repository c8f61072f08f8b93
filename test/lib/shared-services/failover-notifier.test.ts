import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { routingIn } from './fixtures';
import { FailoverNotifier, type FailoverNotifierProps } from '../../../lib';
import { FUNCTION_TRACING_ACTIONS } from '../../../lib/private/service-policies';
import { ACCOUNT, logicalId, PRIMARY, SECONDARY, stackIn } from '../helpers';

function build(props: Partial<FailoverNotifierProps> = {}) {
  const stack = stackIn(SECONDARY);
  const routing = routingIn(stack);
  const notifier = new FailoverNotifier(stack, 'Notifier', { routing, ...props });
  return { stack, routing, notifier, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
function roleStatements(template: Template, roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe('FailoverNotifier', () => {
  test('alarms on each health check\'s HealthCheckStatus in us-east-1, ALARM and OK to the topic', () => {
    const { template, routing, notifier } = build();
    for (const [alarm, hc] of [
      [notifier.primaryHealthAlarm, routing.primaryHealthCheck],
      [notifier.secondaryHealthAlarm, routing.secondaryHealthCheck],
    ] as const) {
      expect(template.toJSON().Resources[logicalId(alarm)].Properties).toEqual(
        expect.objectContaining({
          Namespace: 'AWS/Route53',
          MetricName: 'HealthCheckStatus',
          Dimensions: [{ Name: 'HealthCheckId', Value: { Ref: logicalId(hc) } }],
          Statistic: 'Minimum',
          Period: 60,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'missing',
          AlarmActions: [{ Ref: logicalId(notifier.topic) }],
          OKActions: [{ Ref: logicalId(notifier.topic) }],
        }),
      );
    }
  });

  test('fails synth outside us-east-1, naming the stack and its region', () => {
    const stack = stackIn(PRIMARY);
    const routing = routingIn(stack);
    expect(() => new FailoverNotifier(stack, 'Notifier', { routing })).toThrow(
      "Test-us-west-2/Notifier: FailoverNotifier must be in a stack of region us-east-1 (Route 53 publishes health-check metrics there only), but its stack Test-us-west-2 has region 'us-west-2'",
    );
    const agnostic = new Stack(new App(), 'Agnostic');
    expect(() => new FailoverNotifier(agnostic, 'Notifier', { routing: routingIn(agnostic) })).toThrow("has region '<unresolved: set env.region>'");
  });

  test('an encrypted topic (a rotated key CloudWatch may use) that enforces SSL, subscribed by the function', () => {
    const { template, notifier } = build();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: { Ref: logicalId(notifier.topic) } });
  });

  test('the function: notice targets and health checks in its environment, two async retries, then the DLQ', () => {
    const { stack, template, notifier, routing } = build();
    const fn = template.toJSON().Resources[logicalId(notifier.function)].Properties;
    const env = stack.resolve(fn.Environment.Variables);
    expect(env.FAILOVER_PRIMARY_REGION).toBe(PRIMARY);
    expect(env.FAILOVER_SECONDARY_REGION).toBe(SECONDARY);
    expect(JSON.stringify(env.FAILOVER_NOTICE_TARGETS)).toContain('a1b2c3-ats.iot.us-west-2.amazonaws.com');
    expect(JSON.stringify(env.FAILOVER_HEALTH_CHECK_IDS)).toContain(logicalId(routing.primaryHealthCheck));
    expect([env.FAILOVER_HOSTED_ZONE_ID, env.FAILOVER_ACTIVE_REGION_RECORD, env.FAILOVER_RECORD_TTL_SECONDS]).toEqual(['Z0123456789ABC', 'active-region.example.com', '10']);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 900,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(notifier.deadLetterQueue), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  test('IAM: iot:Publish on the notice topic in both regions only, when IoT Core is in this account', () => {
    const { template, notifier } = build();
    const statements = roleStatements(template, logicalId(notifier.publishRole));
    const publish = statements.filter((s) => s.Action === 'iot:Publish');
    expect(publish).toEqual([
      {
        Effect: 'Allow',
        Action: 'iot:Publish',
        Resource: [PRIMARY, SECONDARY].map((r) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:${r}:${ACCOUNT}:topic/cdk-iot-dr/failover`]] })),
      },
    ]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
    expect(actions).toEqual(
      ['iot:Publish', 'logs:CreateLogStream', 'logs:PutLogEvents', 'route53:ChangeResourceRecordSets', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage', ...FUNCTION_TRACING_ACTIONS].sort(),
    );
    // The record change is the TXT record's UPSERT only.
    expect(statements.find((s) => s.Action === 'route53:ChangeResourceRecordSets')).toEqual(
      expect.objectContaining({
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['active-region.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
        },
      }),
    );
  });

  test('IAM: assumes the given publish roles instead (iot-services account), publishing directly only where none is given', () => {
    const primaryRole = 'arn:aws:iam::222222222222:role/iot-dr-notice-publisher';
    const { template, notifier } = build({ primaryPublishRoleArn: primaryRole });
    const statements = roleStatements(template, logicalId(notifier.publishRole));
    expect(statements.filter((s) => s.Action === 'sts:AssumeRole')).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: primaryRole }]);
    expect(statements.filter((s) => s.Action === 'iot:Publish').map((s) => JSON.stringify(s.Resource))).toEqual([
      JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iot:${SECONDARY}:${ACCOUNT}:topic/cdk-iot-dr/failover`]] }),
    ]);
  });

  test('alarms on its own errors and dead letters; addAlarmAction wires both', () => {
    const stack = stackIn(SECONDARY);
    const notifier = new FailoverNotifier(stack, 'Notifier', { routing: routingIn(stack) });
    const oncall = new sns.Topic(stack, 'OnCall');
    notifier.addAlarmAction(new actions.SnsAction(oncall));
    const template = Template.fromStack(stack);
    for (const alarm of [notifier.errorsAlarm, notifier.deadLetterAlarm]) {
      expect(template.toJSON().Resources[logicalId(alarm)].Properties).toEqual(expect.objectContaining({ Threshold: 1, AlarmActions: [{ Ref: logicalId(oncall) }] }));
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1 });
  });

  test('updateActiveRegionRecord: false leaves the zone alone', () => {
    const { template, notifier, stack } = build({ updateActiveRegionRecord: false });
    const env = stack.resolve(template.toJSON().Resources[logicalId(notifier.function)].Properties.Environment.Variables);
    expect(env.FAILOVER_HOSTED_ZONE_ID).toBeUndefined();
    expect(roleStatements(template, logicalId(notifier.publishRole)).some((s) => s.Action === 'route53:ChangeResourceRecordSets')).toBe(false);
  });

  test('retryAttempts must be 0 to 2', () => {
    expect(() => build({ retryAttempts: 3 })).toThrow("Test-us-east-1/Notifier: retryAttempts must be 0, 1 or 2 (Lambda's asynchronous retries), got 3");
  });
});
