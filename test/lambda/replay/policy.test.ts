import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateThingGroupCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iot';
import { planPolicyVersions, type VersionHere, createPolicyReplay } from '../../../lambda/replay/policy';
import { ACCOUNT_TOKEN, REGION_TOKEN, canonicalDocument } from '../../../lambda/shared/identity-state';
import { policyKeys, policyTargetKey } from '../../../lambda/shared/keys';
import type { JournalItem, PolicyState } from '../../../lambda/shared/model';
import { ACCOUNT, captureConsole, failureOf, type IdentityTestContext, journalItem, LOCAL, newContext, NOW, startWorld, stopWorld } from './identity-harness';

beforeAll(startWorld);
afterAll(stopWorld);

let ctx: IdentityTestContext;
beforeEach(async () => {
  ctx = await newContext();
  captureConsole();
});
afterEach(() => jest.restoreAllMocks());

/** A canonical policy document allowing `action` on this region's topic `topic`, region-neutral. */
const doc = (action: string, topic = 'telemetry'): string =>
  canonicalDocument(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: action, Resource: `arn:aws:iot:${REGION_TOKEN}:${ACCOUNT_TOKEN}:topic/${topic}` }],
    }),
  );
const local = (document: string): string => document.split(REGION_TOKEN).join(LOCAL).split(ACCOUNT_TOKEN).join(ACCOUNT);

function policyItem(documents: string[] | undefined, defaultIndex = 0, eventTime = NOW - 2000): JournalItem {
  return journalItem({
    keys: policyKeys('fleet'),
    kind: 'policy',
    state: documents === undefined ? undefined : { policyName: 'fleet', documents, defaultIndex },
    eventTime,
  });
}

const replay = (item: JournalItem) => ctx.replay(createPolicyReplay(ctx.deps), item);

/** The policy's documents here in version order, and the default's. */
async function versionsHere(): Promise<{ documents: string[]; defaultDocument: string }> {
  const listed = await ctx.operator.send(new ListPolicyVersionsCommand({ policyName: 'fleet' }));
  const versions = [...(listed.policyVersions ?? [])].sort((a, b) => Number(a.versionId) - Number(b.versionId));
  const documents: string[] = [];
  let defaultDocument = '';
  for (const v of versions) {
    const got = await ctx.operator.send(new GetPolicyVersionCommand({ policyName: 'fleet', policyVersionId: v.versionId }));
    documents.push(canonicalDocument(got.policyDocument ?? ''));
    if (v.isDefaultVersion) defaultDocument = canonicalDocument(got.policyDocument ?? '');
  }
  return { documents, defaultDocument };
}

async function createHere(documents: string[], defaultIndex: number): Promise<void> {
  const ids = [(await ctx.operator.send(new CreatePolicyCommand({ policyName: 'fleet', policyDocument: local(documents[0]) }))).policyVersionId ?? '1'];
  for (const d of documents.slice(1)) {
    ids.push((await ctx.operator.send(new CreatePolicyVersionCommand({ policyName: 'fleet', policyDocument: local(d) }))).policyVersionId ?? '');
  }
  if (defaultIndex !== 0) await ctx.operator.send(new SetDefaultPolicyVersionCommand({ policyName: 'fleet', policyVersionId: ids[defaultIndex] }));
}

