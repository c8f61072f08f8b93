import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { StateMachine } from 'aws-local-stepfunctions';
import {
  REPLAY_DEAD_LETTER_STATE_NAMES,
  REPLAY_STATE_NAMES,
  RegistryReplay,
  type RegistryReplayProps,
  ReplicationJournal,
  UNKNOWN_ENTITY_KIND_ERROR,
  replayWorstCaseSeconds,
} from '../../../lib';
import { PRIMARY, SECONDARY, arnJoin, getAtt, policyStatements, ref, stackIn, stateMachineDefinition } from '../helpers';

function replayIn(stack: Stack, props: Partial<RegistryReplayProps> = {}) {
  const journal = new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY] });
  const replay = new RegistryReplay(stack, 'Replay', { journal, ...props });
  return { journal, replay };
}

/** A DynamoDB stream record as the pipe delivers it. */
function record(sk: string, pk = sk, originRegion = SECONDARY) {
  return {
    eventName: 'INSERT',
    dynamodb: {
      Keys: { pk: { S: pk }, sk: { S: sk } },
      NewImage: {
        pk: { S: pk },
        sk: { S: sk },
        version: { S: `000001700000000000#${originRegion}#000000000001#e-${sk}` },
        originRegion: { S: originRegion },
        eventTime: { N: '1700000000000' },
      },
    },
  };
}

const KIND_STATES = [
  REPLAY_STATE_NAMES.replayThing,
  REPLAY_STATE_NAMES.replayThingType,
  REPLAY_STATE_NAMES.replayThingGroup,
  REPLAY_STATE_NAMES.replayMembership,
];

