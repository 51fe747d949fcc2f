import { fitTransform } from './features';
import { MODEL_FORMAT, type LogisticModel, type MetadataValue } from './format';
import { parseHyperparameters, type Hyperparameters } from './hyperparameters';
import { fitLogistic } from './logistic';
import type { FeatureInput, Row } from './values';

/**
 * The built-in estimator end to end: validate the hyperparameters, fit the
 * feature pipeline on the training rows, fit the logistic regression on its
 * design matrix, and package both as a `roundhouse.logistic/v1` model.
 * Throws VALIDATION (bad hyperparameters, bad labels) or NO_DATA (one class
 * only), both non-retriable.
 */
export function fitModel(
  rows: readonly Row[],
  labels: ArrayLike<number | boolean>,
  features: readonly FeatureInput[],
  hyperparameters: Readonly<Record<string, unknown>> | Hyperparameters = {},
  metadata: Readonly<Record<string, MetadataValue>> = {},
): LogisticModel {
  const hp = parseHyperparameters(hyperparameters as Readonly<Record<string, unknown>>);
  const { pipeline, matrix: x } = fitTransform(rows, features, hp);
  const fit = fitLogistic(x, labels, hp);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1 || labels[i] === true) positives++;
  return {
    format: MODEL_FORMAT,
    pipeline,
    coefficients: Array.from(fit.coefficients),
    intercept: fit.intercept,
    hyperparameters: hp,
    training: {
      rows: rows.length,
      positives,
      solver: fit.solver,
      iterations: fit.iterations,
      converged: fit.converged,
      stopReason: fit.stopReason,
      gradientNorm: fit.gradientNorm,
      objective: fit.objective,
      classWeights: fit.classWeights,
    },
    metadata: { ...metadata },
  };
}
