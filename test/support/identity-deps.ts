import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { IdentityDeps } from '../../lambda/replay/common';
import { lambdaFunctionChecker } from '../../lambda/shared/function-checker';

/** The account the emulators put in their ARNs (startIotEmulator's default). */
export const TEST_ACCOUNT_ID = '123456789012';

/**
 * The identity part of ReplayDeps for a test: data plane and Lambda clients at `endpoint` (an IoT emulator,
 * which serves both), signing as `accessKeyId` — the role name the emulator's CloudTrail events show.
 * Without an endpoint the clients point at a closed loopback port: any call fails fast, never reaching AWS.
 */
export function identityDeps(region: string, endpoint = 'http://127.0.0.1:9', accessKeyId = 'test'): IdentityDeps {
  const common = { region, endpoint, credentials: { accessKeyId, secretAccessKey: 'test' }, maxAttempts: 1 };
  return {
    accountId: TEST_ACCOUNT_ID,
    dataPlane: new IoTDataPlaneClient(common),
    functions: lambdaFunctionChecker({ region, endpoint, credentials: async () => ({ accessKeyId, secretAccessKey: 'test' }) }),
  };
}
