/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/tests/helpers/globalSetup.ts',
  globalTeardown: '<rootDir>/tests/helpers/globalTeardown.ts',
  // fails a suite that wrote to the shared, read-only test seed (tests/helpers/sharedSeedGuard.ts)
  setupFilesAfterEnv: ['<rootDir>/tests/helpers/sharedSeedCheck.ts'],
  testTimeout: 60000,
};
