import type { HandlerId } from '../../lambda/contract';
import type { IotRegistryResource } from '../private/iot';
import { REPLAY_STATE_NAMES } from './state-names';

/** One replay kind: which journal keys it handles, its handler, and the IoT calls it may make. */
export interface ReplayKind {
  readonly stateName: string;
  readonly keyPattern: string;
  readonly handler: HandlerId;
  readonly description: string;
  readonly permissions: ReadonlyArray<{ readonly resource: IotRegistryResource; readonly actions: readonly string[] }>;
  /** Whether the handler queries the journal (a recreated group reads its journaled memberships). */
  readonly queriesJournal?: boolean;
}

/** The kinds replay routes to, in routing order; IAM as data, so each function's role is exactly its calls. */
export const REPLAY_KINDS: readonly ReplayKind[] = [
  {
    stateName: REPLAY_STATE_NAMES.replayThing,
    keyPattern: 'thing#*',
    handler: 'replayThing',
    description: 'things',
    permissions: [
      { resource: 'thing', actions: ['iot:DescribeThing', 'iot:CreateThing', 'iot:UpdateThing', 'iot:DeleteThing'] },
      // DeprecateThingType: a thing that took its type before the type was deprecated is written with the
      // deprecation lifted for the write (IoT accepts no new association with a deprecated type).
      { resource: 'thingtype', actions: ['iot:DescribeThingType', 'iot:DeprecateThingType'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayThingType,
    keyPattern: 'thingType#*',
    handler: 'replayThingType',
    description: 'thing types',
    permissions: [
      {
        resource: 'thingtype',
        actions: ['iot:DescribeThingType', 'iot:CreateThingType', 'iot:DeprecateThingType', 'iot:DeleteThingType'],
      },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayThingGroup,
    keyPattern: 'thingGroup#*',
    handler: 'replayThingGroup',
    description: 'thing groups',
    queriesJournal: true,
    permissions: [
      {
        resource: 'thinggroup',
        actions: [
          'iot:DescribeThingGroup',
          'iot:CreateThingGroup',
          'iot:UpdateThingGroup',
          'iot:DeleteThingGroup',
          'iot:AddThingToThingGroup',
        ],
      },
      // Restoring a recreated group's memberships adds things to it.
      { resource: 'thing', actions: ['iot:AddThingToThingGroup'] },
    ],
  },
  {
    stateName: REPLAY_STATE_NAMES.replayMembership,
    keyPattern: 'member#*',
    handler: 'replayMembership',
    description: 'thing group memberships',
    permissions: [
      {
        resource: 'thing',
        actions: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:ListThingGroupsForThing'],
      },
      {
        resource: 'thinggroup',
        actions: ['iot:AddThingToThingGroup', 'iot:RemoveThingFromThingGroup', 'iot:DescribeThingGroup'],
      },
    ],
  },
];
