import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IotRegistryReplication, type IotRegistryReplicationProps, ReplicationJournal } from '../../../lib';
import { PRIMARY, SECONDARY, getAtt, ref, stackIn } from '../helpers';

describe('IotRegistryReplication', () => {
  describe('in the region that owns the journal', () => {
    let stack: Stack;
    let replication: IotRegistryReplication;
    let template: Template;

    beforeAll(() => {
      stack = stackIn(PRIMARY);
      const topic = new sns.Topic(stack, 'Alarms');
      replication = new IotRegistryReplication(stack, 'Replication', {
        peerRegion: SECONDARY,
        ownsJournal: true,
        tombstoneTtl: Duration.days(20),
        metricsNamespace: 'Fleet',
        alarmActions: [new cloudwatchActions.SnsAction(topic)],
      });
      template = Template.fromStack(stack);
    });

    it('creates the global table with a replica in the peer region', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TableName: 'iot-dr-journal',
        Replicas: Match.arrayWith([Match.objectLike({ Region: SECONDARY }), Match.objectLike({ Region: PRIMARY })]),
      });
      expect(replication.journal).toBeInstanceOf(ReplicationJournal);
    });

    it('wires capture and replay to the same journal and echo ledger', () => {
      expect(replication.capture.node.scope).toBe(replication);
      expect(replication.echoLedger).toBe(replication.replay.echoLedger);
      template.hasResourceProperties('AWS::Pipes::Pipe', { Source: getAtt(replication.journal.node.defaultChild!, 'StreamArn') });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            ECHO_LEDGER_TABLE_NAME: ref(replication.echoLedger),
            TOMBSTONE_TTL_SECONDS: String(20 * 24 * 3600),
            METRICS_NAMESPACE: 'Fleet',
          }),
        },
      });
    });

    it('sends every alarm to the given actions', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(3);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alarms/) }]);
      }
    });
  });

  describe('in the peer region', () => {
    let template: Template;

    beforeAll(() => {
      const stack = stackIn(SECONDARY);
      new IotRegistryReplication(stack, 'Replication', { peerRegion: PRIMARY, ownsJournal: false, tableName: 'fleet-journal' });
      template = Template.fromStack(stack);
    });

    it('imports the replica and feeds the pipe its exact stream ARN', () => {
      template.resourcePropertiesCountIs('AWS::DynamoDB::GlobalTable', { TableName: 'fleet-journal' }, 0);
      template.hasResourceProperties('Custom::IotDrReplicaStreamArn', { Create: Match.stringLikeRegexp('"TableName":"fleet-journal"') });
      template.hasResourceProperties('AWS::Pipes::Pipe', {
        Source: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReplicationJournalStreamArnLookup'), 'Table.LatestStreamArn'] },
      });
      const [pipe] = Object.values(template.findResources('AWS::Pipes::Pipe'));
      expect(JSON.parse(pipe.Properties.SourceParameters.FilterCriteria.Filters[0].Pattern).dynamodb.NewImage.originRegion.S).toEqual([
        { 'anything-but': [SECONDARY] },
      ]);
    });
  });

  it('uses an existing journal as it is', () => {
    const stack = stackIn(SECONDARY);
    const journal = ReplicationJournal.fromReplica(stack, 'Existing', { owningRegion: PRIMARY });
    const replication = new IotRegistryReplication(stack, 'Replication', { peerRegion: PRIMARY, existingTable: journal });
    expect(replication.journal).toBe(journal);
    Template.fromStack(stack).resourceCountIs('Custom::IotDrReplicaStreamArn', 1);
  });

  it('encrypts the journal, its replica and the echo ledger with customer managed keys', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    const peerKey = `arn:aws:kms:${SECONDARY}:222222222222:key/peer`;
    new IotRegistryReplication(stack, 'Replication', {
      peerRegion: SECONDARY,
      ownsJournal: true,
      encryptionKey: key,
      peerEncryptionKeyArn: peerKey,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'iot-dr-journal',
      Replicas: Match.arrayWith([Match.objectLike({ Region: SECONDARY, SSESpecification: { KMSMasterKeyId: peerKey } })]),
    });
    template.resourcePropertiesCountIs(
      'AWS::DynamoDB::GlobalTable',
      { Replicas: Match.arrayWith([Match.objectLike({ Region: PRIMARY, SSESpecification: { KMSMasterKeyId: getAtt(key, 'Arn') } })]) },
      2,
    );
  });

  const existing = () => ({}) as NonNullable<IotRegistryReplicationProps['existingTable']>;
  it.each<[string, Partial<IotRegistryReplicationProps>, RegExp]>([
    ['existingTable with tableProps', { existingTable: existing(), tableProps: {} }, /give either existingTable or tableProps, not both/],
    ['existingTable with a table name', { existingTable: existing(), tableName: 'x-journal' }, /give either existingTable or tableName, not both/],
    ['neither ownsJournal nor existingTable', {}, /set ownsJournal: true in the region whose stack creates the journal/],
    ['tableProps in the peer region', { ownsJournal: false, tableProps: {} }, /tableProps applies only where ownsJournal is true/],
    ['the own region as peer', { ownsJournal: true, peerRegion: PRIMARY }, /peerRegion must differ from this stack's region 'us-west-2'/],
    ['a malformed peer region', { ownsJournal: true, peerRegion: 'east' }, /peerRegion must be a region name such as 'us-east-1', got 'east'/],
    ['a peer key without a key', { ownsJournal: true, peerEncryptionKeyArn: 'arn' }, /peerEncryptionKeyArn is only used with encryptionKey/],
  ])('rejects %s', (_what, props, message) => {
    const stack = stackIn(PRIMARY);
    expect(() => new IotRegistryReplication(stack, 'Replication', { peerRegion: SECONDARY, ...props })).toThrow(message);
  });

  it('needs the peer key when the owner uses a customer managed key', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    expect(() => new IotRegistryReplication(stack, 'Replication', { peerRegion: SECONDARY, ownsJournal: true, encryptionKey: key })).toThrow(
      /Test-us-west-2\/Replication: with encryptionKey, peerEncryptionKeyArn must name the key for the replica in us-east-1/,
    );
  });
});
