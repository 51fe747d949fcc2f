import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EventBus } from '../../../lib/bus';
import { resolveModel } from '../../../lib/catalog';
import {
  COMMAND_FORMAT,
  CommandIdSchema,
  ReasonSchema,
  RunIdSchema,
  commandMessage,
  commandsTopicFor,
  type EvaluatorCommand,
} from '../../evaluator/commands';
import { ApiError } from './errors';
import { AnyRoute, defineRoute } from './route';
import type { ApiContext } from './routes';
import { ErrorBody, ModelIdParam } from './schemas';
import type { ApiIdentity } from './tokens';

/**
 * Operators' overrides of the evaluator, mounted on the dispatcher's API (the
 * one authenticated HTTP entry point): force-promote or force-reject a
 * candidate, roll back to an earlier version. Each becomes a command on
 * roundhouse.evaluator-commands (services/evaluator/commands.ts), which the
 * evaluator carries out and records in ModelEvaluated.override with who (the
 * token's name) and why. 202 means "recorded durably", not "done": the outcome is the evaluator's
 * ModelEvaluated/ModelReady (or the command on the commands topic's .dlq with
 * the reason, when it cannot be carried out).
 */
export type OverridesContext = Pick<ApiContext, 'bus' | 'catalog' | 'codec' | 'clock'>;

const ensured = new WeakMap<EventBus, Promise<void>>();

/** The commands topic is the evaluator's; create it if the dispatcher is first (once per bus). */
function ensureTopic(bus: EventBus, topic: string): Promise<void> {
  let pending = ensured.get(bus);
  if (!pending) {
    pending = bus.ensureTopics([{ name: topic }]);
    ensured.set(bus, pending);
    pending.catch(() => ensured.delete(bus));
  }
  return pending;
}

// The same model-id schema as every other route (schemas.ts), so an id one accepts the others accept.
const ModelParams = z.strictObject({ modelId: ModelIdParam.describe('Catalog id of the model (or <family>.<segment>).') });
const commandId = CommandIdSchema.optional().describe('Idempotency key: the evaluator carries out a command id once. Default: a fresh id.');

export const PromotionBody = z
  .strictObject({
    action: z.enum(['force-promote', 'force-reject']).describe('force-promote: make this candidate the champion whatever the gates said; force-reject: never promote it.'),
    runId: RunIdSchema.describe('The candidate: its training run. May be given before the run has finished; the decision then waits for its result.'),
    reason: ReasonSchema,
    commandId,
  })
  .describe('An operator decision on a candidate.');

export const RollbackBody = z
  .strictObject({
    version: z.number().int().min(1).describe('The earlier version to restore; it is re-published as a new version (cause ROLLBACK).'),
    reason: ReasonSchema,
    commandId,
  })
  .describe('Restore an earlier version as the champion.');

export const CommandAccepted = z
  .object({
    commandId: z.string(),
    modelId: z.string(),
    action: z.enum(['FORCE_PROMOTE', 'FORCE_REJECT', 'ROLLBACK']),
    actor: z.string().describe("Who decided, as recorded: the token's name."),
    topic: z.string().describe('Where the command was recorded.'),
  })
  .describe('The command is recorded; the evaluator publishes the outcome as ModelEvaluated (override) and ModelReady.');

const responses = {
  202: { description: 'Recorded for the evaluator.', schema: CommandAccepted },
  400: { description: 'Invalid request; `field` names the offending field.', schema: ErrorBody },
  401: { description: 'Missing or unknown bearer token.', schema: ErrorBody },
  403: { description: 'The token lacks the override scope.', schema: ErrorBody },
  404: { description: 'The model is not in the catalog.', schema: ErrorBody },
  503: { description: 'Kafka is unavailable; retry with the same commandId.', schema: ErrorBody },
};

/** The audit actor is the token's identity: a body cannot claim to be someone else (the schemas refuse an `actor` field). */
function actorOf(identity: ApiIdentity | null): string {
  if (!identity) throw new ApiError(401, 'UNAUTHORIZED', 'an override needs an authenticated caller');
  return identity.name;
}

async function record(context: OverridesContext, command: EvaluatorCommand): Promise<{ status: number; body: z.infer<typeof CommandAccepted> }> {
  if (!resolveModel(context.catalog, command.modelId)) throw new ApiError(404, 'NOT_FOUND', `model "${command.modelId}" is not in the catalog`, 'modelId');
  const topic = commandsTopicFor(context.codec.topics);
  await ensureTopic(context.bus, topic);
  await context.bus.publish([commandMessage(topic, command)]);
  return { status: 202, body: { commandId: command.commandId, modelId: command.modelId, action: command.action, actor: command.actor, topic } };
}

export const OVERRIDE_ROUTES: readonly AnyRoute<OverridesContext>[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/models/{modelId}/promotions',
    operationId: 'overridePromotion',
    summary: 'Force-promote or force-reject a candidate',
    description:
      "Publishes a command to roundhouse.evaluator-commands. The evaluator re-judges the candidate (so the record shows what the gates said) and publishes ModelEvaluated with override {action, actor, reason}, the actor being the token's name; force-promote also publishes ModelReady with cause FORCED.",
    scope: 'override',
    params: ModelParams,
    body: PromotionBody,
    responses,
    handle: async ({ params, body, identity }, context) =>
      record(context, {
        format: COMMAND_FORMAT,
        commandId: body.commandId ?? `cmd-${randomUUID()}`,
        modelId: params.modelId,
        action: body.action === 'force-promote' ? 'FORCE_PROMOTE' : 'FORCE_REJECT',
        runId: body.runId,
        actor: actorOf(identity),
        reason: body.reason,
        issuedAt: context.clock.now(),
        source: 'api',
      }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/models/{modelId}/rollback',
    operationId: 'rollbackModel',
    summary: 'Roll back to an earlier version',
    description:
      "Publishes a command to roundhouse.evaluator-commands. The evaluator re-publishes that version as a new ModelReady (cause ROLLBACK, restoredVersion) and records ModelEvaluated with override ROLLBACK, actor (the token's name) and reason.",
    scope: 'override',
    params: ModelParams,
    body: RollbackBody,
    responses,
    handle: async ({ params, body, identity }, context) =>
      record(context, {
        format: COMMAND_FORMAT,
        commandId: body.commandId ?? `cmd-${randomUUID()}`,
        modelId: params.modelId,
        action: 'ROLLBACK',
        targetVersion: body.version,
        actor: actorOf(identity),
        reason: body.reason,
        issuedAt: context.clock.now(),
        source: 'api',
      }),
  }),
];
