import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { KIND_STATES, record, replayIn } from './fixture';
import { UNKNOWN_ENTITY_KIND_ERROR } from '../../../lambda/contract';
import { replayWorstCaseSeconds } from '../../../lib/replay/retry-policies';
import { REPLAY_DEAD_LETTER_STATE_NAMES, REPLAY_STATE_NAMES } from '../../../lib/replay/state-names';
import { PRIMARY, SECONDARY, getAtt, policyStatements, stackIn, stateMachineDefinition } from '../helpers';

describe('replay workflow', () => {
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
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.replayThing' } }));
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
