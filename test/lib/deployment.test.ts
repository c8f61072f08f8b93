import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { logicalId, testApp } from './helpers';
import { type DrFailoverSettings, DrTopology, IotDrDeployment } from '../../lib';

describe('IotDrDeployment', () => {
  let deployment: IotDrDeployment;
  let templates: Map<Stack, Template>;

  beforeAll(() => {
    const app = testApp();
    deployment = new IotDrDeployment(app, 'IotDr', { topology: DrTopology.DEFAULT });
    templates = new Map(deployment.stacks.map((s) => [s, Template.fromStack(s)]));
  });

  it.each([
    ['sharedServices', 'SharedServices', '111111111111'],
    ['iotServices', 'IotServices', '222222222222'],
    ['commandControl', 'CommandControl', '333333333333'],
    ['dataAnalytics', 'DataAnalytics', '444444444444'],
  ] as const)('puts %s in its account in both regions', (prop, part, account) => {
    const { primary, secondary } = deployment[prop];
    expect([primary.account, primary.region, primary.stackName]).toEqual([account, 'us-west-2', `IotDr-${part}-us-west-2`]);
    expect([secondary.account, secondary.region, secondary.stackName]).toEqual([account, 'us-east-1', `IotDr-${part}-us-east-1`]);
  });

  it('creates nine stacks: the global shared-services stack in us-east-1, and each account in both regions', () => {
    expect(deployment.stacks).toHaveLength(9);
    const global = deployment.globalFailover;
    expect([global.stackName, global.account, global.region]).toEqual(['IotDr-SharedServices-global', '111111111111', 'us-east-1']);
    expect(deployment.stacks[0]).toBe(global);
  });

  it("deploys the primary data-analytics stack after the secondary's, whose bus its global endpoint names", () => {
    const { primary, secondary } = deployment.dataAnalytics;
    expect(primary.dependencies).toContain(secondary);
    expect(secondary.dependencies).toEqual([]);
  });

  it("deploys the secondary IoT services stack after the primary's, which owns the journal", () => {
    const { primary, secondary } = deployment.iotServices;
    expect(secondary.dependencies).toContain(primary);
    expect(primary.dependencies).toEqual([]);
    templates.get(primary)!.resourcePropertiesCountIs('AWS::DynamoDB::GlobalTable', { TableName: 'iot-dr-journal' }, 1);
    templates.get(secondary)!.resourcePropertiesCountIs('AWS::DynamoDB::GlobalTable', { TableName: 'iot-dr-journal' }, 0);
    templates.get(secondary)!.resourceCountIs('Custom::IotDrReplicaStreamArn', 1);
  });

  it('gives every workload stack a health API callable by its region\'s aggregator, with the HealthApiUrl output', () => {
    for (const prop of ['iotServices', 'commandControl', 'dataAnalytics'] as const) {
      for (const stack of [deployment[prop].primary, deployment[prop].secondary]) {
        const template = templates.get(stack)!;
        // The command-control stacks hold the command API besides.
        template.resourceCountIs('AWS::ApiGateway::RestApi', prop === 'commandControl' ? 2 : 1);
        template.hasResourceProperties('AWS::ApiGateway::RestApi', {
          Policy: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Sid: 'AllowHealthCheckAggregators',
                Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::111111111111:role/cdk-iot-dr-health-aggregator-${stack.region}`]] } },
              }),
            ]),
          },
        });
        expect(template.toJSON().Outputs.HealthApiUrl).toBeDefined();
      }
    }
  });

  it('places the aggregators, the steps, the failover in the global stack and the plan in the primary', () => {
    const { primary, secondary } = deployment.sharedServices;
    expect(primary.healthCheckAggregator).toBeDefined();
    expect(secondary.healthCheckAggregator).toBeDefined();
    const global = templates.get(deployment.globalFailover)!;
    global.resourceCountIs('AWS::Route53::HostedZone', 1);
    global.resourceCountIs('AWS::Route53::HealthCheck', 2);
    for (const region of ['us-west-2', 'us-east-1']) {
      global.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({ FullyQualifiedDomainName: `health-${region}.example.com`, ResourcePath: '/health', Port: 443, RequestInterval: 10 }),
      });
    }
    global.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'iot.example.com.', Failover: 'PRIMARY', ResourceRecords: ['a1b2c3d4e5f6g7-ats.iot.us-west-2.amazonaws.com'] });
    global.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'iot.example.com.', Failover: 'SECONDARY', ResourceRecords: ['a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com'] });
    expect(global.toJSON().Outputs.EstimatedRtoSeconds.Value).toBe('57');
    expect(deployment.estimatedRto?.toSeconds()).toBe(57);
    expect(deployment.failoverRouting?.node.scope).toBe(deployment.globalFailover);
    expect(deployment.failoverNotifier?.node.scope).toBe(deployment.globalFailover);
    templates.get(secondary)!.resourceCountIs('AWS::Route53::HealthCheck', 0);
    // The command API behind api.<domain>, on the same health checks.
    global.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Failover: 'PRIMARY', ResourceRecords: ['d-pppppppp04.execute-api.us-west-2.amazonaws.com'] });
    global.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Failover: 'SECONDARY', ResourceRecords: ['d-ssssssss04.execute-api.us-east-1.amazonaws.com'] });
    expect(deployment.regionSwitchPlan?.node.scope).toBe(primary);
    expect(deployment.regionSwitchSteps?.primary.node.scope).toBe(primary);
    expect(deployment.regionSwitchSteps?.secondary.node.scope).toBe(secondary);
    templates.get(primary)!.resourceCountIs('AWS::ARCRegionSwitch::Plan', 1);
    for (const stack of [primary, secondary]) {
      const template = templates.get(stack)!;
      template.hasResourceProperties('AWS::IAM::Role', { RoleName: `cdk-iot-dr-health-aggregator-${stack.region}` });
      template.hasResourceProperties('AWS::ApiGateway::DomainName', { DomainName: `health-${stack.region}.example.com`, SecurityPolicy: 'TLS_1_2' });
      template.hasResourceProperties('AWS::Route53::RecordSet', { Name: `health-${stack.region}.example.com.`, Type: 'A' });
    }
    // The Region switch steps read each region's parked items by the parking queue's fixed name.
    for (const stack of [primary, secondary]) {
      const functions = Object.values(templates.get(stack)!.findResources('AWS::Lambda::Function'));
      expect(JSON.stringify(functions.map((f) => f.Properties.Environment ?? {}))).toContain('cdk-iot-dr-parking');
    }
    // The failover services' own alarms notify an encrypted topic in their stack.
    for (const stack of [primary, secondary]) {
      const template = templates.get(stack)!;
      const topicId: string = template.toJSON().Outputs.AlarmTopicArn.Value.Ref;
      template.hasResource('AWS::SNS::Topic', {});
      expect(template.toJSON().Resources[topicId].Properties.KmsMasterKeyId).toBeDefined();
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
        /aggregator|notifier|Aggregator|Notifier/.test(JSON.stringify(a.Properties.AlarmDescription ?? '') + JSON.stringify(a.Properties.Dimensions ?? '')),
      );
      const notified = alarms.filter((a) => JSON.stringify(a.Properties.AlarmActions ?? []).includes(topicId));
      expect(notified.length).toBeGreaterThanOrEqual(2);
    }
    // One direction only: the regional stacks read the global stack (its health checks), never the reverse.
    expect(primary.dependencies).toEqual(expect.arrayContaining([deployment.globalFailover, secondary]));
    expect(secondary.dependencies).toEqual([deployment.globalFailover]);
    expect(deployment.globalFailover.dependencies).toEqual([]);
  });

  it('gives the IoT services stacks the custom domain and the failover access role', () => {
    for (const stack of [deployment.iotServices.primary, deployment.iotServices.secondary]) {
      const template = templates.get(stack)!;
      template.hasResourceProperties('AWS::IoT::DomainConfiguration', { DomainName: 'iot.example.com', ServiceType: 'DATA' });
      template.hasResourceProperties('AWS::IAM::Role', { RoleName: `cdk-iot-dr-failover-access-${stack.region}` });
      // The health check reads this region's replay parking queue and the pipeline's metrics as readiness.
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            IOT_DATA_ENDPOINT: `https://a1b2c3d4e5f6g7-ats.iot.${stack.region}.amazonaws.com`,
            PARKING_QUEUE_URL: { Ref: logicalId(stack.registryReplication.replay.parkingQueue) },
            METRICS_NAMESPACE: 'IotDr',
          }),
        },
      });
      template.hasOutput('HealthApiUrl', { Description: Match.stringLikeRegexp(`failover.healthApiUrls.${stack.regionRole}.iotServices$`) });
    }
  });

  it('matches the snapshots of both IoT services stacks', () => {
    expect(templates.get(deployment.iotServices.primary)!.toJSON()).toMatchSnapshot('primary');
    expect(templates.get(deployment.iotServices.secondary)!.toJSON()).toMatchSnapshot('secondary');
  });

  it('takes a stack name prefix and replication settings', () => {
    const app = testApp();
    const custom = new IotDrDeployment(app, 'Platform', {
      topology: DrTopology.DEFAULT,
      stackNamePrefix: 'fleet-dr',
      registryReplication: { journalProps: { tableName: 'fleet-journal' }, metricsNamespace: 'Fleet' },
    });
    expect(custom.iotServices.primary.stackName).toBe('fleet-dr-IotServices-us-west-2');
    const template = Template.fromStack(custom.iotServices.primary);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'fleet-journal' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Fleet' });
  });
});

