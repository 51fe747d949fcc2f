import { z } from 'zod';
import { MODEL_REF_MAX_LENGTH, MODEL_REF_PATTERN } from '../../../lib/catalog';
import { RETRAIN_REASON_SYMBOLS, RUN_STATE_SYMBOLS } from '../../../lib/events';
import { API_LIMITS, jsonBytes, jsonDepthExceeds } from './limits';

/**
 * Request and response shapes of the HTTP API, as zod schemas: requests are
 * validated with them (a 400 names the offending field) and the OpenAPI
 * document is generated from the same objects (openapi.ts).
 */

const epochMs = z.number().int().min(0).describe('Epoch milliseconds.');

/** The same grammar as the override routes and evaluator commands (lib/catalog MODEL_REF_PATTERN). */
export const ModelIdParam = z
  .string()
  .max(MODEL_REF_MAX_LENGTH)
  .regex(MODEL_REF_PATTERN, 'expected a model id ([a-z0-9-], starting and ending with a letter or digit) or a family member id (<family>.<segment>)')
  .meta({ examples: ['card-fraud', 'merchant-fraud.m-17'] });
export const RunIdParam = z
  .string()
  .regex(/^run-[0-9a-f]{20}$/, 'expected a run id: run-<20 hex digits>')
  .meta({ examples: ['run-0f3a5c7e9b1d2f4a6c8e'] });

const windowTime = epochMs.min(API_LIMITS.dataWindowEarliestMs).max(API_LIMITS.dataWindowLatestMs);

/**
 * Static bounds only; the route also refuses a window ending after now + 5 min or
 * spanning more than the model's lookback (both depend on the clock or the catalog).
 */
export const DataWindowBody = z
  .strictObject({
    startTime: windowTime.describe('Event-time lower bound, epoch ms (inclusive); not before 2000-01-01.'),
    endTime: windowTime.describe(
      `Event-time upper bound, epoch ms (exclusive); after startTime, at most ${API_LIMITS.dataWindowFutureSkewMs / 60_000} minutes past the dispatcher's clock.`,
    ),
  })
  .refine((w) => w.endTime > w.startTime, { message: 'endTime must be after startTime', path: ['endTime'] })
  .describe("The data to train on; default: the model's lookback up to now. At most the model's lookback long.");

const { hyperparametersMaxBytes, hyperparametersMaxDepth, hyperparametersMaxKeys, hyperparameterNameMaxLength } = API_LIMITS;

export const HyperparametersBody = z
  .record(z.string().min(1).max(hyperparameterNameMaxLength), z.unknown())
  .superRefine((value, ctx) => {
    const keys = Object.keys(value).length;
    if (keys > hyperparametersMaxKeys) ctx.addIssue({ code: 'custom', message: `at most ${hyperparametersMaxKeys} keys (got ${keys})` });
    else if (jsonDepthExceeds(value, hyperparametersMaxDepth)) ctx.addIssue({ code: 'custom', message: `nested more than ${hyperparametersMaxDepth} levels deep` });
    else {
      const bytes = jsonBytes(value);
      if (bytes > hyperparametersMaxBytes) ctx.addIssue({ code: 'custom', message: `at most ${hyperparametersMaxBytes} bytes of JSON (got ${bytes})` });
    }
  })
  .meta({
    maxProperties: hyperparametersMaxKeys,
    'x-max-bytes': hyperparametersMaxBytes,
    'x-max-depth': hyperparametersMaxDepth,
    description: `Free JSON object merged over the catalog's hyperparameters (request wins, key by key). At most ${hyperparametersMaxKeys} keys, ${hyperparametersMaxBytes} bytes of JSON and ${hyperparametersMaxDepth} levels of nesting (x-max-bytes, x-max-depth).`,
  });

