/**
 * Failover names the constructs, the handlers, the operator CLI and the device helper agree on. No runtime
 * imports here (see index.ts).
 */

/**
 * The MQTT topic of the failover notice, published in both regions (QoS 1, not retained) when Route 53's view
 * of a region changes or an operator switches the mode. Devices subscribe to it and re-resolve the endpoint
 * at once instead of waiting for their periodic lookup.
 */
export const FAILOVER_NOTICE_TOPIC = 'cdk-iot-dr/failover';

/** The failover notice's payload (JSON). */
export interface FailoverNotice {
  /** The region devices should be connected to now, e.g. 'us-east-1'. */
  readonly activeRegion: string;
  /** Why: e.g. 'health-check-alarm', 'manual:force-secondary', 'region-switch:activate'. */
  readonly reason: string;
  /** When the decision was made, ISO 8601. */
  readonly at: string;
}

/** Parses a notice a device received; `undefined` when it is not one. */
export function parseFailoverNotice(payload: string | Uint8Array): FailoverNotice | undefined {
  try {
    const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
    const value = JSON.parse(text) as Partial<FailoverNotice>;
    if (typeof value.activeRegion === 'string' && typeof value.reason === 'string' && typeof value.at === 'string') {
      return { activeRegion: value.activeRegion, reason: value.reason, at: value.at };
    }
  } catch {
    // Not JSON: not a notice.
  }
  return undefined;
}

/** The TXT record naming the active region: `active-region.<domain>`, value `"<region>"`. */
export const ACTIVE_REGION_RECORD_PREFIX = 'active-region';

/** Environment variables of the failover handlers. */
export const FAILOVER_ENV = {
  /** JSON `{ "<region>": { "endpoint": "<iot:Data-ATS host>", "roleArn"?: "<role to assume>" } }`. */
  noticeTargets: 'FAILOVER_NOTICE_TARGETS',
  primaryRegion: 'FAILOVER_PRIMARY_REGION',
  secondaryRegion: 'FAILOVER_SECONDARY_REGION',
  /** JSON `{ "primary": "<health check id>", "secondary": "<health check id>" }`. */
  healthCheckIds: 'FAILOVER_HEALTH_CHECK_IDS',
  hostedZoneId: 'FAILOVER_HOSTED_ZONE_ID',
  /** Full name of the TXT record, e.g. `active-region.example.com`. */
  activeRegionRecordName: 'FAILOVER_ACTIVE_REGION_RECORD',
  /** TTL of the TXT record, seconds. */
  recordTtlSeconds: 'FAILOVER_RECORD_TTL_SECONDS',
  /** Name of the SSM parameter holding the manual mode (`DEFAULT_MANUAL_MODE_PARAMETER_NAME` in health.ts). */
  modeParameterName: 'FAILOVER_MODE_PARAMETER',
  /** Readiness thresholds of the region-switch step. */
  maxReplicationLagSeconds: 'FAILOVER_MAX_REPLICATION_LAG_SECONDS',
  maxDriftFailed: 'FAILOVER_MAX_DRIFT_FAILED',
  maxParkedItems: 'FAILOVER_MAX_PARKED_ITEMS',
  /** JSON `{ "<region>": { "roleArn"?: string, "parkingQueueName"?: string } }`: where readiness metrics are read. */
  readinessSources: 'FAILOVER_READINESS_SOURCES',
  metricsNamespace: 'FAILOVER_METRICS_NAMESPACE',
} as const;
