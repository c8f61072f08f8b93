import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { EchoLedger } from '../../../lib';
import { PRIMARY, arnJoin, getAtt, policyStatements, stackIn } from '../helpers';

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

  describe('grants', () => {
    const grantee = (stack: Stack) => new iam.Role(stack, 'Grantee', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    it("lets replay record (read and update the entity's entry) and capture check and clear (read, delete, update)", () => {
      const stack = stackIn(PRIMARY);
      const ledger = new EchoLedger(stack, 'Ledger');
      const replay = grantee(stack);
      const capture = new iam.Role(stack, 'Capture', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      ledger.grantRecord(replay);
      ledger.grantCheckAndClear(capture);
      const template = Template.fromStack(stack);
      expect(policyStatements(template, replay)).toEqual([
        { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: getAtt(ledger.table, 'Arn') },
      ]);
      expect(policyStatements(template, capture)).toEqual([
        { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: getAtt(ledger.table, 'Arn') },
      ]);
    });

    it('adds the key: encrypt and decrypt to record, and to check and clear (capture puts known-state items)', () => {
      const stack = stackIn(PRIMARY);
      const key = new kms.Key(stack, 'Key');
      const ledger = new EchoLedger(stack, 'Ledger', { encryptionKey: key });
      const replay = grantee(stack);
      const capture = new iam.Role(stack, 'Capture', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      ledger.grantRecord(replay);
      ledger.grantCheckAndClear(capture);
      const template = Template.fromStack(stack);
      expect(policyStatements(template, replay)).toContainEqual({
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Effect: 'Allow',
        Resource: getAtt(key, 'Arn'),
      });
      expect(policyStatements(template, capture)).toContainEqual({
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Effect: 'Allow',
        Resource: getAtt(key, 'Arn'),
      });
    });

    it('work the same on an existing table', () => {
      const stack = stackIn(PRIMARY);
      const ledger = EchoLedger.fromTable(stack, 'Ledger', dynamodb.TableV2.fromTableName(stack, 'Table', 'echoes'));
      expect(ledger.tableName).toBe('echoes');
      const role = grantee(stack);
      ledger.grantRecord(role);
      expect(policyStatements(Template.fromStack(stack), role)).toEqual([
        { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: arnJoin('dynamodb', PRIMARY, 'table/echoes') },
      ]);
    });
  });
});