describe('policy replay', () => {
  test("creates an absent policy with every version, in order, the journal's default, ARNs of this region", async () => {
    const documents = [doc('iot:Connect'), doc('iot:Publish'), doc('iot:Subscribe')];
    const item = policyItem(documents, 1);
    expect((await replay(item)).action).toBe('created');
    expect(await versionsHere()).toEqual({ documents: documents.map(local), defaultDocument: local(documents[1]) });
    expect(JSON.stringify(await versionsHere())).toContain(`arn:aws:iot:${LOCAL}:${ACCOUNT}:topic/telemetry`);
    expect((await replay(item)).action).toBe('unchanged');
  });

  test('a policy with five versions and a new default: within five versions at every step', async () => {
    const [a, b, c, d, e, f, g] = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((t) => doc('iot:Publish', t));
    await createHere([a, b, c, d, e], 4);
    // The journal dropped a, c and the default e, and added f and g; g is the default.
    const item = policyItem([b, d, f, g], 3);
    expect((await replay(item)).action).toBe('updated');
    expect(await versionsHere()).toEqual({ documents: [b, d, f, g].map(local), defaultDocument: local(g) });
    expect((await replay(item)).action).toBe('unchanged');
  });

  test('five versions here, five in the journal, none shared, the old default last to go', async () => {
    const here = ['1', '2', '3', '4', '5'].map((t) => doc('iot:Receive', t));
    const wanted = ['6', '7', '8', '9', '10'].map((t) => doc('iot:Receive', t));
    await createHere(here, 2);
    expect((await replay(policyItem(wanted, 0))).action).toBe('updated');
    expect(await versionsHere()).toEqual({ documents: wanted.map(local), defaultDocument: local(wanted[0]) });
  });

  test('deletes a detached policy, its versions first', async () => {
    await createHere([doc('iot:Connect'), doc('iot:Publish')], 1);
    expect((await replay(policyItem(undefined))).action).toBe('deleted');
    expect((await failureOf(ctx.operator.send(new GetPolicyCommand({ policyName: 'fleet' })))).name).toBe('ResourceNotFoundException');
  });

  test('a policy still attached here is not deleted: DependencyNotReady naming the attachment', async () => {
    await createHere([doc('iot:Connect'), doc('iot:Publish')], 0);
    const group = await ctx.operator.send(new CreateThingGroupCommand({ thingGroupName: 'floor-1' }));
    await ctx.operator.send(new AttachPolicyCommand({ policyName: 'fleet', target: group.thingGroupArn }));
    const err = await failureOf(replay(policyItem(undefined)));
    expect(err).toMatchObject({ name: 'DependencyNotReady', missing: policyTargetKey('fleet', 'thinggroup/floor-1') });
    expect(err.message).toContain(group.thingGroupArn);
    // Nothing was deleted: not even the non-default version.
    expect((await versionsHere()).documents).toHaveLength(2);
  });

  test('a malformed document is refused for good (dead-lettered with the reason)', async () => {
    const err = await failureOf(replay(policyItem(['{"Version":"2012-10-17"}'])));
    expect(err.name).toBe('IdentityReplayRefused');
    expect(err.message).toContain('MalformedPolicyException');
  });

  test('does not overwrite a local change capture has not journaled yet', async () => {
    await createHere([doc('iot:Connect')], 0);
    expect((await replay(policyItem([doc('iot:Connect')], 0, NOW - 3000))).action).toBe('unchanged');
    await ctx.operator.send(new CreatePolicyVersionCommand({ policyName: 'fleet', policyDocument: local(doc('iot:Publish')), setAsDefault: true }));
    expect((await failureOf(replay(policyItem([doc('iot:Subscribe')], 0, NOW - 2000)))).name).toBe('LocalChangePending');
  });
});

describe('planPolicyVersions', () => {
  const v = (versionId: string, document: string, isDefault = false): VersionHere => ({ versionId, document, isDefault });
  const desired = (documents: string[], defaultIndex = 0): PolicyState => ({ policyName: 'p', documents, defaultIndex });

  test('keeps the longest prefix of the journal documents found here in order', () => {
    const here = [v('1', 'a'), v('2', 'x'), v('3', 'b', true), v('4', 'a')];
    const plan = planPolicyVersions(here, desired(['a', 'b', 'c']));
    expect(plan.kept.map((k) => k.versionId)).toEqual(['1', '3']);
    expect(plan.removed.map((k) => k.versionId)).toEqual(['2', '4']);
    expect(plan.created).toEqual(['c']);
  });

  test('documents here in another order are recreated in the journal order', () => {
    const plan = planPolicyVersions([v('1', 'b'), v('2', 'a', true)], desired(['a', 'b']));
    expect(plan.kept.map((k) => k.versionId)).toEqual(['2']);
    expect(plan.created).toEqual(['b']);
  });
});
