/**
 * Plain data shared by the statistics core. References are what a training run
 * records in its profile (and ModelReady carries); histograms are the streaming
 * side; a DriftTestResult is one feature's verdict, carried as evidence.
 */

export type FeatureKind = 'numeric' | 'categorical';

/** Names follow Evidently's stattest names, so catalogs read familiar. */
export type DriftTestName = 'psi' | 'ks' | 'jensenshannon' | 'wasserstein' | 'chisquare' | 'z';

/** Which tests are defined for which kind of feature (catalog validation uses this). */
export const TESTS_BY_KIND: Readonly<Record<FeatureKind, readonly DriftTestName[]>> = Object.freeze({
  numeric: Object.freeze(['psi', 'ks', 'jensenshannon', 'wasserstein'] as const),
  categorical: Object.freeze(['psi', 'jensenshannon', 'chisquare', 'z'] as const),
});

/** Tests whose threshold is a significance level (drifted when p < alpha). */
export const P_VALUE_TESTS: ReadonlySet<DriftTestName> = new Set<DriftTestName>(['ks', 'chisquare', 'z']);

/**
 * Reference profile of a numeric feature.
 * Bins: with k = edges.length there are k + 1 bins, (-inf, e0), [e0, e1), …,
 * [e(k-1), +inf). `proportions` and `binMeans` have k + 1 entries.
 */
export interface NumericReference {
  readonly kind: 'numeric';
  /** Strictly increasing, finite. */
  readonly edges: readonly number[];
  /** Share of the valid (finite) values in each bin; sums to 1, or all 0 when there are none. */
  readonly proportions: readonly number[];
  /** Mean of the reference values in each bin (a fallback inside the bin when it is empty). */
  readonly binMeans: readonly number[];
  /** Every observation, valid, missing and NaN alike. */
  readonly count: number;
  /** Share of null/undefined among all observations. */
  readonly missingShare: number;
  /** Share of NaN, ±Infinity and |x| > MAX_MAGNITUDE (1e100) among all observations. */
  readonly nanShare: number;
  /** Mean and population standard deviation (ddof = 0) of the valid values; 0 when none. */
  readonly mean: number;
  readonly std: number;
}

/** Reference profile of a categorical feature. */
export interface CategoricalReference {
  readonly kind: 'categorical';
  /**
   * Share of each category among the non-missing values (sums to 1, or empty).
   * May hold OTHER_CATEGORY when the builder capped the number of categories.
   */
  readonly categories: Readonly<Record<string, number>>;
  readonly count: number;
  readonly missingShare: number;
}

export type FeatureReference = NumericReference | CategoricalReference;

/** Bucket for categories beyond a cap (reference builder and streaming histogram). */
export const OTHER_CATEGORY = '__other__';

export type DriftStatus = 'ok' | 'not_enough_data';

export interface DriftTestResult {
  readonly test: DriftTestName;
  /** The test statistic; 0 when status is not_enough_data (never NaN). */
  readonly statistic: number;
  /** Raw p-value for ks, chisquare and z; null for distances and when not_enough_data. */
  readonly pValue: number | null;
  /** alpha for p-value tests (drifted when p < alpha), a distance otherwise (drifted when statistic >= threshold). */
  readonly threshold: number;
  readonly drifted: boolean;
  /** Observations the test used on each side (see each test for which ones). */
  readonly referenceCount: number;
  readonly currentCount: number;
  readonly status: DriftStatus;
}

export interface DriftTestOverride {
  readonly test?: DriftTestName;
  readonly threshold?: number;
}
