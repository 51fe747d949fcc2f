/**
 * For the integration project's setupFilesAfterEnv. Jest 30 ignores a project's
 * own `testTimeout` (jest-circus reads only the global config), so integration
 * suites, which wait on a real broker and registry, set theirs here.
 */
jest.setTimeout(120_000);
