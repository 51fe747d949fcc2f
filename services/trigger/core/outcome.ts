import type { Decision as EvaluationDecision, RunState } from '../../../lib/events';
import type { RunOutcome } from './attempts';

/**
 * What the trigger's follower knows of one request, from the three topics that
 * tell its story: its run's latest state (TrainingRun, highest sequence), the
 * latest evaluation of its candidate (ModelEvaluated: an override re-judges, and
 * the later one stands), and whether a ModelReady names it in its lineage.
 */
export interface RequestProgress {
  readonly run: { readonly state: RunState; readonly sequence: number } | null;
  readonly evaluation: { readonly decision: EvaluationDecision; readonly evaluatedAt: number } | null;
  readonly promoted: boolean;
}

export const NO_PROGRESS: RequestProgress = { run: null, evaluation: null, promoted: false };

/**
 * The outcome, first match wins:
 *
 *   a ModelReady names the request            → PROMOTED
 *   its latest evaluation is REJECT           → REJECTED
 *   its latest evaluation is PROMOTE          → PENDING (the ModelReady follows)
 *   its run FAILED / was CANCELLED            → FAILED / CANCELLED
 *   anything else (no run yet, QUEUED, SUBMITTED, RUNNING, SUCCEEDED) → PENDING
 *
 * A SUCCEEDED run is not an outcome: its candidate may still be rejected.
 */
export function outcomeOf(progress: RequestProgress): RunOutcome {
  if (progress.promoted) return 'PROMOTED';
  if (progress.evaluation?.decision === 'REJECT') return 'REJECTED';
  if (progress.evaluation?.decision === 'PROMOTE') return 'PENDING';
  if (progress.run?.state === 'FAILED') return 'FAILED';
  if (progress.run?.state === 'CANCELLED') return 'CANCELLED';
  return 'PENDING';
}

/** Folds a run update in (stale sequences ignored). */
export function withRun(progress: RequestProgress, state: RunState, sequence: number): RequestProgress {
  if (progress.run && progress.run.sequence > sequence) return progress;
  return { ...progress, run: { state, sequence } };
}

/** Folds an evaluation in (the latest by evaluatedAt stands). */
export function withEvaluation(progress: RequestProgress, decision: EvaluationDecision, evaluatedAt: number): RequestProgress {
  if (progress.evaluation && progress.evaluation.evaluatedAt > evaluatedAt) return progress;
  return { ...progress, evaluation: { decision, evaluatedAt } };
}

export function withPromotion(progress: RequestProgress): RequestProgress {
  return progress.promoted ? progress : { ...progress, promoted: true };
}