describe('IotDrDeployment per-region settings', () => {
  const KEYS = {
    primary: 'arn:aws:kms:us-west-2:222222222222:key/primary-key',
    secondary: 'arn:aws:kms:us-east-1:222222222222:key/secondary-key',
  };
  const TOPICS = {
    primary: 'arn:aws:sns:us-west-2:222222222222:iot-dr-alarms',
    secondary: 'arn:aws:sns:us-east-1:222222222222:iot-dr-alarms',
  };
  let deployment: IotDrDeployment;
  let primary: Template;
  let secondary: Template;

  beforeAll(() => {
    deployment = new IotDrDeployment(testApp(), 'IotDr', {
      topology: DrTopology.DEFAULT,
      regionalReplication: {
        primary: { encryptionKeyArn: KEYS.primary, alarmTopicArn: TOPICS.primary },
        secondary: { encryptionKeyArn: KEYS.secondary, alarmTopicArn: TOPICS.secondary },
      },
    });
    primary = Template.fromStack(deployment.iotServices.primary);
    secondary = Template.fromStack(deployment.iotServices.secondary);
  });

  it("encrypts the journal with each region's key, the primary naming the secondary's for the replica it creates", () => {
    primary.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'iot-dr-journal',
      Replicas: Match.arrayWith([
        Match.objectLike({ Region: 'us-east-1', SSESpecification: { KMSMasterKeyId: KEYS.secondary } }),
        Match.objectLike({ Region: 'us-west-2', SSESpecification: { KMSMasterKeyId: KEYS.primary } }),
      ]),
    });
    // Only the replica the primary creates names the secondary's key; the secondary never sees the primary's.
    expect(JSON.stringify(primary.toJSON()).match(/key\/secondary-key/g)).toHaveLength(1);
    expect(JSON.stringify(secondary.toJSON())).not.toContain('primary-key');
  });

  it("encrypts each region's echo ledger and queues with that region's key", () => {
    for (const [template, key] of [
      [primary, KEYS.primary],
      [secondary, KEYS.secondary],
    ] as const) {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
        Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: key } })],
      });
      // Capture's queue and dead-letter queue, replay's parking and dead-letter queues, the telemetry buffer and its dead-letter queue.
      template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: key }, 6);
    }
  });

  it("sends each region's alarms to that region's topic", () => {
    for (const [template, topic] of [
      [primary, TOPICS.primary],
      [secondary, TOPICS.secondary],
    ] as const) {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      // The replication's twelve and the health API's.
      expect(alarms).toHaveLength(16);
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topic]);
      // A given topic is used as it is: no topic or topic key is created.
      template.resourceCountIs('AWS::SNS::Topic', 0);
      expect(template.toJSON().Outputs.AlarmTopicArn.Value).toBe(topic);
    }
  });

  it('creates a KMS-encrypted, TLS-only topic per region for every alarm when none is given', () => {
    const created = new IotDrDeployment(testApp(), 'IotDr', { topology: DrTopology.DEFAULT });
    for (const stack of [created.iotServices.primary, created.iotServices.secondary]) {
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::SNS::Topic', 1);
      const topicId = logicalId(stack.alarmTopic);
      const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0];
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowCloudWatchAlarmsToPublish',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': stack.account } },
            },
          ]),
        },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(16);
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('gives operators the journal, the dead-letter and parking queues and both redrive commands as stack outputs', () => {
    const created = new IotDrDeployment(testApp(), 'IotDr', { topology: DrTopology.DEFAULT });
    const stack = created.iotServices.secondary;
    const { journal, capture, replay } = stack.registryReplication;
    const outputs = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.JournalTableName.Value).toBe('iot-dr-journal');
    expect(outputs.CaptureDeadLetterQueueUrl.Value).toEqual({ Ref: logicalId(capture.deadLetterQueue) });
    expect(outputs.AlarmTopicArn.Value).toEqual({ Ref: logicalId(stack.alarmTopic) });
    expect(stack.resolve(outputs.CaptureRedriveCommand.Value)).toEqual({
      'Fn::Join': [
        '',
        [
          'aws sqs start-message-move-task --source-arn ',
          { 'Fn::GetAtt': [logicalId(capture.deadLetterQueue), 'Arn'] },
          ' --destination-arn ',
          { 'Fn::GetAtt': [logicalId(capture.queue), 'Arn'] },
          ` --region ${stack.region}`,
        ],
      ],
    });
    const keys = Object.keys(outputs);
    for (const prefix of ['RegistryReplicationReplayRedriveCommand', 'RegistryReplicationReplayDeadLetterQueueUrl', 'RegistryReplicationReplayParkingQueueUrl']) {
      expect(keys.some((k) => k.startsWith(prefix))).toBe(true);
    }
    expect(keys.some((k) => k === 'DashboardName')).toBe(false);
    expect(journal.tableName).toBe('iot-dr-journal');
    expect(replay.dashboard).toBeUndefined();
  });

  it('names the dashboard in an output when replay creates one', () => {
    const created = new IotDrDeployment(testApp(), 'IotDr', { topology: DrTopology.DEFAULT, registryReplication: { replay: { dashboard: true } } });
    const stack = created.iotServices.primary;
    const outputs = Template.fromStack(stack).toJSON().Outputs;
    expect(outputs.DashboardName.Value).toEqual({ Ref: logicalId(stack.registryReplication.replay.dashboard!) });
  });

  it('still lets a topic created in a stack receive its alarms afterwards', () => {
    const custom = new IotDrDeployment(testApp(), 'IotDr', { topology: DrTopology.DEFAULT });
    const stack = custom.iotServices.primary;
    const topic = new sns.Topic(stack, 'Alarms');
    stack.registryReplication.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    const alarms = Object.entries(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))
      .filter(([id]) => !id.startsWith('HealthApi') && !id.startsWith('TelemetryForwarder'))
      .map(([, alarm]) => alarm);
    expect(alarms).toHaveLength(12);
    // The stack's own topic first, then the one added.
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(stack.alarmTopic) }, { Ref: expect.stringMatching(/^Alarms/) }]);
    const secondary = custom.iotServices.secondary;
    for (const alarm of Object.values(Template.fromStack(secondary).findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(secondary.alarmTopic) }]);
    }
  });

  it.each<[string, object, RegExp]>([
    [
      'a key in one region only',
      { primary: { encryptionKeyArn: KEYS.primary } },
      /IotDr\/IotServicesPrimary: regionalReplication.primary.encryptionKeyArn is set but regionalReplication.secondary.encryptionKeyArn is not/,
    ],
    [
      'a key of the other region',
      { primary: { encryptionKeyArn: KEYS.secondary }, secondary: { encryptionKeyArn: KEYS.secondary } },
      /regionalReplication.primary.encryptionKeyArn names a resource in 'us-east-1', but the primary region is 'us-west-2'/,
    ],
    [
      'a topic of the other region',
      { secondary: { alarmTopicArn: TOPICS.primary } },
      /IotDr\/IotServicesSecondary: regionalReplication.secondary.alarmTopicArn names a resource in 'us-west-2', but the secondary region is 'us-east-1'/,
    ],
    ['something else than a key', { primary: { encryptionKeyArn: TOPICS.primary }, secondary: { encryptionKeyArn: KEYS.secondary } }, /must be an ARN of kms, got one of 'sns'/],
  ])('rejects %s', (_what, regionalReplication, message) => {
    expect(() => new IotDrDeployment(testApp(), 'IotDr', { topology: DrTopology.DEFAULT, regionalReplication })).toThrow(message);
  });

  it('refuses a KMS key object among the settings both regions share', () => {
    const app = testApp();
    const keyStack = new Stack(app, 'Keys', { env: { account: '222222222222', region: 'us-west-2' } });
    const key = new kms.Key(keyStack, 'Key');
    expect(() => new IotDrDeployment(app, 'IotDr', { topology: DrTopology.DEFAULT, registryReplication: { replay: { queueEncryptionKey: key } } })).toThrow(
      /registryReplication.replay.queueEncryptionKey cannot be set: these settings apply to both regions.*regionalReplication.primary.encryptionKeyArn/,
    );
  });
});


