import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { replayIn } from './fixture';
import { EchoLedger, type RegistryReplayOptions } from '../../../lib';
import { REPLAY_STATE_NAMES } from '../../../lib/replay/state-names';
import { PRIMARY, arnJoin, getAtt, policyStatements, ref, stackIn, stateMachineDefinition } from '../helpers';

describe('RegistryReplay', () => {
  let stack: Stack;
  let parts: ReturnType<typeof replayIn>;
  let template: Template;

  beforeAll(() => {
    stack = stackIn(PRIMARY);
    parts = replayIn(stack);
    template = Template.fromStack(stack);
  });

  describe('pipe', () => {
    it("reads this region's exact journal stream from the trim horizon, bisecting failed batches", () => {
      template.hasResourceProperties('AWS::Pipes::Pipe', {
        Source: getAtt(parts.journal.table, 'StreamArn'),
        SourceParameters: {
          DynamoDBStreamParameters: {
            StartingPosition: 'TRIM_HORIZON',
            BatchSize: 10,
            MaximumBatchingWindowInSeconds: 1,
            MaximumRetryAttempts: 10,
            OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
            DeadLetterConfig: { Arn: getAtt(parts.replay.deadLetterQueue, 'Arn') },
          },
        },
        Target: ref(parts.replay.stateMachine),
        TargetParameters: { StepFunctionStateMachineParameters: { InvocationType: 'REQUEST_RESPONSE' } },
        LogConfiguration: { Level: 'ERROR', CloudwatchLogsLogDestination: { LogGroupArn: Match.anyValue() } },
      });
    });

    it("passes only inserts and modifications another region wrote (never TTL removals or this region's own)", () => {
      const [pipe] = Object.values(template.findResources('AWS::Pipes::Pipe'));
      const filters = pipe.Properties.SourceParameters.FilterCriteria.Filters;
      expect(filters).toHaveLength(1);
      expect(JSON.parse(filters[0].Pattern)).toEqual({
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { NewImage: { originRegion: { S: [{ 'anything-but': [PRIMARY] }] } } },
      });
    });

    it('has a role limited to the stream, the state machine, the dead-letter queue and its logs', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'pipes.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': '222222222222' } },
            },
          ],
        },
      });
      expect(policyStatements(template, parts.replay.pipeRole)).toEqual([
        {
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
          Effect: 'Allow',
          Resource: getAtt(parts.journal.table, 'StreamArn'),
        },
        { Action: 'states:StartSyncExecution', Effect: 'Allow', Resource: ref(parts.replay.stateMachine) },
        { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.replay.deadLetterQueue, 'Arn') },
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: expect.anything() },
      ]);
    });
  });


  describe('replay functions', () => {
    const iot = (type: string) => arnJoin('iot', PRIMARY, `${type}/*`);
    it.each([
      [
        REPLAY_STATE_NAMES.replayThing,
        [
          { Action: ['iot:DescribeThing', 'iot:CreateThing', 'iot:UpdateThing', 'iot:DeleteThing'], Effect: 'Allow', Resource: iot('thing') },
          { Action: ['iot:DescribeThingType', 'iot:DeprecateThingType'], Effect: 'Allow', Resource: iot('thingtype') },
        ],
      ],
      [
        REPLAY_STATE_NAMES.replayThingType,
        [
          {
            Action: ['iot:DescribeThingType', 'iot:CreateThingType', 'iot:DeprecateThingType', 'iot:DeleteThingType'],
            Effect: 'Allow',
            Resource: iot('thingtype'),
          },
        ],
      ],
      [
        REPLAY_STATE_NAMES.replayThingGroup,
        [
          {
            Action: ['iot:DescribeThingGroup', 'iot:CreateThingGroup', 'iot:UpdateThingGroup', 'iot:DeleteThingGroup', 'iot:AddThingToThingGroup'],
            Effect: 'Allow',
            Resource: iot('thinggroup'),
          },
          { Action: 'iot:AddThingToThingGroup', Effect: 'Allow', Resource: iot('thing') },
        ],
      ],
      [
        REPLAY_STATE_NAMES.replayMembership,
        [
          {
            Action: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:ListThingGroupsForThing'],
            Effect: 'Allow',
            Resource: iot('thing'),
          },
          {
            Action: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:DescribeThingGroup'],
            Effect: 'Allow',
            Resource: iot('thinggroup'),
          },
        ],
      ],
    ])('%s may read the journal, write the ledger and make its own IoT calls only', (state, iotStatements) => {
      const fn = parts.replay.functions[state];
      // Only a recreated group queries the journal (for its memberships).
      const journalActions = state === REPLAY_STATE_NAMES.replayThingGroup ? ['dynamodb:GetItem', 'dynamodb:Query'] : 'dynamodb:GetItem';
      expect(policyStatements(template, fn.role!)).toEqual([
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: expect.anything() },
        { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
        { Action: journalActions, Effect: 'Allow', Resource: getAtt(parts.journal.table, 'Arn') },
        { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: getAtt(parts.replay.echoLedger.table, 'Arn') },
        ...iotStatements,
      ]);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Timeout: 15,
        TracingConfig: { Mode: 'Active' },
        Role: getAtt(fn.role!, 'Arn'),
        Environment: {
          Variables: {
            JOURNAL_TABLE_NAME: 'iot-dr-journal',
            ECHO_LEDGER_TABLE_NAME: ref(parts.replay.echoLedger.table),
            ECHO_TTL_SECONDS: '3600',
            METRICS_NAMESPACE: 'IotDr',
          },
        },
      });
    });
  });

  describe('echo ledger', () => {
    it('is a regional table keyed by entity, with TTL, PITR and KMS encryption', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        BillingMode: 'PAY_PER_REQUEST',
        Replicas: [{ Region: PRIMARY, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
        StreamSpecification: Match.absent(),
      });
    });
  });

  describe('alarms and metrics', () => {
    it('alarms on any dead letter and on p99 lag beyond five minutes', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(parts.replay.deadLetterQueue, 'QueueName') }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'IotDr',
        MetricName: 'ReplicationLag',
        ExtendedStatistic: 'p99',
        Period: 60,
        Threshold: 300000,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('exposes lag, dead-letter and failed-execution metrics', () => {
      expect(parts.replay.metricReplicationLag().metricName).toBe('ReplicationLag');
      expect(parts.replay.metricReplicationLag().namespace).toBe('IotDr');
      expect(parts.replay.metricDeadLetters().metricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(parts.replay.metricFailedExecutions().metricName).toBe('ExecutionsFailed');
    });

    it('creates no dashboard unless asked', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    });
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

});

