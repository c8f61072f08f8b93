/** Replays one journal item of its kind into this region's IoT registry; invoked by the replay state machine. */
import { replayDepsFromEnv } from '../shared/replay/env';
import { createThingTypeReplay } from '../shared/replay/thing-type';

export const handler = createThingTypeReplay(replayDepsFromEnv());
