import { AttachThingPrincipalCommand, CreateThingCommand, DetachThingPrincipalCommand, RegisterCertificateWithoutCACommand } from '@aws-sdk/client-iot';
import { createPrincipalReplay } from '../../../lambda/replay/principal';
import { certKeys, principalKeys, thingKeys } from '../../../lambda/shared/keys';
import type { JournalItem } from '../../../lambda/shared/model';
import { issueCertificate } from '../../support/x509';
import { captureConsole, failureOf, type IdentityTestContext, journalItem, newContext, NOW, startWorld, stopWorld } from './identity-harness';

beforeAll(startWorld);
afterAll(stopWorld);

let ctx: IdentityTestContext;
beforeEach(async () => {
  ctx = await newContext();
  captureConsole();
});
afterEach(() => jest.restoreAllMocks());

const cert = issueCertificate({ subject: 'lamp-1' });

function principal(live: boolean, eventTime = NOW - 2000): JournalItem {
  return journalItem({
    keys: principalKeys('lamp-1', cert.certificateId),
    kind: 'principal',
    state: live ? { thingName: 'lamp-1', certificateId: cert.certificateId } : undefined,
    eventTime,
  });
}

const replay = (item: JournalItem) => ctx.replay(createPrincipalReplay(ctx.deps), item);
const thingHere = () => ctx.operator.send(new CreateThingCommand({ thingName: 'lamp-1' }));
const certHere = async () => (await ctx.operator.send(new RegisterCertificateWithoutCACommand({ certificatePem: cert.certificatePem, status: 'ACTIVE' }))).certificateArn ?? '';

describe('thing principal replay', () => {
  test('attaches the certificate to the thing, and detaches it for a tombstone', async () => {
    await thingHere();
    await certHere();
    expect((await replay(principal(true, NOW - 3000))).action).toBe('created');
    expect(ctx.emulator.identitySnapshot().thingPrincipals).toEqual([['lamp-1', cert.certificateId]]);
    expect((await replay(principal(true, NOW - 3000))).action).toBe('unchanged');
    expect((await replay(principal(false, NOW - 2000))).action).toBe('deleted');
    expect(ctx.emulator.identitySnapshot().thingPrincipals).toEqual([]);
  });

  test('waits for the thing, then for the certificate', async () => {
    expect(await failureOf(replay(principal(true)))).toMatchObject({ name: 'DependencyNotReady', missing: thingKeys('lamp-1').sk });
    await thingHere();
    expect(await failureOf(replay(principal(true)))).toMatchObject({ name: 'DependencyNotReady', missing: certKeys(cert.certificateId).sk });
    await certHere();
    expect((await replay(principal(true))).action).toBe('created');
    // Written first; what was missing is told by DescribeThing, never by DescribeCertificate (a 10 TPS quota).
    expect(ctx.emulator.callCounts().DescribeCertificate ?? 0).toBe(0);
    expect(ctx.emulator.callCounts().ListThingPrincipals ?? 0).toBe(0);
  });

  test('is dead when the journal has its certificate or its thing deleted', async () => {
    await thingHere();
    await ctx.putItem(journalItem({ keys: certKeys(cert.certificateId), kind: 'cert' }));
    expect((await replay(principal(true))).action).toBe('unchanged');
    await ctx.putItem(journalItem({ keys: thingKeys('lamp-2'), kind: 'thing' }));
    const other = journalItem({ keys: principalKeys('lamp-2', cert.certificateId), kind: 'principal', state: { thingName: 'lamp-2', certificateId: cert.certificateId } });
    expect((await replay(other)).action).toBe('unchanged');
  });

  test('does not undo a local detach capture has not journaled yet', async () => {
    await thingHere();
    const arn = await certHere();
    await ctx.operator.send(new AttachThingPrincipalCommand({ thingName: 'lamp-1', principal: arn }));
    // Nothing known yet: written first (an idempotent attach), which records the attachment as known.
    expect((await replay(principal(true, NOW - 3000))).action).toBe('created');
    await ctx.operator.send(new DetachThingPrincipalCommand({ thingName: 'lamp-1', principal: arn }));
    expect((await failureOf(replay(principal(true, NOW - 2000)))).name).toBe('LocalChangePending');
  });
});
