/**
 * Credentials of the CommandAccessRole of a region (iot-services account), assumed with STS and cached until
 * shortly before they expire: one AssumeRole per container and role every few minutes, not one per request.
 * A failed AssumeRole is not cached; the next request tries again.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

export interface AssumedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export interface AssumeRoleOptions {
  /** Role session name: it shows in the iot-services account's CloudTrail. */
  readonly sessionName: string;
  /** @default 900 seconds, the shortest STS allows: the function needs minutes, not hours */
  readonly durationSeconds?: number;
  /** Credentials are renewed this long before they expire. @default 5 minutes */
  readonly refreshMarginMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** An SDK credentials provider for `roleArn` (give it to a client as `credentials`). */
export function assumedRoleCredentials(
  sts: Pick<STSClient, 'send'>,
  roleArn: string,
  options: AssumeRoleOptions,
): () => Promise<AssumedCredentials> {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  let cached: Promise<AssumedCredentials> | undefined;
  const assume = async (): Promise<AssumedCredentials> => {
    const res = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: options.sessionName, DurationSeconds: options.durationSeconds ?? 900 }),
    );
    const c = res.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole of ${roleArn} returned no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };
  return async () => {
    if (cached) {
      const current = await cached.catch(() => undefined);
      if (current && (!current.expiration || current.expiration.getTime() - margin > now())) return current;
    }
    const next = assume();
    cached = next;
    next.catch(() => {
      if (cached === next) cached = undefined;
    });
    return next;
  };
}
