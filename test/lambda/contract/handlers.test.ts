import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLER_BUNDLES, HANDLERS } from '../../../lambda/contract';

const lambdaDir = join(__dirname, '..', '..', '..', 'lambda');

test('the bundles the contract names are exactly the lambda/<bundle>/index.ts that scripts/bundle-handlers.mjs builds', () => {
  const built = readdirSync(lambdaDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !['shared', 'contract'].includes(d.name) && existsSync(join(lambdaDir, d.name, 'index.ts')))
    .map((d) => d.name)
    .sort();
  expect(HANDLER_BUNDLES).toEqual(built);
  expect(built).toEqual(expect.arrayContaining(['capture', 'heartbeat', 'replay']));
});

test('every entry point is exported by its bundle’s index.ts', () => {
  const env = { AWS_REGION: 'eu-west-1', JOURNAL_TABLE_NAME: 'j', ECHO_LEDGER_TABLE_NAME: 'l', DEAD_LETTER_QUEUE_URL: 'https://sqs/dlq', ACCOUNT_ID: '123456789012',
    TELEMETRY_EVENT_BUS_ARN: 'arn:aws:events:eu-west-1:123456789012:event-bus/b',
    TELEMETRY_ENDPOINT_URL: 'https://events.eu-west-1.amazonaws.com',
    TELEMETRY_BUFFER_QUEUE_URL: 'https://sqs/buffer',
    IOT_SERVICES_ACCOUNT: '123456789012',
    ACCESS_ROLE_ARN: 'arn:aws:iam::123456789012:role/r',
    IDEMPOTENCY_TABLE_NAME: 'i',
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    for (const { bundle, exportName } of Object.values(HANDLERS)) {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(join(lambdaDir, bundle, 'index')) as Record<string, unknown>;
        expect({ bundle, exportName, type: typeof mod[exportName] }).toEqual({ bundle, exportName, type: 'function' });
      });
    }
  } finally {
    process.env = saved;
  }
});
