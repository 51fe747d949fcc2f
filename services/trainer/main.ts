import { readFileSync } from 'node:fs';
import { artifactStoreFor } from '../../lib/artifacts/store-for';
import { systemClock } from '../../lib/clock';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';
import { RUN_SPEC_ENV, RUN_SPEC_FILE_ENV, parseRunSpec, type RunSpec } from '../../lib/runspec';
import { createRuntime } from '../../lib/runtime';
import { exitCodeFor, failureOf } from './core/failure';
import { failed } from './core/result';
import type { FailureInfo } from '../../lib/events';
import { publishResult } from './publish-result';
import { fetchWindow, publishWork } from './toolkit';
import { DEFAULT_TIMESTAMP_SLACK_MS, runTraining, type TrainerDeps } from './train';
import { TRAINER_VERSION } from './version';

/**
 * The trainer's composition root: the program inside each training Job.
 *
 *   main.ts                                   the built-in trainer (read, fit, write, publish)
 *   main.ts fetch --out DIR                   toolkit step 1 for a custom trainer (toolkit.ts)
 *   main.ts publish --from DIR [--trainer-exit N]   toolkit step 2
 *
 * Input: the run spec in ROUNDHOUSE_RUN_SPEC (or a file named by
 * ROUNDHOUSE_RUN_SPEC_FILE); Kafka and the registry from the usual variables
 * (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ROUNDHOUSE_TOPIC_PREFIX, …); for an s3://
 * artifactUri, ROUNDHOUSE_S3_ENDPOINT / AWS_REGION (lib/config) and credentials
 * from the AWS SDK's default chain (env, shared config, IRSA web identity).
 * ROUNDHOUSE_TRAINER_TIMESTAMP_SLACK_MS: how far before the window start to read.
 * Exit codes: 0, 65 (bad input: the Job fails at once), 75 (retriable), 143 when
 * stopped by a signal (a Job that is cancelled or out of time is never a success).
 */

type Command = { kind: 'train' } | { kind: 'fetch'; out: string } | { kind: 'publish'; from: string; trainerExit: number | null };

function parseArgs(argv: readonly string[]): Command {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const usage = 'usage: main.ts [fetch --out DIR | publish --from DIR [--trainer-exit N]]';
  switch (argv[0]) {
    case undefined:
      return { kind: 'train' };
    case 'fetch': {
      const out = flag('--out');
      if (!out) throw new RoundhouseError(ErrorCodes.VALIDATION, usage);
      return { kind: 'fetch', out };
    }
    case 'publish': {
      const from = flag('--from');
      const exit = flag('--trainer-exit');
      if (!from || (exit !== undefined && !/^\d+$/.test(exit))) throw new RoundhouseError(ErrorCodes.VALIDATION, usage);
      return { kind: 'publish', from, trainerExit: exit === undefined ? null : Number(exit) };
    }
    default:
      throw new RoundhouseError(ErrorCodes.VALIDATION, usage);
  }
}

function readSpec(): RunSpec {
  const inline = process.env[RUN_SPEC_ENV];
  const file = process.env[RUN_SPEC_FILE_ENV];
  if (inline) return parseRunSpec(inline);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new RoundhouseError(ErrorCodes.VALIDATION, `cannot read the run spec file ${file}: ${(error as Error).message}`, { retriable: false, cause: error });
    }
    return parseRunSpec(text);
  }
  throw new RoundhouseError(ErrorCodes.VALIDATION, `no run spec: set ${RUN_SPEC_ENV} (JSON) or ${RUN_SPEC_FILE_ENV} (a path)`, { retriable: false });
}

function slackMs(): number {
  const raw = process.env.ROUNDHOUSE_TRAINER_TIMESTAMP_SLACK_MS;
  if (raw === undefined || raw === '') return DEFAULT_TIMESTAMP_SLACK_MS;
  if (!/^\d+$/.test(raw)) throw new RoundhouseError(ErrorCodes.CONFIG_INVALID, `ROUNDHOUSE_TRAINER_TIMESTAMP_SLACK_MS: expected milliseconds, got ${JSON.stringify(raw)}`, { retriable: false });
  return Number(raw);
}

function fail(error: unknown): number {
  const failure = failureOf(error);
  process.stderr.write(`trainer: [${failure.code}] ${failure.message}\n`);
  return exitCodeFor(failure);
}

async function main(): Promise<number> {
  let command: Command;
  let spec: RunSpec;
  let timestampSlackMs: number;
  try {
    command = parseArgs(process.argv.slice(2));
    // Without a readable spec there is no runId to report under: exit BAD_INPUT, say why on stderr.
    spec = readSpec();
    timestampSlackMs = slackMs();
  } catch (error) {
    return fail(error);
  }
  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    runtime = await createRuntime('trainer', { probes: false });
  } catch (error) {
    return fail(error);
  }
  // Runs after the signal handler's own stop(); a trainer cut short must not exit 0.
  runtime.shutdown.add({
    name: 'trainer',
    stop: async () => {
      runtime.logger.warn({ runId: spec.runId }, 'stopped by a signal before finishing');
      process.exit(143);
    },
  });
  const logger = runtime.logger.child({ runId: spec.runId, modelId: spec.modelId });
  let result: { readonly exitCode: number; readonly failure: FailureInfo | null };
  try {
    const deps: TrainerDeps = { bus: runtime.bus, avroCodec: runtime.codec.avro, platformCodec: runtime.codec, artifacts: artifactStoreFor(spec.artifactUri, { s3: runtime.config.s3 }), clock: systemClock, logger };
    const options = { timestampSlackMs, trainerVersion: TRAINER_VERSION };
    if (command.kind === 'train') result = await runTraining(spec, deps, options);
    else if (command.kind === 'publish') result = await publishWork(spec, command.from, command.trainerExit, deps);
    else result = (await fetchWindow(spec, command.out, deps, options)) ?? { exitCode: 0, failure: null };
  } catch (error) {
    // Only set-up can land here (e.g. a malformed artifact URI): still say so on the results topic.
    const now = systemClock.now();
    const event = failed(spec, failureOf(error), { trainerVersion: TRAINER_VERSION, startedAt: now, completedAt: now, partitions: null, rows: 0, positives: 0 });
    result = await publishResult(event, { bus: runtime.bus, platformCodec: runtime.codec, clock: systemClock, logger });
  }
  await runtime.bus.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the bus failed'));
  if (result.failure) process.stderr.write(`trainer: [${result.failure.code}] ${result.failure.message}\n`);
  return result.exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(fail(error)),
);