export const SubmitRunBody = z
  .strictObject({
    modelId: ModelIdParam.describe('Catalog id of the model (or of a model family member).'),
    requestId: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9._:-]+$/, 'expected [A-Za-z0-9._:-]')
      .optional()
      .describe('Idempotency key: the same requestId always yields the same run. Default: a fresh id (no deduplication of retries).'),
    reason: z.enum(RETRAIN_REASON_SYMBOLS as [string, ...string[]]).optional().describe('Why the run is asked for; default MANUAL (the highest priority).'),
    hyperparameters: HyperparametersBody.optional(),
    dataWindow: DataWindowBody.optional(),
    segment: z.string().min(1).max(200).optional().describe("Segment value of a family member; default: the part of modelId after the family's id. Must agree with it."),
    requestedBy: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("On whose behalf (recorded on the request and the run), free text. Default: the token's name."),
  })
  .describe('A request for a training run.')
  .meta({ examples: [{ modelId: 'card-fraud', requestId: 'ticket-4711', reason: 'MANUAL', hyperparameters: { l2: 0.0005 }, requestedBy: 'alice@example.com' }] });
export type SubmitRunBody = z.infer<typeof SubmitRunBody>;

export const RunIdParams = z.strictObject({ runId: RunIdParam });
export const ModelIdParams = z.strictObject({ modelId: ModelIdParam });

export const ListRunsQuery = z.strictObject({
  state: z.enum(RUN_STATE_SYMBOLS as [string, ...string[]]).optional().describe('Only runs in this state.'),
  limit: z.coerce.number().int().min(1).max(500).optional().describe('At most this many runs, newest first (default 50).'),
});

const Failure = z.object({ code: z.string(), message: z.string(), retriable: z.boolean() }).describe('Why the run failed or was cancelled.');

export const RunView = z
  .object({
    runId: z.string(),
    requestId: z.string(),
    modelId: z.string(),
    segment: z.string().nullable(),
    state: z.enum(RUN_STATE_SYMBOLS as [string, ...string[]]),
    previousState: z.enum(RUN_STATE_SYMBOLS as [string, ...string[]]).nullable(),
    reason: z.enum(RETRAIN_REASON_SYMBOLS as [string, ...string[]]),
    priority: z.number().int(),
    executor: z.enum(['kubernetes', 'local']),
    jobName: z.string().nullable().describe('Kubernetes Job (or local process) name, once submitted.'),
    attempt: z.number().int(),
    message: z.string().nullable(),
    failure: Failure.nullable(),
    dataWindow: z.object({
      startTime: z.number().int(),
      endTime: z.number().int(),
      partitions: z.array(z.object({ topic: z.string(), partition: z.number().int(), startOffset: z.number().int(), endOffset: z.number().int() })),
    }),
    hyperparameters: z.record(z.string(), z.unknown()).describe('Effective hyperparameters handed to the trainer.'),
    requestedBy: z.string().nullable(),
    createdAt: epochMs,
    updatedAt: epochMs,
    sequence: z.number().int().describe('Monotonic per run; the sequence of the latest TrainingRun event.'),
    history: z
      .array(z.object({ state: z.enum(RUN_STATE_SYMBOLS as [string, ...string[]]), at: epochMs, message: z.string().nullable() }))
      .describe('State changes seen by this dispatcher instance (after a restart: from the latest known state).'),
  })
  .describe('A training run.');
export type RunView = z.infer<typeof RunView>;

export const RunAccepted = z
  .object({ runId: z.string(), requestId: z.string(), modelId: z.string(), state: z.enum(RUN_STATE_SYMBOLS as [string, ...string[]]) })
  .describe('The run the request maps to, and its state now.');

export const RunList = z.object({ modelId: z.string(), runs: z.array(RunView) });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('Stable code to match on: UNAUTHORIZED, FORBIDDEN, VALIDATION, NOT_FOUND, CONFLICT, UNAVAILABLE, INTERNAL.'),
      message: z.string(),
      field: z.string().nullable().describe('The request field at fault (dotted path), when there is one.'),
    }),
  })
  .describe('Every error response has this shape.');
export type ErrorBody = z.infer<typeof ErrorBody>;