describe('RegistryReplay options', () => {
  it('uses an existing echo ledger, custom batching, namespace and a dashboard', () => {
    const stack = stackIn(PRIMARY);
    const ledger = dynamodb.TableV2.fromTableName(stack, 'Ledger', 'my-ledger');
    const { replay } = replayIn(stack, {
      echoLedger: EchoLedger.fromTable(stack, 'ExistingLedger', ledger),
      batchSize: 20,
      maxBatchingWindow: Duration.seconds(5),
      maxRetryAttempts: 3,
      echoTtl: Duration.minutes(30),
      metricsNamespace: 'Fleet',
      replicationLagThreshold: Duration.minutes(2),
      dashboard: true,
    });
    const template = Template.fromStack(stack);
    expect(replay.echoLedger.table).toBe(ledger);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::Pipes::Pipe', {
      SourceParameters: {
        DynamoDBStreamParameters: Match.objectLike({ BatchSize: 20, MaximumBatchingWindowInSeconds: 5, MaximumRetryAttempts: 3 }),
      },
    });
    expect(stateMachineDefinition(template).States.ReplayEachRecord.MaxConcurrency).toBe(20);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ECHO_LEDGER_TABLE_NAME: 'my-ledger', ECHO_TTL_SECONDS: '1800', METRICS_NAMESPACE: 'Fleet' }),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Fleet', MetricName: 'ReplicationLag', Threshold: 120000 });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('encrypts the ledger and dead-letter queue with customer managed keys', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    const { replay } = replayIn(stack, { echoLedgerProps: { encryptionKey: key }, queueEncryptionKey: key });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: getAtt(key, 'Arn') });
    expect(policyStatements(template, replay.pipeRole)).toContainEqual({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Effect: 'Allow',
      Resource: getAtt(key, 'Arn'),
    });
  });

  it.each([
    ['a batch beyond inline Map concurrency', { batchSize: 41 }, /batchSize must be an integer between 1 and 40, got 41/],
    ['a fractional batch', { batchSize: 2.5 }, /batchSize must be an integer between 1 and 40, got 2.5/],
    ['a batching window over 5 minutes', { maxBatchingWindow: Duration.minutes(6) }, /maxBatchingWindow must be between 0 seconds and 5 minutes, got 6 minutes/],
    ['negative retries', { maxRetryAttempts: -1 }, /maxRetryAttempts must be an integer between 0 and 10000, got -1/],
    ['a too short echo TTL', { echoTtl: Duration.seconds(10) }, /echoTtl must be between 1 minute and 1 day, got 10 seconds/],
    ['a handler timeout beyond the Express budget', { handlerTimeout: Duration.seconds(30) }, /handlerTimeout 30 seconds lets one record's retries take up to 433 s, beyond the Express workflow limit of 300 s/],
    ['a reserved metrics namespace', { metricsNamespace: 'AWS/IoT' }, /metricsNamespace must be 1 to 255 printable ASCII characters, not starting with 'AWS\/' or ':', got 'AWS\/IoT'/],
    ['a lag threshold under 10 s', { replicationLagThreshold: Duration.seconds(1) }, /replicationLagThreshold must be at least 10 seconds/],
  ])('rejects %s', (_what, props, message) => {
    expect(() => replayIn(stackIn(PRIMARY), props as RegistryReplayOptions)).toThrow(message);
  });
});

