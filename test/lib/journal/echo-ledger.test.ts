import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { EchoLedger } from '../../../lib';
import { PRIMARY, getAtt, stackIn } from '../helpers';

describe('EchoLedger', () => {
  it('is a regional, on-demand table keyed `key`, with TTL `expiresAt` and PITR, destroyed with the stack', () => {
    const stack = stackIn(PRIMARY);
    new EchoLedger(stack, 'Ledger');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: {
        KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [{ Region: PRIMARY, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
      },
    });
  });

  it('takes a name, a customer managed key and a removal policy', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    new EchoLedger(stack, 'Ledger', { tableName: 'echo-ledger', encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: 'echo-ledger',
        Replicas: [{ Region: PRIMARY, SSESpecification: { KMSMasterKeyId: getAtt(key, 'Arn') }, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
      },
    });
  });

  it('rejects a name DynamoDB would refuse', () => {
    expect(() => new EchoLedger(stackIn(PRIMARY), 'Ledger', { tableName: 'a' })).toThrow(
      /Test-us-west-2\/Ledger: tableName must be 3 to 255 characters/,
    );
  });
});
