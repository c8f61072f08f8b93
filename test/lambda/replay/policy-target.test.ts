import { AttachPolicyCommand, CreatePolicyCommand, CreateThingGroupCommand, DetachPolicyCommand, RegisterCertificateWithoutCACommand } from '@aws-sdk/client-iot';
import { createPolicyTargetReplay } from '../../../lambda/replay/policy-target';
import { certKeys, certTarget, policyKeys, policyTargetKeys, thingGroupKeys, thingGroupTarget } from '../../../lambda/shared/keys';
import type { JournalItem } from '../../../lambda/shared/model';
import { issueCertificate } from '../../support/x509';
import { ACCOUNT, captureConsole, failureOf, type IdentityTestContext, journalItem, LOCAL, newContext, NOW, startWorld, stopWorld } from './identity-harness';

beforeAll(startWorld);
afterAll(stopWorld);

let ctx: IdentityTestContext;
beforeEach(async () => {
  ctx = await newContext();
  captureConsole();
});
afterEach(() => jest.restoreAllMocks());

const cert = issueCertificate({ subject: 'lamp-1' });
const DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}';

function attachment(target: string, live: boolean, eventTime = NOW - 2000): JournalItem {
  return journalItem({ keys: policyTargetKeys('fleet', target), kind: 'policyTarget', state: live ? { policyName: 'fleet', target } : undefined, eventTime });
}

const replay = (item: JournalItem) => ctx.replay(createPolicyTargetReplay(ctx.deps), item);
const policyHere = () => ctx.operator.send(new CreatePolicyCommand({ policyName: 'fleet', policyDocument: DOCUMENT }));
const certHere = async () => (await ctx.operator.send(new RegisterCertificateWithoutCACommand({ certificatePem: cert.certificatePem, status: 'ACTIVE' }))).certificateArn ?? '';
const groupHere = async () => (await ctx.operator.send(new CreateThingGroupCommand({ thingGroupName: 'floor-1' }))).thingGroupArn ?? '';

describe('policy attachment replay', () => {
  test("attaches to a certificate by this region's ARN", async () => {
    await policyHere();
    const arn = await certHere();
    expect(arn).toBe(`arn:aws:iot:${LOCAL}:${ACCOUNT}:cert/${cert.certificateId}`);
    const item = attachment(certTarget(cert.certificateId), true);
    expect((await replay(item)).action).toBe('created');
    expect(ctx.emulator.identitySnapshot().policyTargets).toEqual([['fleet', `cert/${cert.certificateId}`]]);
    expect((await replay(item)).action).toBe('unchanged');
  });

  test('attaches to a thing group, and detaches for a tombstone', async () => {
    await policyHere();
    await groupHere();
    expect((await replay(attachment(thingGroupTarget('floor-1'), true, NOW - 3000))).action).toBe('created');
    expect((await replay(attachment(thingGroupTarget('floor-1'), false, NOW - 2000))).action).toBe('deleted');
    expect(ctx.emulator.identitySnapshot().policyTargets).toEqual([]);
  });

  test('waits for its certificate, then for its policy', async () => {
    const item = attachment(certTarget(cert.certificateId), true);
    expect(await failureOf(replay(item))).toMatchObject({ name: 'DependencyNotReady', missing: certKeys(cert.certificateId).sk });
    await certHere();
    expect(await failureOf(replay(item))).toMatchObject({ name: 'DependencyNotReady', missing: policyKeys('fleet').sk });
    await policyHere();
    expect((await replay(item)).action).toBe('created');
  });

  test('is dead when the journal has its target deleted', async () => {
    await policyHere();
    await ctx.putItem(journalItem({ keys: thingGroupKeys('floor-1'), kind: 'thingGroup' }));
    expect((await replay(attachment(thingGroupTarget('floor-1'), true))).action).toBe('unchanged');
    expect(ctx.emulator.identitySnapshot().policyTargets).toEqual([]);
  });

  test('a tombstone of an attachment not here changes nothing', async () => {
    expect((await replay(attachment(thingGroupTarget('floor-1'), false))).action).toBe('unchanged');
  });

  test('does not undo a local detach capture has not journaled yet', async () => {
    await policyHere();
    const arn = await groupHere();
    await ctx.operator.send(new AttachPolicyCommand({ policyName: 'fleet', target: arn }));
    // Nothing known yet: written first (an idempotent attach), which records the attachment as known.
    expect((await replay(attachment(thingGroupTarget('floor-1'), true, NOW - 3000))).action).toBe('created');
    await ctx.operator.send(new DetachPolicyCommand({ policyName: 'fleet', target: arn }));
    expect((await failureOf(replay(attachment(thingGroupTarget('floor-1'), true, NOW - 2000)))).name).toBe('LocalChangePending');
  });

  test('a key whose target is neither form is malformed', async () => {
    const item = journalItem({ keys: { pk: 'policy#fleet', sk: 'policyTarget#fleet#role/x' }, kind: 'policyTarget', state: { policyName: 'fleet', target: 'role/x' } });
    expect((await failureOf(replay(item))).name).toBe('MalformedInput');
  });
});
