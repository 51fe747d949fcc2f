import type { ModelEvaluated, ModelReady, PromotionCause, ReferenceProfile, RetrainRequested, TrainingCompleted } from '../../../lib/events';
import { ErrorCodes, RoundhouseError } from '../../../lib/errors';

/**
 * ModelReady builders. Versions are monotonic per model: one more than the
 * highest version ever seen on roundhouse.model-ready (a rollback gets a new
 * version too, so "latest record per key" and "highest version" agree).
 */

export const EMPTY_PROFILE: ReferenceProfile = Object.freeze({ features: [], score: null, labelRate: null, labelledRows: null });

export function nextVersion(highestSeen: number | null): number {
  return (highestSeen ?? 0) + 1;
}

export interface PromotionInput {
  readonly completed: TrainingCompleted;
  /** The evaluation that decided the promotion; its candidate metrics become the version's metrics. */
  readonly evaluation: Pick<ModelEvaluated, 'evaluationId' | 'candidateMetrics'>;
  /** The RetrainRequested behind the run; null when the evaluator has not seen it (lineage then says MANUAL, no evidence). */
  readonly request: RetrainRequested | null;
  readonly version: number;
  /** The champion this version replaces; null for the model's first version. */
  readonly parentVersion: number | null;
  readonly cause: Extract<PromotionCause, 'PROMOTION' | 'FORCED'>;
  readonly promotedAt: number;
}

export function buildModelReady(input: PromotionInput): ModelReady {
  const { completed, evaluation, request } = input;
  if (completed.artifactUri === null || completed.artifactSha256 === null || completed.modelFormat === null) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `run ${completed.runId} has no artifact to promote`, {
      retriable: false,
      context: { modelId: completed.modelId, runId: completed.runId },
    });
  }
  return {
    modelId: completed.modelId,
    version: input.version,
    artifactUri: completed.artifactUri,
    artifactSha256: completed.artifactSha256,
    modelFormat: completed.modelFormat,
    metrics: evaluation.candidateMetrics,
    profile: completed.profile ?? EMPTY_PROFILE,
    lineage: {
      requestId: completed.requestId,
      runId: completed.runId,
      evaluationId: evaluation.evaluationId,
      reason: request?.reason ?? 'MANUAL',
      driftEvidence: request?.drift ?? null,
      dataWindow: completed.dataWindow,
      parentVersion: input.parentVersion,
    },
    promotedAt: input.promotedAt,
    cause: input.cause,
    // Stamped by the engine when it publishes (the epoch of the leader that writes it).
    leaderEpoch: null,
    restoredVersion: null,
  };
}

export interface RollbackInput {
  readonly version: number;
  readonly parentVersion: number;
  /** The rollback's own ModelEvaluated, which records who asked and why. */
  readonly evaluationId: string;
  readonly promotedAt: number;
}

/** The earlier version's artifact, metrics, profile and lineage, re-published as a new version. */
export function buildRollbackReady(restored: ModelReady, input: RollbackInput): ModelReady {
  return {
    ...restored,
    version: input.version,
    lineage: { ...restored.lineage, evaluationId: input.evaluationId, parentVersion: input.parentVersion },
    promotedAt: input.promotedAt,
    cause: 'ROLLBACK',
    restoredVersion: restored.version,
  };
}
