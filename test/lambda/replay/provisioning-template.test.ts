import { CreateProvisioningTemplateCommand, CreateProvisioningTemplateVersionCommand, DescribeProvisioningTemplateCommand, ListProvisioningTemplateVersionsCommand } from '@aws-sdk/client-iot';
import { createProvisioningTemplateReplay } from '../../../lambda/replay/provisioning-template';
import { ACCOUNT_TOKEN, REGION_TOKEN, canonicalDocument } from '../../../lambda/shared/identity-state';
import { provisioningTemplateKeys } from '../../../lambda/shared/keys';
import type { JournalItem, ProvisioningTemplateState } from '../../../lambda/shared/model';
import { ACCOUNT, captureConsole, failureOf, type IdentityTestContext, journalItem, LOCAL, newContext, NOW, startWorld, stopWorld } from './identity-harness';

beforeAll(startWorld);
afterAll(stopWorld);

let ctx: IdentityTestContext;
beforeEach(async () => {
  ctx = await newContext();
  captureConsole();
});
afterEach(() => jest.restoreAllMocks());

const ROLE = `arn:aws:iam::${ACCOUNT}:role/provisioning`;
const HOOK = `arn:aws:lambda:${REGION_TOKEN}:${ACCOUNT_TOKEN}:function:check-serial`;
const LOCAL_HOOK = `arn:aws:lambda:${LOCAL}:${ACCOUNT}:function:check-serial`;
const body = (policy: string): string =>
  canonicalDocument(JSON.stringify({ Parameters: { SerialNumber: { Type: 'String' } }, Resources: { policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: policy } } } }));

function template(state: Partial<ProvisioningTemplateState> | undefined, eventTime = NOW - 2000): JournalItem {
  return journalItem({
    keys: provisioningTemplateKeys('fleet'),
    kind: 'provisioningTemplate',
    state:
      state === undefined
        ? undefined
        : { templateName: 'fleet', templateBody: body('fleet'), enabled: true, provisioningRoleArn: ROLE, type: 'FLEET_PROVISIONING', ...state },
    eventTime,
  });
}

const replay = (item: JournalItem) => ctx.replay(createProvisioningTemplateReplay(ctx.deps), item);
const describeHere = () => ctx.operator.send(new DescribeProvisioningTemplateCommand({ templateName: 'fleet' }));

describe('provisioning template replay', () => {
  test('creates the template with the hook of this region, once the hook Lambda exists here', async () => {
    const item = template({ description: 'fleet provisioning', preProvisioningHook: { targetArn: HOOK, payloadVersion: '2020-04-01' } });
    const err = await failureOf(replay(item));
    expect(err.name).toBe('DependencyNotReady');
    expect(err.message).toBe(`pre-provisioning hook Lambda ${LOCAL_HOOK} does not exist in ${LOCAL}: deploy it there`);

    ctx.emulator.addLambdaFunction(LOCAL_HOOK);
    expect((await replay(item)).action).toBe('created');
    expect(await describeHere()).toMatchObject({
      description: 'fleet provisioning',
      enabled: true,
      provisioningRoleArn: ROLE,
      preProvisioningHook: { targetArn: LOCAL_HOOK },
      type: 'FLEET_PROVISIONING',
    });
    expect((await replay(item)).action).toBe('unchanged');
  });

  test('a new body becomes a new default version; settings are updated; the hook removed', async () => {
    ctx.emulator.addLambdaFunction(LOCAL_HOOK);
    await ctx.operator.send(
      new CreateProvisioningTemplateCommand({
        templateName: 'fleet',
        templateBody: body('old'),
        enabled: false,
        provisioningRoleArn: ROLE,
        description: 'old',
        preProvisioningHook: { targetArn: LOCAL_HOOK },
      }),
    );
    const item = template({});
    expect((await replay(item)).action).toBe('updated');
    const here = await describeHere();
    expect(canonicalDocument(here.templateBody ?? '')).toBe(body('fleet'));
    expect(here).toMatchObject({ enabled: true });
    expect(here.description ?? '').toBe('');
    expect(here.preProvisioningHook).toBeUndefined();
    expect((await replay(item)).action).toBe('unchanged');
  });

  test('keeps within five versions: the oldest non-default version makes room', async () => {
    await ctx.operator.send(new CreateProvisioningTemplateCommand({ templateName: 'fleet', templateBody: body('v1'), enabled: true, provisioningRoleArn: ROLE }));
    for (const v of ['v2', 'v3', 'v4', 'v5']) {
      await ctx.operator.send(new CreateProvisioningTemplateVersionCommand({ templateName: 'fleet', templateBody: body(v), setAsDefault: true }));
    }
    expect((await replay(template({}))).action).toBe('updated');
    const versions = (await ctx.operator.send(new ListProvisioningTemplateVersionsCommand({ templateName: 'fleet' }))).versions ?? [];
    expect(versions).toHaveLength(5);
    expect(canonicalDocument((await describeHere()).templateBody ?? '')).toBe(body('fleet'));
  });

  test('deletes the template for a tombstone; nothing to do when it is not here', async () => {
    await ctx.operator.send(new CreateProvisioningTemplateCommand({ templateName: 'fleet', templateBody: body('fleet'), enabled: true, provisioningRoleArn: ROLE }));
    expect((await replay(template(undefined))).action).toBe('deleted');
    expect(ctx.emulator.identitySnapshot().provisioningTemplates).toEqual([]);
    expect((await replay(template(undefined))).action).toBe('unchanged');
  });

  test('a hook of another region is not checked here (IoT decides)', async () => {
    const foreign = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:check-serial`;
    expect((await replay(template({ preProvisioningHook: { targetArn: foreign, payloadVersion: '2020-04-01' } }))).action).toBe('created');
    expect((await describeHere()).preProvisioningHook?.targetArn).toBe(foreign);
  });
});
