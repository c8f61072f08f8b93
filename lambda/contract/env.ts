/** Environment variables the constructs set and the handlers read, and the defaults both sides share. */

export const HANDLER_ENV = {
  journalTableName: 'JOURNAL_TABLE_NAME',
  echoLedgerTableName: 'ECHO_LEDGER_TABLE_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  tombstoneTtlSeconds: 'TOMBSTONE_TTL_SECONDS',
  echoTtlSeconds: 'ECHO_TTL_SECONDS',
  metricsNamespace: 'METRICS_NAMESPACE',
  /** This account's id: replay writes region-neutral ARNs (policies, hooks) back with it. */
  accountId: 'ACCOUNT_ID',
  /**
   * Comma-separated IAM role ARNs whose IoT calls are the pipeline's own (replay, parking, reconciler):
   * capture recognises their CloudTrail events as echoes, exactly.
   */
  ownRoleArns: 'OWN_ROLE_ARNS',
  /** 'true' when shadows are replicated (capture journals shadow documents; replay writes them). */
  shadowsEnabled: 'SHADOWS_ENABLED',
  /**
   * The capture queue's maxReceiveCount: on a CloudTrail event's last receive, capture dead-letters a
   * redacted copy itself instead of letting SQS move the whole event (certificate bodies and all).
   */
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
} as const;

/** How long a deleted entity's tombstone stays in the journal: 14 days. */
export const DEFAULT_TOMBSTONE_TTL_SECONDS = 14 * 24 * 60 * 60;

/** How long replay's echo fingerprints stay in the echo ledger: one hour. */
export const DEFAULT_ECHO_TTL_SECONDS = 60 * 60;

/** CloudWatch namespace of the handlers' metrics unless the construct names another. */
export const DEFAULT_METRICS_NAMESPACE = 'IotDr';
