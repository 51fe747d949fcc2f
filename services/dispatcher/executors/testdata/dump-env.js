// Test trainer: writes its environment and its run spec (from ROUNDHOUSE_RUN_SPEC_FILE) as JSON to argv[2], then exits 0.
const fs = require('node:fs');
const file = process.env.ROUNDHOUSE_RUN_SPEC_FILE;
const spec = file ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
fs.writeFileSync(`${process.argv[2]}.tmp`, JSON.stringify({ env: process.env, spec }));
fs.renameSync(`${process.argv[2]}.tmp`, process.argv[2]);
