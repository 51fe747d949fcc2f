/**
 * Writes a synthetic fraud dataset (lib/synthetic/cards) as JSON lines: one
 * CardTransaction per line in transactions.jsonl (event order) and one
 * Chargeback per line in chargebacks.jsonl (label-time order), plus a
 * summary.json. Deterministic for a seed.
 *
 *   npx tsx scripts/gen-fraud-dataset.ts --out /tmp/fraud [--events 100000] [--seed 1]
 *       [--fraud-rate 0.01] [--events-per-second 50] [--start 2026-01-01T00:00:00Z]
 *       [--label-delay-ms 2000-20000] [--genuine-label-rate 0]
 *       [--drift-from 50000 --amount-scale 2 --velocity-scale 3 --country-weights US=1,BR=1]
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCardStream, type CardDrift, type Chargeback } from '../lib/synthetic';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string' },
    events: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    'fraud-rate': { type: 'string', default: '0.01' },
    'events-per-second': { type: 'string', default: '50' },
    start: { type: 'string', default: '2026-01-01T00:00:00Z' },
    'label-delay-ms': { type: 'string', default: '2000-20000' },
    'genuine-label-rate': { type: 'string', default: '0' },
    'drift-from': { type: 'string' },
    'amount-scale': { type: 'string' },
    'velocity-scale': { type: 'string' },
    'country-weights': { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`gen-fraud-dataset: ${message}\n`);
  process.exit(2);
}

function number(name: keyof typeof a, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n)) fail(`--${name} must be a number, got ${String(value)}`);
  return n;
}

async function main(): Promise<void> {
  if (a.out === undefined) fail('--out <directory> is required');
  const events = number('events', a.events);
  const start = Date.parse(a.start ?? '');
  if (!Number.isFinite(start)) fail(`--start must be an ISO date, got ${String(a.start)}`);
  const [min, max] = (a['label-delay-ms'] ?? '').split('-').map(Number);
  if (min === undefined || max === undefined || !Number.isFinite(min) || !Number.isFinite(max)) fail('--label-delay-ms must be MIN-MAX');
  let drift: CardDrift | null = null;
  if (a['drift-from'] !== undefined) {
    const countryWeights =
      a['country-weights'] === undefined
        ? undefined
        : Object.fromEntries(
            a['country-weights'].split(',').map((pair) => {
              const [country, weight] = pair.split('=');
              return [country ?? '', number('country-weights', weight)];
            }),
          );
    drift = {
      fromIndex: number('drift-from', a['drift-from']),
      ...(a['amount-scale'] === undefined ? {} : { amountScale: number('amount-scale', a['amount-scale']) }),
      ...(a['velocity-scale'] === undefined ? {} : { velocityScale: number('velocity-scale', a['velocity-scale']) }),
      ...(countryWeights === undefined ? {} : { countryWeights }),
    };
  }
  const options = {
    seed: number('seed', a.seed),
    startTime: start,
    eventsPerSecond: number('events-per-second', a['events-per-second']),
    fraudRate: number('fraud-rate', a['fraud-rate']),
    labelDelayMs: { min, max },
    genuineLabelRate: number('genuine-label-rate', a['genuine-label-rate']),
    drift,
  };
  const stream = createCardStream(options);
  mkdirSync(a.out, { recursive: true });
  const transactions = createWriteStream(join(a.out, 'transactions.jsonl'));
  const labels: { index: number; label: Chargeback }[] = [];
  let frauds = 0;
  for (let i = 0; i < events; i++) {
    const e = stream.next();
    if (e.isFraud) frauds++;
    if (e.label !== null) labels.push({ index: i, label: e.label });
    if (!transactions.write(`${JSON.stringify(e.transaction)}\n`)) await new Promise<void>((resolve) => transactions.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => transactions.end((err?: Error | null) => (err ? reject(err) : resolve())));
  labels.sort((x, y) => x.label.label_time - y.label.label_time || x.index - y.index);
  writeFileSync(join(a.out, 'chargebacks.jsonl'), labels.map((l) => `${JSON.stringify(l.label)}\n`).join(''));
  const summary = { events, frauds, labels: labels.length, fraudRate: frauds / Math.max(1, events), options };
  writeFileSync(join(a.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
