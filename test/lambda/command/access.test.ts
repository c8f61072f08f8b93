import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { assumedRoleCredentials } from '../../../lambda/command/access';

describe('assumedRoleCredentials', () => {
  test('assumes once and caches until shortly before expiry; a failure is not cached', async () => {
    let now = 1_000_000;
    const calls: AssumeRoleCommand[] = [];
    let fail = false;
    const sts = {
      send: async (command: AssumeRoleCommand) => {
        calls.push(command);
        if (fail) throw Object.assign(new Error('denied'), { name: 'AccessDenied' });
        return { Credentials: { AccessKeyId: `AK${calls.length}`, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(now + 15 * 60_000) } };
      },
    };
     
    const provider = assumedRoleCredentials(sts as any, 'arn:aws:iam::444444444444:role/cdk-iot-dr-command-access-us-east-1', {
      sessionName: 'cdk-iot-dr-command-us-east-1',
      now: () => now,
    });
    expect((await provider()).accessKeyId).toBe('AK1');
    expect((await provider()).accessKeyId).toBe('AK1');
    expect(calls).toHaveLength(1);
    expect(calls[0].input).toEqual({
      RoleArn: 'arn:aws:iam::444444444444:role/cdk-iot-dr-command-access-us-east-1',
      RoleSessionName: 'cdk-iot-dr-command-us-east-1',
      DurationSeconds: 900,
    });
    now += 10 * 60_000 + 1; // within five minutes of expiry
    expect((await provider()).accessKeyId).toBe('AK2');
    now += 11 * 60_000;
    fail = true;
    await expect(provider()).rejects.toThrow('denied');
    fail = false;
    expect((await provider()).accessKeyId).toBe('AK4');
  });
});