describe('RegistryReplay', () => {
  let stack: Stack;
  let parts: ReturnType<typeof replayIn>;
  let template: Template;
  let definition: Record<string, any>;

  beforeAll(() => {
    stack = stackIn(PRIMARY);
    parts = replayIn(stack);
    template = Template.fromStack(stack);
    definition = stateMachineDefinition(template);
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

  describe('state machine', () => {
    it('is an Express workflow logging everything with execution data, traced', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'EXPRESS',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
        },
      });
      expect(definition.TimeoutSeconds).toBe(300);
    });

    it('maps over the batch, building ReplayTaskInput from each stream record', () => {
      const map = definition.States[REPLAY_STATE_NAMES.replayEachRecord];
      expect(definition.StartAt).toBe(REPLAY_STATE_NAMES.replayEachRecord);
      expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$', MaxConcurrency: 10, End: true });
      expect(map.ItemSelector).toEqual({
        'key.$': '$$.Map.Item.Value.dynamodb.Keys.sk.S',
        'partition.$': '$$.Map.Item.Value.dynamodb.Keys.pk.S',
        'version.$': '$$.Map.Item.Value.dynamodb.NewImage.version.S',
        'originRegion.$': '$$.Map.Item.Value.dynamodb.NewImage.originRegion.S',
        'eventTime.$': 'States.StringToJson($$.Map.Item.Value.dynamodb.NewImage.eventTime.N)',
      });
    });

    it('routes by key kind, unknown kinds to the dead-letter queue', () => {
      const states = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States;
      expect(states[REPLAY_STATE_NAMES.routeByEntityKind]).toEqual({
        Type: 'Choice',
        Choices: [
          { Variable: '$.key', StringMatches: 'thing#*', Next: 'ReplayThing' },
          { Variable: '$.key', StringMatches: 'thingType#*', Next: 'ReplayThingType' },
          { Variable: '$.key', StringMatches: 'thingGroup#*', Next: 'ReplayThingGroup' },
          { Variable: '$.key', StringMatches: 'member#*', Next: 'ReplayMembership' },
        ],
        Default: 'MarkUnknownEntityKind',
      });
      expect(states[REPLAY_STATE_NAMES.markUnknownEntityKind]).toEqual({
        Type: 'Pass',
        ResultPath: '$.error',
        Parameters: { Error: 'UnknownEntityKind', 'Cause.$': "States.Format('No replay handler for journal key {}', $.key)" },
        Next: 'SendToDeadLetterQueue',
      });
    });

    it.each(KIND_STATES)('%s invokes its function directly, retries with full jitter and catches into the dead-letter queue', (name) => {
      const state = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States[name];
      expect(state.Type).toBe('Task');
      expect(state.Resource).toMatch(/^arn:aws:lambda:.*:function:Replay.*Function.*-Arn$/);
      expect(state.Parameters).toBeUndefined();
      expect(state.Retry).toEqual([
        { ErrorEquals: ['DependencyNotReady'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 20, JitterStrategy: 'FULL' },
        {
          ErrorEquals: [
            'RegistryThrottled',
            'ConcurrentModification',
            'RegistryUnavailable',
            'Lambda.TooManyRequestsException',
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
          ],
          IntervalSeconds: 1,
          MaxAttempts: 4,
          BackoffRate: 2,
          MaxDelaySeconds: 10,
          JitterStrategy: 'FULL',
        },
      ]);
      expect(state.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'SendToDeadLetterQueue' }]);
      expect(state.End).toBe(true);
    });

    it('dead-letters key, partition, version, error and cause, then ends the iteration successfully', () => {
      const states = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States;
      expect(REPLAY_DEAD_LETTER_STATE_NAMES).toEqual(['SendToDeadLetterQueue']);
      expect(states.SendToDeadLetterQueue).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage',
        ResultPath: null,
        Parameters: {
          QueueUrl: `ref-${Object.keys(template.findResources('AWS::SQS::Queue'))[0]}`,
          MessageBody: {
            'key.$': '$.key',
            'partition.$': '$.partition',
            'version.$': '$.version',
            'error.$': '$.error.Error',
            'cause.$': '$.error.Cause',
          },
        },
        Next: 'DeadLettered',
      });
      expect(states.DeadLettered).toEqual({ Type: 'Succeed' });
    });

    it("keeps one record's worst case (every retry, every timeout) under Express's five minutes", () => {
      const states = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States;
      const waits = (retry: any[]) =>
        retry.reduce((sum, r) => {
          for (let n = 0; n < r.MaxAttempts; n++) sum += Math.min(r.MaxDelaySeconds, r.IntervalSeconds * r.BackoffRate ** n);
          return sum;
        }, 0);
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }));
      const timeout = fn.Properties.Timeout;
      const attempts = 1 + states.ReplayThing.Retry.reduce((n: number, r: any) => n + r.MaxAttempts, 0);
      const deadLetter = (1 + states.SendToDeadLetterQueue.Retry[0].MaxAttempts) * states.SendToDeadLetterQueue.TimeoutSeconds;
      const worst = attempts * timeout + waits(states.ReplayThing.Retry) + deadLetter + waits(states.SendToDeadLetterQueue.Retry);
      expect(worst).toBe(replayWorstCaseSeconds(Duration.seconds(timeout)));
      expect(worst).toBe(268);
      expect(worst).toBeLessThan(300);
    });

    it('may invoke only the four replay functions and send only to its dead-letter queue', () => {
      const statements = policyStatements(template, parts.replay.stateMachine.role) as any[];
      expect(statements.filter((s) => s.Action === 'lambda:InvokeFunction')).toHaveLength(4);
      expect(statements).toContainEqual({ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.replay.deadLetterQueue, 'Arn') });
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
        { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: getAtt(parts.replay.echoLedger, 'Arn') },
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
            ECHO_LEDGER_TABLE_NAME: ref(parts.replay.echoLedger),
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

  describe('executed locally (aws-local-stepfunctions)', () => {
    const noWait = Object.fromEntries(KIND_STATES.map((s) => [s, 0]));

    async function run(input: unknown[], handlers: Record<string, (input: any) => unknown>) {
      const machine = new StateMachine(definition as any, { validationOptions: { checkArn: false } });
      const sent: any[] = [];
      const execution = machine.run(input as any, {
        overrides: {
          taskResourceLocalHandlers: {
            ...(handlers as any),
            [REPLAY_STATE_NAMES.sendToDeadLetterQueue]: (msg: any) => {
              sent.push(msg);
              return {};
            },
          },
          retryIntervalOverrides: noWait,
        },
      });
      return { result: await execution.result, sent };
    }

    const replayed = (name: string, calls: string[]) => (task: any) => {
      calls.push(`${name}:${task.key}`);
      return { key: task.key, action: 'created', lagMs: 1 };
    };

    it('hands each handler the ReplayTaskInput of its own records', async () => {
      const calls: string[] = [];
      const tasks: any[] = [];
      const handlers = Object.fromEntries(KIND_STATES.map((s) => [s, replayed(s, calls)]));
      handlers.ReplayMembership = (task: any) => {
        tasks.push(task);
        return replayed('ReplayMembership', calls)(task);
      };
      const { result, sent } = await run(
        [record('thing#a'), record('thingType#t'), record('thingGroup#g'), record('member#g#a', 'thingGroup#g')],
        handlers,
      );
      expect(calls.sort()).toEqual(['ReplayMembership:member#g#a', 'ReplayThing:thing#a', 'ReplayThingGroup:thingGroup#g', 'ReplayThingType:thingType#t']);
      expect(tasks).toEqual([
        {
          key: 'member#g#a',
          partition: 'thingGroup#g',
          version: `000001700000000000#${SECONDARY}#000000000001#e-member#g#a`,
          originRegion: SECONDARY,
          eventTime: 1700000000000,
        },
      ]);
      expect(sent).toEqual([]);
      expect(result).toHaveLength(4);
    });

    it('retries DependencyNotReady and succeeds once the dependency appears', async () => {
      let attempts = 0;
      const { sent } = await run([record('member#g#a', 'thingGroup#g')], {
        ReplayMembership: () => {
          attempts += 1;
          if (attempts < 4) throw Object.assign(new Error('group g missing'), { name: 'DependencyNotReady' });
          return { key: 'member#g#a', action: 'created', lagMs: 5 };
        },
      });
      expect(attempts).toBe(4);
      expect(sent).toEqual([]);
    });

    it('dead-letters a record after its retries run out, without failing the rest of the batch', async () => {
      let attempts = 0;
      const calls: string[] = [];
      const { result, sent } = await run([record('thing#ok'), record('thingGroup#child')], {
        ReplayThing: replayed('ReplayThing', calls),
        ReplayThingGroup: () => {
          attempts += 1;
          throw Object.assign(new Error('parent missing'), { name: 'DependencyNotReady' });
        },
      });
      expect(attempts).toBe(7);
      expect(calls).toEqual(['ReplayThing:thing#ok']);
      expect(sent).toEqual([
        {
          QueueUrl: expect.stringMatching(/^ref-/),
          MessageBody: {
            key: 'thingGroup#child',
            partition: 'thingGroup#child',
            version: `000001700000000000#${SECONDARY}#000000000001#e-thingGroup#child`,
            error: 'DependencyNotReady',
            cause: 'parent missing',
          },
        },
      ]);
      expect(result).toHaveLength(2);
    });

    it('dead-letters malformed input at once (no retry)', async () => {
      let attempts = 0;
      const { sent } = await run([record('thing#bad')], {
        ReplayThing: () => {
          attempts += 1;
          throw Object.assign(new Error('no journal item'), { name: 'MalformedInput' });
        },
      });
      expect(attempts).toBe(1);
      expect(sent.map((m) => m.MessageBody.error)).toEqual(['MalformedInput']);
    });

    it('dead-letters keys of no known kind as UnknownEntityKind', async () => {
      const { sent } = await run([record('shadow#a#b', 'thing#a')], {});
      expect(sent.map((m) => m.MessageBody)).toEqual([
        {
          key: 'shadow#a#b',
          partition: 'thing#a',
          version: `000001700000000000#${SECONDARY}#000000000001#e-shadow#a#b`,
          error: UNKNOWN_ENTITY_KIND_ERROR,
          cause: 'No replay handler for journal key shadow#a#b',
        },
      ]);
    });
  });
});

