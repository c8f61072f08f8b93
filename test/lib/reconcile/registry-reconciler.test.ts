import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { CreateThingCommand, CreateThingGroupCommand } from '@aws-sdk/client-iot';
import { StateMachine } from 'aws-local-stepfunctions';
import { RECONCILED_KINDS } from '../../../lambda/contract';
import { summarize } from '../../../lambda/reconcile';
import { mergeDrift } from '../../../lambda/reconcile/reconcile';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EchoLedger, IotRegistryReplication, RegistryReconciler, ReplicationJournal } from '../../../lib';
import { type Harness, startHarness } from '../../lambda/reconcile/harness';
import { resolveCfn } from '../../support/pipeline/cfn-eval';
import { FUNCTION_TRACING_ACTIONS, LOG_DELIVERY_ACTIONS, WORKFLOW_TRACING_ACTIONS } from '../../../lib/private/service-policies';
import { ACCOUNT, PRIMARY, SECONDARY, stackIn } from '../helpers';

function build(props: Partial<ConstructorParameters<typeof RegistryReconciler>[2]> = {}): { stack: Stack; template: Template; reconciler: RegistryReconciler } {
  const stack = stackIn(PRIMARY);
  const journal = new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY] });
  const echoLedger = new EchoLedger(stack, 'Ledger');
  const reconciler = new RegistryReconciler(stack, 'Reconciler', { journal, echoLedger, ...props });
  return { stack, template: Template.fromStack(stack), reconciler };
}

type Statement = { Action: string | string[]; Resource: unknown };
function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

