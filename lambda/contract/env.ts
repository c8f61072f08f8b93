/** Environment variables the constructs set and the handlers read, and the defaults both sides share. */

export const HANDLER_ENV = {
  journalTableName: 'JOURNAL_TABLE_NAME',
  echoLedgerTableName: 'ECHO_LEDGER_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  tombstoneTtlSeconds: 'TOMBSTONE_TTL_SECONDS',
  echoTtlSeconds: 'ECHO_TTL_SECONDS',
  metricsNamespace: 'METRICS_NAMESPACE',
} as const;

/** How long a deleted entity's tombstone stays in the journal: 14 days. */
export const DEFAULT_TOMBSTONE_TTL_SECONDS = 14 * 24 * 60 * 60;

/** How long replay's echo fingerprints stay in the echo ledger: one hour. */
export const DEFAULT_ECHO_TTL_SECONDS = 60 * 60;

/** CloudWatch namespace of the handlers' metrics unless the construct names another. */
export const DEFAULT_METRICS_NAMESPACE = 'IotDr';
