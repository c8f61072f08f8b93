import { CreateRoleAliasCommand, DescribeRoleAliasCommand, UpdateRoleAliasCommand } from '@aws-sdk/client-iot';
import { createRoleAliasReplay } from '../../../lambda/replay/role-alias';
import { roleAliasKeys } from '../../../lambda/shared/keys';
import type { JournalItem } from '../../../lambda/shared/model';
import { ACCOUNT, captureConsole, failureOf, type IdentityTestContext, journalItem, newContext, NOW, startWorld, stopWorld } from './identity-harness';

beforeAll(startWorld);
afterAll(stopWorld);

let ctx: IdentityTestContext;
beforeEach(async () => {
  ctx = await newContext();
  captureConsole();
});
afterEach(() => jest.restoreAllMocks());

const ROLE = `arn:aws:iam::${ACCOUNT}:role/device-s3`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/device-s3-v2`;

function alias(roleArn: string | undefined, credentialDurationSeconds = 3600, eventTime = NOW - 2000): JournalItem {
  return journalItem({
    keys: roleAliasKeys('s3-upload'),
    kind: 'roleAlias',
    state: roleArn === undefined ? undefined : { roleAlias: 's3-upload', roleArn, credentialDurationSeconds },
    eventTime,
  });
}

const replay = (item: JournalItem) => ctx.replay(createRoleAliasReplay(ctx.deps), item);
const describeHere = async () => (await ctx.operator.send(new DescribeRoleAliasCommand({ roleAlias: 's3-upload' }))).roleAliasDescription;

describe('role alias replay', () => {
  test('creates, updates and deletes', async () => {
    expect((await replay(alias(ROLE, 900, NOW - 4000))).action).toBe('created');
    expect(await describeHere()).toMatchObject({ roleArn: ROLE, credentialDurationSeconds: 900 });
    expect((await replay(alias(ROLE, 900, NOW - 4000))).action).toBe('unchanged');
    expect((await replay(alias(OTHER_ROLE, 1800, NOW - 3000))).action).toBe('updated');
    expect(await describeHere()).toMatchObject({ roleArn: OTHER_ROLE, credentialDurationSeconds: 1800 });
    expect((await replay(alias(undefined, 0, NOW - 2000))).action).toBe('deleted');
    expect(ctx.emulator.identitySnapshot().roleAliases).toEqual([]);
    expect((await replay(alias(undefined, 0, NOW - 2000))).action).toBe('unchanged');
  });

  test('an alias made here meanwhile is reconciled as an update', async () => {
    await ctx.operator.send(new CreateRoleAliasCommand({ roleAlias: 's3-upload', roleArn: OTHER_ROLE }));
    expect((await replay(alias(ROLE))).action).toBe('updated');
    expect(await describeHere()).toMatchObject({ roleArn: ROLE, credentialDurationSeconds: 3600 });
  });

  test('does not overwrite a local change capture has not journaled yet', async () => {
    await ctx.operator.send(new CreateRoleAliasCommand({ roleAlias: 's3-upload', roleArn: ROLE }));
    expect((await replay(alias(ROLE, 3600, NOW - 3000))).action).toBe('unchanged');
    await ctx.operator.send(new UpdateRoleAliasCommand({ roleAlias: 's3-upload', credentialDurationSeconds: 1200 }));
    expect((await failureOf(replay(alias(OTHER_ROLE, 3600, NOW - 2000)))).name).toBe('LocalChangePending');
  });
});
