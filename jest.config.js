/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
  testTimeout: 60000,
  maxWorkers: 2,
};
