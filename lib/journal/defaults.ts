/** Journal table name used when none is given: both regions must agree on it, so it is fixed rather than generated. */
export const DEFAULT_JOURNAL_TABLE_NAME = 'iot-dr-journal';

/**
 * Echo-ledger table name the platform stacks use (`IotServicesStack`): fixed, so the command API in another
 * account (which records the known state of what it journals) can name it without a cross-account reference.
 */
export const DEFAULT_ECHO_LEDGER_TABLE_NAME = 'iot-dr-echo-ledger';
