import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, createIotClient, HandlerEnvironment, readJournalHandlerConfig } from '../../../lambda/shared/config';

const env = { AWS_REGION: 'eu-west-1', JOURNAL_TABLE_NAME: 'journal', ECHO_LEDGER_TABLE_NAME: 'ledger' };

describe('handler environment', () => {
  test('journal handler config: region, tables, default namespace', () => {
    expect(readJournalHandlerConfig(new HandlerEnvironment(env, 'test'))).toEqual({
      region: 'eu-west-1',
      journalTableName: 'journal',
      echoLedgerTableName: 'ledger',
      metricsNamespace: 'IotDr',
    });
  });

  test.each(['AWS_REGION', 'JOURNAL_TABLE_NAME', 'ECHO_LEDGER_TABLE_NAME'])('a missing or empty %s names the handler and the variable', (name) => {
    expect(() => readJournalHandlerConfig(new HandlerEnvironment({ ...env, [name]: '' }, 'replay'))).toThrow(
      `replay Lambda: environment variable ${name} must be set`,
    );
  });

  test('seconds: the fallback when unset, a positive whole number otherwise', () => {
    const e = new HandlerEnvironment({ SET: '90', ZERO: '0', FRACTION: '2.5', WORDS: 'an hour', HUGE: '1e30' }, 'capture');
    expect(e.seconds('UNSET', 7)).toBe(7);
    expect(e.seconds('SET', 7)).toBe(90);
    for (const name of ['ZERO', 'FRACTION', 'WORDS', 'HUGE']) {
      expect(() => e.seconds(name, 7)).toThrow(new RegExp(`^capture Lambda: ${name} must be a positive whole number of seconds, got '`));
    }
  });
});

describe('clients', () => {
  test('the IoT client signs for the region; attempts only when asked', async () => {
    const plain = createIotClient('ap-south-1');
    const few = createIotClient('ap-south-1', { maxAttempts: 3 });
    expect(await plain.config.region()).toBe('ap-south-1');
    expect(await few.config.maxAttempts()).toBe(3);
    plain.destroy();
    few.destroy();
  });

  test('every handler’s document client omits undefined attributes instead of refusing the item', async () => {
    const doc = createDocumentClient('eu-west-1');
    const sent: unknown[] = [];
    doc.middlewareStack.add(
      () => async (args) => {
        sent.push(args.input);
        return { output: { $metadata: {} }, response: {} };
      },
      { step: 'build', name: 'captureMarshalled' },
    );
    await doc.send(new PutCommand({ TableName: 't', Item: { pk: 'a', description: undefined } }));
    expect(sent).toEqual([expect.objectContaining({ Item: { pk: { S: 'a' } } })]);
    doc.destroy();
  });
});