describe('IotDrDeployment failover placement', () => {
  const ACCOUNTS = DrTopology.DEFAULT.accounts;
  const urls = (region: string, id: string) => ({
    iotServices: `https://${id}01.execute-api.${region}.amazonaws.com/v1/health`,
    commandControl: `https://${id}02.execute-api.${region}.amazonaws.com/v1/health`,
    dataAnalytics: `https://${id}03.execute-api.${region}.amazonaws.com/v1/health`,
  });
  const topology = (primaryRegion: string, secondaryRegion: string, failover: Partial<DrFailoverSettings> | null = {}): DrTopology =>
    new DrTopology({
      accounts: ACCOUNTS,
      primaryRegion,
      secondaryRegion,
      domainName: 'devices.example.org',
      ...(failover === null
        ? {}
        : {
            failover: {
              iotEndpointPrefix: 'a1b2c3d4e5f6g7',
              healthApiUrls: { primary: urls(primaryRegion, 'pppppppp'), secondary: urls(secondaryRegion, 'ssssssss') },
              ...failover,
            },
          }),
    });

  it('puts the global shared-services stack in us-east-1 when neither region is us-east-1, without a dependency cycle', () => {
    const app = testApp();
    const deployment = new IotDrDeployment(app, 'IotDr', { topology: topology('eu-west-1', 'eu-central-1') });
    const global = deployment.globalFailover;
    expect([global.stackName, global.account, global.region]).toEqual(['IotDr-SharedServices-global', '111111111111', 'us-east-1']);
    expect(deployment.stacks).toHaveLength(9);
    expect(deployment.stacks).toContain(global);
    const template = Template.fromStack(global);
    template.resourceCountIs('AWS::Route53::HealthCheck', 2);
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.notifyFailover' }, 1);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    expect(template.toJSON().Outputs.EstimatedRtoSeconds.Value).toBe('57');
    const { primary, secondary } = deployment.sharedServices;
    // Synthesis resolves the cross-region references into stack dependencies.
    const assembly = app.synth();
    expect(assembly.getStackByName('IotDr-SharedServices-global').template.Resources).toBeDefined();
    expect(global.dependencies).toEqual([]);
    expect(secondary.dependencies).toEqual([global]);
    expect(primary.dependencies).toEqual(expect.arrayContaining([global, secondary]));
    expect(deployment.regionSwitchPlan?.node.scope).toBe(primary);
    for (const stack of [primary, secondary]) Template.fromStack(stack).resourceCountIs('AWS::Route53::HealthCheck', 0);
  });

  it("keeps the global stack apart from the primary region's stack when the primary is us-east-1 (the global stack depends on no other)", () => {
    const app = testApp();
    const deployment = new IotDrDeployment(app, 'IotDr', { topology: topology('us-east-1', 'us-west-2') });
    const { primary, secondary } = deployment.sharedServices;
    const global = deployment.globalFailover;
    expect([global.region, primary.region]).toEqual(['us-east-1', 'us-east-1']);
    expect(global.stackName).not.toBe(primary.stackName);
    expect(deployment.failoverRouting?.node.scope).toBe(global);
    expect(deployment.regionSwitchPlan?.node.scope).toBe(primary);
    // Synthesis resolves the cross-region references into stack dependencies.
    app.synth();
    expect(global.dependencies).toEqual([]);
    expect(secondary.dependencies).toEqual([global]);
    expect(primary.dependencies).toEqual(expect.arrayContaining([global, secondary]));
  });

  it('imports an existing hosted zone by id instead of creating one', () => {
    const deployment = new IotDrDeployment(testApp(), 'IotDr', { topology: topology('us-west-2', 'us-east-1', { hostedZoneId: 'Z0123456789ABCDEFGHIJ' }) });
    const { primary } = deployment.sharedServices;
    Template.fromStack(deployment.globalFailover).resourceCountIs('AWS::Route53::HostedZone', 0);
    Template.fromStack(primary).hasResourceProperties('AWS::Route53::RecordSet', { HostedZoneId: 'Z0123456789ABCDEFGHIJ', Name: 'health-us-west-2.devices.example.org.' });
    Template.fromStack(primary).hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainValidationOptions: [{ DomainName: 'health-us-west-2.devices.example.org', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    expect(Template.fromStack(deployment.globalFailover).toJSON().Outputs.HostedZoneNameServers).toBeUndefined();
  });

  it('leaves the plan out when failover.regionSwitchPlan is false', () => {
    const deployment = new IotDrDeployment(testApp(), 'IotDr', { topology: topology('us-west-2', 'us-east-1', { regionSwitchPlan: false }) });
    expect(deployment.regionSwitchPlan).toBeUndefined();
    Template.fromStack(deployment.sharedServices.primary).resourceCountIs('AWS::ARCRegionSwitch::Plan', 0);
    expect(deployment.regionSwitchSteps).toBeDefined();
  });

  it('uses existing IoT certificates instead of requesting them', () => {
    const iotCertificateArns = {
      primary: 'arn:aws:acm:us-west-2:222222222222:certificate/11111111-2222-3333-4444-555555555555',
      secondary: 'arn:aws:acm:us-east-1:222222222222:certificate/66666666-7777-8888-9999-000000000000',
    };
    const deployment = new IotDrDeployment(testApp(), 'IotDr', { topology: topology('us-west-2', 'us-east-1', { iotCertificateArns }) });
    const template = Template.fromStack(deployment.iotServices.secondary);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.hasResourceProperties('AWS::IoT::DomainConfiguration', { ServerCertificateArns: [iotCertificateArns.secondary] });
  });

  it('fails synthesis when the estimated recovery time exceeds failover.recoveryTimeObjectiveSeconds', () => {
    expect(() => new IotDrDeployment(testApp(), 'IotDr', { topology: topology('us-west-2', 'us-east-1', { recoveryTimeObjectiveSeconds: 45 }) })).toThrow(
      /IotDr\/SharedServicesGlobal\/FailoverRouting: the estimated worst-case recovery time 57 s exceeds recoveryTimeObjective 45 s: detection 32 s/,
    );
    const relaxed = new IotDrDeployment(testApp(), 'IotDr', { topology: topology('us-west-2', 'us-east-1', { recoveryTimeObjectiveSeconds: 57 }) });
    expect(relaxed.estimatedRto?.toSeconds()).toBe(57);
  });

  it.each<[string, DrTopology]>([
    ['no failover settings', topology('eu-west-1', 'eu-central-1', null)],
    ['no health API URLs yet', new DrTopology({ accounts: ACCOUNTS, primaryRegion: 'eu-west-1', secondaryRegion: 'eu-central-1', domainName: 'devices.example.org', failover: { iotEndpointPrefix: 'a1b2c3d4e5f6g7' } })],
  ])('with %s, creates the health APIs only and says which outputs to copy where', (what, phaseOne) => {
    const deployment = new IotDrDeployment(testApp(), 'IotDr', { topology: phaseOne });
    expect(deployment.stacks).toHaveLength(9);
    expect(deployment.failoverRouting).toBeUndefined();
    expect(deployment.estimatedRto).toBeUndefined();
    for (const stack of [deployment.sharedServices.primary, deployment.sharedServices.secondary]) {
      expect(stack.healthCheckAggregator).toBeUndefined();
      expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
    }
    expect(Template.fromStack(deployment.globalFailover).toJSON().Resources ?? {}).toEqual({});
    Template.fromStack(deployment.iotServices.primary).resourceCountIs('AWS::ApiGateway::RestApi', 1);
    Template.fromStack(deployment.iotServices.primary).resourceCountIs('AWS::IoT::DomainConfiguration', 0);
    expect(deployment.iotServices.primary.iotCustomDomain).toBeUndefined();
    const warnings = Annotations.fromStack(deployment.sharedServices.secondary).findWarning('*', Match.stringLikeRegexp('phase one of two'));
    expect(warnings).toHaveLength(1);
    const text = JSON.stringify(warnings[0].entry.data);
    for (const part of [
      'IotDr-IotServices-eu-central-1.HealthApiUrl -> failover.healthApiUrls.secondary.iotServices',
      'IotDr-CommandControl-eu-central-1.HealthApiUrl -> failover.healthApiUrls.secondary.commandControl',
      'IotDr-DataAnalytics-eu-central-1.HealthApiUrl -> failover.healthApiUrls.secondary.dataAnalytics',
      'deploy again',
    ]) {
      expect(text).toContain(part);
    }
    expect(text.includes('failover.iotEndpointPrefix')).toBe(what === 'no failover settings');
  });
});
