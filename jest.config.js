// Two projects: `unit` (pure core and fakes, beside the code) and `integration`
// (real Kafka, schema registry and, later, Kubernetes API server, started by the
// global setup in test/stack unless KAFKA_BROKERS / SCHEMA_REGISTRY_URL are set).
const transform = {
  '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/lib/**/*.test.ts', '<rootDir>/services/**/*.test.ts', '<rootDir>/scripts/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      transform,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/stack/jest-global-setup.ts',
      globalTeardown: '<rootDir>/test/stack/jest-global-teardown.ts',
      testTimeout: 120000,
    },
  ],
};
