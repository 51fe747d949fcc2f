import type { EvaluationMode, EvaluationOverride, ModelEvaluated, ModelMetrics, TrainingCompleted } from '../../../lib/events';
import type { PromotionDecision } from './gates';

/** The ModelEvaluated record of a judged candidate, with the operator's override when one decided it. */
export interface EvaluationInput {
  readonly evaluationId: string;
  readonly completed: Pick<TrainingCompleted, 'modelId' | 'runId' | 'requestId'>;
  readonly verdict: PromotionDecision;
  readonly mode: EvaluationMode;
  readonly candidateMetrics: ModelMetrics;
  readonly championMetrics: ModelMetrics | null;
  readonly championVersion: number | null;
  readonly override: EvaluationOverride | null;
  readonly evaluatedAt: number;
}

export function buildEvaluation(input: EvaluationInput): ModelEvaluated {
  const { override } = input;
  // The gates are kept as they were judged; an override changes only the decision, and says who and why.
  const decision = override === null ? input.verdict.decision : override.action === 'FORCE_REJECT' ? 'REJECT' : 'PROMOTE';
  return {
    evaluationId: input.evaluationId,
    modelId: input.completed.modelId,
    runId: input.completed.runId,
    requestId: input.completed.requestId,
    decision,
    mode: input.mode,
    gates: input.verdict.gates,
    candidateMetrics: input.candidateMetrics,
    championMetrics: input.championMetrics,
    championVersion: input.championVersion,
    override,
    evaluatedAt: input.evaluatedAt,
    // Stamped by the engine when it publishes (the epoch of the leader that writes it).
    leaderEpoch: null,
  };
}

/**
 * Metrics for a candidate that could not be measured at all (no reported
 * metrics, holdout unusable). ModelMetrics has no nulls; zeros fail every
 * "min" gate, and the gate that explains why is in the evaluation.
 */
export function unmeasuredMetrics(rows: number, positives: number): ModelMetrics {
  return {
    rocAuc: 0,
    prAuc: 0,
    logLoss: 0,
    brier: 0,
    recallAt1PctFpr: 0,
    precisionAtK: 0,
    k: 0,
    expectedCalibrationError: 0,
    rows,
    positives,
    extra: {},
  };
}
