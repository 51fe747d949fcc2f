/**
 * Drift tests the catalog can name, what each measures and how its threshold reads.
 * Two kinds: a *statistic* (drifted when statistic ≥ threshold) and a *p-value*
 * test (drifted when p < threshold, i.e. the threshold is the significance level;
 * these are the tests the Benjamini–Hochberg correction applies to).
 */

export type FeatureType = 'numeric' | 'categorical';

export interface DriftMethodInfo {
  readonly kind: 'statistic' | 'pvalue';
  readonly featureTypes: readonly FeatureType[];
  readonly defaultThreshold: number;
  /** Exclusive lower bound and (when not null) exclusive upper bound of a legal threshold. */
  readonly thresholdAbove: number;
  readonly thresholdBelow: number | null;
  readonly description: string;
}

export const DRIFT_METHODS = {
  psi: {
    kind: 'statistic', featureTypes: ['numeric', 'categorical'], defaultThreshold: 0.2, thresholdAbove: 0, thresholdBelow: null,
    description: 'population stability index over reference-quantile bins (numeric) or categories',
  },
  ks: {
    kind: 'pvalue', featureTypes: ['numeric'], defaultThreshold: 0.05, thresholdAbove: 0, thresholdBelow: 1,
    description: 'two-sample Kolmogorov–Smirnov test; threshold is the significance level',
  },
  jensen_shannon: {
    kind: 'statistic', featureTypes: ['numeric', 'categorical'], defaultThreshold: 0.1, thresholdAbove: 0, thresholdBelow: 1,
    description: 'Jensen–Shannon distance (base 2, in [0, 1]) between binned distributions',
  },
  wasserstein: {
    kind: 'statistic', featureTypes: ['numeric'], defaultThreshold: 0.1, thresholdAbove: 0, thresholdBelow: null,
    description: 'Wasserstein-1 distance divided by the reference standard deviation',
  },
  chi_square: {
    kind: 'pvalue', featureTypes: ['categorical'], defaultThreshold: 0.05, thresholdAbove: 0, thresholdBelow: 1,
    description: "Pearson's chi-square test of homogeneity; threshold is the significance level",
  },
} as const satisfies Record<string, DriftMethodInfo>;

export type DriftMethod = keyof typeof DRIFT_METHODS;
export type DriftMethodChoice = DriftMethod | 'auto';

export const DRIFT_METHOD_NAMES = Object.keys(DRIFT_METHODS) as [DriftMethod, ...DriftMethod[]];

/** What `auto` means, per feature type. */
export const AUTO_DRIFT_METHOD: Readonly<Record<FeatureType, DriftMethod>> = Object.freeze({
  numeric: 'psi',
  categorical: 'jensen_shannon',
});

export function resolveDriftMethod(choice: DriftMethodChoice, type: FeatureType): DriftMethod {
  return choice === 'auto' ? AUTO_DRIFT_METHOD[type] : choice;
}

export function supportsType(method: DriftMethod, type: FeatureType): boolean {
  return (DRIFT_METHODS[method].featureTypes as readonly FeatureType[]).includes(type);
}

/** Null when the threshold is legal for the method, else why not. */
export function thresholdProblem(method: DriftMethod, threshold: number): string | null {
  const info: DriftMethodInfo = DRIFT_METHODS[method];
  const above = threshold > info.thresholdAbove;
  const below = info.thresholdBelow === null || threshold < info.thresholdBelow;
  if (above && below) return null;
  const range = info.thresholdBelow === null ? `> ${info.thresholdAbove}` : `in (${info.thresholdAbove}, ${info.thresholdBelow})`;
  return `a ${method} threshold must be ${range}, got ${threshold}`;
}