describe('RegistryReconciler', () => {
  test('runs hourly by default, on a schedule that can be changed', () => {
    build().template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    build({ schedule: events.Schedule.rate(Duration.hours(6)) }).template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
  });

  test('a Distributed Map over the registry kinds and the journal scan segments, paced by its concurrency', () => {
    const { template } = build({ maxConcurrency: 3, journalSegments: 2, gracePeriod: Duration.minutes(30) });
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as { Properties: { DefinitionString: unknown } };
    const text = JSON.stringify(machine.Properties.DefinitionString);
    expect(text).toContain('\\"Mode\\":\\"DISTRIBUTED\\"');
    expect(text).toContain('\\"MaxConcurrency\\":3');
    expect(text).toContain('\\"totalSegments\\":2');
    for (const kind of RECONCILED_KINDS.filter((k) => k !== 'shadow')) expect(text).toContain(`\\"kind\\":\\"${kind}\\"`);
    expect(text).not.toContain('\\"kind\\":\\"shadow\\"');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ RECONCILE_GRACE_SECONDS: '1800', RECONCILE_CONCURRENCY: '3', IOT_QUOTAS: '{}', ACCOUNT_ID: ACCOUNT, SHADOWS_ENABLED: 'false' }),
      },
    });
  });

  test('IAM: registry actions scoped to registry resources, list actions alone in their own policy, no wildcard actions', () => {
    const { template } = build();
    const all = statements(template);
    const actions = all.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => a.endsWith('*'))).toEqual([]);
    const wildcardResource = all.filter((s) => s.Resource === '*');
    const wildcardActions = wildcardResource.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
    // The function's list calls and tracing, and the state machine's log delivery and tracing: each in a policy of its own.
    expect(wildcardActions).toEqual(
      [
        'iot:ListCACertificates',
        'iot:ListCertificates',
        'iot:ListPolicies',
        'iot:ListProvisioningTemplates',
        'iot:ListRoleAliases',
        'iot:ListThingGroups',
        'iot:ListThingTypes',
        'iot:ListThings',
        ...FUNCTION_TRACING_ACTIONS,
        ...WORKFLOW_TRACING_ACTIONS,
        ...LOG_DELIVERY_ACTIONS,
      ].sort(),
    );
    expect(actions).toEqual(expect.arrayContaining(['iot:CreateThing', 'iot:ListThingsInThingGroup', 'dynamodb:Scan', 'dynamodb:BatchGetItem']));
    expect(actions).not.toContain('dynamodb:DeleteTable');
  });

  test('IAM for the device identities: their describes on their own resource types, the rate limiter on its window items only', () => {
    const { template } = build();
    const all = statements(template);
    const actionsOn = (resource: string): string[] =>
      all.filter((s) => JSON.stringify(s.Resource).includes(`:${resource}/*`)).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actionsOn('cert')).toEqual(expect.arrayContaining(['iot:DescribeCertificate', 'iot:ListAttachedPolicies']));
    expect(actionsOn('cacert')).toEqual(expect.arrayContaining(['iot:DescribeCACertificate']));
    expect(actionsOn('policy')).toEqual(expect.arrayContaining(['iot:GetPolicy', 'iot:GetPolicyVersion', 'iot:ListPolicyVersions', 'iot:ListTargetsForPolicy']));
    expect(actionsOn('rolealias')).toEqual(expect.arrayContaining(['iot:DescribeRoleAlias']));
    expect(actionsOn('provisioningtemplate')).toEqual(expect.arrayContaining(['iot:DescribeProvisioningTemplate', 'iot:DescribeProvisioningTemplateVersion']));
    expect(actionsOn('thing')).toEqual(expect.arrayContaining(['iot:DescribeThing', 'iot:ListThingPrincipals']));
    expect(actionsOn('thing')).not.toContain('iot:GetThingShadow');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'dynamodb:UpdateItem',
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['rate#*'] } },
          }),
        ]),
      },
    });
  });

  test('shadows: compared (and their reads granted) only when they are replicated', () => {
    const { template } = build({ replicateShadows: true });
    const text = JSON.stringify(Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]);
    expect(text).toContain('\\"kind\\":\\"shadow\\"');
    const actions = statements(template).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toEqual(expect.arrayContaining(['iot:GetThingShadow', 'iot:ListNamedShadowsForThing']));
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SHADOWS_ENABLED: 'true' }) } });
  });

  test('raised quotas reach the handler as IOT_QUOTAS', () => {
    const { template } = build({ iotQuotas: { RegisterCertificateWithoutCA: 50, AttachPolicy: 40 } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ IOT_QUOTAS: JSON.stringify({ RegisterCertificateWithoutCA: 50, AttachPolicy: 40 }) }) },
    });
  });

  test('alarms on drift found, drift left unrepaired and failed runs', () => {
    const { template } = build();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DriftFound',
      Namespace: 'IotDr',
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DriftFailed',
      Namespace: 'IotDr',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed' });
  });

  test('refuses settings it cannot use', () => {
    expect(() => build({ pageSize: 500 })).toThrow(/pageSize/);
    expect(() => build({ maxConcurrency: 0 })).toThrow(/maxConcurrency/);
    expect(() => build({ iotQuotas: { MakeCoffee: 1 } })).toThrow(/iotQuotas/);
    expect(() => build({ iotQuotas: { RegisterCertificateWithoutCA: 0 } })).toThrow(/iotQuotas/);
  });
});

