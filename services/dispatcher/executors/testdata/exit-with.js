// Test trainer: prints what it was given, then exits with the code in argv[2] (after argv[3] ms).
const fs = require('node:fs');
const file = process.env.ROUNDHOUSE_RUN_SPEC_FILE;
const spec = JSON.parse(file ? fs.readFileSync(file, 'utf8') : '{}');
process.stdout.write(`stdout: run ${spec.runId} model ${spec.modelId} WORKERS=${process.env.WORKERS}\n`);
process.stderr.write(`stderr: exiting with ${process.argv[2]}\n`);
setTimeout(() => process.exit(Number(process.argv[2])), Number(process.argv[3] || 0));
