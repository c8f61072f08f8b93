/**
 * Builds a two-region replication world from the example app's synthesized iot-services stacks: the
 * workflows the tests run are exactly what `cdk synth` deploys.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DrTopology, IotDrDeployment } from '../../lib';
import { REPLAY_KINDS } from '../../lib/replay/replay-kinds';
import { REPLAY_DEAD_LETTER_STATE_NAMES, REPLAY_PARKING_STATE_NAMES } from '../../lib/replay/state-names';
import { replayWorkflowFrom, type ReplayWorkflow } from '../support/pipeline/replay-workflow';
import { ReplicationWorld, type WorldOptions } from '../support/pipeline/two-region';

export interface SynthesizedPair {
  readonly primary: string;
  readonly secondary: string;
  readonly workflows: Record<string, ReplayWorkflow>;
}

let cached: SynthesizedPair | undefined;

/** Each replay task state of the workflow → the journal kind it replays (the key pattern's prefix). */
export const REPLAY_STATES: Readonly<Record<string, string>> = Object.fromEntries(
  REPLAY_KINDS.map((k) => [k.stateName, k.keyPattern.slice(0, k.keyPattern.indexOf('#'))]),
);

/** Synthesizes the example deployment once per test file. */
export function synthesizedPair(): SynthesizedPair {
  if (cached) return cached;
  const app = new App();
  const topology = DrTopology.DEFAULT;
  const deployment = new IotDrDeployment(app, 'IotDr', { topology });
  const workflows: Record<string, ReplayWorkflow> = {};
  for (const stack of [deployment.iotServices.primary, deployment.iotServices.secondary]) {
    workflows[stack.region] = replayWorkflowFrom(Template.fromStack(stack).toJSON(), { region: stack.region, account: stack.account });
  }
  cached = { primary: topology.primaryRegion, secondary: topology.secondaryRegion, workflows };
  return cached;
}

export async function startWorld(overrides: Partial<WorldOptions> = {}): Promise<{ world: ReplicationWorld; pair: SynthesizedPair }> {
  const pair = synthesizedPair();
  const world = await ReplicationWorld.start({
    workflows: pair.workflows,
    stateNames: {
      replayStates: REPLAY_STATES,
      deadLetterStates: REPLAY_DEAD_LETTER_STATE_NAMES,
      parkingStates: REPLAY_PARKING_STATE_NAMES,
    },
    ...overrides,
  });
  return { world, pair };
}
