import { ArnFormat, Duration, Fn, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_RECONCILE_GRACE_SECONDS,
  DEFAULT_RECONCILE_PAGE_SIZE,
  DRIFT_METRICS,
  HANDLER_ENV,
  LISTED_AFTER_THINGS,
  RATE_LIMIT_ENV,
  RECONCILE_ENV,
  reconciledKinds,
} from '../../lambda/contract';
import type { IEchoLedger, IReplicationJournal } from '../journal';
import type { PipelineStageOptions } from '../pipeline-stage-options';
import { acknowledgeWildcardResource } from '../private/acknowledge';
import { DEFAULT_LOG_RETENTION, HandlerFunction } from '../private/handler-function';
import { logAndTrace } from '../private/state-machine-logging';
import { type IotRegistryResource, iotResourceArn } from '../private/iot';
import { wildcardOnlyPolicy } from '../private/service-policies';
import { checkIotQuotas, propError } from '../private/validate';
import { REPLAY_KINDS } from '../replay/replay-kinds';

/** Settings of a RegistryReconciler (what `IotRegistryReplication`'s `reconciler` takes). */
export interface RegistryReconcilerOptions extends PipelineStageOptions {
  /**
   * When a pass runs. Start one on demand with `aws stepfunctions start-execution --state-machine-arn <arn>`.
   * @default Schedule.rate(Duration.hours(1))
   */
  readonly schedule?: events.Schedule;
  /**
   * How long a local change the journal has not seen must stay unchanged before the reconciler journals it
   * as this region's change (it is never reverted).
   * @default Duration.minutes(15)
   */
  readonly gracePeriod?: Duration;
  /**
   * Item processors running at once (the Distributed Map's MaxConcurrency). Their IoT calls share the
   * region's rate limiter with replay, so more processors are not faster on one API, only across APIs.
   * @default 4
   */
  readonly maxConcurrency?: number;
  /**
   * Parallel scan segments of the journal (each one item of the Distributed Map).
   * @default 4
   */
  readonly journalSegments?: number;
  /**
   * Registry entities (or journal items) per page, one Lambda invocation each.
   * @default 100
   */
  readonly pageSize?: number;
  /**
   * This account's IoT TPS quotas per API name (e.g. `{ RegisterCertificateWithoutCA: 50 }`) where they were
   * raised above the defaults (ListThings 10, DescribeCertificate 10, RegisterCertificateWithoutCA 10,
   * AttachPolicy 15, CreateThing 100, ...). The reconciler paces its calls to them; give replay the same
   * values, since both share the region's rate limiter.
   * @default - the AWS default quotas of the region
   */
  readonly iotQuotas?: { [api: string]: number };
}

export interface RegistryReconcilerProps extends RegistryReconcilerOptions {
  /**
   * Whether device shadows are replicated: the reconciler then compares them too (one
   * ListNamedShadowsForThing per thing and pass).
   * @default false
   */
  readonly replicateShadows?: boolean;
  /** This region's journal (the global table or its replica). */
  readonly journal: IReplicationJournal;
  /** This region's echo ledger: known states (`known#<key>`) and drift markers (`drift#<key>`). */
  readonly echoLedger: IEchoLedger;
}

/**
 * Anti-entropy: on a schedule (hourly by default) and on demand, compares this region's registry (things,
 * thing types, thing groups, memberships) with the journal and repairs what differs — imports what the
 * journal lacks, re-replays what a region missed, journals local changes capture lost once stable for the
 * grace period. A Distributed Map runs one item per registry kind and per journal scan segment; each item
 * loops over its pages, paced to the IoT quotas. The execution's output is a drift summary; the drift
 * metrics (`DriftFound`, `DriftRepaired`, `DriftFailed`, `DriftPending`) feed `driftAlarm`. The initial copy
 * of an existing registry is one run of the same job.
 */
export class RegistryReconciler extends Construct {
  /** The state machine a pass runs in (Standard; its items run as child executions). */
  readonly stateMachine: sfn.StateMachine;
  /** The item processor (one page per invocation). */
  readonly function: lambda.IFunction;
  /** In alarm when a pass left drift it could not repair (`DriftFailed` > 0). */
  readonly driftAlarm: cloudwatch.Alarm;
  /**
   * In alarm when a pass found drift at all (`DriftFound` > 0), repaired or not: the stream path missed
   * something (a lost event or capture, a replay parked past its retention). Expected once after the
   * initial copy of an existing registry.
   */
  readonly driftFoundAlarm: cloudwatch.Alarm;
  /** In alarm when a pass failed as a whole. */
  readonly failedRunsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RegistryReconcilerProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 4;
    const segments = props.journalSegments ?? 4;
    const pageSize = props.pageSize ?? DEFAULT_RECONCILE_PAGE_SIZE;
    const grace = props.gracePeriod ?? Duration.seconds(DEFAULT_RECONCILE_GRACE_SECONDS);
    const namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    for (const [name, value, max] of [
      ['maxConcurrency', maxConcurrency, 1000],
      ['journalSegments', segments, 1000],
      ['pageSize', pageSize, 250],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > max) throw propError(this, `${name} must be a whole number from 1 to ${max}, got ${value}`);
    }
    if (grace.toSeconds() < 1) throw propError(this, `gracePeriod must be at least one second, got ${grace.toHumanString()}`);
    checkIotQuotas(this, props.iotQuotas ?? {});
    const kinds = reconciledKinds(props.replicateShadows ?? false);

