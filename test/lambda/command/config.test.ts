import { readCommandConfig } from '../../../lambda/command/config';

const base = {
  AWS_REGION: 'us-east-1',
  JOURNAL_TABLE_NAME: 'iot-dr-journal',
  ECHO_LEDGER_TABLE_NAME: 'iot-dr-echo-ledger',
  IOT_SERVICES_ACCOUNT: '444444444444',
  ACCESS_ROLE_ARN: 'arn:aws:iam::444444444444:role/cdk-iot-dr-command-access-us-east-1',
  IDEMPOTENCY_TABLE_NAME: 'idem',
};

describe('readCommandConfig', () => {
  test('defaults: a day of idempotency, two minutes of lease, 14 days of tombstones, no peer', () => {
    expect(readCommandConfig(base)).toMatchObject({
      region: 'us-east-1',
      idempotencyTtlSeconds: 86400,
      inFlightLeaseSeconds: 120,
      tombstoneTtlSeconds: 14 * 86400,
      metricsNamespace: 'IotDr',
    });
    expect(readCommandConfig(base).peerRegion).toBeUndefined();
  });

  test('the peer needs its region and role together; a missing variable is named', () => {
    expect(() => readCommandConfig({ ...base, PEER_REGION: 'eu-west-1' })).toThrow('PEER_REGION and PEER_ACCESS_ROLE_ARN must be set together');
    expect(readCommandConfig({ ...base, PEER_REGION: 'eu-west-1', PEER_ACCESS_ROLE_ARN: 'arn:aws:iam::444444444444:role/x' }).peerRegion).toBe('eu-west-1');
    const { ACCESS_ROLE_ARN: _omit, ...missing } = base;
    expect(() => readCommandConfig(missing)).toThrow('command Lambda: environment variable ACCESS_ROLE_ARN must be set');
  });
});
