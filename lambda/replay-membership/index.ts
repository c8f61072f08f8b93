/** Replays one journal item of its kind into this region's IoT registry; invoked by the replay state machine. */
import { replayDepsFromEnv } from '../shared/replay/env';
import { createMembershipReplay } from '../shared/replay/membership';

export const handler = createMembershipReplay(replayDepsFromEnv());
