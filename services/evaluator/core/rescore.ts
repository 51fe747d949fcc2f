import type { ModelMetrics } from '../../../lib/events';
import { computeMetrics, scoreRows, toModelMetrics, type LogisticModel, type Row } from '../../../lib/model';

/** Holdout rows with their 0/1 labels, as exported by the trainer. */
export interface Holdout {
  readonly rows: readonly Row[];
  readonly labels: Uint8Array;
}

export interface Rescored {
  readonly candidate: ModelMetrics;
  readonly champion: ModelMetrics | null;
}

/**
 * Score candidate and champion on the same rows and measure both the same way,
 * so a change in the holdout (new fraud mix, new period) cannot pass for a
 * change in the model. Throws NO_DATA (lib/model) when the holdout lacks a class.
 */
export function rescore(candidate: LogisticModel, champion: LogisticModel | null, holdout: Holdout): Rescored {
  const measure = (model: LogisticModel): ModelMetrics => toModelMetrics(computeMetrics(holdout.labels, scoreRows(model, holdout.rows)));
  return { candidate: measure(candidate), champion: champion === null ? null : measure(champion) };
}
