import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { KIND_STATES, record, replayIn } from './fixture';
import { UNKNOWN_ENTITY_KIND_ERROR } from '../../../lambda/contract';
import { replayWorstCaseSeconds } from '../../../lib/replay/retry-policies';
import { REPLAY_DEAD_LETTER_STATE_NAMES, REPLAY_PARKING_STATE_NAMES, REPLAY_STATE_NAMES } from '../../../lib/replay/state-names';
import { PRIMARY, SECONDARY, getAtt, logicalId, policyStatements, stackIn, stateMachineDefinition } from '../helpers';

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
    it('is an Express workflow logging errors without execution data, traced', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineType: 'EXPRESS',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ERROR',
          IncludeExecutionData: false,
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
        'eventTime.$': 'States.StringToJson($$.Map.Item.Value.dynamodb.NewImage.eventTime.N)',
      });
    });

    it('routes by key kind, unknown kinds to the dead-letter queue', () => {
      const states = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States;
      expect(states[REPLAY_STATE_NAMES.routeByEntityKind]).toEqual({
        Type: 'Choice',
        Choices: [
          { Variable: '$.key', StringMatches: 'heartbeat#*', Next: 'ReplayHeartbeat' },
          { Variable: '$.key', StringMatches: 'thing#*', Next: 'ReplayThing' },
          { Variable: '$.key', StringMatches: 'thingType#*', Next: 'ReplayThingType' },
          { Variable: '$.key', StringMatches: 'thingGroup#*', Next: 'ReplayThingGroup' },
          { Variable: '$.key', StringMatches: 'member#*', Next: 'ReplayMembership' },
          { Variable: '$.key', StringMatches: 'cert#*', Next: 'ReplayCertificate' },
          { Variable: '$.key', StringMatches: 'caCert#*', Next: 'ReplayCaCertificate' },
          { Variable: '$.key', StringMatches: 'policy#*', Next: 'ReplayPolicy' },
          { Variable: '$.key', StringMatches: 'policyTarget#*', Next: 'ReplayPolicyTarget' },
          { Variable: '$.key', StringMatches: 'principal#*', Next: 'ReplayPrincipal' },
          { Variable: '$.key', StringMatches: 'provisioningTemplate#*', Next: 'ReplayProvisioningTemplate' },
          { Variable: '$.key', StringMatches: 'roleAlias#*', Next: 'ReplayRoleAlias' },
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

    it.each(KIND_STATES)('%s invokes its function directly, retries with full jitter, parks what may pass and dead-letters the rest', (name) => {
      const state = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States[name];
      expect(state.Type).toBe('Task');
      expect(state.Resource).toMatch(/^arn:aws:lambda:.*:function:Replay.*Function.*-Arn$/);
      expect(state.Parameters).toBeUndefined();
      expect(state.Retry).toEqual([
        { ErrorEquals: ['DependencyNotReady', 'LocalChangePending'], IntervalSeconds: 1, MaxAttempts: 4, BackoffRate: 2, MaxDelaySeconds: 8, JitterStrategy: 'FULL' },
        {
          ErrorEquals: [
            'RegistryThrottled',
            'ConcurrentModification',
            'RegistryUnavailable',
            'Lambda.TooManyRequestsException',
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
            'Lambda.Unknown',
            'Sandbox.Timedout',
          ],
          IntervalSeconds: 1,
          MaxAttempts: 4,
          BackoffRate: 2,
          MaxDelaySeconds: 10,
          JitterStrategy: 'FULL',
        },
      ]);
      expect(state.Catch).toEqual([
        {
          ErrorEquals: [
            'DependencyNotReady',
            'RegistryThrottled',
            'ConcurrentModification',
            'RegistryUnavailable',
            'LocalChangePending',
            'Lambda.TooManyRequestsException',
            'Lambda.ServiceException',
            'Lambda.AWSLambdaException',
            'Lambda.SdkClientException',
            'Lambda.Unknown',
            'Sandbox.Timedout',
            'States.Timeout',
          ],
          ResultPath: '$.error',
          Next: 'SendToParkingQueue',
        },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'SendToDeadLetterQueue' },
      ]);
      expect(state.End).toBe(true);
    });

    const failedItem = {
      'key.$': '$.key',
      'partition.$': '$.partition',
      'version.$': '$.version',
      'eventTime.$': '$.eventTime',
      attempt: 1,
      'firstFailedAt.$': '$$.State.EnteredTime',
      'error.$': '$.error.Error',
      'cause.$': '$.error.Cause',
    };

    it('parks the item, delayed 30 s, then ends the iteration successfully', () => {
      const states = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States;
      expect(REPLAY_PARKING_STATE_NAMES).toEqual(['SendToParkingQueue']);
      expect(states.SendToParkingQueue).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage',
        ResultPath: null,
        Parameters: { QueueUrl: `ref-${logicalId(parts.replay.parkingQueue)}`, MessageBody: failedItem, DelaySeconds: 30 },
        Next: 'Parked',
      });
      expect(states.Parked).toEqual({ Type: 'Succeed' });
    });

    it('dead-letters the item with its reason, in the shape the parking consumer takes back, then ends the iteration successfully', () => {
      const states = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States;
      expect(REPLAY_DEAD_LETTER_STATE_NAMES).toEqual(['SendToDeadLetterQueue']);
      expect(states.SendToDeadLetterQueue).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::sqs:sendMessage',
        ResultPath: null,
        Parameters: {
          QueueUrl: `ref-${logicalId(parts.replay.deadLetterQueue)}`,
          MessageBody: { ...failedItem, 'reason.$': '$.error.Error', 'deadLetteredAt.$': '$$.State.EnteredTime' },
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
      const send = (s: any) => (1 + s.Retry[0].MaxAttempts) * s.TimeoutSeconds + waits(s.Retry);
      const worst = attempts * timeout + waits(states.ReplayThing.Retry) + Math.max(send(states.SendToDeadLetterQueue), send(states.SendToParkingQueue));
      expect(worst).toBe(replayWorstCaseSeconds(Duration.seconds(timeout)));
      expect(worst).toBe(183);
      expect(worst).toBeLessThan(300);
    });

    it('routes heartbeats to their own function, which is retried briefly and never parked or dead-lettered', () => {
      const states = definition.States[REPLAY_STATE_NAMES.replayEachRecord].ItemProcessor.States;
      const heartbeat = states[REPLAY_STATE_NAMES.replayHeartbeat];
      expect(heartbeat.Resource).toMatch(/^arn:aws:lambda:.*:function:ReplayReplayHeartbeatFunction.*-Arn$/);
      expect(heartbeat.Retry.map((r: any) => r.ErrorEquals)).toEqual([expect.arrayContaining(['RegistryUnavailable', 'Sandbox.Timedout'])]);
      expect(heartbeat.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: REPLAY_STATE_NAMES.heartbeatDropped }]);
      expect(states[REPLAY_STATE_NAMES.heartbeatDropped]).toEqual({ Type: 'Succeed' });
    });

    it('may invoke only the replay functions of the routed kinds and the heartbeat one, and send only to its parking and dead-letter queues', () => {
      const statements = policyStatements(template, parts.replay.stateMachine.role) as any[];
      expect(statements.filter((s) => s.Action === 'lambda:InvokeFunction')).toHaveLength(KIND_STATES.length + 1);
      expect(statements.filter((s) => String(s.Action).startsWith('sqs:'))).toEqual([
        { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.replay.deadLetterQueue, 'Arn') },
        { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: getAtt(parts.replay.parkingQueue, 'Arn') },
      ]);
    });
  });

  describe('executed locally (aws-local-stepfunctions)', () => {
    const noWait = Object.fromEntries([...KIND_STATES, REPLAY_STATE_NAMES.replayHeartbeat].map((s) => [s, 0]));
    // aws-local-stepfunctions has no clock of its own: the context object the Catch targets read.
    const ENTERED = '2026-01-02T03:04:05.678Z';

    async function run(input: unknown[], handlers: Record<string, (input: any) => unknown>) {
      const machine = new StateMachine(definition as any, { validationOptions: { checkArn: false } });
      const sent: any[] = [];
      const parked: any[] = [];
      const execution = machine.run(input as any, {
        context: { State: { EnteredTime: ENTERED, Name: 'any' } } as any,
        overrides: {
          taskResourceLocalHandlers: {
            ...(handlers as any),
            [REPLAY_STATE_NAMES.sendToDeadLetterQueue]: (msg: any) => {
              sent.push(msg);
              return {};
            },
            [REPLAY_STATE_NAMES.sendToParkingQueue]: (msg: any) => {
              parked.push(msg);
              return {};
            },
          },
          retryIntervalOverrides: noWait,
        },
      });
      return { result: await execution.result, sent, parked };
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

    it('parks a record whose transient failure outlasts its retries, without failing the rest of the batch', async () => {
      let attempts = 0;
      const calls: string[] = [];
      const { result, sent, parked } = await run([record('thing#ok'), record('thingGroup#child')], {
        ReplayThing: replayed('ReplayThing', calls),
        ReplayThingGroup: () => {
          attempts += 1;
          throw Object.assign(new Error('IoT answered 503'), { name: 'RegistryUnavailable' });
        },
      });
      expect(attempts).toBe(5);
      expect(calls).toEqual(['ReplayThing:thing#ok']);
      expect(sent).toEqual([]);
      expect(parked).toEqual([
        {
          QueueUrl: `ref-${logicalId(parts.replay.parkingQueue)}`,
          DelaySeconds: 30,
          MessageBody: {
            key: 'thingGroup#child',
            partition: 'thingGroup#child',
            version: `000001700000000000#${SECONDARY}#000000000001#e-thingGroup#child`,
            eventTime: 1700000000000,
            attempt: 1,
            firstFailedAt: ENTERED,
            error: 'RegistryUnavailable',
            cause: 'IoT answered 503',
          },
        },
      ]);
      expect(result).toHaveLength(2);
    });

    it.each([
      ['DependencyNotReady', 5],
      ['LocalChangePending', 5],
      ['Sandbox.Timedout', 5],
      ['Lambda.ServiceException', 5],
    ])('parks %s after %i attempts', async (name, expectedAttempts) => {
      let attempts = 0;
      const { sent, parked } = await run([record('member#g#a', 'thingGroup#g')], {
        ReplayMembership: () => {
          attempts += 1;
          throw Object.assign(new Error('not yet'), { name });
        },
      });
      expect(attempts).toBe(expectedAttempts);
      expect(sent).toEqual([]);
      expect(parked.map((m) => m.MessageBody.error)).toEqual([name]);
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
      expect(sent).toEqual([
        {
          QueueUrl: `ref-${logicalId(parts.replay.deadLetterQueue)}`,
          MessageBody: {
            key: 'thing#bad',
            partition: 'thing#bad',
            version: `000001700000000000#${SECONDARY}#000000000001#e-thing#bad`,
            eventTime: 1700000000000,
            attempt: 1,
            firstFailedAt: ENTERED,
            error: 'MalformedInput',
            cause: 'no journal item',
            reason: 'MalformedInput',
            deadLetteredAt: ENTERED,
          },
        },
      ]);
    });

    it('hands a record without originRegion to its handler, whose MalformedInput dead-letters it with its key', async () => {
      const { originRegion: _dropped, ...image } = record('thing#orphan').dynamodb.NewImage;
      const orphan = { ...record('thing#orphan'), dynamodb: { ...record('thing#orphan').dynamodb, NewImage: image } };
      const { sent, result } = await run([orphan, record('thing#ok')], {
        ReplayThing: (task: { key: string }) => {
          if (task.key === 'thing#orphan') throw Object.assign(new Error('journal item thing#orphan is not a well-formed thing item'), { name: 'MalformedInput' });
          return { key: task.key, action: 'created', lagMs: 1 };
        },
      });
      expect(result).toHaveLength(2);
      expect(sent.map((m) => [m.MessageBody.key, m.MessageBody.reason])).toEqual([['thing#orphan', 'MalformedInput']]);
    });

    it('dead-letters an error nobody classified (say, access denied) with its reason rather than parking it', async () => {
      const { sent, parked } = await run([record('thing#denied')], {
        ReplayThing: () => {
          throw Object.assign(new Error('not authorized to iot:UpdateThing'), { name: 'AccessDeniedException' });
        },
      });
      expect(parked).toEqual([]);
      expect(sent.map((m) => [m.MessageBody.reason, m.MessageBody.cause])).toEqual([['AccessDeniedException', 'not authorized to iot:UpdateThing']]);
    });

    it('routes heartbeat keys to the heartbeat handler, never to a dead-letter or parking queue', async () => {
      const calls: string[] = [];
      const { result, sent, parked } = await run([record('heartbeat#us-west-2', 'heartbeat#us-west-2'), record('thing#a')], {
        ReplayThing: replayed('ReplayThing', calls),
        [REPLAY_STATE_NAMES.replayHeartbeat]: (task: any) => {
          calls.push(`ReplayHeartbeat:${task.key}`);
          return { key: task.key, action: 'heartbeat', lagMs: 1200 };
        },
      });
      expect(calls.sort()).toEqual(['ReplayHeartbeat:heartbeat#us-west-2', 'ReplayThing:thing#a']);
      expect((result as any[])[0]).toEqual({ key: 'heartbeat#us-west-2', action: 'heartbeat', lagMs: 1200 });
      expect(sent).toEqual([]);
      expect(parked).toEqual([]);
    });

    it('drops a heartbeat whose handler keeps failing, without parking or dead-lettering it', async () => {
      let attempts = 0;
      const { result, sent, parked } = await run([record('heartbeat#us-west-2', 'heartbeat#us-west-2')], {
        [REPLAY_STATE_NAMES.replayHeartbeat]: () => {
          attempts += 1;
          throw Object.assign(new Error('boom'), { name: 'Lambda.Unknown' });
        },
      });
      expect(attempts).toBe(5);
      expect(result).toHaveLength(1);
      expect(sent).toEqual([]);
      expect(parked).toEqual([]);
    });

    it('dead-letters keys of no known kind as UnknownEntityKind', async () => {
      const { sent } = await run([record('shadow#a#b', 'thing#a')], {});
      expect(sent.map((m) => m.MessageBody)).toEqual([
        {
          key: 'shadow#a#b',
          partition: 'thing#a',
          version: `000001700000000000#${SECONDARY}#000000000001#e-shadow#a#b`,
          eventTime: 1700000000000,
          attempt: 1,
          firstFailedAt: ENTERED,
          error: UNKNOWN_ENTITY_KIND_ERROR,
          cause: 'No replay handler for journal key shadow#a#b',
          reason: UNKNOWN_ENTITY_KIND_ERROR,
          deadLetteredAt: ENTERED,
        },
      ]);
    });
  });
});
