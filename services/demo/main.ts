import { printSummary, runDemo } from './demo';

/** `npm run demo [-- --events N --drift-at M]`: the whole loop in one process. */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive integer\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const events = arg('events', 48_000);
  const driftAt = arg('drift-at', Math.floor(events * 0.6));
  const summary = await runDemo({ events, driftAt, out: process.stdout, env: process.env });
  const complete = printSummary(summary, process.stdout);
  process.exit(complete ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
