/**
 * The only handler code the constructs import: names and defaults both sides must agree on. Nothing here
 * may import an AWS SDK package or any other runtime module; the package ships this folder compiled.
 */
export * from './analytics';
export * from './command';
export * from './env';
export * from './errors';
export * from './failover';
export * from './handlers';
export * from './identities';
export * from './health';
export * from './journal';
export * from './metrics';
export * from './parking';
export * from './quotas';
export * from './registry-events';
export * from './reconcile';
export * from './telemetry';
