import type { Stack } from 'aws-cdk-lib';
import { EchoLedger, type EchoLedgerProps, type IEchoLedger, RegistryReplay, type RegistryReplayOptions, ReplicationJournal } from '../../../lib';
import { REPLAY_STATE_NAMES } from '../../../lib/replay/state-names';
import { SECONDARY } from '../helpers';

/** A journal, an echo ledger (the given one, or a new one with `echoLedgerProps`) and replay wired to them. */
export function replayIn(stack: Stack, props: RegistryReplayOptions & { echoLedger?: IEchoLedger; echoLedgerProps?: EchoLedgerProps } = {}) {
  const { echoLedger, echoLedgerProps, ...options } = props;
  const journal = new ReplicationJournal(stack, 'Journal', { replicaRegions: [SECONDARY] });
  const ledger = echoLedger ?? new EchoLedger(stack, 'EchoLedger', echoLedgerProps);
  const replay = new RegistryReplay(stack, 'Replay', { journal, echoLedger: ledger, ...options });
  return { journal, ledger, replay };
}

/** A DynamoDB stream record as the pipe delivers it. */
export function record(sk: string, pk = sk, originRegion = SECONDARY) {
  return {
    eventName: 'INSERT',
    dynamodb: {
      Keys: { pk: { S: pk }, sk: { S: sk } },
      NewImage: {
        pk: { S: pk },
        sk: { S: sk },
        version: { S: `000001700000000000#${originRegion}#000000000001#e-${sk}` },
        originRegion: { S: originRegion },
        eventTime: { N: '1700000000000' },
      },
    },
  };
}

/** The replay task states routed by default (shadows only with `replicateShadows`). */
export const KIND_STATES = [
  REPLAY_STATE_NAMES.replayThing,
  REPLAY_STATE_NAMES.replayThingType,
  REPLAY_STATE_NAMES.replayThingGroup,
  REPLAY_STATE_NAMES.replayMembership,
  REPLAY_STATE_NAMES.replayCertificate,
  REPLAY_STATE_NAMES.replayCaCertificate,
  REPLAY_STATE_NAMES.replayPolicy,
  REPLAY_STATE_NAMES.replayPolicyTarget,
  REPLAY_STATE_NAMES.replayPrincipal,
  REPLAY_STATE_NAMES.replayProvisioningTemplate,
  REPLAY_STATE_NAMES.replayRoleAlias,
];
