import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { replayIn } from './fixture';
import { EchoLedger, type RegistryReplayOptions } from '../../../lib';
import { REPLAY_STATE_NAMES } from '../../../lib/replay/state-names';
import { ACCOUNT, PRIMARY, arnJoin, getAtt, policiesOf, policyStatements, ref, stackIn, stateMachineDefinition } from '../helpers';

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
      expect(filters).toHaveLength(2);
      expect(JSON.parse(filters[0].Pattern)).toEqual({
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { NewImage: { originRegion: { S: [{ 'anything-but': [PRIMARY] }] } } },
      });
      // Items naming no origin region reach replay's dead-letter path instead of vanishing (pipe.test.ts).
      expect(JSON.parse(filters[1].Pattern)).toEqual({
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { NewImage: { originRegion: { S: [{ exists: false }] } } },
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
    const passRole = {
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:role/*`]] },
      Condition: { StringEquals: { 'iam:PassedToService': 'iot.amazonaws.com' } },
    };
    it.each([
      [
        REPLAY_STATE_NAMES.replayThing,
        [
          {
            Action: ['iot:DescribeThing', 'iot:CreateThing', 'iot:UpdateThing', 'iot:DeleteThing', 'iot:ListThingPrincipals', 'iot:DetachThingPrincipal'],
            Effect: 'Allow',
            Resource: iot('thing'),
          },
          { Action: 'iot:DetachThingPrincipal', Effect: 'Allow', Resource: iot('cert') },
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
      [
        REPLAY_STATE_NAMES.replayCertificate,
        [
          {
            Action: [
              'iot:DescribeCertificate',
              'iot:UpdateCertificate',
              'iot:DeleteCertificate',
              'iot:ListPrincipalThings',
              'iot:DetachThingPrincipal',
              'iot:ListAttachedPolicies',
              'iot:DetachPolicy',
            ],
            Effect: 'Allow',
            Resource: iot('cert'),
          },
          { Action: 'iot:DetachThingPrincipal', Effect: 'Allow', Resource: iot('thing') },
          { Action: 'iot:DescribeCACertificate', Effect: 'Allow', Resource: iot('cacert') },
        ],
        // No resource-level permission (the certificate's ARN exists only after the call): a policy of its own.
        [{ Action: ['iot:RegisterCertificate', 'iot:RegisterCertificateWithoutCA'], Effect: 'Allow', Resource: '*' }],
      ],
      [
        REPLAY_STATE_NAMES.replayCaCertificate,
        [
          { Action: ['iot:DescribeCACertificate', 'iot:UpdateCACertificate', 'iot:DeleteCACertificate'], Effect: 'Allow', Resource: iot('cacert') },
        ],
        [{ Action: 'iot:RegisterCACertificate', Effect: 'Allow', Resource: '*' }],
      ],
      [
        REPLAY_STATE_NAMES.replayPolicy,
        [
          {
            Action: [
              'iot:ListPolicyVersions',
              'iot:GetPolicyVersion',
              'iot:CreatePolicy',
              'iot:CreatePolicyVersion',
              'iot:SetDefaultPolicyVersion',
              'iot:DeletePolicyVersion',
              'iot:DeletePolicy',
              'iot:ListTargetsForPolicy',
            ],
            Effect: 'Allow',
            Resource: iot('policy'),
          },
        ],
      ],
      [
        REPLAY_STATE_NAMES.replayPolicyTarget,
        [
          {
            Action: ['iot:ListAttachedPolicies', 'iot:AttachPolicy', 'iot:DetachPolicy', 'iot:DescribeCertificate'],
            Effect: 'Allow',
            Resource: iot('cert'),
          },
          {
            Action: ['iot:ListAttachedPolicies', 'iot:AttachPolicy', 'iot:DetachPolicy', 'iot:DescribeThingGroup'],
            Effect: 'Allow',
            Resource: iot('thinggroup'),
          },
          { Action: 'iot:GetPolicy', Effect: 'Allow', Resource: iot('policy') },
        ],
      ],
      [
        REPLAY_STATE_NAMES.replayPrincipal,
        [
          { Action: ['iot:ListThingPrincipals', 'iot:AttachThingPrincipal', 'iot:DetachThingPrincipal'], Effect: 'Allow', Resource: iot('thing') },
          { Action: ['iot:AttachThingPrincipal', 'iot:DetachThingPrincipal', 'iot:DescribeCertificate'], Effect: 'Allow', Resource: iot('cert') },
        ],
      ],
      [
        REPLAY_STATE_NAMES.replayProvisioningTemplate,
        [
          {
            Action: [
              'iot:DescribeProvisioningTemplate',
              'iot:DescribeProvisioningTemplateVersion',
              'iot:CreateProvisioningTemplate',
              'iot:UpdateProvisioningTemplate',
              'iot:CreateProvisioningTemplateVersion',
              'iot:ListProvisioningTemplateVersions',
              'iot:DeleteProvisioningTemplateVersion',
              'iot:DeleteProvisioningTemplate',
            ],
            Effect: 'Allow',
            Resource: iot('provisioningtemplate'),
          },
          { Action: 'lambda:GetFunctionConfiguration', Effect: 'Allow', Resource: arnJoin('lambda', PRIMARY, 'function:*') },
          passRole,
        ],
      ],
      [
        REPLAY_STATE_NAMES.replayRoleAlias,
        [
          {
            Action: ['iot:DescribeRoleAlias', 'iot:CreateRoleAlias', 'iot:UpdateRoleAlias', 'iot:DeleteRoleAlias'],
            Effect: 'Allow',
            Resource: iot('rolealias'),
          },
          passRole,
        ],
      ],
    ] as [string, unknown[], unknown[]?][])('%s may read the journal, write the ledger and make its own IoT calls only', (state, iotStatements, registration = []) => {
      const fn = parts.replay.functions[state];
      // Only a recreated group queries the journal (for its memberships).
      const journalActions = state === REPLAY_STATE_NAMES.replayThingGroup ? ['dynamodb:GetItem', 'dynamodb:Query'] : 'dynamodb:GetItem';
      expect(policyStatements(template, fn.role!)).toEqual([
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: expect.anything() },
        { Action: journalActions, Effect: 'Allow', Resource: getAtt(parts.journal.table, 'Arn') },
        { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: getAtt(parts.replay.echoLedger.table, 'Arn') },
        ...iotStatements,
        // X-Ray's wildcard, in a TracingPolicy of its own (see below).
        { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
        ...registration,
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
            ACCOUNT_ID: ACCOUNT,
          },
        },
      });
    });

    it('routes no shadows, and has no shadow function, unless shadows are replicated', () => {
      expect(parts.replay.functions[REPLAY_STATE_NAMES.replayShadow]).toBeUndefined();
      const withShadows = stackIn(PRIMARY);
      const { replay } = replayIn(withShadows, { replicateShadows: true });
      const shadowTemplate = Template.fromStack(withShadows);
      const fn = replay.functions[REPLAY_STATE_NAMES.replayShadow];
      expect(policyStatements(shadowTemplate, fn.role!)).toContainEqual({
        Action: ['iot:GetThingShadow', 'iot:UpdateThingShadow', 'iot:DeleteThingShadow', 'iot:DescribeThing'],
        Effect: 'Allow',
        Resource: iot('thing'),
      });
      // The parking consumer covers the shadow kind too.
      const parking = policyStatements(shadowTemplate, replay.parkingFunction.role!) as { Action: string[]; Resource: unknown }[];
      const thingActions = parking.find((st) => JSON.stringify(st.Resource) === JSON.stringify(iot('thing')))?.Action;
      expect(thingActions).toEqual(expect.arrayContaining(['iot:GetThingShadow', 'iot:UpdateThingShadow', 'iot:DeleteThingShadow']));
      const route = stateMachineDefinition(shadowTemplate).States.ReplayEachRecord.ItemProcessor.States.RouteByEntityKind;
      expect(route.Choices).toContainEqual({ Variable: '$.key', StringMatches: 'shadow#*', Next: REPLAY_STATE_NAMES.replayShadow });
    });

    it('gives the heartbeat replay function the account id too (the replay bundle reads it at load)', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.replayHeartbeat',
        Environment: { Variables: Match.objectLike({ ACCOUNT_ID: ACCOUNT }) },
      });
    });
  });

  describe('parking', () => {
    it('keeps both queues 14 days, SSE, TLS only and on stack deletion; the parking queue redrives crashes to the dead-letter queue', () => {
      for (const queue of [parts.replay.deadLetterQueue, parts.replay.parkingQueue]) {
        template.hasResource('AWS::SQS::Queue', {
          Properties: Match.objectLike({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true }),
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
        });
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(queue)],
          PolicyDocument: {
            Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
          },
        });
      }
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 180,
        RedrivePolicy: { deadLetterTargetArn: getAtt(parts.replay.deadLetterQueue, 'Arn'), maxReceiveCount: 10 },
      });
    });

    it('consumes the parking queue with partial batch failures, two at a time', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt(parts.replay.parkingQueue, 'Arn'),
        FunctionName: ref(parts.replay.parkingFunction),
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.replayParked',
        Timeout: 30,
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: {
            JOURNAL_TABLE_NAME: 'iot-dr-journal',
            ECHO_LEDGER_TABLE_NAME: ref(parts.replay.echoLedger.table),
            ECHO_TTL_SECONDS: '3600',
            METRICS_NAMESPACE: 'IotDr',
            DEAD_LETTER_QUEUE_URL: ref(parts.replay.deadLetterQueue),
            PARKING_QUEUE_URL: ref(parts.replay.parkingQueue),
            PARKING_RETENTION_SECONDS: '86400',
            ACCOUNT_ID: ACCOUNT,
          },
        },
      });
    });

    it('lets the parking consumer replay every kind routed (no shadows by default), consume its queue and send to both queues, nothing more', () => {
      const iot = (type: string) => arnJoin('iot', PRIMARY, `${type}/*`);
      const sqsConsume = ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
      expect(policyStatements(template, parts.replay.parkingFunction.role!)).toEqual([
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: expect.anything() },
        { Action: ['dynamodb:GetItem', 'dynamodb:Query'], Effect: 'Allow', Resource: getAtt(parts.journal.table, 'Arn') },
        { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: getAtt(parts.replay.echoLedger.table, 'Arn') },
        { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.replay.parkingQueue, 'Arn') },
        { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.replay.deadLetterQueue, 'Arn') },
        {
          Action: [
            'iot:AddThingToThingGroup',
            'iot:AttachThingPrincipal',
            'iot:CreateThing',
            'iot:DeleteThing',
            'iot:DescribeThing',
            'iot:DetachThingPrincipal',
            'iot:ListThingGroupsForThing',
            'iot:ListThingPrincipals',
            'iot:RemoveThingFromThingGroup',
            'iot:UpdateThing',
          ],
          Effect: 'Allow',
          Resource: iot('thing'),
        },
        {
          Action: [
            'iot:AttachPolicy',
            'iot:AttachThingPrincipal',
            'iot:DeleteCertificate',
            'iot:DescribeCertificate',
            'iot:DetachPolicy',
            'iot:DetachThingPrincipal',
            'iot:ListAttachedPolicies',
            'iot:ListPrincipalThings',
            'iot:UpdateCertificate',
          ],
          Effect: 'Allow',
          Resource: iot('cert'),
        },
        {
          Action: ['iot:CreateThingType', 'iot:DeleteThingType', 'iot:DeprecateThingType', 'iot:DescribeThingType'],
          Effect: 'Allow',
          Resource: iot('thingtype'),
        },
        {
          Action: [
            'iot:AddThingToThingGroup',
            'iot:AttachPolicy',
            'iot:CreateThingGroup',
            'iot:DeleteThingGroup',
            'iot:DescribeThingGroup',
            'iot:DetachPolicy',
            'iot:ListAttachedPolicies',
            'iot:RemoveThingFromThingGroup',
            'iot:UpdateThingGroup',
          ],
          Effect: 'Allow',
          Resource: iot('thinggroup'),
        },
        { Action: ['iot:DeleteCACertificate', 'iot:DescribeCACertificate', 'iot:UpdateCACertificate'], Effect: 'Allow', Resource: iot('cacert') },
        {
          Action: [
            'iot:CreatePolicy',
            'iot:CreatePolicyVersion',
            'iot:DeletePolicy',
            'iot:DeletePolicyVersion',
            'iot:GetPolicy',
            'iot:GetPolicyVersion',
            'iot:ListPolicyVersions',
            'iot:ListTargetsForPolicy',
            'iot:SetDefaultPolicyVersion',
          ],
          Effect: 'Allow',
          Resource: iot('policy'),
        },
        {
          Action: [
            'iot:CreateProvisioningTemplate',
            'iot:CreateProvisioningTemplateVersion',
            'iot:DeleteProvisioningTemplate',
            'iot:DeleteProvisioningTemplateVersion',
            'iot:DescribeProvisioningTemplate',
            'iot:DescribeProvisioningTemplateVersion',
            'iot:ListProvisioningTemplateVersions',
            'iot:UpdateProvisioningTemplate',
          ],
          Effect: 'Allow',
          Resource: iot('provisioningtemplate'),
        },
        {
          Action: ['iot:CreateRoleAlias', 'iot:DeleteRoleAlias', 'iot:DescribeRoleAlias', 'iot:UpdateRoleAlias'],
          Effect: 'Allow',
          Resource: iot('rolealias'),
        },
        { Action: 'lambda:GetFunctionConfiguration', Effect: 'Allow', Resource: arnJoin('lambda', PRIMARY, 'function:*') },
        {
          Action: 'iam:PassRole',
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:role/*`]] },
          Condition: { StringEquals: { 'iam:PassedToService': 'iot.amazonaws.com' } },
        },
        { Action: sqsConsume, Effect: 'Allow', Resource: getAtt(parts.replay.parkingQueue, 'Arn') },
        { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
        // Certificate registrations take no resource: a policy of their own.
        { Action: ['iot:RegisterCACertificate', 'iot:RegisterCertificate', 'iot:RegisterCertificateWithoutCA'], Effect: 'Allow', Resource: '*' },
      ]);
    });

    it('lets the state machine send to the parking queue and the dead-letter queue', () => {
      const statements = policyStatements(template, parts.replay.stateMachine.role);
      expect(statements).toContainEqual({ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.replay.parkingQueue, 'Arn') });
      expect(statements).toContainEqual({ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.replay.deadLetterQueue, 'Arn') });
    });

    it('outputs the one-command redrive of the dead-letter queue into the parking queue, and both queue URLs', () => {
      const outputs = template.findOutputs('*');
      const redrive = Object.entries(outputs).find(([id]) => id.includes('RedriveCommand'))![1];
      expect(redrive.Value).toEqual({
        'Fn::Join': [
          '',
          [
            'aws sqs start-message-move-task --source-arn ',
            getAtt(parts.replay.deadLetterQueue, 'Arn'),
            ' --destination-arn ',
            getAtt(parts.replay.parkingQueue, 'Arn'),
            ` --region ${PRIMARY}`,
          ],
        ],
      });
      const values = Object.entries(outputs).map(([id, o]) => [id.replace(/[0-9A-F]{8}$/, ''), o.Value]);
      expect(values).toEqual(
        expect.arrayContaining([
          ['ReplayDeadLetterQueueUrl', ref(parts.replay.deadLetterQueue)],
          ['ReplayParkingQueueUrl', ref(parts.replay.parkingQueue)],
        ]),
      );
    });

    it('alarms when items stay parked for 15 minutes and when the oldest parked message waits 30 minutes', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'visible + delayed + inFlight' }),
          Match.objectLike({ Id: 'delayed', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ApproximateNumberOfMessagesDelayed' }) }) }),
        ]),
        Threshold: 1,
        EvaluationPeriods: 15,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(parts.replay.parkingQueue, 'QueueName') }],
        Statistic: 'Maximum',
        Threshold: 1800,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(parts.replay.metricOldestParkedItemAge().metricName).toBe('ApproximateAgeOfOldestMessage');
    });
  });

  describe('wildcard-only policies', () => {
    it("keeps every function's X-Ray wildcard in a TracingPolicy of its own, the role's default policy free of Resource *", () => {
      for (const fn of [...Object.values(parts.replay.functions), parts.replay.parkingFunction]) {
        const policies = policiesOf(template, fn.role!);
        const tracing = Object.entries(policies).filter(([id]) => id.includes('TracingPolicy'));
        expect(tracing.map(([, statements]) => statements)).toEqual([
          [{ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' }],
        ]);
        // Certificate registrations take no resource either: a policy of their own too, with only those actions.
        const registration = Object.entries(policies).filter(([id]) => id.includes('IotRegistrationPolicy'));
        for (const [, statements] of registration) {
          for (const st of statements as { Action: string | string[] }[]) {
            expect([st.Action].flat().every((a) => /^iot:Register(CA)?Certificate(WithoutCA)?$/.test(a))).toBe(true);
          }
        }
        const others = Object.entries(policies).filter(([id]) => !id.includes('TracingPolicy') && !id.includes('IotRegistrationPolicy'));
        expect(JSON.stringify(others)).not.toContain('"Resource":"*"');
      }
    });

    it("keeps the state machine's log delivery and X-Ray wildcards in policies of their own, created before it", () => {
      const policies = policiesOf(template, parts.replay.stateMachine.role);
      const byName = (name: string) => Object.entries(policies).filter(([id]) => id.includes(name));
      expect(byName('WorkflowLogDeliveryPolicy').map(([, s]) => s)).toEqual([
        [
          {
            Action: [
              'logs:CreateLogDelivery',
              'logs:GetLogDelivery',
              'logs:UpdateLogDelivery',
              'logs:DeleteLogDelivery',
              'logs:ListLogDeliveries',
              'logs:PutResourcePolicy',
              'logs:DescribeResourcePolicies',
              'logs:DescribeLogGroups',
            ],
            Effect: 'Allow',
            Resource: '*',
          },
        ],
      ]);
      expect(byName('WorkflowTracingPolicy').map(([, s]) => s)).toEqual([
        [
          {
            Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
            Effect: 'Allow',
            Resource: '*',
          },
        ],
      ]);
      const others = Object.entries(policies).filter(([id]) => !id.includes('WorkflowLogDeliveryPolicy') && !id.includes('WorkflowTracingPolicy'));
      expect(JSON.stringify(others)).not.toContain('"Resource":"*"');
      const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
      expect(machine.DependsOn).toEqual(expect.arrayContaining([byName('WorkflowLogDeliveryPolicy')[0][0], byName('WorkflowTracingPolicy')[0][0]]));
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
        // The peer's heartbeat keeps the series alive: no lag data at all means a stalled pipeline.
        TreatMissingData: 'breaching',
      });
    });

    it('alarms when no peer heartbeat arrives for five minutes, missing data breaching', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'IotDr',
        MetricName: 'HeartbeatsReceived',
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 5,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    });

    it('alarms on pipe executions that failed or timed out, and on failed replay executions', () => {
      const pipeMetric = (name: string) => ({
        MetricStat: {
          Metric: { Namespace: 'AWS/EventBridge/Pipes', MetricName: name, Dimensions: [{ Name: 'PipeName', Value: ref(parts.replay.pipe) }] },
          Period: 300,
          Stat: 'Sum',
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)' }),
          Match.objectLike({ Id: 'failed', ...pipeMetric('ExecutionFailed') }),
          Match.objectLike({ Id: 'timedOut', ...pipeMetric('ExecutionTimeout') }),
        ]),
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: ref(parts.replay.stateMachine) }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(parts.replay.alarms).toHaveLength(7);
    });

    it('exposes lag, dead-letter and failed-execution metrics', () => {
      expect(parts.replay.metricReplicationLag().metricName).toBe('ReplicationLag');
      expect(parts.replay.metricReplicationLag().namespace).toBe('IotDr');
      expect(parts.replay.metricDeadLetters().metricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(parts.replay.metricFailedExecutions().metricName).toBe('ExecutionsFailed');
    });

    it('writes its heartbeat every minute, with a role that may put only heartbeat#<region> into the journal', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: getAtt(parts.replay.heartbeatFunction, 'Arn'), RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Environment: { Variables: { JOURNAL_TABLE_NAME: 'iot-dr-journal' } },
        Role: getAtt(parts.replay.heartbeatFunction.role!, 'Arn'),
      });
      const statements = policyStatements(template, parts.replay.heartbeatFunction.role!) as any[];
      expect(statements.filter((s) => !String(s.Action).startsWith('logs:'))).toEqual([
        {
          Action: 'dynamodb:PutItem',
          Effect: 'Allow',
          Resource: getAtt(parts.journal.table, 'Arn'),
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`heartbeat#${PRIMARY}`] } },
        },
        expect.objectContaining({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] }),
      ]);
    });

    it("records the peer's heartbeats with a function that may call nothing", () => {
      const statements = policyStatements(template, parts.replay.heartbeatReplayFunction.role!) as any[];
      expect(statements.filter((s) => !String(s.Action).startsWith('logs:') && !JSON.stringify(s.Action).includes('xray:'))).toEqual([]);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.replayHeartbeat',
        Role: getAtt(parts.replay.heartbeatReplayFunction.role!, 'Arn'),
        Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'IotDr' }) },
      });
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
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: getAtt(key, 'Arn') }, 2);
    expect(policyStatements(template, replay.parkingFunction.role!)).toContainEqual({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Effect: 'Allow',
      Resource: getAtt(key, 'Arn'),
    });
    expect(policyStatements(template, replay.pipeRole)).toContainEqual({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Effect: 'Allow',
      Resource: getAtt(key, 'Arn'),
    });
  });

  it('passes parkingRetention to the parking consumer', () => {
    const stack = stackIn(PRIMARY);
    replayIn(stack, { parkingRetention: Duration.days(3) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.replayParked',
      Environment: { Variables: Match.objectLike({ PARKING_RETENTION_SECONDS: '259200' }) },
    });
  });

  it('logs errors only, without execution data, unless told otherwise', () => {
    const stack = stackIn(PRIMARY);
    replayIn(stack, { workflowLogLevel: sfn.LogLevel.ALL, includeExecutionData: true });
    Template.fromStack(stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });

  it("encrypts every log group (state machine, pipe, functions) with logEncryptionKey, which CloudWatch Logs may use", () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'LogKey');
    replayIn(stack, { logEncryptionKey: key });
    const template = Template.fromStack(stack);
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    // The state machine's, the pipe's, the eleven replay functions', the parking consumer's and the two heartbeat functions': every one.
    expect(groups).toHaveLength(16);
    expect(groups.filter((g) => JSON.stringify(g.Properties.KmsKeyId) === JSON.stringify(getAtt(key, 'Arn')))).toHaveLength(16);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudWatchLogsOfThisAccount',
            Effect: 'Allow',
            Principal: { Service: `logs.${PRIMARY}.amazonaws.com` },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': arnJoin('logs', PRIMARY, 'log-group:*') } },
          },
        ]),
      },
    });
  });

  it.each([
    ['a parking retention under a day', { parkingRetention: Duration.hours(12) }, /Replay: parkingRetention must be between 1 day and 14 days, got 12 hours/],
    ['a parking retention beyond 14 days', { parkingRetention: Duration.days(15) }, /parkingRetention must be between 1 day and 14 days, got 15 days/],
    ['a batch beyond inline Map concurrency', { batchSize: 41 }, /batchSize must be an integer between 1 and 40, got 41/],
    ['a fractional batch', { batchSize: 2.5 }, /batchSize must be an integer between 1 and 40, got 2.5/],
    ['a batching window over 5 minutes', { maxBatchingWindow: Duration.minutes(6) }, /maxBatchingWindow must be between 0 seconds and 5 minutes, got 6 minutes/],
    ['negative retries', { maxRetryAttempts: -1 }, /maxRetryAttempts must be an integer between 0 and 10000, got -1/],
    ['a too short echo TTL', { echoTtl: Duration.seconds(10) }, /echoTtl must be between 1 minute and 1 day, got 10 seconds/],
    ['a parking queue name SQS refuses', { parkingQueueName: 'parking queue!' }, /parkingQueueName must be 1-80 letters, digits, hyphens or underscores, got 'parking queue!'/],
    ['a handler timeout beyond the Express budget', { handlerTimeout: Duration.seconds(30) }, /handlerTimeout 30 seconds lets one record's retries take up to 318 s, beyond the Express workflow limit of 300 s/],
    ['a reserved metrics namespace', { metricsNamespace: 'AWS/IoT' }, /metricsNamespace must be 1 to 255 printable ASCII characters, not starting with 'AWS\/' or ':', got 'AWS\/IoT'/],
    ['a lag threshold under 10 s', { replicationLagThreshold: Duration.seconds(1) }, /replicationLagThreshold must be at least 10 seconds/],
  ])('rejects %s', (_what, props, message) => {
    expect(() => replayIn(stackIn(PRIMARY), props as RegistryReplayOptions)).toThrow(message);
  });
});

