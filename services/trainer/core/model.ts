import { ErrorCodes, RoundhouseError } from '../../../lib/errors';
import type { ModelMetrics, ReferenceProfile } from '../../../lib/events';
import {
  buildReferenceProfile,
  computeMetrics,
  featureImportance,
  fitModel,
  outOfTimeSplit,
  scoreRows,
  toModelMetrics,
  withImportance,
  type FeatureInput,
  type LogisticModel,
  type MetadataValue,
  type Row,
} from '../../../lib/model';
import { noDataError } from './failure';
import type { JoinedRows } from './join';

/** Estimators the built-in trainer fits; anything else needs a custom trainer image. */
export const BUILT_IN_ESTIMATORS: readonly string[] = ['logistic-regression'];

export interface ModelInputs {
  readonly features: readonly FeatureInput[];
  readonly scoreField: string | null;
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  readonly holdoutFraction: number;
  readonly validationFraction: number;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}

export interface TrainedModel {
  readonly model: LogisticModel;
  readonly metrics: ModelMetrics;
  readonly profile: ReferenceProfile;
  readonly holdout: Int32Array;
  readonly holdoutStartTime: number | null;
  readonly holdoutPositives: number;
  readonly trainRows: number;
}

export function checkEstimator(estimator: string): void {
  if (!BUILT_IN_ESTIMATORS.includes(estimator)) {
    throw new RoundhouseError(
      ErrorCodes.VALIDATION,
      `estimator ${estimator} is not built into roundhouse-trainer (it fits ${BUILT_IN_ESTIMATORS.join(', ')}); set training.image to a custom trainer (docs/trainer-contract.md)`,
      { retriable: false, context: { estimator } },
    );
  }
}

/** Refuse a window that cannot make a model, saying what was there. */
export function checkTrainable(joined: JoinedRows, window: string): void {
  const n = joined.rows.length;
  const c = joined.counts;
  const horizon = new Date(joined.maturityHorizon).toISOString();
  const seen = `${c.events} feature event(s): ${c.labelled} matured with a label, ${c.maturedUnlabelled} matured unlabelled, ${c.immature} younger than the maturity horizon ${horizon} (left out)`;
  if (n === 0) throw noDataError(`no labelled data in ${window}: ${seen}`, { events: c.events, rows: 0 });
  if (joined.positives === 0 || joined.positives === n) {
    throw noDataError(`only one class in ${window}: ${n} labelled row(s), ${joined.positives} positive (${seen}); a model needs both`, {
      rows: n,
      positives: joined.positives,
    });
  }
}

const pick = <T>(items: readonly T[], idx: Int32Array): T[] => Array.from(idx, (i) => items[i] as T);
const pickLabels = (labels: Uint8Array, idx: Int32Array): Uint8Array => Uint8Array.from(idx, (i) => labels[i] as number);

/** Split out of time, fit on the training slice, judge on the holdout, profile the training rows. */
export function trainModel(joined: JoinedRows, inputs: ModelInputs): TrainedModel {
  const split = outOfTimeSplit(joined.times, { holdoutFraction: inputs.holdoutFraction, validationFraction: inputs.validationFraction });
  if (split.train.length === 0) throw noDataError(`nothing left to train on after the holdout (${joined.rows.length} rows)`, { rows: joined.rows.length });
  const trainRows: Row[] = pick(joined.rows, split.train);
  const trainLabels = pickLabels(joined.labels, split.train);
  const model = fitModel(trainRows, trainLabels, inputs.features, inputs.hyperparameters, inputs.metadata);
  const holdoutLabels = pickLabels(joined.labels, split.holdout);
  const holdoutMetrics = computeMetrics(holdoutLabels, scoreRows(model, pick(joined.rows, split.holdout)));
  const extra: Record<string, number> = {};
  if (split.validation.length > 0) {
    const v = computeMetrics(pickLabels(joined.labels, split.validation), scoreRows(model, pick(joined.rows, split.validation)));
    for (const key of ['rocAuc', 'prAuc', 'logLoss'] as const) {
      const value = v[key];
      if (value !== null) extra[`validation_${key}`] = value;
    }
  }
  const metrics = toModelMetrics({ ...holdoutMetrics, extra });
  const profile = withImportance(buildReferenceProfile(trainRows, trainLabels, { features: inputs.features, scoreField: inputs.scoreField }), featureImportance(model, trainRows));
  return {
    model,
    metrics,
    profile,
    holdout: split.holdout,
    holdoutStartTime: split.holdoutStartTime,
    holdoutPositives: holdoutMetrics.positives,
    trainRows: trainRows.length,
  };
}
