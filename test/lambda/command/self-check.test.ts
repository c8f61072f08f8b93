import { commandSelfCheck, isApiGatewayEvent, PROBE_THING_NAME } from '../../../lambda/command/self-check';

const named = (name: string, message = name): Error => Object.assign(new Error(message), { name });

describe('the command API self-check (the regional health API invokes the function with {})', () => {
  const journalOk = { get: jest.fn().mockResolvedValue(undefined) };

  it('is healthy when IoT answers ResourceNotFound for the probe thing and the journal reads', async () => {
    const send = jest.fn().mockRejectedValue(named('ResourceNotFoundException'));
    await expect(commandSelfCheck({ iot: { send }, journal: journalOk })).resolves.toEqual({ healthy: true });
    expect(send.mock.calls[0][0].input).toEqual({ thingName: PROBE_THING_NAME });
  });

  it('is healthy when a thing of the probe name exists', async () => {
    const send = jest.fn().mockResolvedValue({ thingName: PROBE_THING_NAME });
    await expect(commandSelfCheck({ iot: { send }, journal: journalOk })).resolves.toEqual({ healthy: true });
  });

  it('names the failed step: the access role or IoT', async () => {
    const send = jest.fn().mockRejectedValue(named('AccessDenied', 'not authorized to perform sts:AssumeRole'));
    await expect(commandSelfCheck({ iot: { send }, journal: journalOk })).resolves.toEqual({
      healthy: false,
      detail: 'IoT registry read through the access role failed: AccessDenied: not authorized to perform sts:AssumeRole',
    });
  });

  it('names the failed step: the journal', async () => {
    const send = jest.fn().mockRejectedValue(named('ResourceNotFoundException'));
    const journal = { get: jest.fn().mockRejectedValue(named('ResourceNotFoundException', 'Requested resource not found: Table: iot-dr-journal not found')) };
    await expect(commandSelfCheck({ iot: { send }, journal })).resolves.toEqual({
      healthy: false,
      detail: 'journal read through the access role failed: ResourceNotFoundException: Requested resource not found: Table: iot-dr-journal not found',
    });
  });

  it('tells API Gateway requests from direct invocations', () => {
    expect(isApiGatewayEvent({ httpMethod: 'GET', path: '/devices/a' })).toBe(true);
    expect(isApiGatewayEvent({})).toBe(false);
    expect(isApiGatewayEvent(null)).toBe(false);
  });
});
