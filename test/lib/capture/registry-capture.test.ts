import { Duration, type Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IDENTITY_EVENT_NAMES, REGISTRY_EVENT_TOPICS } from '../../../lambda/contract';
import { EchoLedger, ManagementEventsTrail, RegistryCapture, type RegistryCaptureProps, ReplicationJournal } from '../../../lib';
import { PRIMARY, SECONDARY, arnJoin, getAtt, logicalId, ref, policyStatements, stackIn } from '../helpers';

function captureIn(stack: Stack, props: Partial<RegistryCaptureProps> = {}) {
  const journal = new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY] });
  const ledger = new EchoLedger(stack, 'Ledger');
  const capture = new RegistryCapture(stack, 'Capture', { journal, echoLedger: ledger, ...props });
  return { journal, ledger, capture };
}

describe('RegistryCapture', () => {
  let stack: Stack;
  let parts: ReturnType<typeof captureIn>;
  let template: Template;

  beforeAll(() => {
    stack = stackIn(PRIMARY);
    parts = captureIn(stack);
    template = Template.fromStack(stack);
  });

  it.each([
    ['thing', '$aws/events/thing/+/+'],
    ['thingType', '$aws/events/thingType/+/+'],
    ['thingTypeAssociation', '$aws/events/thingTypeAssociation/thing/+/+'],
    ['thingGroup', '$aws/events/thingGroup/+/+'],
    ['thingGroupMembership', '$aws/events/thingGroupMembership/thingGroup/+/thing/+/+'],
    ['thingGroupHierarchy', '$aws/events/thingGroupHierarchy/thingGroup/+/childThingGroup/+/+'],
  ])('has a topic rule for %s events on %s, into the queue, errors into the dead-letter queue', (family, topic) => {
    expect(REGISTRY_EVENT_TOPICS[family as keyof typeof REGISTRY_EVENT_TOPICS]).toBe(topic);
    const role = getAtt(parts.capture.ruleRole, 'Arn');
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: {
        Sql: `SELECT *, topic() AS topic FROM '${topic}'`,
        AwsIotSqlVersion: '2016-03-23',
        RuleDisabled: false,
        Actions: [{ Sqs: { QueueUrl: ref(parts.capture.queue), RoleArn: role, UseBase64: false } }],
        ErrorAction: { Sqs: { QueueUrl: ref(parts.capture.deadLetterQueue), RoleArn: role, UseBase64: false } },
      },
    });
  });

  it('has exactly six topic rules', () => {
    template.resourceCountIs('AWS::IoT::TopicRule', 6);
    expect(parts.capture.rules).toHaveLength(6);
  });

  it('lets IoT rules only send to the two queues', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'iot.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '222222222222' } },
          },
        ],
      },
    });
    expect(policyStatements(template, parts.capture.ruleRole)).toEqual([
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: [getAtt(parts.capture.queue, 'Arn'), getAtt(parts.capture.deadLetterQueue, 'Arn')],
      },
    ]);
  });

  it('queues events encrypted, redriving to the dead-letter queue after five receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: getAtt(parts.capture.deadLetterQueue, 'Arn'), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedrivePolicy: Match.absent(),
    });
  });

  it('refuses unencrypted transport on both queues', () => {
    for (const queue of [parts.capture.queue, parts.capture.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('sends successful IoT identity calls from CloudTrail to the queue, exactly these, retrying a day before dead-lettering', () => {
    const rule = parts.capture.identityEventsRule;
    const resource = template.toJSON().Resources[logicalId(rule)];
    expect(resource.Properties.State).toBe('ENABLED');
    expect(resource.Properties.EventBusName).toBeUndefined(); // the default bus
    expect(resource.Properties.EventPattern).toEqual({
      source: ['aws.iot'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['iot.amazonaws.com'],
        eventName: [...IDENTITY_EVENT_NAMES],
        errorCode: [{ exists: false }],
      },
    });
    expect(resource.Properties.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: getAtt(parts.capture.queue, 'Arn'),
        DeadLetterConfig: { Arn: getAtt(parts.capture.deadLetterQueue, 'Arn') },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 24 * 3600 },
      },
    ]);
    expect(IDENTITY_EVENT_NAMES).toHaveLength(25);
    // Only this rule may send to the queues on EventBridge's behalf.
    for (const [queue, actions] of [
      [parts.capture.queue, ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']],
      [parts.capture.deadLetterQueue, 'sqs:SendMessage'],
    ] as const) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: actions,
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': getAtt(rule, 'Arn') } },
            }),
          ]),
        },
      });
    }
  });

  it('creates a single-region, write-only management-events trail into an encrypted, TLS-only, access-logged bucket', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsLogging: true,
      IsMultiRegionTrail: false,
      IncludeGlobalServiceEvents: false,
      EnableLogFileValidation: true,
      S3BucketName: ref(parts.capture.trailBucket!),
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }],
    });
    const buckets = template.toJSON().Resources;
    const bucket = buckets[logicalId(parts.capture.trailBucket!)];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 90, Status: 'Enabled' }] },
      LoggingConfiguration: { DestinationBucketName: expect.anything() },
    });
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(parts.capture.trailBucket!),
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('replicates no shadows by default', () => {
    expect(parts.capture.shadowRules).toEqual([]);
    expect(parts.capture.replicatesShadows).toBe(false);
  });

  it('runs the capture handler on Node.js 22 / arm64 with tracing, batches of ten and partial failures', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          JOURNAL_TABLE_NAME: 'iot-dr-journal',
          ECHO_LEDGER_TABLE_NAME: ref(parts.ledger.table),
          DEAD_LETTER_QUEUE_URL: ref(parts.capture.deadLetterQueue),
          TOMBSTONE_TTL_SECONDS: String(14 * 24 * 3600),
          METRICS_NAMESPACE: 'IotDr',
          ACCOUNT_ID: '222222222222',
          OWN_ROLE_ARNS: '',
          SHADOWS_ENABLED: 'false',
          MAX_RECEIVE_COUNT: '5',
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(parts.capture.queue, 'Arn'),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('keeps the function logs for three months', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('grants the capture function exactly what the handler calls', () => {
    const journalArn = getAtt(parts.journal.table, 'Arn');
    expect(policyStatements(template, parts.capture.function.role!)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: expect.anything() },
      {
        Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Effect: 'Allow',
        Resource: getAtt(parts.capture.queue, 'Arn'),
      },
      { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], Effect: 'Allow', Resource: journalArn },
      { Action: 'dynamodb:Query', Effect: 'Allow', Resource: { 'Fn::Join': ['', [journalArn, '/index/byRef']] } },
      { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: getAtt(parts.ledger.table, 'Arn') },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.capture.deadLetterQueue, 'Arn') },
      { Action: ['iot:DescribeThing', 'iot:ListThingGroupsForThing'], Effect: 'Allow', Resource: arnJoin('iot', PRIMARY, 'thing/*') },
      { Action: 'iot:DescribeThingGroup', Effect: 'Allow', Resource: arnJoin('iot', PRIMARY, 'thinggroup/*') },
      { Action: 'iot:DescribeThingType', Effect: 'Allow', Resource: arnJoin('iot', PRIMARY, 'thingtype/*') },
      { Action: 'iot:DescribeCertificate', Effect: 'Allow', Resource: arnJoin('iot', PRIMARY, 'cert/*') },
      { Action: 'iot:DescribeCACertificate', Effect: 'Allow', Resource: arnJoin('iot', PRIMARY, 'cacert/*') },
      { Action: ['iot:GetPolicy', 'iot:GetPolicyVersion', 'iot:ListPolicyVersions'], Effect: 'Allow', Resource: arnJoin('iot', PRIMARY, 'policy/*') },
      { Action: 'iot:ListAttachedPolicies', Effect: 'Allow', Resource: [arnJoin('iot', PRIMARY, 'cert/*'), arnJoin('iot', PRIMARY, 'thinggroup/*')] },
      { Action: 'iot:ListThingPrincipals', Effect: 'Allow', Resource: arnJoin('iot', PRIMARY, 'thing/*') },
      {
        Action: ['iot:DescribeProvisioningTemplate', 'iot:DescribeProvisioningTemplateVersion'],
        Effect: 'Allow',
        Resource: arnJoin('iot', PRIMARY, 'provisioningtemplate/*'),
      },
      { Action: 'iot:DescribeRoleAlias', Effect: 'Allow', Resource: arnJoin('iot', PRIMARY, 'rolealias/*') },
      // X-Ray's wildcard, in the function's TracingPolicy of its own.
      { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
    ]);
  });

  it('enables the six registry event types and leaves them on when deleted', () => {
    const resources = template.findResources('Custom::IotDrRegistryEventConfigurations');
    const [props] = Object.values(resources).map((r) => r.Properties);
    const call = {
      service: 'Iot',
      action: 'updateEventConfigurations',
      parameters: {
        eventConfigurations: {
          THING: { Enabled: true },
          THING_TYPE: { Enabled: true },
          THING_TYPE_ASSOCIATION: { Enabled: true },
          THING_GROUP: { Enabled: true },
          THING_GROUP_MEMBERSHIP: { Enabled: true },
          THING_GROUP_HIERARCHY: { Enabled: true },
        },
      },
      physicalResourceId: { id: 'iot-dr-registry-event-configurations' },
    };
    expect(JSON.parse(props.Create)).toEqual(call);
    expect(JSON.parse(props.Update)).toEqual(call);
    expect(props.Delete).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'iot:UpdateEventConfigurations', Effect: 'Allow', Resource: '*' }] },
    });
  });

  it('alarms on anything in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(parts.capture.deadLetterQueue, 'QueueName') }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('exposes dead-letter and malformed-event metrics', () => {
    expect(stack.resolve(parts.capture.metricMalformedEvents().toMetricConfig().metricStat)).toMatchObject({
      namespace: 'IotDr',
      metricName: 'MalformedEvents',
      statistic: 'Sum',
    });
    expect(parts.capture.metricDeadLetters().metricName).toBe('ApproximateNumberOfMessagesVisible');
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('RegistryCapture options', () => {
  it('passes the tombstone TTL and metrics namespace, and can leave event configurations alone', () => {
    const stack = stackIn(PRIMARY);
    captureIn(stack, { tombstoneTtl: Duration.days(30), metricsNamespace: 'Fleet', enableRegistryEvents: false });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOMBSTONE_TTL_SECONDS: String(30 * 24 * 3600), METRICS_NAMESPACE: 'Fleet' }) },
    });
    template.resourceCountIs('Custom::IotDrRegistryEventConfigurations', 0);
  });

  it("encrypts the capture function's log group with logEncryptionKey", () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'LogKey');
    captureIn(stack, { logEncryptionKey: key });
    const template = Template.fromStack(stack);
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.map((g) => g.Properties.KmsKeyId)).toEqual([getAtt(key, 'Arn')]);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowCloudWatchLogsOfThisAccount', Principal: { Service: `logs.${PRIMARY}.amazonaws.com` } })]) },
    });
  });

  it('keeps the dead-letter queue when the stack is deleted: its messages await a redrive', () => {
    const stack = stackIn(PRIMARY);
    const { capture } = captureIn(stack);
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: Match.anyValue() });
    expect(template.toJSON().Resources[logicalId(capture.deadLetterQueue)].DeletionPolicy).toBe('Retain');
  });

  it('recognises the writes of the roles it is given, including roles created after it', () => {
    const stack = stackIn(PRIMARY);
    const { capture } = captureIn(stack);
    const later = new iam.Role(stack, 'ReplayRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const imported = iam.Role.fromRoleArn(stack, 'Imported', 'arn:aws:iam::222222222222:role/service-role/reconciler');
    capture.recogniseOwnWrites(later, imported, later);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          OWN_ROLE_ARNS: { 'Fn::Join': ['', [getAtt(later, 'Arn'), ',arn:aws:iam::222222222222:role/service-role/reconciler']] },
        }),
      },
    });
  });

  it('warns when no role is recognised as the pipeline\'s own, and not once one is', () => {
    const lonely = stackIn(PRIMARY);
    captureIn(lonely);
    Annotations.fromStack(lonely).hasWarning('/Test-us-west-2/Capture', Match.stringLikeRegexp('recognises no role'));
    const wired = stackIn(PRIMARY);
    const { capture } = captureIn(wired);
    capture.recogniseOwnWrites(new iam.Role(wired, 'Replay', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    Annotations.fromStack(wired).hasNoWarning('/Test-us-west-2/Capture', Match.stringLikeRegexp('recognises no role'));
  });

  it('relies on an existing trail when told: no trail, no bucket, the rule all the same', () => {
    const stack = stackIn(PRIMARY);
    const { capture } = captureIn(stack, { managementEventsTrail: ManagementEventsTrail.EXISTING });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::Events::Rule', 1);
    expect(capture.trail).toBeUndefined();
    expect(capture.trailBucket).toBeUndefined();
  });

  it('with replicateShadows, sends the four shadow topics to the queue and may read shadows on a tie', () => {
    const stack = stackIn(PRIMARY);
    const { capture } = captureIn(stack, { replicateShadows: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IoT::TopicRule', 10);
    expect(capture.shadowRules).toHaveLength(4);
    const role = getAtt(capture.ruleRole, 'Arn');
    for (const topic of [
      '$aws/things/+/shadow/update/documents',
      '$aws/things/+/shadow/name/+/update/documents',
      '$aws/things/+/shadow/delete/accepted',
      '$aws/things/+/shadow/name/+/delete/accepted',
    ]) {
      template.hasResourceProperties('AWS::IoT::TopicRule', {
        TopicRulePayload: {
          Sql: `SELECT *, topic() AS topic FROM '${topic}'`,
          AwsIotSqlVersion: '2016-03-23',
          RuleDisabled: false,
          Actions: [{ Sqs: { QueueUrl: ref(capture.queue), RoleArn: role, UseBase64: false } }],
          ErrorAction: { Sqs: { QueueUrl: ref(capture.deadLetterQueue), RoleArn: role, UseBase64: false } },
        },
      });
    }
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SHADOWS_ENABLED: 'true' }) } });
    expect(policyStatements(template, capture.function.role!)).toContainEqual({
      Action: 'iot:GetThingShadow',
      Effect: 'Allow',
      Resource: arnJoin('iot', PRIMARY, 'thing/*'),
    });
  });

  it('encrypts both queues with a customer managed key IoT may use', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'QueueKey');
    const { capture } = captureIn(stack, { queueEncryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: getAtt(key, 'Arn') }, 2);
    expect(policyStatements(template, capture.ruleRole)).toContainEqual({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Effect: 'Allow',
      Resource: getAtt(key, 'Arn'),
    });
    // EventBridge sends CloudTrail events to the queue (and undeliverable ones to the dead-letter queue) with the key.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
            Principal: { Service: 'events.amazonaws.com' },
          }),
        ]),
      },
    });
    // The function dead-letters malformed events itself, so it needs the key to send as well.
    expect(policyStatements(template, capture.function.role!)).toContainEqual({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Effect: 'Allow',
      Resource: getAtt(key, 'Arn'),
    });
  });

  it('warns when tombstones expire before a dead-lettered event could be redriven', () => {
    const stack = stackIn(PRIMARY);
    captureIn(stack, { tombstoneTtl: Duration.days(3) });
    Annotations.fromStack(stack).hasWarning('/Test-us-west-2/Capture', Match.stringLikeRegexp('tombstoneTtl \\(3 days\\) is shorter'));
  });

  it('rejects an empty metrics namespace', () => {
    expect(() => captureIn(stackIn(PRIMARY), { metricsNamespace: '' })).toThrow(/Capture: metricsNamespace must be 1 to 255 printable ASCII characters/);
  });

  it.each([Duration.hours(23), Duration.minutes(5)])('rejects a tombstone TTL under a day (%s)', (ttl) => {
    expect(() => captureIn(stackIn(PRIMARY), { tombstoneTtl: ttl })).toThrow(
      new RegExp(`Test-us-west-2/Capture: tombstoneTtl must be at least 1 day, got ${ttl.toHumanString()}`),
    );
  });
});
