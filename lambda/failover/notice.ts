/**
 * The failover notice: which region devices should be on now, published on FAILOVER_NOTICE_TOPIC in both
 * regions, best effort (one region failing is logged and does not stop the other; the region that is down
 * is usually the one that fails). It only speeds devices up: DNS stays the source of truth.
 */
import { PublishCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { FAILOVER_NOTICE_TOPIC, type FailoverNotice } from '../contract/failover';
import type { RegionRole } from '../contract/health';

/** Where a notice is published: one region's IoT data endpoint, maybe through a role in another account. */
export interface NoticeTarget {
  readonly region: string;
  /** `<prefix>-ats.iot.<region>.amazonaws.com` (aws iot describe-endpoint --endpoint-type iot:Data-ATS). */
  readonly endpoint: string;
  /** Role in the iot-services account allowed iot:Publish on the notice topic; absent: the function's own role. */
  readonly roleArn?: string;
}

export type DataPlaneFactory = (target: NoticeTarget) => Pick<IoTDataPlaneClient, 'send'>;

export interface PublishOutcome {
  readonly region: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** Publishes `notice` to every target in parallel; never throws, reports per region. */
export async function publishNotice(
  notice: FailoverNotice,
  targets: readonly NoticeTarget[],
  clientFor: DataPlaneFactory,
  log: (message: string) => void = () => undefined,
): Promise<PublishOutcome[]> {
  const payload = new TextEncoder().encode(JSON.stringify(notice));
  return Promise.all(
    targets.map(async (target): Promise<PublishOutcome> => {
      try {
        await clientFor(target).send(new PublishCommand({ topic: FAILOVER_NOTICE_TOPIC, qos: 1, retain: false, payload }));
        log(`failover notice (active ${notice.activeRegion}) published in ${target.region}`);
        return { region: target.region, ok: true };
      } catch (err) {
        const error = `${(err as Error).name ?? 'Error'}: ${(err as Error).message}`;
        log(`could not publish the failover notice in ${target.region} (the other region is still tried): ${error}`);
        return { region: target.region, ok: false, error };
      }
    }),
  );
}

/** The CloudWatch alarm state change SNS delivers (the fields used here). */
export interface AlarmMessage {
  readonly AlarmName?: string;
  readonly NewStateValue?: string;
  readonly NewStateReason?: string;
  readonly StateChangeTime?: string;
  readonly Trigger?: { readonly Dimensions?: readonly { readonly name?: string; readonly value?: string }[] };
}

export interface NotifierConfig {
  readonly primaryRegion: string;
  readonly secondaryRegion: string;
  readonly healthCheckIds: { readonly primary: string; readonly secondary: string };
}

/**
 * The notice an alarm transition calls for: the primary's check in ALARM → the secondary is active; back to
 * OK → the primary is active again. The secondary's own alarm moves nobody (devices are on the primary, or
 * the secondary is all there is), so it gives no notice. INSUFFICIENT_DATA gives none either.
 */
export function noticeForAlarm(message: AlarmMessage, config: NotifierConfig, now: Date): FailoverNotice | undefined {
  const id = message.Trigger?.Dimensions?.find((d) => d.name === 'HealthCheckId')?.value;
  const role: RegionRole | undefined =
    id === config.healthCheckIds.primary ? 'primary' : id === config.healthCheckIds.secondary ? 'secondary' : undefined;
  if (role !== 'primary') return undefined;
  if (message.NewStateValue === 'ALARM') {
    return { activeRegion: config.secondaryRegion, reason: `health-check-alarm:${config.primaryRegion}-unhealthy`, at: now.toISOString() };
  }
  if (message.NewStateValue === 'OK') {
    return { activeRegion: config.primaryRegion, reason: `health-check-alarm:${config.primaryRegion}-healthy`, at: now.toISOString() };
  }
  return undefined;
}

/** Parses NOTICE_TARGETS (`{ "<region>": { "endpoint": ..., "roleArn"?: ... } }`). */
export function parseNoticeTargets(raw: string): NoticeTarget[] {
  const value = JSON.parse(raw) as Record<string, { endpoint?: string; roleArn?: string }>;
  return Object.entries(value).map(([region, t]) => {
    if (!t?.endpoint) throw new Error(`notice target ${region} needs an endpoint`);
    return { region, endpoint: t.endpoint, ...(t.roleArn ? { roleArn: t.roleArn } : {}) };
  });
}