    const handler = new HandlerFunction(this, 'Reconcile', {
      handler: 'reconcileItem',
      description: 'Reconciles one page of the IoT registry or of the journal with the other (anti-entropy)',
      timeout: Duration.minutes(5),
      logEncryptionKey: props.logEncryptionKey,
      logRetention: props.logRetention,
      environment: {
        [HANDLER_ENV.journalTableName]: props.journal.tableName,
        [HANDLER_ENV.echoLedgerTableName]: props.echoLedger.tableName,
        [HANDLER_ENV.metricsNamespace]: namespace,
        [HANDLER_ENV.accountId]: Stack.of(this).account,
        [HANDLER_ENV.shadowsEnabled]: String(props.replicateShadows ?? false),
        [RECONCILE_ENV.graceSeconds]: String(grace.toSeconds()),
        [RECONCILE_ENV.concurrency]: String(maxConcurrency),
        [RECONCILE_ENV.pageSize]: String(pageSize),
        [RATE_LIMIT_ENV.iotQuotas]: JSON.stringify(props.iotQuotas ?? {}),
      },
    });
    this.function = handler.function;
    this.grant(handler.role, props);

    // Two phases: the registry kinds side by side (a page imports a link only once the journal has its ends;
    // a thing's page reads its certificates and their attachments as it goes), then the certificate and
    // attachment listings (LISTED_AFTER_THINGS: by then mostly journaled) and the journal segments.
    const late = new Set<string>(LISTED_AFTER_THINGS);
    const items = {
      registry: kinds.filter((kind) => !late.has(kind)).map((kind) => ({ item: { source: 'registry', kind } })),
      journal: [
        ...kinds.filter((kind) => late.has(kind)).map((kind) => ({ item: { source: 'registry', kind } })),
        ...Array.from({ length: segments }, (_, segment) => ({ item: { source: 'journal', segment, totalSegments: segments } })),
      ],
    };
    const phaseMap = (suffix: '' | 'Journal', itemsPath: string, resultPath: string): sfn.DistributedMap => {
      const page = new tasks.LambdaInvoke(this, `ReconcilePage${suffix}`, {
        lambdaFunction: handler.function,
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
      });
      const nextPage = new sfn.Pass(this, `NextPage${suffix}`, { parameters: { 'item.$': '$.next', 'drift.$': '$.drift' } });
      const processor = page.next(
        new sfn.Choice(this, `MorePages${suffix}`)
          .when(sfn.Condition.isPresent('$.next'), nextPage.next(page))
          .otherwise(new sfn.Pass(this, `ItemDone${suffix}`, { parameters: { 'drift.$': '$.drift' } })),
      );
      const map = new sfn.DistributedMap(this, `ReconcileItems${suffix}`, {
        itemsPath,
        maxConcurrency,
        itemSelector: { 'item.$': '$$.Map.Item.Value.item' },
        // Standard: an item loops over all its pages, which can take longer than an Express execution's 5 minutes.
        mapExecutionType: sfn.StateMachineType.STANDARD,
        resultPath,
      });
      map.itemProcessor(processor);
      return map;
    };
    const summary = new tasks.LambdaInvoke(this, 'Summarize', {
      lambdaFunction: handler.function,
      payload: sfn.TaskInput.fromObject({ 'results.$': 'States.Array($.registryResults, $.journalResults)' }),
      payloadResponseOnly: true,
    });
    const definition = new sfn.Pass(this, 'ListItems', { parameters: { items } })
      .next(phaseMap('', '$.items.registry', '$.registryResults'))
      .next(phaseMap('Journal', '$.items.journal', '$.journalResults'))
      .next(summary);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'cdk-iot-dr anti-entropy: one pass over the registry and the journal',
    });
    logAndTrace(this, this.stateMachine, {
      logGroupId: 'StateMachineLogs',
      policyPrefix: 'StateMachine',
      level: sfn.LogLevel.ERROR,
      includeExecutionData: false,
      logRetention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      logEncryptionKey: props.logEncryptionKey,
      levelReason: 'Logs errors: each pass emits a drift summary (execution output) and drift metrics per kind; X-Ray traces every execution.',
    });
    this.acknowledgeStateMachineWildcards(handler.function);

    new events.Rule(this, 'Schedule', {
      description: 'Runs the IoT registry reconciler (anti-entropy)',
      schedule: props.schedule ?? events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });

    const failedDrift = new cloudwatch.Metric({ namespace, metricName: DRIFT_METRICS.failed, statistic: 'Sum', period: Duration.hours(1) });
    this.driftAlarm = new cloudwatch.Alarm(this, 'DriftAlarm', {
      alarmDescription: 'The registry reconciler found drift it could not repair (DriftFailed > 0); see its logs',
      metric: failedDrift,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.driftFoundAlarm = new cloudwatch.Alarm(this, 'DriftFoundAlarm', {
      alarmDescription:
        'The registry reconciler found drift (DriftFound > 0, per kind in the metric dimensions): the stream path missed a change ' +
        '(a lost registry event or capture, a replay parked past its retention); the reconciler repairs it, but find out why',
      metric: new cloudwatch.Metric({ namespace, metricName: DRIFT_METRICS.found, statistic: 'Sum', period: Duration.hours(1) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failedRunsAlarm = new cloudwatch.Alarm(this, 'FailedRunsAlarm', {
      alarmDescription: 'A registry reconciler pass failed',
      metric: this.stateMachine.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Sends every alarm of the reconciler to `actions` (in this stack's region). */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    this.driftAlarm.addAlarmAction(...actions);
    this.driftFoundAlarm.addAlarmAction(...actions);
    this.failedRunsAlarm.addAlarmAction(...actions);
  }

  /** The wildcards Step Functions itself grants: the function's versions, and the Distributed Map's child executions. */
  private acknowledgeStateMachineWildcards(fn: lambda.IFunction): void {
    const role = this.stateMachine.role;
    acknowledgeWildcardResource(role, `${fn.functionArn}:*`, "Granted by LambdaInvoke for the function's versions and aliases; only this function is invoked.");
    const name = Fn.select(6, Fn.split(':', this.stateMachine.stateMachineArn));
    // The L2 puts these in a policy of its own, `DistributedMapPolicy`: acknowledge them there only.
    const mapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy') ?? role;
    for (const resourceName of [`${name}:*`, `${name}/*:*`]) {
      acknowledgeWildcardResource(
        mapPolicy,
        Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        "Granted by the Distributed Map to start and stop its child executions, whose names are generated at run time; limited to this state machine's executions.",
      );
    }
  }

  /** Exactly the calls the handler makes: its reads and the replays it runs. */
  private grant(role: iam.IRole, props: RegistryReconcilerProps): void {
    const byResource = new Map<string, Set<string>>();
    const add = (resource: IotRegistryResource, ...actions: string[]): void => {
      const set = byResource.get(resource) ?? new Set<string>();
      actions.forEach((a) => set.add(a));
      byResource.set(resource, set);
    };
    // The replays it runs: every kind's, the shadow replay's only when shadows are replicated.
    const replayed = REPLAY_KINDS.filter((k) => props.replicateShadows || !k.keyPattern.startsWith('shadow#'));
    for (const kind of replayed) for (const p of kind.permissions) add(p.resource, ...p.actions);
    add('thing', 'iot:DescribeThing', 'iot:ListThingPrincipals');
    add('thinggroup', 'iot:DescribeThingGroup', 'iot:ListThingsInThingGroup', 'iot:ListAttachedPolicies');
    add('thingtype', 'iot:DescribeThingType');
    // Device identities: the describes of identity-adapter.ts, and the per-policy target listing.
    add('cert', 'iot:DescribeCertificate', 'iot:ListAttachedPolicies');
    add('cacert', 'iot:DescribeCACertificate');
    add('policy', 'iot:GetPolicy', 'iot:GetPolicyVersion', 'iot:ListPolicyVersions', 'iot:ListTargetsForPolicy');
    add('rolealias', 'iot:DescribeRoleAlias');
    add('provisioningtemplate', 'iot:DescribeProvisioningTemplate', 'iot:DescribeProvisioningTemplateVersion');
    if (props.replicateShadows) add('thing', 'iot:GetThingShadow', 'iot:ListNamedShadowsForThing');
    for (const [resource, actions] of byResource) {
      const arn = iotResourceArn(this, resource as 'thing');
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions].sort(), resources: [arn] }));
      acknowledgeWildcardResource(role, arn, 'Entity names are not known at deploy time: the reconciler walks every entity of this kind in this account and region.');
    }
    wildcardOnlyPolicy(
      this,
      'ListPolicy',
      role,
      [
        'iot:ListCACertificates',
        'iot:ListCertificates',
        'iot:ListPolicies',
        'iot:ListProvisioningTemplates',
        'iot:ListRoleAliases',
        'iot:ListThingGroups',
        'iot:ListThingTypes',
        'iot:ListThings',
      ],
      'The IoT list actions the reconciler pages through (things, types, groups, certificates, CA certificates, policies, provisioning templates, role aliases) support no resource-level permissions.',
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan'],
        resources: [props.journal.tableArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [props.echoLedger.tableArn],
      }),
    );
    // Within the UpdateItem above already; stated on its own so the rate limiter's need stays if that one narrows.
    props.echoLedger.grantRateLimit(role);
    props.journal.encryptionKey?.grantEncryptDecrypt(role);
    props.echoLedger.encryptionKey?.grantEncryptDecrypt(role);
  }
}
