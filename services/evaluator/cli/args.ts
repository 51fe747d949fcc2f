import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ActorSchema, CommandIdSchema, ModelIdSchema, ReasonSchema, RunIdSchema } from '../commands';

/**
 * The evaluator CLI's command line, parsed into a request (pure; cli/main.ts
 * does the I/O). Usage:
 *   evaluator-cli rollback      --model ID --version N  --reason WHY [options]
 *   evaluator-cli force-promote --model ID --run RUN_ID --reason WHY [options]
 *   evaluator-cli force-reject  --model ID --run RUN_ID --reason WHY [options]
 * options: --command-id ID (idempotency key), --api URL and --token T | --token-file F
 * (through the dispatcher's API; default ROUNDHOUSE_API_URL / ROUNDHOUSE_API_TOKEN),
 * --kafka --actor WHO (straight onto the commands topic with KAFKA_BROKERS /
 * SCHEMA_REGISTRY_URL). Through the API the actor is the token's name, so
 * --actor is for --kafka only (run.ts refuses it otherwise).
 */
export const USAGE = `usage:
  evaluator-cli rollback      --model ID --version N      --reason WHY [options]
  evaluator-cli force-promote --model ID --run RUN_ID     --reason WHY [options]
  evaluator-cli force-reject  --model ID --run RUN_ID     --reason WHY [options]
options:
  --command-id ID      idempotency key (default: a fresh id); resend with the same id safely
  --api URL            the dispatcher's API (default: $ROUNDHOUSE_API_URL)
  --token T            bearer token (default: $ROUNDHOUSE_API_TOKEN)
  --token-file PATH    read the bearer token from a file
  --kafka              publish straight to Kafka (KAFKA_BROKERS, ROUNDHOUSE_TOPIC_PREFIX) instead of the API
  --actor WHO          with --kafka: who decides (through the API, the dispatcher records the token's name)`;

export type CliAction = 'rollback' | 'force-promote' | 'force-reject';

export interface CliRequest {
  readonly action: CliAction;
  readonly modelId: string;
  readonly runId: string | null;
  readonly version: number | null;
  /** Only for --kafka (or no API configured): through the API the token's name is the actor. */
  readonly actor: string | null;
  readonly reason: string;
  readonly commandId: string | null;
  readonly api: string | null;
  readonly token: string | null;
  readonly tokenFile: string | null;
  readonly kafka: boolean;
}

export class UsageError extends Error {}

const OPTIONS = {
  model: { type: 'string' },
  run: { type: 'string' },
  version: { type: 'string' },
  actor: { type: 'string' },
  reason: { type: 'string' },
  'command-id': { type: 'string' },
  api: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  kafka: { type: 'boolean' },
} as const;

const ACTIONS: readonly CliAction[] = ['rollback', 'force-promote', 'force-reject'];

function check<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${flag}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

export function parseCliArgs(argv: readonly string[]): CliRequest {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [action, ...extra] = positionals;
  if (!ACTIONS.includes(action as CliAction)) throw new UsageError(`the first argument must be one of ${ACTIONS.join(', ')}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
  const rollback = action === 'rollback';
  if (rollback && values.run !== undefined) throw new UsageError('rollback takes --version, not --run');
  if (!rollback && values.version !== undefined) throw new UsageError(`${action} takes --run, not --version`);
  if (values.token !== undefined && values['token-file'] !== undefined) throw new UsageError('give --token or --token-file, not both');
  if (values.kafka && values.api !== undefined) throw new UsageError('give --api or --kafka, not both');
  if (values.kafka && values.actor === undefined) throw new UsageError('--actor is required with --kafka');
  if (values.api !== undefined && values.actor !== undefined) throw new UsageError("--actor is not sent through the API: the dispatcher records the token's name as the actor");
  return {
    action: action as CliAction,
    modelId: check(ModelIdSchema, values.model, '--model'),
    runId: rollback ? null : check(RunIdSchema, values.run, '--run'),
    version: rollback ? check(z.coerce.number().int().min(1), values.version, '--version') : null,
    actor: values.actor === undefined ? null : check(ActorSchema, values.actor, '--actor'),
    reason: check(ReasonSchema, values.reason, '--reason'),
    commandId: values['command-id'] === undefined ? null : check(CommandIdSchema, values['command-id'], '--command-id'),
    api: values.api === undefined ? null : check(z.url(), values.api, '--api'),
    token: values.token ?? null,
    tokenFile: values['token-file'] ?? null,
    kafka: values.kafka ?? false,
  };
}
