export * from './common';
export * from './env';
export * from './journal-queries';
export * from './membership';
export * from './state';
export * from './thing';
export * from './thing-group';
export * from './thing-type';
