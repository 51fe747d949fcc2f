/**
 * The built-in estimator and what surrounds it, as pure functions over plain
 * data: feature pipeline, L2 logistic regression (Newton / L-BFGS), the
 * `roundhouse.logistic/v1` artifact, holdout metrics, the reference profile for
 * the trigger and the out-of-time split. No I/O. See README.md beside this file.
 */
export { categoryOf, numericValue, resolveFeatureType, type FeatureInput, type FeatureType, type Row } from './values';
export {
  AUTO_NEWTON_MAX_COLUMNS,
  DEFAULT_HYPERPARAMETERS,
  parseHyperparameters,
  type ClassWeight,
  type Encoding,
  type Hyperparameters,
  type Solver,
} from './hyperparameters';
export {
  MISSING_CATEGORY,
  MISSING_INDICATOR_SUFFIX,
  columnsOf,
  fitPipeline,
  fitTransform,
  fnv1a,
  transformRowInto,
  transformRows,
  type DesignMatrix,
  type FeatureEncoding,
  type FeaturePipeline,
  type HashingEncoding,
  type NumericEncoding,
  type OneHotEncoding,
  type PipelineOptions,
} from './features';
export { classWeights, fitLogistic, predictProbabilities, type LogisticFit, type LogisticOptions } from './logistic';
export type { StopReason } from './solvers';
export {
  MODEL_FORMAT,
  parseModel,
  scoreRows,
  serializeModel,
  type LogisticModel,
  type MetadataValue,
  type TrainingSummary,
} from './format';
export { fitModel } from './fit';
export { LOG_LOSS_EPSILON, computeMetrics, toModelMetrics, type HoldoutMetrics, type MetricsOptions } from './metrics';
export { buildReferenceProfile, profileFeature, toFeatureProfile, withImportance, type ProfileOptions, type ProfileSpec } from './profile';
export { outOfTimeSplit, type SplitOptions, type TimeSplit } from './split';
export { featureImportance } from './importance';
