import type { JsonValue, ModelSpec } from '../../../lib/catalog';
import { ErrorCodes, RoundhouseError } from '../../../lib/errors';
import { runArtifactDir } from '../../../lib/artifacts/segment';
import type { ExecutorKind, FailureInfo, RetrainRequested, RunState, TrainingRun } from '../../../lib/events';
import { RUN_SPEC_VERSION, RunSpec } from '../../../lib/runspec';
import { REASON_PRIORITY } from './admission';
import { runIdFor, seedFor } from './names';
import { canTransition } from './states';
import type { RunRecord } from './types';

/** Pure constructors of run records and their state changes. */

function parseHyperparameters(text: string | null, requestId: string): Record<string, JsonValue> {
  if (text === null) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `hyperparameters of request ${requestId} are not JSON: ${(error as Error).message}`, {
      context: { requestId },
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `hyperparameters of request ${requestId} must be a JSON object`, { context: { requestId } });
  }
  return value as Record<string, JsonValue>;
}

/** The catalog's hyperparameters with the request's on top (request wins, key by key). */
export function effectiveHyperparameters(model: ModelSpec, request: Pick<RetrainRequested, 'hyperparameters' | 'requestId'>): Record<string, JsonValue> {
  return { ...model.training.hyperparameters, ...parseHyperparameters(request.hyperparameters, request.requestId) };
}

/**
 * A new run for a request: state QUEUED, sequence 0, with the attempt's `nonce`
 * (core/names.ts: drawn by the caller once per new run, never per delivery).
 * Throws VALIDATION on bad hyperparameters.
 */
export function newRun(request: RetrainRequested, model: ModelSpec, executor: ExecutorKind, now: number, nonce: string): RunRecord {
  const hyperparameters = JSON.stringify(effectiveHyperparameters(model, request));
  return {
    runId: runIdFor(request.requestId),
    requestId: request.requestId,
    modelId: request.modelId,
    state: 'QUEUED',
    previousState: null,
    reason: request.reason,
    priority: REASON_PRIORITY[request.reason],
    executor,
    jobName: null,
    attempt: 1,
    message: null,
    failure: null,
    dataWindow: request.window,
    hyperparameters,
    createdAt: now,
    updatedAt: now,
    sequence: 0,
    // Stamped by the engine when it publishes (the epoch of the leader that writes it).
    leaderEpoch: null,
    segment: request.segment,
    requestedBy: request.requestedBy,
    nonce,
    history: [{ state: 'QUEUED', at: now, message: null }],
  };
}

export interface TransitionDetails {
  readonly message?: string | null;
  readonly failure?: FailureInfo | null;
  readonly jobName?: string | null;
  readonly attempt?: number;
}

export type TransitionResult = { readonly ok: true; readonly run: RunRecord } | { readonly ok: false; readonly reason: string };

/** The run after a state change (sequence + 1), or why the table refuses it. */
export function transition(run: RunRecord, to: RunState, details: TransitionDetails, now: number): TransitionResult {
  if (!canTransition(run.state, to)) return { ok: false, reason: `illegal transition ${run.state} → ${to} for run ${run.runId}` };
  const message = details.message ?? null;
  const at = Math.max(now, run.updatedAt);
  return {
    ok: true,
    run: {
      ...run,
      state: to,
      previousState: run.state,
      jobName: details.jobName !== undefined ? details.jobName : run.jobName,
      attempt: details.attempt ?? run.attempt,
      message,
      failure: details.failure !== undefined ? details.failure : run.failure,
      updatedAt: at,
      sequence: run.sequence + 1,
      history: [...run.history, { state: to, at, message }],
    },
  };
}

/** The event published for a record (the record minus what the schema does not carry). */
export function toEvent(run: RunRecord): TrainingRun {
  return {
    runId: run.runId,
    requestId: run.requestId,
    modelId: run.modelId,
    state: run.state,
    previousState: run.previousState,
    reason: run.reason,
    priority: run.priority,
    executor: run.executor,
    jobName: run.jobName,
    attempt: run.attempt,
    message: run.message,
    failure: run.failure,
    dataWindow: run.dataWindow,
    hyperparameters: run.hyperparameters,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    sequence: run.sequence,
    leaderEpoch: run.leaderEpoch,
  };
}

/**
 * Whether `candidate` supersedes `current`, both read back for one run: a
 * higher leader epoch wins whatever its sequence, so a deposed dispatcher's
 * late writes (lower epoch, maybe a sequence the new leader reused) never
 * replace the new leader's; within an epoch, the higher sequence. No epoch
 * (events from before leader election) ranks below every epoch.
 */
export function supersedes(candidate: Pick<RunRecord, 'leaderEpoch' | 'sequence'>, current: Pick<RunRecord, 'leaderEpoch' | 'sequence'>): boolean {
  const a = candidate.leaderEpoch ?? -1;
  const b = current.leaderEpoch ?? -1;
  return a !== b ? a > b : candidate.sequence > current.sequence;
}

/** Rebuild a record from an event read back from roundhouse.training-runs. History is only the latest state. */
export function fromEvent(event: TrainingRun, extra: { readonly segment: string | null; readonly requestedBy: string | null; readonly nonce: string | null }): RunRecord {
  return { ...event, ...extra, history: [{ state: event.state, at: event.updatedAt, message: event.message }] };
}

export interface RunSpecOptions {
  /**
   * Artifact root URI (file:// or s3://); the run writes under
   * <root>/<encoded modelId>/<runId>-<nonce>/ (lib/artifacts/segment runArtifactDir).
   */
  readonly artifactRoot: string;
}

/** The trainer's run spec (lib/runspec): deterministic for a run, given the catalog entry. */
export function buildRunSpec(run: RunRecord, model: ModelSpec, options: RunSpecOptions): RunSpec {
  return {
    version: RUN_SPEC_VERSION,
    runId: run.runId,
    requestId: run.requestId,
    modelId: run.modelId,
    segment: run.segment,
    reason: run.reason,
    dataWindow: run.dataWindow,
    // A family member trains under its own id, with the family's settings.
    model: model.id === run.modelId ? model : { ...model, id: run.modelId },
    hyperparameters: JSON.parse(run.hyperparameters) as Record<string, unknown>,
    artifactUri: runArtifactDir(options.artifactRoot, run.modelId, run.runId, run.nonce),
    seed: seedFor(run.runId),
    createdAt: run.createdAt,
  };
}
