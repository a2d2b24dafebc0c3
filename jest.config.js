/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  moduleNameMapper: {
    '^nestjs-placetopay$': '<rootDir>/lib/index.ts',
    '^nestjs-placetopay/testing$': '<rootDir>/lib/testing/index.ts',
    '^nestjs-placetopay/wire$': '<rootDir>/lib/wire.ts',
    '^nestjs-placetopay/config$': '<rootDir>/lib/placetopay-config.ts',
  },
  setupFiles: ['reflect-metadata'],
  // A journal directory per test file (PLACETOPAY_JOURNAL_DIR).
  setupFilesAfterEnv: ['<rootDir>/test/support/journal-dir.ts'],
  testTimeout: 20000,
  // The default reporters, then one line naming each skipped suite and the variable that runs it.
  reporters: ['<rootDir>/test/support/skip-reporter.js'],
};