describe('RegistryReconciler, item processor executed locally (aws-local-stepfunctions)', () => {
  // aws-local-stepfunctions runs no Distributed Map: the item processor runs as a state machine of its own,
  // with the real Reconciler behind its task, and the summary task on the map's results.
  let h: Harness;
  beforeEach(async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    h = await startHarness({ pageSize: 2 });
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await h.close();
  });

  function definitionOf(template: Template): Record<string, any> {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as { Properties: { DefinitionString: unknown } };
    return JSON.parse(String(resolveCfn(machine.Properties.DefinitionString, { region: PRIMARY, account: ACCOUNT })));
  }

  test('loops over the pages of its item, summing their drift; the summary sums the items', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await h.a.admin.send(new CreateThingCommand({ thingName: n }));
    for (const n of ['g1', 'g2', 'g3']) await h.a.admin.send(new CreateThingGroupCommand({ thingGroupName: n }));
    const definition = definitionOf(build().template);
    const map = definition.States.ReconcileItems;
    // Every registry kind side by side (links wait for their ends in the journal), then the journal segments.
    expect(definition.States.ListItems.Next).toBe('ReconcileItems');
    expect(map.Next).toBe('ReconcileItemsJournal');
    expect(definition.States.ReconcileItemsJournal.Next).toBe('Summarize');
    expect(definition.States.ListItems.Parameters.items.registry.map((e: any) => e.item.kind)).toEqual(expect.arrayContaining(['thing', 'principal']));
    expect(definition.States.ListItems.Parameters.items.journal.map((e: any) => e.item.kind ?? e.item.source)).toEqual([
      'member',
      'cert',
      'policyTarget',
      'journal',
      'journal',
      'journal',
      'journal',
    ]);
    expect(map.ItemProcessor.ProcessorConfig).toMatchObject({ Mode: 'DISTRIBUTED' });
    const { ProcessorConfig: _config, ...processorDefinition } = map.ItemProcessor;
    const processor = new StateMachine(processorDefinition, { validationOptions: { checkArn: false } });
    const calls: unknown[] = [];
    const handler = async (event: any) => {
      calls.push(event.item);
      const result = await h.a.reconciler.run(event.item);
      return { ...result, drift: mergeDrift(event.drift ?? {}, result.drift) };
    };
    const items: any[] = definition.States.ListItems.Parameters.items.registry;
    const results = [];
    for (const entry of items) {
      const execution = processor.run({ item: entry.item } as never, { overrides: { taskResourceLocalHandlers: { ReconcilePage: handler as never } } });
      results.push(await execution.result);
    }
    // Five things and three groups on pages of two: one invocation for the things' item (things are read with
    // their devices in pages of up to 250, resumable), two for the groups' item.
    expect(calls.filter((c: any) => c.source === 'registry' && c.kind === 'thing')).toHaveLength(1);
    expect(calls.filter((c: any) => c.source === 'registry' && c.kind === 'thingGroup')).toHaveLength(2);
    expect(results[items.findIndex((e) => e.item.kind === 'thing')]).toEqual({ drift: { thing: { checked: 5, found: 5, repaired: 5, failed: 0, pending: 0 } } });

    const summary = new StateMachine(
      { StartAt: 'Summarize', States: { Summarize: { ...definition.States.Summarize, End: true } } } as never,
      { validationOptions: { checkArn: false } },
    );
    const out = await summary.run({ registryResults: results, journalResults: [] } as never, { overrides: { taskResourceLocalHandlers: { Summarize: (e: any) => summarize(e.results) as never } } }).result;
    expect(out).toMatchObject({ found: 8, repaired: 8, failed: 0, pending: 0 });
  });
});

describe('IotRegistryReplication with reconciler settings', () => {
  test('adds a reconciler on its journal and echo ledger, its alarms with the alarm actions; none by default', () => {
    const stack = stackIn(PRIMARY);
    const topic = new sns.Topic(stack, 'Alarms');
    const replication = new IotRegistryReplication(stack, 'Replication', {
      peerRegion: SECONDARY,
      ownsJournal: true,
      alarmActions: [new cwActions.SnsAction(topic)],
      reconciler: { gracePeriod: Duration.minutes(5) },
    });
    expect(replication.reconciler).toBeInstanceOf(RegistryReconciler);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DriftFailed', AlarmActions: [{ Ref: Match.anyValue() }] });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ RECONCILE_GRACE_SECONDS: '300' }) } });

    const plain = new IotRegistryReplication(stackIn(PRIMARY), 'Replication', { peerRegion: SECONDARY, ownsJournal: true });
    expect(plain.reconciler).toBeUndefined();
  });
});
