// Test trainer that never finishes; with argv[2] === 'ignore-term' it also ignores SIGTERM.
if (process.argv[2] === 'ignore-term') process.on('SIGTERM', () => process.stdout.write('ignoring SIGTERM\n'));
process.stdout.write('started\n');
setInterval(() => undefined, 1000);
