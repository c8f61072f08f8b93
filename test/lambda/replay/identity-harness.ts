/**
 * Harness of the device-identity replay tests: the real handlers against the IoT emulator (control plane,
 * data plane and Lambda's GetFunctionConfiguration, through the real SDK clients), with the journal and
 * echo ledger on dynalite. One emulator and one dynalite per test file; a fresh registry and fresh tables
 * per test.
 */
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReplayDeps, ReplayHandler } from '../../../lambda/replay/common';
import { EchoLedgerStore } from '../../../lambda/shared/echo-ledger-store';
import { JournalStore } from '../../../lambda/shared/journal-store';
import type { JournalItem, ReplayTaskInput } from '../../../lambda/shared/model';
import { identityDeps, TEST_ACCOUNT_ID } from '../../support/identity-deps';
import { type IotEmulator, startIotEmulator } from '../../support/iot-emulator';
import { type JournalTables, startJournalTables } from '../../support/journal-tables';
import { LOCAL, NOW, taskFor } from './harness';

export { LOCAL, NOW, REMOTE, journalItem, taskFor } from './harness';
export const ACCOUNT = TEST_ACCOUNT_ID;
/** The access key id replay signs with: the role name the emulator's CloudTrail events show. */
export const REPLAY_ROLE = 'replay-role';

let tables: JournalTables | undefined;
let emulator: IotEmulator | undefined;
let counter = 0;
/** Clients of every context, destroyed with the world so no socket outlives the test file. */
const clients: { destroy(): void }[] = [];

/** Call in beforeAll. */
export async function startWorld(): Promise<void> {
  tables = await startJournalTables({ region: LOCAL });
  // Quotas off: these tests are about behaviour, the bulk copy about pacing.
  emulator = await startIotEmulator({ region: LOCAL, accountId: ACCOUNT, now: () => NOW, quotaScale: 1000 });
}

/** Call in afterAll. */
export async function stopWorld(): Promise<void> {
  for (const c of clients.splice(0)) c.destroy();
  await emulator?.close();
  await tables?.close();
  emulator = undefined;
  tables = undefined;
}

export interface IdentityTestContext {
  readonly deps: ReplayDeps;
  readonly emulator: IotEmulator;
  /** A client of this region acting as an operator or device fleet tool (not replay). */
  readonly operator: IoTClient;
  readonly operatorData: IoTDataPlaneClient;
  putItem(item: JournalItem): Promise<void>;
  /** Puts `item` and runs `handler` on its task. */
  replay(handler: ReplayHandler, item: JournalItem, task?: ReplayTaskInput): ReturnType<ReplayHandler>;
}

export async function newContext(): Promise<IdentityTestContext> {
  if (!tables || !emulator) throw new Error('call startWorld() in beforeAll');
  const t = tables;
  emulator.reset();
  const names = await t.createTables(`identity${++counter}`);
  const identity = identityDeps(LOCAL, emulator.endpoint, REPLAY_ROLE);
  const client = (accessKeyId: string) => ({ region: LOCAL, endpoint: emulator?.endpoint, credentials: { accessKeyId, secretAccessKey: 'x' }, maxAttempts: 1 });
  const deps: ReplayDeps = {
    iot: new IoTClient(client(REPLAY_ROLE)),
    journal: new JournalStore(t.doc, names.journalTable),
    ledger: new EchoLedgerStore(t.doc, names.ledgerTable, { now: () => NOW }),
    region: LOCAL,
    now: () => NOW,
    metricsNamespace: 'IotDrTest',
    identity,
  };
  const operator = new IoTClient(client('operator'));
  const operatorData = new IoTDataPlaneClient(client('operator'));
  clients.push(deps.iot as IoTClient, operator, operatorData, identity.dataPlane as IoTDataPlaneClient);
  const putItem = async (item: JournalItem): Promise<void> => {
    await t.doc.send(new PutCommand({ TableName: names.journalTable, Item: item }));
  };
  return {
    deps,
    emulator,
    operator,
    operatorData,
    putItem,
    replay: async (handler, item, task) => {
      await putItem(item);
      return handler(task ?? taskFor(item));
    },
  };
}

/** The error a handler threw (fails the test when it resolved). */
export async function failureOf(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the replay to fail');
}

/** Every line the handlers wrote to the console, joined (for the "no PEM in any output" checks). */
export function captureConsole(): () => string {
  const lines: string[] = [];
  for (const method of ['log', 'error', 'warn', 'info'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  }
  return () => lines.join('\n');
}
