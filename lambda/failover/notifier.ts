/**
 * The failover notifier: SNS delivers the health-check alarms' state changes; a change of the primary's
 * check publishes the failover notice in both regions (and names the region in the active-region TXT record). Throws only when no region received a notice, so
 * Lambda's asynchronous retries (then the dead-letter queue) take over.
 */
import type { SNSEvent } from 'aws-lambda';
import { noticeForAlarm, publishNotice, type AlarmMessage, type DataPlaneFactory, type NoticeTarget, type NotifierConfig, type PublishOutcome } from './notice';

export interface NotifierDependencies {
  readonly clientFor: DataPlaneFactory;
  /**
   * UPSERTs the active-region TXT record (best effort: a failure is logged, the notice still goes out);
   * absent when the notifier is not configured with the zone.
   */
  readonly recordActiveRegion?: (region: string) => Promise<unknown>;
  readonly now: () => Date;
  readonly log: (message: string) => void;
}

export function createNotifier(
  config: NotifierConfig & { readonly noticeTargets: readonly NoticeTarget[] },
  deps: NotifierDependencies,
): (event: SNSEvent) => Promise<PublishOutcome[]> {
  return async (event) => {
    const outcomes: PublishOutcome[] = [];
    for (const record of event.Records ?? []) {
      let message: AlarmMessage;
      try {
        message = JSON.parse(record.Sns.Message) as AlarmMessage;
      } catch {
        deps.log(`ignored an SNS message that is not a CloudWatch alarm: ${record.Sns.Message.slice(0, 200)}`);
        continue;
      }
      const notice = noticeForAlarm(message, config, deps.now());
      if (!notice) {
        deps.log(`no notice for ${message.AlarmName ?? 'an alarm'} → ${message.NewStateValue ?? '?'}`);
        continue;
      }
      const [published] = await Promise.all([
        publishNotice(notice, config.noticeTargets, deps.clientFor, deps.log),
        deps.recordActiveRegion?.(notice.activeRegion).catch((err: Error) => deps.log(`could not update the active-region record: ${err.message}`)),
      ]);
      if (published.length > 0 && published.every((o) => !o.ok)) {
        throw new Error(`The failover notice reached no region: ${published.map((o) => `${o.region}: ${o.error}`).join('; ')}`);
      }
      outcomes.push(...published);
    }
    return outcomes;
  };
}
