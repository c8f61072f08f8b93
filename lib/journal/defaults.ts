/** Journal table name used when none is given: both regions must agree on it, so it is fixed rather than generated. */
export const DEFAULT_JOURNAL_TABLE_NAME = 'iot-dr-journal';
