import { readReplayConfig, replayDepsFromEnv } from '../../../lambda/replay/config';

const env = {
  AWS_REGION: 'eu-central-1',
  JOURNAL_TABLE_NAME: 'journal',
  ECHO_LEDGER_TABLE_NAME: 'ledger',
  ACCOUNT_ID: '123456789012',
};

describe('replay dependencies from the environment', () => {
  test('defaults: namespace IotDr, IoT client with 3 attempts in this region', async () => {
    const deps = replayDepsFromEnv(env);
    expect(deps.region).toBe('eu-central-1');
    expect(deps.metricsNamespace).toBe('IotDr');
    expect(deps.journal.tableName).toBe('journal');
    expect(await deps.iot.config.region()).toBe('eu-central-1');
    expect(await deps.iot.config.maxAttempts()).toBe(3);
    deps.iot.destroy();
  });

  test('the identity replays get the account id, and data-plane and Lambda clients of this region', async () => {
    const deps = replayDepsFromEnv(env);
    expect(deps.identity.accountId).toBe('123456789012');
    expect(readReplayConfig(env).accountId).toBe('123456789012');
  });

  test('METRICS_NAMESPACE overrides the namespace', () => {
    expect(replayDepsFromEnv({ ...env, METRICS_NAMESPACE: 'Custom' }).metricsNamespace).toBe('Custom');
  });

  test.each(['AWS_REGION', 'JOURNAL_TABLE_NAME', 'ECHO_LEDGER_TABLE_NAME', 'ACCOUNT_ID'])('missing %s fails at load with its name', (name) => {
    const partial: Record<string, string> = { ...env };
    delete partial[name];
    expect(() => replayDepsFromEnv(partial)).toThrow(name);
  });

  test.each(['0', '-5', 'soon', '1.5'])('ECHO_TTL_SECONDS=%s is rejected', (ttl) => {
    expect(() => replayDepsFromEnv({ ...env, ECHO_TTL_SECONDS: ttl })).toThrow('ECHO_TTL_SECONDS');
  });

  test('the echo TTL defaults to the contract\'s one hour and can be set', () => {
    expect(readReplayConfig(env).echoTtlSeconds).toBe(3600);
    expect(readReplayConfig({ ...env, ECHO_TTL_SECONDS: '120' }).echoTtlSeconds).toBe(120);
  });
});
