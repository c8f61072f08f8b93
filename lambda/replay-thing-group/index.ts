/** Replays one journal item of its kind into this region's IoT registry; invoked by the replay state machine. */
import { replayDepsFromEnv } from '../shared/replay/env';
import { createThingGroupReplay } from '../shared/replay/thing-group';

export const handler = createThingGroupReplay(replayDepsFromEnv());
