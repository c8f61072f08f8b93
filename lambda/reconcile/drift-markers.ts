/**
 * Drift markers: when the reconciler first saw a region at a local state the journal does not know
 * (`drift#<key>` items in the region's echo ledger table), so a local change is journaled only once it has
 * stayed the same for the grace period (see planner.ts).
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ECHO_ATTR } from '../contract';
import type { DriftMarker } from './planner';

const DRIFT_MARKER_PREFIX = 'drift#';
/** A drift marker outlives any sensible grace period, then expires. */
const DRIFT_MARKER_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface MarkerTable {
  readonly doc: Pick<DynamoDBDocumentClient, 'send'>;
  readonly tableName: string;
}

const markerKey = (key: string): Record<string, string> => ({ [ECHO_ATTR.partitionKey]: `${DRIFT_MARKER_PREFIX}${key}` });

export async function driftMarker(table: MarkerTable, key: string): Promise<DriftMarker | undefined> {
  const res = await table.doc.send(new GetCommand({ TableName: table.tableName, Key: markerKey(key), ConsistentRead: true }));
  const item = res.Item;
  if (!item || typeof item.stateHash !== 'string' || typeof item.firstSeen !== 'number') return undefined;
  return { stateHash: item.stateHash, firstSeen: item.firstSeen };
}

export async function putDriftMarker(table: MarkerTable, key: string, marker: DriftMarker, nowMs: number): Promise<void> {
  await table.doc.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { ...markerKey(key), ...marker, [ECHO_ATTR.ttl]: Math.floor(nowMs / 1000) + DRIFT_MARKER_TTL_SECONDS },
    }),
  );
}

export async function deleteDriftMarker(table: MarkerTable, key: string): Promise<void> {
  await table.doc.send(new DeleteCommand({ TableName: table.tableName, Key: markerKey(key) }));
}
