/** Reads the failover handlers' environment (names in lambda/contract/failover.ts) and builds their clients. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { Route53Client } from '@aws-sdk/client-route-53';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { DEFAULT_METRICS_NAMESPACE, FAILOVER_ENV } from '../contract';
import { DEFAULT_MANUAL_MODE_PARAMETER_NAME, type ManualMode } from '../contract/health';
import type { FailoverTargets } from './manual-mode';
import { parseNoticeTargets, type DataPlaneFactory, type NoticeTarget } from './notice';
import type { ReadinessSource, ReadinessThresholds } from './readiness';

export function readNotifierConfig(env: HandlerEnvironment): {
  primaryRegion: string;
  secondaryRegion: string;
  healthCheckIds: { primary: string; secondary: string };
  noticeTargets: NoticeTarget[];
} {
  return {
    primaryRegion: env.required(FAILOVER_ENV.primaryRegion),
    secondaryRegion: env.required(FAILOVER_ENV.secondaryRegion),
    healthCheckIds: parseHealthCheckIds(env.required(FAILOVER_ENV.healthCheckIds)),
    noticeTargets: parseNoticeTargets(env.required(FAILOVER_ENV.noticeTargets)),
  };
}

/** The active-region TXT record, when the construct configured one. */
export function readActiveRegionRecord(env: HandlerEnvironment): { hostedZoneId: string; activeRegionRecordName: string; recordTtlSeconds: number } | undefined {
  const hostedZoneId = env.optional(FAILOVER_ENV.hostedZoneId, '');
  const activeRegionRecordName = env.optional(FAILOVER_ENV.activeRegionRecordName, '');
  if (!hostedZoneId || !activeRegionRecordName) return undefined;
  return { hostedZoneId, activeRegionRecordName, recordTtlSeconds: env.seconds(FAILOVER_ENV.recordTtlSeconds, 10) };
}

export function readFailoverTargets(env: HandlerEnvironment): FailoverTargets {
  const zone = env.optional(FAILOVER_ENV.hostedZoneId, '');
  const record = env.optional(FAILOVER_ENV.activeRegionRecordName, '');
  return {
    primaryRegion: env.required(FAILOVER_ENV.primaryRegion),
    secondaryRegion: env.required(FAILOVER_ENV.secondaryRegion),
    healthCheckIds: parseHealthCheckIds(env.required(FAILOVER_ENV.healthCheckIds)),
    ...(zone && record ? { hostedZoneId: zone, activeRegionRecordName: record } : {}),
    recordTtlSeconds: env.seconds(FAILOVER_ENV.recordTtlSeconds, 10),
    modeParameterName: env.optional(FAILOVER_ENV.modeParameterName, DEFAULT_MANUAL_MODE_PARAMETER_NAME),
  };
}

export function readThresholds(env: HandlerEnvironment): ReadinessThresholds {
  const count = (name: string, fallback: number): number => {
    const raw = env.optional(name, String(fallback));
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`region-switch Lambda: ${name} must be a whole number >= 0, got '${raw}'`);
    return n;
  };
  return {
    maxReplicationLagSeconds: env.seconds(FAILOVER_ENV.maxReplicationLagSeconds, 300),
    maxParkedItems: count(FAILOVER_ENV.maxParkedItems, 100),
    maxDriftFailed: count(FAILOVER_ENV.maxDriftFailed, 0),
  };
}

/** `{ "<region>": { "roleArn"?: ..., "parkingQueueName"?: ... } }` → this region's source and role. */
export function readReadinessSource(env: HandlerEnvironment, region: string): ReadinessSource & { roleArn?: string } {
  const all = JSON.parse(env.optional(FAILOVER_ENV.readinessSources, '{}')) as Record<string, { roleArn?: string; parkingQueueName?: string }>;
  const mine = all[region] ?? {};
  return {
    namespace: env.optional(FAILOVER_ENV.metricsNamespace, DEFAULT_METRICS_NAMESPACE),
    ...(mine.parkingQueueName ? { parkingQueueName: mine.parkingQueueName } : {}),
    ...(mine.roleArn ? { roleArn: mine.roleArn } : {}),
  };
}

function parseHealthCheckIds(raw: string): { primary: string; secondary: string } {
  const ids = JSON.parse(raw) as { primary?: string; secondary?: string };
  if (!ids.primary || !ids.secondary) throw new Error(`${FAILOVER_ENV.healthCheckIds} must name the primary and the secondary health check, got ${raw}`);
  return { primary: ids.primary, secondary: ids.secondary };
}

/** Credentials of `roleArn` when given (a role in another account), else the function's own. */
function credentialsFor(roleArn: string | undefined, region: string): ReturnType<typeof fromTemporaryCredentials> | undefined {
  return roleArn
    ? fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: 'cdk-iot-dr-failover' }, clientConfig: { region } })
    : undefined;
}

/** One IoT data-plane client per target, created on first use and kept for the container's life. */
export function dataPlaneClients(): DataPlaneFactory {
  const clients = new Map<string, IoTDataPlaneClient>();
  return (target) => {
    const key = `${target.region}|${target.endpoint}|${target.roleArn ?? ''}`;
    let client = clients.get(key);
    if (!client) {
      const credentials = credentialsFor(target.roleArn, target.region);
      client = new IoTDataPlaneClient({
        region: target.region,
        // A host name as `describe-endpoint` prints it; a full URL is taken as is (tests, VPC endpoints).
        endpoint: /^https?:\/\//.test(target.endpoint) ? target.endpoint : `https://${target.endpoint}`,
        maxAttempts: 2,
        ...(credentials ? { credentials } : {}),
      });
      clients.set(key, client);
    }
    return client;
  };
}

/** Route 53 is global; its control plane lives in us-east-1. */
export function route53Client(): Route53Client {
  return new Route53Client({ region: 'us-east-1' });
}

export function cloudWatchClient(region: string, roleArn?: string): CloudWatchClient {
  const credentials = credentialsFor(roleArn, region);
  return new CloudWatchClient({ region, ...(credentials ? { credentials } : {}) });
}

/** Writes the mode parameter in `region`, with one client per region and a short timeout (the region may be down). */
export function modeParameterWriter(): (region: string, name: string, mode: ManualMode) => Promise<void> {
  const clients = new Map<string, SSMClient>();
  return async (region, name, mode) => {
    let client = clients.get(region);
    if (!client) {
      client = new SSMClient({ region, maxAttempts: 2 });
      clients.set(region, client);
    }
    await client.send(
      new PutParameterCommand({ Name: name, Value: mode, Type: 'String', Overwrite: true, Description: 'cdk-iot-dr failover mode: auto | force-primary | force-secondary' }),
      { abortSignal: AbortSignal.timeout(5000) },
    );
  };
}

/**
 * Reads one handler's environment; errors name the variable. (lambda/shared/config's reader imports the
 * DynamoDB and IoT clients, which this bundle does not need.)
 */
export class HandlerEnvironment {
  constructor(
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly handler: string,
  ) {}

  required(name: string): string {
    const value = this.env[name];
    if (!value) throw new Error(`${this.handler} Lambda: environment variable ${name} must be set`);
    return value;
  }

  optional(name: string, fallback: string): string {
    return this.env[name] || fallback;
  }

  /** A positive whole number of seconds, or `fallback` when unset. */
  seconds(name: string, fallback: number): number {
    const raw = this.env[name];
    if (!raw) return fallback;
    const seconds = Number(raw);
    if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new Error(`${this.handler} Lambda: ${name} must be a positive whole number of seconds, got '${raw}'`);
    return seconds;
  }
}
