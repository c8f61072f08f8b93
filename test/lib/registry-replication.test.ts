import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EchoLedger, IotRegistryReplication, type IotRegistryReplicationProps, ManagementEventsTrail, ReplicationJournal } from '../../lib';
import { ACCOUNT, PRIMARY, SECONDARY, getAtt, ref, stackIn, testApp } from './helpers';

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
        capture: { tombstoneTtl: Duration.days(20) },
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
      expect(replication.echoLedger).toBeInstanceOf(EchoLedger);
      expect(replication.echoLedger.node.scope).toBe(replication);
      template.hasResourceProperties('AWS::Pipes::Pipe', { Source: getAtt(replication.journal.node.defaultChild!, 'StreamArn') });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            ECHO_LEDGER_TABLE_NAME: ref(replication.echoLedger.table),
            TOMBSTONE_TTL_SECONDS: String(20 * 24 * 3600),
            METRICS_NAMESPACE: 'Fleet',
          }),
        },
      });
    });

    it('sends every alarm to the given actions', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(9);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alarms/) }]);
      }
    });
  });

  describe('in the peer region', () => {
    let template: Template;

    beforeAll(() => {
      const stack = stackIn(SECONDARY);
      new IotRegistryReplication(stack, 'Replication', { peerRegion: PRIMARY, ownsJournal: false, journalProps: { tableName: 'fleet-journal' } });
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
    const replication = new IotRegistryReplication(stack, 'Replication', { peerRegion: PRIMARY, existingJournal: journal });
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
      journalProps: { encryptionKey: key, peerEncryptionKeyArn: peerKey },
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

  const existing = () => ({}) as NonNullable<IotRegistryReplicationProps['existingJournal']>;
  it.each<[string, Partial<IotRegistryReplicationProps>, RegExp]>([
    [
      'existingJournal with journalProps',
      { existingJournal: existing(), journalProps: { tableName: 'x-journal' } },
      /Test-us-west-2\/Replication: give either existingJournal or journalProps, not both/,
    ],
    ['existingJournal with ownsJournal', { existingJournal: existing(), ownsJournal: true }, /remove it when passing existingJournal/],
    [
      'existingEchoLedger with echoLedgerProps',
      { ownsJournal: true, existingEchoLedger: {} as any, echoLedgerProps: {} },
      /give either existingEchoLedger or echoLedgerProps, not both/,
    ],
    ['neither ownsJournal nor existingJournal', {}, /set ownsJournal: true in the region whose stack creates the journal/],
    [
      'owner-only journal settings in the peer region',
      { ownsJournal: false, journalProps: { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY } },
      /journalProps.deletionProtection, journalProps.removalPolicy applies only where ownsJournal is true/,
    ],
    ['the own region as peer', { ownsJournal: true, peerRegion: PRIMARY }, /peerRegion must differ from this stack's region 'us-west-2'/],
    ['a malformed peer region', { ownsJournal: true, peerRegion: 'east' }, /peerRegion must be a region name such as 'us-east-1', got 'east'/],
    ['a misspelt peer region', { ownsJournal: true, peerRegion: 'us-esat-1' }, /peerRegion must be a region name such as 'us-east-1', got 'us-esat-1'; did you mean 'us-east-1'\?/],
    [
      'a peer key without a key',
      { ownsJournal: true, journalProps: { peerEncryptionKeyArn: 'arn' } },
      /journalProps.peerEncryptionKeyArn is only used with journalProps.encryptionKey/,
    ],
    [
      'a namespace for the pipeline and for a part',
      { ownsJournal: true, metricsNamespace: 'Fleet', replay: { metricsNamespace: 'Other' } },
      /give either metricsNamespace \(for capture and replay\) or replay.metricsNamespace, not both/,
    ],
    [
      'a log retention for the pipeline and for a part',
      { ownsJournal: true, logRetention: logs.RetentionDays.ONE_YEAR, capture: { logRetention: logs.RetentionDays.ONE_DAY }, replay: { logRetention: logs.RetentionDays.ONE_DAY } },
      /give either logRetention \(for capture and replay\) or replay.logRetention, not both/,
    ],
  ])('rejects %s', (_what, props, message) => {
    const stack = stackIn(PRIMARY);
    expect(() => new IotRegistryReplication(stack, 'Replication', { peerRegion: SECONDARY, ...props })).toThrow(message);
  });

  it('needs the peer key when the owner uses a customer managed key', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    expect(
      () => new IotRegistryReplication(stack, 'Replication', { peerRegion: SECONDARY, ownsJournal: true, journalProps: { encryptionKey: key } }),
    ).toThrow(/Test-us-west-2\/Replication: with journalProps.encryptionKey, journalProps.peerEncryptionKeyArn must name the key for the replica in us-east-1/);
  });

  it("reaches every part's settings: journal, echo ledger, capture and replay", () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    const replication = new IotRegistryReplication(stack, 'Replication', {
      peerRegion: SECONDARY,
      ownsJournal: true,
      journalProps: { tableName: 'fleet-journal', deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY },
      echoLedgerProps: { tableName: 'fleet-echoes' },
      capture: { queueEncryptionKey: key, enableRegistryEvents: false, logRetention: logs.RetentionDays.ONE_YEAR },
      replay: { batchSize: 20, handlerTimeout: Duration.seconds(10), echoTtl: Duration.minutes(30), queueEncryptionKey: key, dashboard: true },
    });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ TableName: 'fleet-journal', Replicas: Match.arrayWith([Match.objectLike({ DeletionProtectionEnabled: false })]) }),
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'fleet-echoes' });
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { KmsMasterKeyId: getAtt(key, 'Arn') }, 4);
    template.resourceCountIs('Custom::IotDrRegistryEventConfigurations', 0);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.hasResourceProperties('AWS::Pipes::Pipe', { SourceParameters: { DynamoDBStreamParameters: Match.objectLike({ BatchSize: 20 }) } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.replayThing',
      Timeout: 10,
      Environment: { Variables: Match.objectLike({ ECHO_TTL_SECONDS: '1800' }) },
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(replication.peerRegion).toBe(SECONDARY);
  });

  it("tells capture the roles of replay, parking and the reconciler: their CloudTrail events are echoes", () => {
    const stack = stackIn(PRIMARY);
    const replication = new IotRegistryReplication(stack, 'Replication', {
      peerRegion: SECONDARY,
      ownsJournal: true,
      reconciler: {},
      capture: { managementEventsTrail: ManagementEventsTrail.EXISTING, replicateShadows: true },
    });
    const template = Template.fromStack(stack);
    const capture = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler', Description: Match.stringLikeRegexp('registry events') } }));
    expect(capture).toHaveLength(1);
    const variables = capture[0].Properties.Environment.Variables;
    const roles = [
      ...Object.values(replication.replay.functions).map((f) => f.role!),
      replication.replay.parkingFunction.role!,
      replication.reconciler!.function.role!,
    ];
    expect(variables.OWN_ROLE_ARNS).toEqual({ 'Fn::Join': ['', roles.flatMap((r, i) => (i === 0 ? [getAtt(r, 'Arn')] : [',', getAtt(r, 'Arn')]))] });
    expect(roles.length).toBeGreaterThanOrEqual(Object.keys(replication.replay.functions).length + 2);
    expect(variables.SHADOWS_ENABLED).toBe('true');
    template.resourceCountIs('AWS::CloudTrail::Trail', 0);
  });

  it('replicates shadows in capture and replay alike, or refuses to', () => {
    const both = new IotRegistryReplication(stackIn(PRIMARY), 'Replication', { peerRegion: SECONDARY, ownsJournal: true, replicateShadows: true });
    expect(both.capture.replicatesShadows).toBe(true);
    expect(Object.keys(both.replay.functions)).toContain('ReplayShadow');
    expect(() =>
      new IotRegistryReplication(stackIn(PRIMARY), 'Replication', { peerRegion: SECONDARY, ownsJournal: true, replicateShadows: true, capture: { replicateShadows: true } }),
    ).toThrow(/Replication: give either replicateShadows \(for capture and replay\) or capture.replicateShadows and replay.replicateShadows, not both/);
    expect(() =>
      new IotRegistryReplication(stackIn(PRIMARY), 'Replication', { peerRegion: SECONDARY, ownsJournal: true, capture: { replicateShadows: true }, replay: { replicateShadows: false } }),
    ).toThrow(/capture.replicateShadows \(true\) and replay.replicateShadows \(false\) must agree/);
  });

  it('encrypts the echo ledger with its own key when given one', () => {
    const stack = stackIn(PRIMARY);
    const journalKey = new kms.Key(stack, 'JournalKey');
    const ledgerKey = new kms.Key(stack, 'LedgerKey');
    const replication = new IotRegistryReplication(stack, 'Replication', {
      peerRegion: SECONDARY,
      ownsJournal: true,
      journalProps: { encryptionKey: journalKey, peerEncryptionKeyArn: `arn:aws:kms:${SECONDARY}:222222222222:key/peer` },
      echoLedgerProps: { encryptionKey: ledgerKey },
    });
    expect(replication.echoLedger.encryptionKey).toBe(ledgerKey);
    expect(replication.journal.encryptionKey).toBe(journalKey);
  });

  it('uses an existing echo ledger as it is', () => {
    const stack = stackIn(PRIMARY);
    const ledger = EchoLedger.fromTable(stack, 'Ledger', dynamodb.TableV2.fromTableName(stack, 'LedgerTable', 'shared-echoes'));
    const replication = new IotRegistryReplication(stack, 'Replication', { peerRegion: SECONDARY, ownsJournal: true, existingEchoLedger: ledger });
    expect(replication.echoLedger).toBe(ledger);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ECHO_LEDGER_TABLE_NAME: 'shared-echoes' }) } });
  });
});

