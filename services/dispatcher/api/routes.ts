import type { EventBus } from '../../../lib/bus';
import type { Catalog } from '../../../lib/catalog';
import type { Clock } from '../../../lib/clock';
import type { PlatformCodec } from '../../../lib/codec';
import type { RetrainRequested } from '../../../lib/events';
import { resolveModel } from '../core/models';
import { runIdFor } from '../core/names';
import type { RunRecord } from '../core/types';
import type { RunEngine } from '../engine/engine';
import { ApiError } from './errors';
import { AnyRoute, defineRoute } from './route';
import { dataWindowFor, segmentFor } from './submission';
import { ErrorBody, ListRunsQuery, ModelIdParams, RunAccepted, RunIdParams, RunList, RunView, SubmitRunBody } from './schemas';

export interface ApiContext {
  readonly engine: RunEngine;
  readonly catalog: Catalog;
  readonly bus: EventBus;
  readonly codec: PlatformCodec;
  readonly clock: Clock;
  readonly newRequestId: () => string;
}

const DEFAULT_LIMIT = 50;

export function runView(run: RunRecord): RunView {
  return {
    runId: run.runId,
    requestId: run.requestId,
    modelId: run.modelId,
    segment: run.segment,
    state: run.state,
    previousState: run.previousState,
    reason: run.reason,
    priority: run.priority,
    executor: run.executor,
    jobName: run.jobName,
    attempt: run.attempt,
    message: run.message,
    failure: run.failure,
    dataWindow: { startTime: run.dataWindow.startTime, endTime: run.dataWindow.endTime, partitions: run.dataWindow.partitions.map((p) => ({ ...p })) },
    hyperparameters: JSON.parse(run.hyperparameters) as Record<string, unknown>,
    requestedBy: run.requestedBy,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    sequence: run.sequence,
    history: run.history.map((h) => ({ ...h })),
  };
}

const errors = {
  400: { description: 'Invalid request; `field` names the offending field.', schema: ErrorBody },
  401: { description: 'Missing or unknown bearer token.', schema: ErrorBody },
  403: { description: "The token lacks this route's scope.", schema: ErrorBody },
};

function requireRun(context: ApiContext, runId: string): RunRecord {
  const run = context.engine.store.get(runId);
  if (!run) throw new ApiError(404, 'NOT_FOUND', `run ${runId} does not exist`, 'runId');
  return run;
}

export const ROUTES: readonly AnyRoute<ApiContext>[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/runs',
    operationId: 'submitRun',
    summary: 'Ask for a training run',
    description:
      'Records a RetrainRequested (published to roundhouse.retrain-requests) and its run (QUEUED on roundhouse.training-runs), then admission starts it when the model has no run in flight and a slot is free. Idempotent by requestId.',
    scope: 'submit',
    body: SubmitRunBody,
    responses: {
      202: { description: 'Accepted: the run exists (new, or the one this requestId already made).', schema: RunAccepted },
      ...errors,
      404: { description: 'The model is not in the catalog.', schema: ErrorBody },
      409: { description: 'The requestId was already used for another model.', schema: ErrorBody },
      503: { description: 'Kafka is unavailable; retry with the same requestId.', schema: ErrorBody },
    },
    handle: async ({ body, identity }, context) => {
      const model = resolveModel(context.catalog, body.modelId);
      if (!model) throw new ApiError(404, 'NOT_FOUND', `model "${body.modelId}" is not in the catalog`, 'modelId');
      const requestId = body.requestId ?? context.newRequestId();
      const existing = context.engine.store.get(runIdFor(requestId));
      if (existing && existing.modelId !== body.modelId) {
        throw new ApiError(409, 'CONFLICT', `requestId ${requestId} was already used for model ${existing.modelId}`, 'requestId');
      }
      const now = context.clock.now();
      const window = dataWindowFor(body.dataWindow, model, now);
      const segment = segmentFor(body.modelId, model, body.segment);
      const request: RetrainRequested = {
        requestId,
        modelId: body.modelId,
        segment,
        reason: (body.reason ?? 'MANUAL') as RetrainRequested['reason'],
        requestedAt: now,
        window: { startTime: window.startTime, endTime: window.endTime, partitions: [] },
        drift: null,
        volume: null,
        age: null,
        performance: null,
        championVersion: null,
        hyperparameters: body.hyperparameters ? JSON.stringify(body.hyperparameters) : null,
        requestedBy: body.requestedBy ?? identity?.name ?? 'api',
        emittedAt: now,
      };
      // The request is durable before the run: if recording the run fails, the
      // dispatcher's own consumer still turns the request into the same run.
      if (!existing) await context.bus.publish([context.codec.message('RetrainRequested', request)]);
      const { run } = await context.engine.request(request);
      context.engine.kick();
      return { status: 202, body: { runId: run.runId, requestId: run.requestId, modelId: run.modelId, state: run.state } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/runs/{runId}',
    operationId: 'getRun',
    summary: 'A run and its history',
    scope: 'read',
    params: RunIdParams,
    responses: { 200: { description: 'The run.', schema: RunView }, ...errors, 404: { description: 'No such run.', schema: ErrorBody } },
    handle: async ({ params }, context) => ({ status: 200, body: runView(requireRun(context, params.runId)) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/models/{modelId}/runs',
    operationId: 'listModelRuns',
    summary: "A model's runs, newest first",
    scope: 'read',
    params: ModelIdParams,
    query: ListRunsQuery,
    responses: { 200: { description: 'The runs.', schema: RunList }, ...errors, 404: { description: 'The model is not in the catalog.', schema: ErrorBody } },
    handle: async ({ params, query }, context) => {
      if (!resolveModel(context.catalog, params.modelId)) throw new ApiError(404, 'NOT_FOUND', `model "${params.modelId}" is not in the catalog`, 'modelId');
      const runs = context.engine.store
        .forModel(params.modelId)
        .filter((r) => query.state === undefined || r.state === query.state)
        .sort((a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : -1))
        .slice(0, query.limit ?? DEFAULT_LIMIT);
      return { status: 200, body: { modelId: params.modelId, runs: runs.map(runView) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/runs/{runId}/cancel',
    operationId: 'cancelRun',
    summary: 'Cancel a run that has not ended',
    description: 'Records CANCELLED, then deletes the Job (propagation Background) or stops the process.',
    scope: 'submit',
    params: RunIdParams,
    responses: {
      202: { description: 'Cancelled.', schema: RunAccepted },
      ...errors,
      404: { description: 'No such run.', schema: ErrorBody },
      409: { description: 'The run has already ended.', schema: ErrorBody },
    },
    handle: async ({ params }, context) => {
      requireRun(context, params.runId);
      const run = await context.engine.cancel(params.runId);
      context.engine.kick();
      return { status: 202, body: { runId: run.runId, requestId: run.requestId, modelId: run.modelId, state: run.state } };
    },
  }),
];
