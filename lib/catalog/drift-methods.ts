/**
 * The drift tests a catalog may name. The vocabulary, which tests suit which
 * feature type, which are p-value tests and their default thresholds all come
 * from the statistics core (lib/stats), so the catalog cannot accept a test the
 * trigger cannot run. What the catalog adds is the legal range of a threshold.
 *
 * Two kinds: a *statistic* (drifted when statistic ≥ threshold) and a *p-value*
 * test (drifted when p < threshold, the significance level; these are the tests
 * Benjamini–Hochberg applies to). `auto` leaves the choice to lib/stats
 * `chooseTest`, which depends on the reference size (Evidently's rule), so it
 * cannot be resolved from the catalog alone.
 */
import { DEFAULT_THRESHOLDS } from '../stats/drift-tests';
import { P_VALUE_TESTS, TESTS_BY_KIND, type DriftTestName, type FeatureKind } from '../stats/types';

export type FeatureType = FeatureKind;
export type DriftMethod = DriftTestName;
export type DriftMethodChoice = DriftMethod | 'auto';

export const DRIFT_METHOD_NAMES = Object.keys(DEFAULT_THRESHOLDS) as [DriftMethod, ...DriftMethod[]];

export interface DriftMethodInfo {
  readonly kind: 'statistic' | 'pvalue';
  readonly featureTypes: readonly FeatureType[];
  readonly defaultThreshold: number;
  /** A legal threshold is > thresholdAbove and, when not null, < thresholdBelow. */
  readonly thresholdAbove: number;
  readonly thresholdBelow: number | null;
}

// Statistics without an upper bound; every other test's threshold lies in (0, 1)
// (p-value tests: a significance level; jensenshannon: a distance in [0, 1]).
const UNBOUNDED: ReadonlySet<DriftMethod> = new Set<DriftMethod>(['psi', 'wasserstein']);

export const DRIFT_METHODS: Readonly<Record<DriftMethod, DriftMethodInfo>> = Object.freeze(
  Object.fromEntries(
    DRIFT_METHOD_NAMES.map((name): [DriftMethod, DriftMethodInfo] => [
      name,
      Object.freeze({
        kind: P_VALUE_TESTS.has(name) ? 'pvalue' : 'statistic',
        featureTypes: (Object.keys(TESTS_BY_KIND) as FeatureType[]).filter((type) => TESTS_BY_KIND[type].includes(name)),
        defaultThreshold: DEFAULT_THRESHOLDS[name],
        thresholdAbove: 0,
        thresholdBelow: UNBOUNDED.has(name) ? null : 1,
      }),
    ]),
  ) as Record<DriftMethod, DriftMethodInfo>,
);

export function isDriftMethod(name: string): name is DriftMethod {
  return Object.prototype.hasOwnProperty.call(DRIFT_METHODS, name);
}

export function supportsType(method: DriftMethod, type: FeatureType): boolean {
  return DRIFT_METHODS[method].featureTypes.includes(type);
}

/** Null when the threshold is legal for the method, else why not. */
export function thresholdProblem(method: DriftMethod, threshold: number): string | null {
  const info = DRIFT_METHODS[method];
  const above = threshold > info.thresholdAbove;
  const below = info.thresholdBelow === null || threshold < info.thresholdBelow;
  if (above && below) return null;
  const range = info.thresholdBelow === null ? `> ${info.thresholdAbove}` : `in (${info.thresholdAbove}, ${info.thresholdBelow})`;
  return `a ${method} threshold must be ${range}, got ${threshold}`;
}
