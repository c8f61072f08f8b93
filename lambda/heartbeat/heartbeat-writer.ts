/**
 * This region's heartbeat: one journal item, `heartbeat#<region>`, overwritten every minute with the time
 * of writing. The global table carries it to the peer, whose pipe and workflow pass it like any change of
 * this region, and the peer's replay turns its arrival into the replication-lag metric: lag is measured end
 * to end even when nobody changes the registry, and a stalled pipeline shows as missing data.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { heartbeatKey } from '../shared/keys';
import type { HeartbeatItem } from '../shared/model';
import { log } from '../shared/telemetry';
import { makeVersion } from '../shared/version';

export interface HeartbeatDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly journalTableName: string;
  /** This region (AWS_REGION): the heartbeat's key and origin. */
  readonly region: string;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** The heartbeat item `region` writes at `now`. */
export function heartbeatItem(region: string, now: number): HeartbeatItem {
  const key = heartbeatKey(region);
  const eventId = `heartbeat-${now}`;
  return {
    pk: key,
    sk: key,
    kind: 'heartbeat',
    version: makeVersion({ eventTime: now, originRegion: region, eventId }),
    eventTime: now,
    eventId,
    originRegion: region,
    deleted: false,
    stateHash: 'heartbeat',
    capturedAt: now,
  };
}

export type HeartbeatOutcome = 'written' | 'superseded';

/**
 * Writes the heartbeat unless the stored one is newer (the journal's "replace only if newer", so a late
 * invocation never moves the heartbeat back in time).
 */
export function createHeartbeatWriter(deps: HeartbeatDeps): () => Promise<{ key: string; eventTime: number; outcome: HeartbeatOutcome }> {
  return async () => {
    const item = heartbeatItem(deps.region, deps.now());
    let outcome: HeartbeatOutcome = 'written';
    try {
      await deps.doc.send(
        new PutCommand({
          TableName: deps.journalTableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#sk) OR #version < :version',
          ExpressionAttributeNames: { '#sk': 'sk', '#version': 'version' },
          ExpressionAttributeValues: { ':version': item.version },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as Error | undefined)?.name !== 'ConditionalCheckFailedException') throw err;
      outcome = 'superseded';
    }
    log('INFO', 'heartbeat', { key: item.sk, eventTime: item.eventTime, outcome });
    return { key: item.sk, eventTime: item.eventTime, outcome };
  };
}
