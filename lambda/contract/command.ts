/**
 * Names the command-and-control API's constructs (CommandApi in the command-control account,
 * CommandAccessRole in the iot-services account) and its handler share: fixed role names, so each account
 * computes the other's ARNs without a cross-account reference, the environment, the routes and the
 * idempotency table's layout.
 */

/** `cdk-iot-dr-command-api-<region>`: the command function's role in the command-control account. */
export function commandFunctionRoleName(region: string): string {
  return `cdk-iot-dr-command-api-${region}`;
}

/** `cdk-iot-dr-command-access-<region>`: the role the command functions assume in the iot-services account. */
export function commandAccessRoleName(region: string): string {
  return `cdk-iot-dr-command-access-${region}`;
}

/** `arn:<partition>:iam::<account>:role/<name>`. */
export function iamRoleArn(account: string, roleName: string, partition: string = 'aws'): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`;
}

export const COMMAND_ENV = {
  /** The iot-services account holding IoT, the journal and the echo ledger. */
  iotServicesAccount: 'IOT_SERVICES_ACCOUNT',
  /** ARN of this region's CommandAccessRole. */
  accessRoleArn: 'ACCESS_ROLE_ARN',
  /** The other region of the pair (status reads it there); unset: status reports this region only. */
  peerRegion: 'PEER_REGION',
  /** ARN of the peer region's CommandAccessRole. */
  peerAccessRoleArn: 'PEER_ACCESS_ROLE_ARN',
  /** The idempotency table (command-control account). */
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  /** How long a completed request's answer is kept for retries, seconds. */
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  /** How long an in-flight request holds its key before a retry may take it over, seconds. */
  inFlightLeaseSeconds: 'IN_FLIGHT_LEASE_SECONDS',
} as const;

/** One day: a client retrying later than that sends a new key. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** The API stage. */
export const COMMAND_STAGE = 'v1';

/** The header every mutating call carries. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Idempotency keys: 8 to 128 characters of letters, digits, '-', '_', '.', ':'. (A UUID fits.) */
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9._:-]{8,128}$';

/** IoT thing names; also keeps '#' out of journal keys. */
export const THING_NAME_PATTERN = '^[a-zA-Z0-9:_-]{1,128}$';
export const POLICY_NAME_PATTERN = '^[\\w+=,.@-]{1,128}$';
export const THING_GROUP_NAME_PATTERN = '^[a-zA-Z0-9:_-]{1,128}$';
export const THING_TYPE_NAME_PATTERN = '^[a-zA-Z0-9:_-]{1,128}$';

/** Resource path segments: `/devices`, `/devices/{thingName}`, `/devices/{thingName}/suspend`, `/devices/{thingName}/resume`. */
export const COMMAND_PATHS = {
  devices: 'devices',
  thingName: 'thingName',
  suspend: 'suspend',
  resume: 'resume',
} as const;

/** Idempotency table: partition key `key`, TTL `expiresAt`. */
export const IDEMPOTENCY_ATTR = { partitionKey: 'key', ttl: 'expiresAt' } as const;
