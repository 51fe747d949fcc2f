// Unit tests never depend on the machine's speed (issue 10: "1,000 concurrent
// submissions" passed 5 s — jest's default — on a busy 2-core CI machine). The
// bound is generous: it exists to stop a hung test, not to time one. Jest 30
// reads no project-level `testTimeout`, so it is set here, per test file.
jest.setTimeout(300_000);
