import { Match, Template } from 'aws-cdk-lib/assertions';
import { testApp } from '../helpers';
import { DrRegionRole, DrTopology, IotServicesStack, ReplicationJournal } from '../../../lib';

describe('IotServicesStack', () => {
  it('owns the journal in the primary region, with its replica in the secondary', () => {
    const stack = new IotServicesStack(testApp(), 'Iot', { topology: DrTopology.DEFAULT, regionRole: DrRegionRole.PRIMARY });
    expect([stack.account, stack.region]).toEqual(['222222222222', 'us-west-2']);
    expect(stack.registryReplication.journal).toBeInstanceOf(ReplicationJournal);
    expect(Template.fromStack(stack).toJSON().Description).toBe('cdk-iot-dr IoT services (primary region)');
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'iot-dr-journal',
      Replicas: [Match.objectLike({ Region: 'us-east-1' }), Match.objectLike({ Region: 'us-west-2' })],
    });
  });

  it('imports the replica in the secondary region', () => {
    const stack = new IotServicesStack(testApp(), 'Iot', { topology: DrTopology.DEFAULT, regionRole: DrRegionRole.SECONDARY });
    expect([stack.account, stack.region]).toEqual(['222222222222', 'us-east-1']);
    expect(stack.registryReplication.journal.owningRegion).toBe('us-west-2');
    Template.fromStack(stack).resourceCountIs('Custom::IotDrReplicaStreamArn', 1);
  });

  it('takes its account and region from the topology, not from env', () => {
    expect(
      () =>
        new IotServicesStack(testApp(), 'Iot', {
          topology: DrTopology.DEFAULT,
          regionRole: DrRegionRole.PRIMARY,
          env: { account: '123456789012', region: 'eu-west-1' },
        }),
    ).toThrow(/^Iot: env follows from the topology \(accounts.iotServices in the primary region\); remove env and change the topology instead/);
  });

  it('applies the journal settings only where the global table is created', () => {
    const registryReplication = { journalProps: { tableName: 'fleet-journal', deletionProtection: false } };
    const app = testApp();
    const primary = new IotServicesStack(app, 'Primary', { topology: DrTopology.DEFAULT, regionRole: DrRegionRole.PRIMARY, registryReplication });
    const secondary = new IotServicesStack(app, 'Secondary', { topology: DrTopology.DEFAULT, regionRole: DrRegionRole.SECONDARY, registryReplication });
    Template.fromStack(primary).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'fleet-journal',
      Replicas: Match.arrayWith([Match.objectLike({ DeletionProtectionEnabled: false })]),
    });
    Template.fromStack(secondary).hasResourceProperties('Custom::IotDrReplicaStreamArn', { Create: Match.stringLikeRegexp('fleet-journal') });
  });
});
