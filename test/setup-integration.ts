// Integration tests talk to a real broker, registry and API server. Jest 30 ignores
// a project-level `testTimeout`, so it is set here, per test file.
jest.setTimeout(180_000);
