/**
 * Statistics core of the trigger: mergeable streaming histograms, reference
 * profiles, drift tests, the automatic test choice and the dataset rule. Pure
 * functions and plain data, no I/O. See README.md beside this file.
 */
export * from './types';
export { NumericHistogram, type NumericHistogramState } from './numeric-histogram';
export {
  CategoricalHistogram,
  DEFAULT_MAX_UNSEEN,
  type CategoricalHistogramState,
  type CategoricalValue,
} from './categorical-histogram';
export { DEFAULT_BINS, DEFAULT_MAX_CATEGORIES, buildCategoricalReference, buildNumericReference } from './reference';
export { parseFeatureReference } from './reference-codec';
export {
  MISSING_BUCKET,
  NAN_BUCKET,
  OVERFLOW_BUCKET,
  categoricalBuckets,
  numericBuckets,
  type BucketComparison,
} from './buckets';
export {
  MIN_EXPECTED_COUNT,
  PSI_EPSILON,
  chiSquareHomogeneity,
  jensenShannonDistance,
  ksStatistic,
  psiOfDistributions,
  twoProportionZTest,
  wassersteinDistance,
  type ChiSquareOutcome,
  type ZTestOutcome,
} from './distances';
export {
  DEFAULT_THRESHOLDS,
  WASSERSTEIN_MIN_STD,
  chiSquareTest,
  jensenShannon,
  ksTest,
  psi,
  wassersteinNormed,
  zTestProportions,
  type FeatureHistogram,
} from './drift-tests';
export { SMALL_REFERENCE, chooseTest, runDriftTest, type TestChoice } from './choose';
export { benjaminiHochberg, type BenjaminiHochbergResult } from './fdr';
export {
  evaluateDatasetDrift,
  type DatasetDriftPolicy,
  type DatasetDriftResult,
  type FeatureDriftInput,
  type FeatureDriftStatus,
  type FeatureDriftVerdict,
} from './dataset';
export { chiSquareSf, erfc, kolmogorovSf, logGamma, normalSf, regularizedGammaP, regularizedGammaQ } from './special';
export {
  DEFAULT_MIN_EFFECT,
  DEFAULT_WINDOWS_PER_FALSE_ALARM,
  IMPORTANCE_FLOOR_SHARE,
  budgetTest,
  budgetWeights,
  effectSize,
  windowAlpha,
} from './budget';
export { SCAN_MIN_EVENTS, SCAN_SHARE, recentChangeScan, upperTail, type ScanResult } from './scan';
