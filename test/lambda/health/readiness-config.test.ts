import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { AGGREGATOR_ENV, DRIFT_METRICS, HEALTH_API_ENV, METRIC_NAMES } from '../../../lambda/contract';
import { readAggregatorConfig, readRegionalHealthConfig } from '../../../lambda/health/config';
import { readReadiness } from '../../../lambda/health/readiness';

describe('readiness', () => {
  const cloudwatch = new CloudWatchClient({ region: 'us-east-1' });
  const sqs = new SQSClient({ region: 'us-east-1' });
  const cw = mockClient(cloudwatch);
  const queue = mockClient(sqs);
  afterEach(() => {
    cw.reset();
    queue.reset();
  });
  afterAll(() => {
    cw.restore();
    queue.restore();
  });
  const NOW = Date.parse('2026-12-02T01:00:30Z');
  const signal = new AbortController().signal;
  const options = { cloudwatch, sqs, metricsNamespace: 'IotDr', parkingQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/parking', clock: { now: () => NOW } };

  test('replication lag, drift found and parked records from the pipeline metrics and the parking queue', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'lag', Values: [1234.4], Timestamps: [new Date('2026-12-02T00:56:00Z')] },
        { Id: 'drift', Values: [3], Timestamps: [new Date('2026-12-01T01:01:00Z')] },
      ],
    });
    queue.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesDelayed: '5', ApproximateNumberOfMessagesNotVisible: '1' },
    });
    expect(await readReadiness(options, signal)).toEqual({ replicationLagMs: 1234, lastDriftFound: 3, parkedRecords: 8 });
    const query = cw.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(query.MetricDataQueries?.map((q) => [q.MetricStat?.Metric?.Namespace, q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat])).toEqual([
      ['IotDr', METRIC_NAMES.replicationLag, 'Maximum'],
      ['IotDr', DRIFT_METRICS.found, 'Sum'],
    ]);
    expect(queue.commandCalls(GetQueueAttributesCommand)[0].args[0].input.QueueUrl).toBe(options.parkingQueueUrl);
  });

  test('an old lag figure is not reported as current: a stalled pipeline stops emitting it', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'lag', Values: [10], Timestamps: [new Date('2026-12-02T00:30:00Z')] }] });
    queue.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
    expect(await readReadiness(options, signal)).toEqual({
      parkedRecords: 0,
      errors: [`no ${METRIC_NAMES.replicationLag} datapoint in the last 10 minutes`],
    });
  });

  test('what cannot be read is listed; the rest is still reported', async () => {
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    queue.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '4' } });
    expect(await readReadiness(options, signal)).toEqual({ parkedRecords: 4, errors: ['metrics: AccessDenied: denied'] });
  });

  test('without a parking queue, no parked figure and no SQS call', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const result = await readReadiness({ cloudwatch, metricsNamespace: 'IotDr', clock: { now: () => NOW } }, signal);
    expect(result.parkedRecords).toBeUndefined();
    expect(queue.commandCalls(GetQueueAttributesCommand)).toHaveLength(0);
  });
});

describe('handler configuration', () => {
  test('regional health: checks, timeout and readiness settings; defaults', () => {
    const config = readRegionalHealthConfig({
      AWS_REGION: 'us-west-2',
      [HEALTH_API_ENV.checks]: JSON.stringify([{ kind: 'iot-data-plane', name: 'iot-data-plane' }, { kind: 'url', name: 'app', target: 'https://x' }]),
    });
    expect(config).toEqual({
      region: 'us-west-2',
      checks: [
        { kind: 'iot-data-plane', name: 'iot-data-plane' },
        { kind: 'url', name: 'app', target: 'https://x' },
      ],
      checkTimeoutMs: 1000,
      metricsNamespace: 'IotDr',
    });
  });

  test('regional health: errors name the variable', () => {
    expect(() => readRegionalHealthConfig({ AWS_REGION: 'us-west-2' })).toThrow(`regional health Lambda: environment variable ${HEALTH_API_ENV.checks} must be set`);
    expect(() => readRegionalHealthConfig({ AWS_REGION: 'us-west-2', [HEALTH_API_ENV.checks]: '[{"kind":"ping","name":"x"}]' })).toThrow(
      /HEALTH_CHECKS must be a JSON array of \{ kind, name, target\? \}/,
    );
    expect(() =>
      readRegionalHealthConfig({ AWS_REGION: 'us-west-2', [HEALTH_API_ENV.checks]: '[]', [HEALTH_API_ENV.checkTimeoutMs]: '1.5' }),
    ).toThrow("HEALTH_CHECK_TIMEOUT_MS must be a whole number of milliseconds >= 0, got '1.5'");
  });

  test('aggregator: role, APIs and timings; defaults from the contract', () => {
    expect(
      readAggregatorConfig({
        AWS_REGION: 'us-east-1',
        [AGGREGATOR_ENV.regionRole]: 'secondary',
        [AGGREGATOR_ENV.healthApis]: '[{"name":"iot-services","url":"https://a.execute-api.us-east-1.amazonaws.com/v1/health"}]',
      }),
    ).toEqual({
      region: 'us-east-1',
      role: 'secondary',
      healthApis: [{ name: 'iot-services', url: 'https://a.execute-api.us-east-1.amazonaws.com/v1/health' }],
      healthApiTimeoutMs: 1500,
      verdictCacheMs: 5000,
      manualModeParameterName: '/cdk-iot-dr/failover/mode',
      manualModeCacheMs: 5000,
    });
    expect(() => readAggregatorConfig({ AWS_REGION: 'us-east-1', [AGGREGATOR_ENV.regionRole]: 'tertiary', [AGGREGATOR_ENV.healthApis]: '[]' })).toThrow(
      "REGION_ROLE must be one of primary, secondary, got 'tertiary'",
    );
  });
});
