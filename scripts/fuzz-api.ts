/**
 * Fuzz the dispatcher's HTTP API from its own OpenAPI document with schemathesis
 * (scripts/testing/api-fuzz.ts). Exit 1 when any answer was a 5xx or
 * schemathesis reports a failure of the checks asked for.
 *
 *   npx tsx scripts/fuzz-api.ts [--max-examples 100] [--seed 14] [--checks all] [--exclude-checks positive_data_acceptance]
 *
 * Needs `pip install --user -r scripts/fuzz/requirements.txt`.
 */
import { parseArgs } from 'node:util';
import { EXCLUDED_CHECKS, GATING_CHECKS, fuzzDispatcherApi } from './testing/api-fuzz';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'max-examples': { type: 'string', default: '100' },
      seed: { type: 'string', default: '14' },
      checks: { type: 'string', default: GATING_CHECKS.join(',') },
      'exclude-checks': { type: 'string', default: EXCLUDED_CHECKS.join(',') },
    },
  });
  const list = (text: string): string[] => text.split(',').filter((c) => c.length > 0);
  const result = await fuzzDispatcherApi({ maxExamples: Number(values['max-examples']), seed: Number(values.seed), checks: list(values.checks), excludeChecks: list(values['exclude-checks']) });
  process.stdout.write(result.output);
  const statuses = Object.entries(result.byStatus)
    .sort()
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  process.stdout.write(
    `\n${result.version}\n${result.command}\n` +
      `schemathesis: exit ${result.exitCode}, ${result.report?.test_cases?.generated ?? '?'} test cases generated\n` +
      `dispatcher: ${result.requests} requests answered (${statuses}); ${result.serverErrors} with a 5xx\n`,
  );
  return result.exitCode === 0 && result.serverErrors === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`fuzz-api: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
