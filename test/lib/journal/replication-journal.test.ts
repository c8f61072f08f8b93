import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { type IReplicationJournal, ReplicationJournal } from '../../../lib';
import { ACCOUNT, PRIMARY, SECONDARY, arnJoin, getAtt, policyStatements, stackIn, testApp } from '../helpers';

describe('ReplicationJournal (owning region)', () => {
  let journal: ReplicationJournal;
  let template: Template;

  beforeAll(() => {
    const stack = stackIn(PRIMARY);
    journal = new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY] });
    template = Template.fromStack(stack);
  });

  it('is one global table with the journal key schema, byRef index, stream and TTL', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'iot-dr-journal',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'ref', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byRef',
          KeySchema: [
            { AttributeName: 'ref', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
  });

  it('has a replica in the peer region and one here, both with PITR and deletion protection', () => {
    const replica = (region: string) => ({
      Region: region,
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [{ IndexName: 'byRef' }],
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: Match.arrayEquals([replica(SECONDARY), replica(PRIMARY)]),
    });
  });

  it('is retained when removed from the stack', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it("exposes this region's exact stream ARN and the index ARN", () => {
    const stack = Stack.of(journal);
    expect(stack.resolve(journal.streamArn)).toEqual(getAtt(journal.table, 'StreamArn'));
    expect(stack.resolve(journal.refIndexArn)).toEqual({
      'Fn::Join': ['', [getAtt(journal.table, 'Arn'), '/index/byRef']],
    });
    expect(journal.tableName).toBe(ReplicationJournal.DEFAULT_TABLE_NAME);
    expect(ReplicationJournal.DEFAULT_TABLE_NAME).toBe('iot-dr-journal');
    expect(journal.owningRegion).toBe(PRIMARY);
    expect(journal.encryptionKey).toBeUndefined();
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('ReplicationJournal options', () => {
  it('uses a customer managed key here and the given key in each replica region', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    const replicaKey = `arn:aws:kms:${SECONDARY}:${ACCOUNT}:key/replica`;
    new ReplicationJournal(stack, 'Journal', {
      replicaRegions: [SECONDARY],
      encryptionKey: key,
      replicaKeyArns: { [SECONDARY]: replicaKey },
      tableName: 'my.journal',
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'my.journal',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: Match.arrayWith([
        Match.objectLike({ Region: SECONDARY, DeletionProtectionEnabled: false, SSESpecification: { KMSMasterKeyId: replicaKey } }),
        Match.objectLike({ Region: PRIMARY, SSESpecification: { KMSMasterKeyId: getAtt(key, 'Arn') } }),
      ]),
    });
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });

  it.each([
    ['a name DynamoDB rejects', { tableName: 'no spaces' }, /Journal: tableName must be 3 to 255 characters .* got 'no spaces'/],
    ['no replica', { replicaRegions: [] }, /replicaRegions must name at least one region/],
    ['its own region as a replica', { replicaRegions: [PRIMARY] }, /replicaRegions must not include this stack's own region 'us-west-2'/],
    ['a malformed region', { replicaRegions: ['useast1'] }, /replicaRegions must hold literal region names .* got 'useast1'; did you mean 'us-east-1'\?/],
    ['a duplicate region', { replicaRegions: [SECONDARY, SECONDARY] }, /replicaRegions lists 'us-east-1' twice/],
    ['replica keys without a key', { replicaKeyArns: { [SECONDARY]: 'arn' } }, /replicaKeyArns is only used with encryptionKey/],
  ])('rejects %s', (_what, props, message) => {
    const stack = stackIn(PRIMARY);
    expect(() => new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY], ...props })).toThrow(message);
  });

  it('requires a replica key for every replica region with a customer managed key', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    expect(() => new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY], encryptionKey: key })).toThrow(
      /Test-us-west-2\/Journal: with encryptionKey, replicaKeyArns must name a key for every replica region; missing us-east-1/,
    );
  });

  it('needs a stack with an explicit region', () => {
    const stack = new Stack(testApp(), 'Agnostic');
    expect(() => new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY] })).toThrow(
      /Agnostic\/Journal: a global table needs a stack with an explicit region/,
    );
  });
});

