import { printSummary, runDemo } from './demo';

/**
 * `npm run demo [-- --events N --drift-at M --metrics-port P --hold]`: the whole
 * loop in one process. --metrics-port serves every service's /metrics while it
 * runs (0 = a free port); --hold keeps serving after the summary until Ctrl-C,
 * so Prometheus can scrape the final values.
 */
const USAGE = 'usage: npm run demo -- [--events N] [--drift-at M] [--metrics-port P] [--hold]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function arg(name: string, fallback: number | undefined, minimum = 1): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < minimum) fail(`--${name} must be an integer ≥ ${minimum}, got ${process.argv[i + 1] ?? 'nothing'}`);
  return value;
}

async function main(): Promise<void> {
  const known = new Set(['--events', '--drift-at', '--metrics-port', '--hold']);
  for (const [i, a] of process.argv.slice(2).entries()) {
    if (a.startsWith('--') && !known.has(a)) fail(`unknown option ${a}`);
    if (!a.startsWith('--') && !['--events', '--drift-at', '--metrics-port'].includes(process.argv[i + 1] ?? '')) fail(`unexpected argument ${a}`);
  }
  const events = arg('events', 48_000)!;
  const driftAt = arg('drift-at', Math.floor(events * 0.6))!;
  if (driftAt >= events) fail(`--drift-at (${driftAt}) must be below --events (${events})`);
  const metricsPort = arg('metrics-port', undefined, 0);
  const hold = process.argv.includes('--hold');
  if (hold && metricsPort === undefined) fail('--hold keeps /metrics serving after the summary: give --metrics-port too');
  const summary = await runDemo({ events, driftAt, out: process.stdout, env: process.env, ...(metricsPort !== undefined ? { metricsPort } : {}) });
  const complete = printSummary(summary, process.stdout);
  if (hold && summary.metricsUrl) {
    process.stdout.write(`\nServing ${summary.metricsUrl} until Ctrl-C (--hold).\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
  await summary.closeMetrics();
  process.exit(complete ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
