import { readCaptureConfig } from '../../../lambda/capture/config';

const env = {
  JOURNAL_TABLE_NAME: 'journal',
  ECHO_LEDGER_TABLE_NAME: 'ledger',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
  AWS_REGION: 'us-east-1',
  ACCOUNT_ID: '123456789012',
};

test('defaults: 14-day tombstones, IotDr namespace, no own roles, no shadows', () => {
  expect(readCaptureConfig(env)).toEqual({
    journalTableName: 'journal',
    echoLedgerTableName: 'ledger',
    deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL,
    region: 'us-east-1',
    tombstoneTtlSeconds: 1209600,
    metricsNamespace: 'IotDr',
    accountId: '123456789012',
    ownRoles: new Set(),
    shadowsEnabled: false,
  });
});

test('overrides', () => {
  expect(readCaptureConfig({ ...env, TOMBSTONE_TTL_SECONDS: '3600', METRICS_NAMESPACE: 'Mine', SHADOWS_ENABLED: 'true' })).toMatchObject({
    tombstoneTtlSeconds: 3600,
    metricsNamespace: 'Mine',
    shadowsEnabled: true,
  });
});

test('OWN_ROLE_ARNS: comma-separated role ARNs, paths and blanks tolerated, compared by partition, account and name', () => {
  const config = readCaptureConfig({
    ...env,
    OWN_ROLE_ARNS: 'arn:aws:iam::123456789012:role/Replay, arn:aws:iam::123456789012:role/service-role/Parking,,',
  });
  expect(config.ownRoles).toEqual(new Set(['aws:123456789012:Replay', 'aws:123456789012:Parking']));
});

test('OWN_ROLE_ARNS with something that is no role ARN is refused, naming the variable', () => {
  expect(() => readCaptureConfig({ ...env, OWN_ROLE_ARNS: 'arn:aws:iam::123456789012:user/alice' })).toThrow(/OWN_ROLE_ARNS: 'arn:aws:iam::123456789012:user\/alice' is not an IAM role ARN/);
});

test('SHADOWS_ENABLED must be true or false', () => {
  expect(() => readCaptureConfig({ ...env, SHADOWS_ENABLED: 'yes' })).toThrow(/SHADOWS_ENABLED must be 'true' or 'false', got 'yes'/);
});

test.each(['JOURNAL_TABLE_NAME', 'ECHO_LEDGER_TABLE_NAME', 'DEAD_LETTER_QUEUE_URL', 'AWS_REGION', 'ACCOUNT_ID'])('%s is required', (name) => {
  expect(() => readCaptureConfig({ ...env, [name]: undefined })).toThrow(name);
});

test.each(['0', '-5', '1.5', 'two weeks'])('TOMBSTONE_TTL_SECONDS=%s is rejected', (ttl) => {
  expect(() => readCaptureConfig({ ...env, TOMBSTONE_TTL_SECONDS: ttl })).toThrow(/TOMBSTONE_TTL_SECONDS must be a positive whole number/);
});

test('MAX_RECEIVE_COUNT: a positive whole number when set', () => {
  expect(readCaptureConfig({ ...env, MAX_RECEIVE_COUNT: '5' }).maxReceiveCount).toBe(5);
  expect(() => readCaptureConfig({ ...env, MAX_RECEIVE_COUNT: '0' })).toThrow(/MAX_RECEIVE_COUNT must be a positive whole number, got '0'/);
});