describe('ReplicationJournal.fromReplica', () => {
  let stack: Stack;
  let replica: IReplicationJournal;
  let template: Template;

  beforeAll(() => {
    stack = stackIn(SECONDARY);
    replica = ReplicationJournal.fromReplica(stack, 'Journal', { owningRegion: PRIMARY });
    template = Template.fromStack(stack);
  });

  it('creates no table', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  it("reads the replica's latest stream ARN at deploy time, keeping only that field", () => {
    const call = {
      service: 'DynamoDB',
      action: 'describeTable',
      parameters: { TableName: 'iot-dr-journal' },
      outputPaths: ['Table.LatestStreamArn'],
      physicalResourceId: { responsePath: 'Table.LatestStreamArn' },
    };
    template.hasResourceProperties('Custom::IotDrReplicaStreamArn', {
      Create: JSON.stringify(call),
      Update: JSON.stringify(call),
      InstallLatestAwsSdk: false,
    });
    const lookup = replica.node.findChild('StreamArnLookup');
    expect(stack.resolve(replica.streamArn)).toEqual(getAtt(lookup.node.findChild('Resource').node.defaultChild!, 'Table.LatestStreamArn'));
  });

  it('may only describe that one table', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'dynamodb:DescribeTable', Effect: 'Allow', Resource: arnJoin('dynamodb', SECONDARY, 'table/iot-dr-journal') }],
      },
    });
  });

  it('exposes the local replica for IAM grants', () => {
    expect(replica.tableName).toBe('iot-dr-journal');
    expect(replica.owningRegion).toBe(PRIMARY);
    expect(stack.resolve(replica.tableArn)).toEqual(arnJoin('dynamodb', SECONDARY, 'table/iot-dr-journal'));
    expect(stack.resolve(replica.table.tableArn)).toEqual(arnJoin('dynamodb', SECONDARY, 'table/iot-dr-journal'));
    expect(stack.resolve(replica.refIndexArn)).toEqual(arnJoin('dynamodb', SECONDARY, 'table/iot-dr-journal/index/byRef'));
    expect(stack.resolve(replica.table.tableStreamArn)).toEqual(stack.resolve(replica.streamArn));
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  it.each([
    ['its own region', { owningRegion: SECONDARY }, /owningRegion 'us-east-1' is this stack's own region: create the journal here/],
    ['a malformed region', { owningRegion: 'west' }, /owningRegion must be a region name such as 'us-west-2', got 'west'/],
    ['an unknown region', { owningRegion: 'us-wset-2' }, /owningRegion must be a region name such as 'us-west-2', got 'us-wset-2'; did you mean 'us-west-2'\?/],
    ['a bad name', { owningRegion: PRIMARY, tableName: 'x' }, /tableName must be 3 to 255 characters/],
  ])('rejects %s', (_what, attrs, message) => {
    expect(() => ReplicationJournal.fromReplica(stackIn(SECONDARY), 'Journal', attrs)).toThrow(message);
  });
});

describe('ReplicationJournal grants', () => {
  const role = (stack: Stack, id: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

  it.each([
    ['the owned table', (stack: Stack) => new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY] }), PRIMARY],
    ['a replica', (stack: Stack) => ReplicationJournal.fromReplica(stack, 'Journal', { owningRegion: PRIMARY }), SECONDARY],
  ] as const)('allow exactly what capture, replay and the pipe call, on %s', (_what, make, region) => {
    const stack = stackIn(region);
    const journal = make(stack);
    const [capture, replay, groups, pipe] = ['Capture', 'Replay', 'Groups', 'Pipe'].map((id) => role(stack, id));
    journal.grantCaptureWrite(capture);
    journal.grantReadItems(replay);
    journal.grantReadItems(groups, { query: true });
    journal.grantStreamRead(pipe);
    const template = Template.fromStack(stack);
    const table = stack.resolve(journal.tableArn);
    expect(policyStatements(template, capture)).toEqual([
      { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], Effect: 'Allow', Resource: table },
      { Action: 'dynamodb:Query', Effect: 'Allow', Resource: stack.resolve(journal.refIndexArn) },
    ]);
    expect(policyStatements(template, replay)).toEqual([{ Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: table }]);
    expect(policyStatements(template, groups)).toEqual([{ Action: ['dynamodb:GetItem', 'dynamodb:Query'], Effect: 'Allow', Resource: table }]);
    expect(policyStatements(template, pipe)).toEqual([
      {
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        Effect: 'Allow',
        Resource: stack.resolve(journal.streamArn),
      },
    ]);
  });

  it('add the customer managed key: encrypt and decrypt to write, decrypt to read', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    const journal = new ReplicationJournal(stack, 'Journal', {
      replicaRegions: [SECONDARY],
      encryptionKey: key,
      replicaKeyArns: { [SECONDARY]: `arn:aws:kms:${SECONDARY}:${ACCOUNT}:key/replica` },
    });
    const [writer, reader, pipe] = ['Writer', 'Reader', 'Pipe'].map((id) => role(stack, id));
    journal.grantCaptureWrite(writer);
    journal.grantReadItems(reader);
    journal.grantStreamRead(pipe);
    const template = Template.fromStack(stack);
    const decrypt = { Action: 'kms:Decrypt', Effect: 'Allow', Resource: getAtt(key, 'Arn') };
    expect(policyStatements(template, writer)).toContainEqual({
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      Effect: 'Allow',
      Resource: getAtt(key, 'Arn'),
    });
    expect(policyStatements(template, reader)).toContainEqual(decrypt);
    expect(policyStatements(template, pipe)).toContainEqual(decrypt);
  });
});
