import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { logicalId, testApp } from './helpers';
import { DrTopology, IotDrDeployment } from '../../lib';

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

  it('creates eight stacks', () => {
    expect(deployment.stacks).toHaveLength(8);
  });

  it("deploys the secondary IoT services stack after the primary's, which owns the journal", () => {
    const { primary, secondary } = deployment.iotServices;
    expect(secondary.dependencies).toContain(primary);
    expect(primary.dependencies).toEqual([]);
    templates.get(primary)!.resourcePropertiesCountIs('AWS::DynamoDB::GlobalTable', { TableName: 'iot-dr-journal' }, 1);
    templates.get(secondary)!.resourcePropertiesCountIs('AWS::DynamoDB::GlobalTable', { TableName: 'iot-dr-journal' }, 0);
    templates.get(secondary)!.resourceCountIs('Custom::IotDrReplicaStreamArn', 1);
  });

  it('leaves the other accounts without resources for now', () => {
    for (const prop of ['sharedServices', 'commandControl', 'dataAnalytics'] as const) {
      for (const stack of [deployment[prop].primary, deployment[prop].secondary]) {
        expect(templates.get(stack)!.toJSON().Resources ?? {}).toEqual({});
      }
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
      // Capture's queue and dead-letter queue, replay's parking and dead-letter queues.
      template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: key }, 4);
    }
  });

  it("sends each region's alarms to that region's topic", () => {
    for (const [template, topic] of [
      [primary, TOPICS.primary],
      [secondary, TOPICS.secondary],
    ] as const) {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(12);
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
      expect(alarms).toHaveLength(12);
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
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
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

