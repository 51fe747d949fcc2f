// Two projects: `unit` (pure core and fakes, beside the code) and `integration`
// (real Kafka, schema registry and, later, Kubernetes API server, started by the
// global setup in test/stack unless KAFKA_BROKERS / SCHEMA_REGISTRY_URL are set).
// ts-jest in transpile-only mode: type checking is `npm run lint`'s job (tsc --noEmit),
// and ts-jest is pure JavaScript, so `npm ci` needs no platform-specific binaries.
const transform = {
  '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/lib/**/*.test.ts', '<rootDir>/services/**/*.test.ts', '<rootDir>/scripts/**/*.test.ts', '<rootDir>/bench/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup-unit.ts'],
    },
    {
      displayName: 'integration',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/stack/jest-global-setup.ts',
      globalTeardown: '<rootDir>/test/stack/jest-global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup-integration.ts'],
    },
  ],
};
