/**
 * Two projects: `unit` (constructs, handlers, emulators, the example app; quick) and `e2e` (two-region
 * scenarios and the property test, which run the synthesized workflows against the emulators).
 * `npm test` runs both; `npm run test:unit` and `npm run test:e2e` run one.
 */
const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.js'],
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test'], testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'] },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test/e2e'], testMatch: ['**/*.test.ts'] },
  ],
};
