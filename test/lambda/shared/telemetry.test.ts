import { emitMetrics, log, serializeError } from '../../../lambda/shared/telemetry';

let lines: string[];
beforeEach(() => {
  lines = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
});
afterEach(() => jest.restoreAllMocks());

const logged = (): Record<string, unknown> => JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;

describe('log', () => {
  test('an error keeps its name, message and cause chain', () => {
    const sdk = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const wrapped = new Error('replay of thing#a: throttled', { cause: sdk });
    wrapped.name = 'RegistryThrottled';
    log('WARN', 'replay failed', { key: 'thing#a', error: wrapped });
    expect(logged()).toEqual({
      level: 'WARN',
      message: 'replay failed',
      key: 'thing#a',
      error: { name: 'RegistryThrottled', message: 'replay of thing#a: throttled', cause: { name: 'ThrottlingException', message: 'Rate exceeded' } },
    });
  });

  test('a cause that is not an Error is logged as it is', () => {
    log('ERROR', 'failed', { error: new Error('outer', { cause: { code: 42 } }) });
    expect(logged().error).toEqual({ name: 'Error', message: 'outer', cause: { code: 42 } });
  });

  test('the cause chain is cut after five levels, so a cycle cannot loop', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    log('ERROR', 'cyclic', { error: a });
    let depth = 0;
    for (let e = logged().error as { cause?: unknown } | undefined; e; e = e.cause as { cause?: unknown } | undefined) depth++;
    expect(depth).toBe(6);
    expect(serializeError(a, 0)).toEqual({ name: 'Error', message: 'a' });
  });

  test('ERROR goes to stderr, the rest to stdout', () => {
    log('ERROR', 'x');
    log('INFO', 'y');
    expect(console.error).toHaveBeenCalledTimes(1);
    expect(console.log).toHaveBeenCalledTimes(1);
  });
});

describe('emitMetrics', () => {
  test('one EMF line with the dimensioned and the dimensionless series', () => {
    const saved = process.env.IOT_DR_SILENT_METRICS;
    delete process.env.IOT_DR_SILENT_METRICS;
    try {
      emitMetrics('Ns', { Kind: 'thing' }, [{ name: 'ItemsReplayed', value: 1, unit: 'Count' }]);
    } finally {
      if (saved !== undefined) process.env.IOT_DR_SILENT_METRICS = saved;
    }
    const doc = logged() as { _aws: { CloudWatchMetrics: unknown[] }; Kind: string; ItemsReplayed: number };
    expect(doc._aws.CloudWatchMetrics).toEqual([{ Namespace: 'Ns', Dimensions: [['Kind'], []], Metrics: [{ Name: 'ItemsReplayed', Unit: 'Count' }] }]);
    expect(doc).toMatchObject({ Kind: 'thing', ItemsReplayed: 1 });
  });
});
