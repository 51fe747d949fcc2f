import { z } from 'zod';
import type { OutboundMessage } from '../../lib/bus';
import { MODEL_REF_MAX_LENGTH, MODEL_REF_PATTERN } from '../../lib/catalog';
import type { TopicNames } from '../../lib/codec';
import { DEFAULT_TOPICS } from '../../lib/events';
import { ErrorCodes, RoundhouseError } from '../../lib/errors';

/**
 * Operator commands for the evaluator (force-promote, force-reject, rollback),
 * as JSON on an internal topic keyed by modelId. The dispatcher's API and the
 * CLI publish them; the evaluator executes them one model at a time, so a
 * command never races an evaluation of the same model. Internal, hence JSON and
 * not a registered Avro contract; `format` versions it.
 */

export const COMMANDS_TOPIC = 'roundhouse.evaluator-commands';
export const COMMAND_FORMAT = 'roundhouse.evaluator-command/v1';

/** Deployments rename topics only by prefix (ROUNDHOUSE_TOPIC_PREFIX); the commands topic follows the platform topics' prefix. */
export function commandsTopicFor(topics: TopicNames): string {
  const prefix = topics.retrainRequests.slice(0, topics.retrainRequests.length - DEFAULT_TOPICS.retrainRequests.length);
  return `${prefix}${COMMANDS_TOPIC}`;
}

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
export const CommandIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'expected 1-200 characters of [A-Za-z0-9._:-]');
/** The grammar the dispatcher's API uses for every route too (lib/catalog MODEL_REF_PATTERN). */
export const ModelIdSchema = z.string().min(1).max(MODEL_REF_MAX_LENGTH).regex(MODEL_REF_PATTERN, 'expected a catalog model id (or <family>.<segment>)');
export const RunIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'expected a run id (1-200 characters of [A-Za-z0-9._:-])');
export const ActorSchema = text(200).describe('Who decides (user or service account); recorded in ModelEvaluated.override.');
export const ReasonSchema = text(2000).describe("Why, in the operator's words; recorded in ModelEvaluated.override.");

const common = {
  format: z.literal(COMMAND_FORMAT),
  commandId: CommandIdSchema,
  modelId: ModelIdSchema,
  actor: ActorSchema,
  reason: ReasonSchema,
  issuedAt: z.number().int().min(0),
  /** Where the command came from ('api', 'cli'): for the log, not for decisions. */
  source: z.string().min(1).max(50),
};

export const EvaluatorCommandSchema = z.discriminatedUnion('action', [
  z.strictObject({ ...common, action: z.literal('FORCE_PROMOTE'), runId: RunIdSchema }),
  z.strictObject({ ...common, action: z.literal('FORCE_REJECT'), runId: RunIdSchema }),
  z.strictObject({ ...common, action: z.literal('ROLLBACK'), targetVersion: z.number().int().min(1) }),
]);

export type EvaluatorCommand = z.infer<typeof EvaluatorCommandSchema>;
export type CommandAction = EvaluatorCommand['action'];

export function commandMessage(topic: string, command: EvaluatorCommand): OutboundMessage {
  return { topic, key: command.modelId, value: Buffer.from(JSON.stringify(EvaluatorCommandSchema.parse(command))) };
}

/** Throws VALIDATION (not retriable, so the message is dead-lettered) naming the first bad field. */
export function decodeCommand(value: Buffer | null): EvaluatorCommand {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString('utf8') ?? 'null');
  } catch (error) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `evaluator command is not JSON: ${(error as Error).message}`, { retriable: false, cause: error });
  }
  const parsed = EvaluatorCommandSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    throw new RoundhouseError(ErrorCodes.VALIDATION, `invalid evaluator command: ${field}: ${issue.message}`, { retriable: false, context: { field } });
  }
  return parsed.data;
}
