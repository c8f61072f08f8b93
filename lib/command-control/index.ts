export * from './command-access-role';
export * from './command-api';
