export * from './echo-ledger';
export * from './registry-capture';
export * from './registry-replay';
export * from './registry-replication';
export * from './replication-journal';