describe('RegistryReplay options', () => {
  it('uses an existing echo ledger, custom batching, namespace and a dashboard', () => {
    const stack = stackIn(PRIMARY);
    const ledger = dynamodb.TableV2.fromTableName(stack, 'Ledger', 'my-ledger');
    const { replay } = replayIn(stack, {
      existingEchoLedger: ledger,
      batchSize: 20,
      maxBatchingWindow: Duration.seconds(5),
      maxRetryAttempts: 3,
      echoTtl: Duration.minutes(30),
      metricsNamespace: 'Fleet',
      replicationLagThreshold: Duration.minutes(2),
      dashboard: true,
    });
    const template = Template.fromStack(stack);
    expect(replay.echoLedger).toBe(ledger);
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
    ['both ledger options', { echoLedgerProps: {}, existingEchoLedger: {} as dynamodb.ITableV2 }, /give either existingEchoLedger or echoLedgerProps, not both/],
    ['a batch beyond inline Map concurrency', { batchSize: 41 }, /batchSize must be an integer between 1 and 40, got 41/],
    ['a fractional batch', { batchSize: 2.5 }, /batchSize must be an integer between 1 and 40, got 2.5/],
    ['a batching window over 5 minutes', { maxBatchingWindow: Duration.minutes(6) }, /maxBatchingWindow must be between 0 seconds and 5 minutes, got 6 minutes/],
    ['negative retries', { maxRetryAttempts: -1 }, /maxRetryAttempts must be an integer between 0 and 10000, got -1/],
    ['a too short echo TTL', { echoTtl: Duration.seconds(10) }, /echoTtl must be between 1 minute and 1 day, got 10 seconds/],
    ['a handler timeout beyond the Express budget', { handlerTimeout: Duration.seconds(30) }, /handlerTimeout 30 seconds lets one record's retries take up to 433 s, beyond the Express workflow limit of 300 s/],
    ['a reserved metrics namespace', { metricsNamespace: 'AWS/IoT' }, /metricsNamespace must be 1 to 255 printable ASCII characters, not starting with 'AWS\/' or ':', got 'AWS\/IoT'/],
    ['a lag threshold under 10 s', { replicationLagThreshold: Duration.seconds(1) }, /replicationLagThreshold must be at least 10 seconds/],
  ])('rejects %s', (_what, props, message) => {
    expect(() => replayIn(stackIn(PRIMARY), props as Partial<RegistryReplayProps>)).toThrow(message);
  });
});
