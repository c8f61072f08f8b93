/**
 * Replay of the peer region's heartbeat items (`heartbeat#<region>`): records their arrival as the
 * replication-lag metric (now − the heartbeat's write time in the peer) and a `HeartbeatsReceived` count.
 * A heartbeat is no registry entity: it never touches IoT, never reads the journal (the stream record's
 * event time is the one that matters), and is never parked or dead-lettered.
 */
import { METRIC_NAMES } from '../contract';
import { MalformedInput } from '../shared/errors';
import { heartbeatRegionOf } from '../shared/keys';
import type { ReplayTaskInput, ReplayTaskResult } from '../shared/model';
import { emitMetrics, log } from '../shared/telemetry';
import type { ReplayDeps } from './common';

export type HeartbeatReplayDeps = Pick<ReplayDeps, 'region' | 'now' | 'metricsNamespace'>;

export function createHeartbeatReplay(deps: HeartbeatReplayDeps): (input: ReplayTaskInput) => Promise<ReplayTaskResult> {
  return async (input) => {
    const origin = typeof input?.key === 'string' ? heartbeatRegionOf(input.key) : undefined;
    if (!origin || typeof input.eventTime !== 'number' || !Number.isFinite(input.eventTime)) {
      throw new MalformedInput(`not a heartbeat task: ${JSON.stringify(input)}`);
    }
    if (origin === deps.region) {
      // The pipe passes only other regions' items; this region's own heartbeat measures nothing here.
      return { key: input.key, action: 'skipped-own-origin', lagMs: 0 };
    }
    // Clocks of two regions differ by a little; a negative lag is skew, not time travel.
    const lagMs = Math.max(0, deps.now() - input.eventTime);
    emitMetrics(deps.metricsNamespace, { Kind: 'heartbeat', Action: 'heartbeat' }, [
      { name: METRIC_NAMES.heartbeatsReceived, value: 1, unit: 'Count' },
      { name: METRIC_NAMES.replicationLag, value: lagMs, unit: 'Milliseconds' },
    ]);
    log('INFO', 'heartbeat received', { key: input.key, originRegion: origin, eventTime: input.eventTime, lagMs });
    return { key: input.key, action: 'heartbeat', lagMs };
  };
}
