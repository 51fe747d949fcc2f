// Test trainer: exits 75 (RETRIABLE) for the first argv[3] attempts, then 0. Counts attempts in the file argv[2].
const fs = require('node:fs');
const file = process.argv[2];
const failures = Number(process.argv[3]);
const seen = fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0;
fs.writeFileSync(file, String(seen + 1));
process.exit(seen < failures ? 75 : 0);