describe('IotRegistryReplication pairs in one app', () => {
  type Half = Partial<IotRegistryReplicationProps>;

  /** Both halves in one app; returns what synthesis reports. */
  function synthPair(primary: Half & { region?: string }, secondary: Half & { region?: string }): string | undefined {
    const app = testApp();
    const a = new Stack(app, 'Primary', { env: { account: ACCOUNT, region: primary.region ?? PRIMARY } });
    const b = new Stack(app, 'Secondary', { env: { account: ACCOUNT, region: secondary.region ?? SECONDARY } });
    const { region: _a, ...aProps } = primary;
    const { region: _b, ...bProps } = secondary;
    new IotRegistryReplication(a, 'Replication', { peerRegion: SECONDARY, ownsJournal: true, ...aProps });
    new IotRegistryReplication(b, 'Replication', { peerRegion: PRIMARY, ownsJournal: false, ...bProps });
    try {
      app.synth();
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  it('accepts two halves that fit', () => {
    expect(synthPair({}, {})).toBeUndefined();
  });

  it('refuses two owners, naming both constructs', () => {
    expect(synthPair({}, { ownsJournal: true })).toMatch(
      /Primary\/Replication and its peer Secondary\/Replication both own the journal \(ownsJournal: true\).*set ownsJournal: false in the other/,
    );
  });

  it('refuses a pair with no owner', () => {
    expect(synthPair({ ownsJournal: false }, {})).toMatch(/neither Primary\/Replication nor its peer Secondary\/Replication owns the journal/);
  });

  it('refuses different table names', () => {
    expect(synthPair({ journalProps: { tableName: 'a-journal' } }, { journalProps: { tableName: 'b-journal' } })).toMatch(
      /Primary\/Replication uses journal table 'a-journal' and its peer Secondary\/Replication uses 'b-journal'/,
    );
  });

  it('refuses peers that do not name each other', () => {
    expect(synthPair({}, { peerRegion: 'eu-west-1' })).toMatch(
      /Primary\/Replication \(in us-west-2\) has peerRegion 'us-east-1', but Secondary\/Replication there has peerRegion 'eu-west-1': the two halves of a pair must name each other's region/,
    );
  });

  it('reports a shared problem once', () => {
    const message = synthPair({}, { ownsJournal: true })!;
    expect(message.match(/both own the journal/g)).toHaveLength(1);
  });

  it('ignores replication in other accounts and a peer outside the app', () => {
    const app = testApp();
    const a = new Stack(app, 'Primary', { env: { account: ACCOUNT, region: PRIMARY } });
    const b = new Stack(app, 'Other', { env: { account: '999999999999', region: SECONDARY } });
    new IotRegistryReplication(a, 'Replication', { peerRegion: SECONDARY, ownsJournal: true });
    new IotRegistryReplication(b, 'Replication', { peerRegion: PRIMARY, ownsJournal: true });
    expect(() => app.synth()).not.toThrow();
  });
});
