import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { routingIn } from './fixtures';
import { FailoverNotifier, IotRegionSwitchPlan, IotRegionSwitchSteps, type FailoverRouting, type IotRegionSwitchStepsProps } from '../../../lib';
import { REGION_SWITCH_ACTIONS } from '../../../lambda/failover/region-switch-step';
import { REGION_SWITCH_STEPS } from '../../../lib/shared-services/region-switch-plan';
import { FUNCTION_TRACING_ACTIONS } from '../../../lib/private/service-policies';
import { ACCOUNT, logicalId, PRIMARY, SECONDARY, stackIn, testApp } from '../helpers';

function stepsProps(routing: FailoverRouting, overrides: Partial<IotRegionSwitchStepsProps> = {}): IotRegionSwitchStepsProps {
  return {
    primaryRegion: PRIMARY,
    secondaryRegion: SECONDARY,
    primaryHealthCheckId: routing.primaryHealthCheck.healthCheckId,
    secondaryHealthCheckId: routing.secondaryHealthCheck.healthCheckId,
    hostedZoneId: routing.hostedZone.hostedZoneId,
    activeRegionRecordName: routing.activeRegionRecordName,
    primaryIotDataEndpoint: routing.primary.iotDataEndpoint,
    secondaryIotDataEndpoint: routing.secondary.iotDataEndpoint,
    ...overrides,
  };
}

