import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { CommandAccessRole } from '../../../lib/command-control';
import { ACCOUNT, PRIMARY, SECONDARY, arnJoin, stackIn } from '../helpers';

const COMMAND_ACCOUNT = '333333333333';
const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

describe('CommandAccessRole', () => {
  let template: Template;
  let statements: Record<string, unknown>[];
  beforeAll(() => {
    const stack = stackIn(PRIMARY);
    new CommandAccessRole(stack, 'Access', { commandControlAccount: COMMAND_ACCOUNT, commandRegions: [PRIMARY, SECONDARY] });
    template = Template.fromStack(stack);
    statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
  });

  test('named per region; trusted by the command-control account, only for the command function roles of the listed regions', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: `cdk-iot-dr-command-access-${PRIMARY}`,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: partitionArn(`:iam::${COMMAND_ACCOUNT}:root`) },
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': [
                  partitionArn(`:iam::${COMMAND_ACCOUNT}:role/cdk-iot-dr-command-api-${PRIMARY}`),
                  partitionArn(`:iam::${COMMAND_ACCOUNT}:role/cdk-iot-dr-command-api-${SECONDARY}`),
                ],
              },
            },
          },
        ],
      },
    });
  });

  test('no wildcard principal anywhere in the trust', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    for (const role of roles) {
      for (const s of role.Properties.AssumeRolePolicyDocument.Statement as { Principal: unknown }[]) {
        expect(JSON.stringify(s.Principal)).not.toMatch(/"\*"/);
      }
    }
  });

  test('IoT actions scoped to this account and region: things, certificates, policies, groups, types', () => {
    const device = statements.find((s) => s.Sid === 'DeviceCommands')!;
    expect(device.Resource).toEqual(['thing/*', 'cert/*', 'policy/*', 'thinggroup/*', 'thingtype/*'].map((r) => arnJoin('iot', PRIMARY, r)));
    expect(device.Action).toEqual(expect.arrayContaining(['iot:CreateThing', 'iot:AttachPolicy', 'iot:AttachThingPrincipal', 'iot:UpdateCertificate', 'iot:DeleteCertificate', 'iot:DeleteThing']));
    expect(device.Action).not.toContain('iot:*');
  });

  test('only the certificate creations, ListPrincipalThings and GetMetricData have Resource *, each in a policy of its own', () => {
    const wildcard = statements.filter((s) => s.Resource === '*');
    expect(wildcard.map((s) => s.Action)).toEqual([
      ['iot:CreateKeysAndCertificate', 'iot:CreateCertificateFromCsr', 'iot:ListPrincipalThings'],
      'cloudwatch:GetMetricData',
    ]);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const holding = policies.filter((p) => (p.Properties.PolicyDocument.Statement as { Resource: unknown }[]).some((s) => s.Resource === '*'));
    expect(holding.every((p) => (p.Properties.PolicyDocument.Statement as unknown[]).length === 1)).toBe(true);
  });

  test('journal and echo ledger by their fixed names: capture\'s calls exactly', () => {
    expect(statements.find((s) => s.Sid === 'Journal')).toEqual({
      Sid: 'Journal',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      Resource: arnJoin('dynamodb', PRIMARY, 'table/iot-dr-journal'),
    });
    expect(statements.find((s) => s.Sid === 'JournalRefIndex')?.Resource).toEqual(arnJoin('dynamodb', PRIMARY, 'table/iot-dr-journal/index/byRef'));
    expect(statements.find((s) => s.Sid === 'EchoLedger')).toEqual({
      Sid: 'EchoLedger',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      Resource: arnJoin('dynamodb', PRIMARY, 'table/iot-dr-echo-ledger'),
    });
  });

  test('its ARN is computable from the account and region', () => {
    expect(CommandAccessRole.roleArnFor(ACCOUNT, SECONDARY)).toBe(`arn:aws:iam::${ACCOUNT}:role/cdk-iot-dr-command-access-${SECONDARY}`);
    expect(CommandAccessRole.roleArnFor(ACCOUNT, 'cn-north-1', 'aws-cn')).toBe(`arn:aws-cn:iam::${ACCOUNT}:role/cdk-iot-dr-command-access-cn-north-1`);
  });

  test('default: trusted by this region\'s function only; a table key is granted; no metrics with readMetrics false', () => {
    const stack = stackIn(PRIMARY);
    const key = new kms.Key(stack, 'Key');
    new CommandAccessRole(stack, 'Access', { commandControlAccount: COMMAND_ACCOUNT, tableEncryptionKeys: [key], readMetrics: false });
    const t = Template.fromStack(stack);
    const role = Object.values(t.findResources('AWS::IAM::Role'))[0];
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition.ArnEquals['aws:PrincipalArn']).toEqual([
      partitionArn(`:iam::${COMMAND_ACCOUNT}:role/cdk-iot-dr-command-api-${PRIMARY}`),
    ]);
    const all = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    expect(all.some((s) => s.Action === 'cloudwatch:GetMetricData')).toBe(false);
    expect(all.some((s) => Array.isArray(s.Action) && (s.Action as string[]).includes('kms:Decrypt'))).toBe(true);
  });

  test('prop errors name the prop', () => {
    expect(() => new CommandAccessRole(stackIn(PRIMARY), 'Access', { commandControlAccount: '33' })).toThrow(
      "Access: commandControlAccount must be a 12-digit account id, got '33'",
    );
    expect(() => new CommandAccessRole(stackIn(PRIMARY), 'Access', { commandControlAccount: COMMAND_ACCOUNT, commandRegions: ['us-west-9'] })).toThrow(
      /commandRegions must be a region name/,
    );
    expect(() => new CommandAccessRole(stackIn(PRIMARY), 'Access', { commandControlAccount: COMMAND_ACCOUNT, commandRegions: [PRIMARY, PRIMARY] })).toThrow(
      /lists a region twice/,
    );
    expect(() => new CommandAccessRole(stackIn(PRIMARY), 'Access', { commandControlAccount: COMMAND_ACCOUNT, journalTableName: 'x' })).toThrow(
      /journalTableName must be 3 to 255 characters/,
    );
  });
});
