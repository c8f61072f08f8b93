/**
 * Whether a Lambda function exists in this region: replay checks a provisioning template's
 * pre-provisioning hook before writing the template. One signed GET of Lambda's GetFunctionConfiguration
 * (`GET /2015-03-31/functions/<name>/configuration`) instead of the Lambda SDK client, which would add
 * about 70 KiB to the replay bundle for this one call.
 */
import { RegistryThrottled, RegistryUnavailable } from './errors';
import { type CredentialsProvider, credentialsFromEnv, sendSigned } from './signed-request';

export interface FunctionChecker {
  /** True when the function exists, false when Lambda answers 404; throws on anything else. */
  functionExists(functionArn: string): Promise<boolean>;
}

export interface FunctionCheckerOptions {
  readonly region: string;
  /** @default `https://lambda.<region>.amazonaws.com` (tests point it at the IoT emulator, which serves this call) */
  readonly endpoint?: string;
  /** @default the Lambda runtime's credentials, from the environment */
  readonly credentials?: CredentialsProvider;
}

export function lambdaFunctionChecker(options: FunctionCheckerOptions): FunctionChecker {
  const endpoint = options.endpoint ?? `https://lambda.${options.region}.amazonaws.com`;
  const credentials = options.credentials ?? credentialsFromEnv();
  return {
    async functionExists(functionArn) {
      const url = `${endpoint}/2015-03-31/functions/${encodeURIComponent(functionArn)}/configuration`;
      const answer = await sendSigned({ url, method: 'GET', service: 'lambda', region: options.region }, credentials);
      if (answer.status === 200) return true;
      if (answer.status === 404) return false;
      const what = `Lambda GetFunctionConfiguration of ${functionArn} answered HTTP ${answer.status}`;
      if (answer.status === 429) throw new RegistryThrottled(what);
      if (answer.status >= 500) throw new RegistryUnavailable(what);
      // 403 (the role lacks lambda:GetFunctionConfiguration) and other refusals: never passes by waiting.
      throw new Error(`${what}: ${answer.body.slice(0, 200)}`);
    },
  };
}