/** Everything in one us-east-1 stack: routing, notifier, the secondary's steps, the plan (the primary's steps by ARN). */
function build(validate = false) {
  const app = testApp(validate ? { context: { '@aws-cdk/core:validateAgainstDefaultRules': true } } : {});
  const stack = stackIn(SECONDARY, app);
  const routing = routingIn(stack);
  const notifier = new FailoverNotifier(stack, 'Notifier', { routing });
  const steps = new IotRegionSwitchSteps(stack, 'Steps', stepsProps(routing));
  const primaryArn = `arn:aws:lambda:${PRIMARY}:${ACCOUNT}:function:iot-dr-region-switch`;
  const plan = new IotRegionSwitchPlan(stack, 'Plan', {
    primaryRegion: PRIMARY,
    secondaryRegion: SECONDARY,
    primaryStepFunctionArn: primaryArn,
    secondaryStepFunctionArn: steps.function.functionArn,
    applicationHealthAlarms: [notifier.primaryHealthAlarm, notifier.secondaryHealthAlarm],
  });
  if (validate) {
    const saved = process.env.CDK_VALIDATION;
    delete process.env.CDK_VALIDATION;
    try {
      app.synth();
    } finally {
      process.env.CDK_VALIDATION = saved;
    }
  }
  return { app, stack, routing, notifier, steps, plan, primaryArn, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
function roleStatements(template: Template, roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe('IotRegionSwitchPlan', () => {
  let built: ReturnType<typeof build>;
  // One synthesis with CloudFormation's rule validation on (~15 s): the plan must pass its schema.
  beforeAll(() => {
    built = build(true);
  });

  test('passes CloudFormation rule validation', () => {
    expect(built.template.findResources('AWS::ARCRegionSwitch::Plan')).not.toEqual({});
  });

  test('cdk-nag AwsSolutions: no finding left for routing, notifier, steps and plan', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  test('an active/passive plan over both regions, run by its own role, with the RTO in minutes', () => {
    const plan = built.template.toJSON().Resources[logicalId(built.plan)].Properties;
    expect(plan).toEqual(
      expect.objectContaining({
        RecoveryApproach: 'activePassive',
        Regions: [PRIMARY, SECONDARY],
        PrimaryRegion: PRIMARY,
        ExecutionRole: { 'Fn::GetAtt': [logicalId(built.plan.executionRole), 'Arn'] },
        RecoveryTimeObjectiveMinutes: 5,
      }),
    );
    expect(plan.Name).toMatch(/^[a-zA-Z0-9-]{1,32}$/);
  });

  test('two activate workflows (fail over to the secondary, fail back to the primary), each: readiness, health checks, notice', () => {
    const { stack, plan, primaryArn, steps } = built;
    const workflows = stack.resolve(plan.plan.workflows) as { workflowTargetAction: string; workflowTargetRegion: string; steps: { name: string; executionBlockType: string; executionBlockConfiguration: { customActionLambdaConfig: unknown } }[] }[];
    expect(workflows.map((w) => [w.workflowTargetAction, w.workflowTargetRegion])).toEqual([
      ['activate', SECONDARY],
      ['activate', PRIMARY],
    ]);
    for (const w of workflows) {
      expect(w.steps.map((s) => s.name)).toEqual(['CheckIotReadiness', 'SwitchIotHealthChecks', 'PublishFailoverNotice']);
      w.steps.forEach((s, i) => {
        expect(s.executionBlockType).toBe('CustomActionLambda');
        const payload = JSON.stringify({ action: REGION_SWITCH_STEPS[i].action });
        expect(s.executionBlockConfiguration.customActionLambdaConfig).toEqual({
          lambdas: [
            { arn: primaryArn, payload },
            { arn: { 'Fn::GetAtt': [logicalId(steps.function), 'Arn'] }, payload },
          ],
          regionToRun: 'activatingRegion',
          retryIntervalMinutes: 1,
          timeoutMinutes: 5,
        });
      });
    }
  });

  test('the health alarms are the plan\'s application-health alarms', () => {
    const plan = built.template.toJSON().Resources[logicalId(built.plan)].Properties;
    expect(plan.AssociatedAlarms).toEqual({
      ApplicationHealth1: { AlarmType: 'applicationHealth', ResourceIdentifier: { 'Fn::GetAtt': [logicalId(built.notifier.primaryHealthAlarm), 'Arn'] } },
      ApplicationHealth2: { AlarmType: 'applicationHealth', ResourceIdentifier: { 'Fn::GetAtt': [logicalId(built.notifier.secondaryHealthAlarm), 'Arn'] } },
    });
  });

  test('execution role: trusted by ARC only; invokes the two step functions, reads the two alarms, nothing else', () => {
    const { template, plan, primaryArn, steps, notifier } = built;
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'arc-region-switch.amazonaws.com' } }] },
    });
    expect(roleStatements(template, logicalId(plan.executionRole))).toEqual([
      { Effect: 'Allow', Action: ['lambda:InvokeFunction', 'lambda:GetFunction'], Resource: [primaryArn, { 'Fn::GetAtt': [logicalId(steps.function), 'Arn'] }] },
      {
        Effect: 'Allow',
        Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
        Resource: [notifier.primaryHealthAlarm, notifier.secondaryHealthAlarm].map((a) => ({ 'Fn::GetAtt': [logicalId(a), 'Arn'] })),
      },
    ]);
  });

  test('validation: regions, whole minutes, plan name', () => {
    const stack = stackIn(SECONDARY);
    const base = { primaryRegion: PRIMARY, secondaryRegion: SECONDARY, primaryStepFunctionArn: 'arn:a', secondaryStepFunctionArn: 'arn:b' };
    expect(() => new IotRegionSwitchPlan(stack, 'P1', { ...base, secondaryRegion: PRIMARY })).toThrow("P1: primaryRegion and secondaryRegion must differ, both are 'us-west-2'");
    expect(() => new IotRegionSwitchPlan(stack, 'P2', { ...base, stepTimeout: Duration.seconds(90) })).toThrow('P2: stepTimeout must be whole minutes, got 1 minute 30 seconds');
    expect(() => new IotRegionSwitchPlan(stack, 'P3', { ...base, planName: 'iot dr!' })).toThrow("P3: planName must be 1 to 32 letters, digits or hyphens, got 'iot dr!'");
    expect(() => new IotRegionSwitchPlan(stack, 'P4', { ...base, recoveryTimeObjective: Duration.seconds(30) })).toThrow('P4: recoveryTimeObjective must be between 1 minute and 1 day');
  });
});

