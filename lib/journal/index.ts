export { EchoLedger, type EchoLedgerProps, type IEchoLedger } from './echo-ledger';
export {
  type IReplicationJournal,
  type JournalReadOptions,
  type ReplicaJournalAttributes,
  ReplicationJournal,
  type ReplicationJournalOptions,
  type ReplicationJournalProps,
} from './replication-journal';
