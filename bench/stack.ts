import { STACK_ENV_KEYS, startStack, type StackHandle } from '../test/stack';

/** What the benches use; every other component of the stack is marked as given, so it is neither built nor started. */
const BENCH_USES = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'];

/**
 * Kafka and the schema registry for a benchmark: KAFKA_BROKERS /
 * SCHEMA_REGISTRY_URL when set, else the local stack's processes. The benches
 * never talk to Kubernetes or S3, so those are not started; only
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL of the returned env are meaningful.
 */
export function startBenchStack(): Promise<StackHandle> {
  const unused = Object.fromEntries(STACK_ENV_KEYS.filter((k) => !BENCH_USES.includes(k)).map((k) => [k, process.env[k] ?? 'not-used-by-benchmarks']));
  return startStack({ env: { ...process.env, ...unused } });
}

/** A numeric `--name value` option of a benchmark, or `fallback`; a value that is not a number stops the run. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number, got ${JSON.stringify(process.argv[i + 1])}`);
  return value;
}