describe('IotRegionSwitchSteps', () => {
  function steps(overrides: Partial<IotRegionSwitchStepsProps> = {}) {
    const stack = stackIn(SECONDARY);
    const routing = routingIn(stack);
    const s = new IotRegionSwitchSteps(stack, 'Steps', stepsProps(routing, overrides));
    return { stack, routing, steps: s, template: Template.fromStack(stack) };
  }

  test('environment: regions, health checks, zone and record, thresholds (defaults: 300 s lag, 100 parked, 0 drift)', () => {
    const { stack, template, steps: s } = steps();
    const env = stack.resolve(template.toJSON().Resources[logicalId(s.function)].Properties.Environment.Variables);
    expect(env).toEqual(
      expect.objectContaining({
        FAILOVER_PRIMARY_REGION: PRIMARY,
        FAILOVER_SECONDARY_REGION: SECONDARY,
        FAILOVER_HOSTED_ZONE_ID: 'Z0123456789ABC',
        FAILOVER_ACTIVE_REGION_RECORD: 'active-region.example.com',
        FAILOVER_RECORD_TTL_SECONDS: '10',
        FAILOVER_MODE_PARAMETER: '/cdk-iot-dr/failover/mode',
        FAILOVER_METRICS_NAMESPACE: 'IotDr',
        FAILOVER_MAX_REPLICATION_LAG_SECONDS: '300',
        FAILOVER_MAX_PARKED_ITEMS: '100',
        FAILOVER_MAX_DRIFT_FAILED: '0',
      }),
    );
  });

  test('IAM: exactly the manual mode\'s Route 53 calls, the mode parameter in both regions, publish, metrics', () => {
    const { template, steps: s, routing } = steps();
    const statements = roleStatements(template, logicalId(s.role));
    const hcArn = (hc: typeof routing.primaryHealthCheck) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::healthcheck/', { Ref: logicalId(hc) }]] });
    const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
    expect(statements.filter((st) => !JSON.stringify(st.Action).includes('logs:') && !JSON.stringify(st.Action).includes('xray:'))).toEqual([
      { Effect: 'Allow', Action: ['route53:UpdateHealthCheck', 'route53:GetHealthCheckStatus'], Resource: [hcArn(routing.primaryHealthCheck), hcArn(routing.secondaryHealthCheck)] },
      {
        Effect: 'Allow',
        Action: 'route53:ChangeResourceRecordSets',
        Resource: partitionArn(':route53:::hostedzone/Z0123456789ABC'),
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['active-region.example.com'],
            'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
        },
      },
      { Effect: 'Allow', Action: 'ssm:PutParameter', Resource: [PRIMARY, SECONDARY].map((r) => partitionArn(`:ssm:${r}:${ACCOUNT}:parameter/cdk-iot-dr/failover/mode`)) },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: [PRIMARY, SECONDARY].map((r) => partitionArn(`:iot:${r}:${ACCOUNT}:topic/cdk-iot-dr/failover`)) },
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
    const wildcard = statements.filter((st) => st.Resource === '*').flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action])).sort();
    expect(wildcard).toEqual(['cloudwatch:GetMetricData', ...FUNCTION_TRACING_ACTIONS].sort());
  });

  test('IAM: roles in the iot-services account are assumed instead of direct publish and metric reads', () => {
    const publish = 'arn:aws:iam::222222222222:role/notice';
    const readiness = 'arn:aws:iam::222222222222:role/readiness';
    const { template, steps: s } = steps({ primaryPublishRoleArn: publish, secondaryPublishRoleArn: publish, readinessRoleArn: readiness, parkingQueueName: 'parking' });
    const statements = roleStatements(template, logicalId(s.role));
    expect(statements.filter((st) => st.Action === 'sts:AssumeRole')).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [publish, readiness] }]);
    expect(statements.some((st) => st.Action === 'iot:Publish' || st.Action === 'cloudwatch:GetMetricData')).toBe(false);
  });

  test('validation names the prop', () => {
    expect(() => steps({ maxParkedItems: -1 })).toThrow('Steps: maxParkedItems must be an integer between 0 and 1000000, got -1');
    expect(() => steps({ modeParameterName: 'mode' })).toThrow("Steps: modeParameterName must be a path starting with '/', got 'mode'");
    expect(() => steps({ secondaryRegion: PRIMARY })).toThrow("Steps: primaryRegion and secondaryRegion must differ, both are 'us-west-2'");
  });
});

test('the step actions are the ones the step handler understands', () => {
  expect(REGION_SWITCH_STEPS.map((s) => s.action)).toEqual([...REGION_SWITCH_ACTIONS]);
});
