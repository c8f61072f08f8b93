import { readCaptureConfig } from '../../../lambda/capture/config';

const env = {
  JOURNAL_TABLE_NAME: 'journal',
  ECHO_LEDGER_TABLE_NAME: 'ledger',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
  AWS_REGION: 'us-east-1',
};

test('defaults: 14-day tombstones, IotDr namespace', () => {
  expect(readCaptureConfig(env)).toEqual({
    journalTableName: 'journal',
    echoLedgerTableName: 'ledger',
    deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL,
    region: 'us-east-1',
    tombstoneTtlSeconds: 1209600,
    metricsNamespace: 'IotDr',
  });
});

test('overrides', () => {
  expect(readCaptureConfig({ ...env, TOMBSTONE_TTL_SECONDS: '3600', METRICS_NAMESPACE: 'Mine' })).toMatchObject({
    tombstoneTtlSeconds: 3600,
    metricsNamespace: 'Mine',
  });
});

test.each(['JOURNAL_TABLE_NAME', 'ECHO_LEDGER_TABLE_NAME', 'DEAD_LETTER_QUEUE_URL', 'AWS_REGION'])('%s is required', (name) => {
  expect(() => readCaptureConfig({ ...env, [name]: undefined })).toThrow(name);
});

test.each(['0', '-5', '1.5', 'two weeks'])('TOMBSTONE_TTL_SECONDS=%s is rejected', (ttl) => {
  expect(() => readCaptureConfig({ ...env, TOMBSTONE_TTL_SECONDS: ttl })).toThrow(/TOMBSTONE_TTL_SECONDS must be a positive whole number/);
});
