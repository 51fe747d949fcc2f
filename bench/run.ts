/**
 * `npm run bench`: every benchmark, one after another, each printing every round
 * and the BENCHMARKS.md row it measured.
 *
 *   npm run bench                       # all of them (starts Kafka + registry unless KAFKA_BROKERS/SCHEMA_REGISTRY_URL are set)
 *   npm run bench -- --list             # what there is, and how to run one
 *   npm run bench -- trigger-throughput --events 100000 --rounds 3   # one, with its own options
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

interface Benchmark {
  readonly name: string;
  readonly file: string;
  readonly what: string;
  readonly needs: string;
}

const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'trigger-throughput',
    file: 'bench/trigger-throughput.ts',
    what: 'the trigger app (decode, sketch, partials, checkpoints, transactions, judging) vs a plain kafkajs consumer, same probe, fresh topics per round',
    needs: 'Java 17+ and Maven (Kafka + Apicurio are fetched and started), or KAFKA_BROKERS + SCHEMA_REGISTRY_URL',
  },
  {
    name: 'trigger-scale',
    file: 'bench/trigger-scale.ts',
    what: '1,000 global models on one topic and a family of 10,000 merchants on the real broker (1 MiB limit): catch-up time, heap, peak RSS, restart-to-consuming; fails unless every model requests once and the family exactly for its 5 changed merchants',
    needs: 'Java 17+ and Maven (Kafka + Apicurio are fetched and started), or KAFKA_BROKERS + SCHEMA_REGISTRY_URL',
  },
  {
    name: 'trainer-vs-sklearn',
    file: 'bench/trainer-vs-sklearn.ts',
    what: 'the built-in logistic regression vs scikit-learn on 1M × 30 rows: holdout ROC-AUC and fit times',
    needs: 'Python with `pip install --user -r examples/python-trainer/requirements.txt`',
  },
  {
    name: 'stats-histogram',
    file: 'lib/stats/bench-histogram.ts',
    what: 'lib/stats histogram updates per event (microbenchmark)',
    needs: 'nothing',
  },
];

const ROOT = path.resolve(__dirname, '..');

function list(): void {
  process.stdout.write('Benchmarks (results go to BENCHMARKS.md):\n\n');
  for (const b of BENCHMARKS) {
    process.stdout.write(`  ${b.name.padEnd(20)} ${b.what}\n  ${''.padEnd(20)} needs: ${b.needs}\n  ${''.padEnd(20)} run:   npm run bench -- ${b.name} [options]   (or npx tsx ${b.file})\n\n`);
  }
}

function run(b: Benchmark, args: readonly string[]): number {
  process.stdout.write(`\n=== ${b.name}: ${b.what}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, b.file), ...args], { stdio: 'inherit', cwd: ROOT });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function main(argv: readonly string[]): number {
  const [first, ...rest] = argv;
  if (first === '--list' || first === '-l' || first === '--help' || first === '-h') {
    list();
    return 0;
  }
  if (first !== undefined && !first.startsWith('-')) {
    const b = BENCHMARKS.find((x) => x.name === first);
    if (!b) {
      process.stderr.write(`unknown benchmark "${first}"\n\n`);
      list();
      return 2;
    }
    return run(b, rest);
  }
  if (first !== undefined) {
    process.stderr.write(`options go after a benchmark's name (npm run bench -- <name> ${argv.join(' ')})\n\n`);
    list();
    return 2;
  }
  const failed = BENCHMARKS.filter((b) => run(b, []) !== 0).map((b) => b.name);
  if (failed.length > 0) process.stderr.write(`\nfailed: ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
