import { ErrorCodes, RoundhouseError } from '../errors';
import { categoricalBuckets, numericBuckets, occupiedBuckets } from './buckets';
import { ksStatistic } from './distances';
import { type FeatureHistogram } from './drift-tests';
import { type DriftTestName, type FeatureReference } from './types';

/**
 * The false-alarm budget of the dataset drift rule (docs/catalog.md, "How drift
 * is decided").
 *
 * The catalog states how many judged windows a stationary stream may pass, on
 * average, between false alarms: `windowsPerFalseAlarm` W. The rule's false
 * alarm probability per judged window is then α = 1/W, and it is split over the
 * features by importance (a weighted Bonferroni correction): feature i is tested
 * at αᵢ = α·wᵢ with Σwᵢ = 1, and the dataset drifts when any feature does. By
 * the union bound, on a stream where nothing moved P(any feature rejects) ≤ Σαᵢ =
 * α, whatever the correlation between the features; so false alarms arrive at
 * most once per W windows on average, and the hysteresis
 * (consecutiveWindows) only lowers that further.
 *
 * The thresholds are calibrated at each window's own sample size by the tests'
 * null distributions: two-sample Kolmogorov–Smirnov (numeric; the binned CDF's
 * limiting distribution at √(n·m/(n+m))·D, conservative) and chi-square or the
 * two-proportion z-test (categorical), so a window of 2,000 events and one of
 * 200,000 both keep the budget. A p-value alone would flag negligible changes on
 * very large windows, so a feature also needs an effect of at least `minEffect`:
 * the largest share of the mass that moved (KS D for numeric features, the total
 * variation distance for categorical ones).
 *
 * Importance: the champion's profile may carry a non-negative importance per
 * feature (the built-in trainer reports |coefficient| × the feature's spread; any
 * trainer may report its own). The weights are wᵢ = (1 − f)·impᵢ/Σimp + f/n with
 * f = IMPORTANCE_FLOOR_SHARE, so a feature the model leans on gets most of the
 * budget (it is detected sooner and on smaller shifts) and none is left with
 * nothing. With no importance (a bootstrap reference, or a trainer that reports
 * none) the weights are equal: plain Bonferroni.
 */

/** Share of the budget spread equally over all features, whatever their importance. */
export const IMPORTANCE_FLOOR_SHARE = 0.1;

/** The default of triggers.drift.windowsPerFalseAlarm and triggers.drift.minEffect. */
export const DEFAULT_WINDOWS_PER_FALSE_ALARM = 1000;
export const DEFAULT_MIN_EFFECT = 0.02;

/** The dataset rule's per-window false-alarm probability. */
export function windowAlpha(windowsPerFalseAlarm: number): number {
  if (!(Number.isFinite(windowsPerFalseAlarm) && windowsPerFalseAlarm >= 1)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `windowsPerFalseAlarm must be a number >= 1, got ${windowsPerFalseAlarm}`);
  }
  return 1 / windowsPerFalseAlarm;
}

/**
 * Each feature's share of the budget, in the order of `features`: importance
 * with the equal floor, or equal shares when no feature has a usable importance
 * (missing, negative, NaN and infinite importances count as 0).
 */
export function budgetWeights(features: readonly string[], importance: Readonly<Record<string, number>> | null): number[] {
  const n = features.length;
  if (n === 0) return [];
  const raw = features.map((name) => {
    const value = importance?.[name];
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return features.map(() => 1 / n);
  return raw.map((value) => (1 - IMPORTANCE_FLOOR_SHARE) * (value / total) + IMPORTANCE_FLOOR_SHARE / n);
}

/** The p-value test the budget calibrates for a feature: KS (numeric); z for a binary categorical, else chi-square. */
export function budgetTest(reference: FeatureReference, current: FeatureHistogram): Extract<DriftTestName, 'ks' | 'chisquare' | 'z'> {
  if (reference.kind === 'numeric') return 'ks';
  if (current.kind !== 'categorical') throw new RoundhouseError(ErrorCodes.VALIDATION, `reference is categorical but the histogram is ${current.kind}`);
  return occupiedBuckets(categoricalBuckets(reference, current)) <= 2 ? 'z' : 'chisquare';
}

/**
 * How much of the distribution moved, in [0, 1]: KS D over the reference's bins
 * (missing and NaN as buckets after the largest value) for numeric features, the
 * total variation distance over the buckets (unseen categories and missing
 * included) for categorical ones. 0 when either side is empty.
 */
export function effectSize(reference: FeatureReference, current: FeatureHistogram): number {
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const b = numericBuckets(reference, current);
    if (b.referenceCount === 0 || b.currentCount === 0) return 0;
    return ksStatistic(b.reference, b.current);
  }
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const b = categoricalBuckets(reference, current);
    if (b.referenceCount === 0 || b.currentCount === 0) return 0;
    return movedMass(b.reference, b.current, true);
  }
  throw new RoundhouseError(ErrorCodes.VALIDATION, `reference is ${reference.kind} but the histogram is ${current.kind}`);
}

/**
 * effectSize over buckets already lined up (reference shares, current counts,
 * in the order of lib/stats buckets.ts): KS D for ordered (numeric) buckets, the
 * total variation distance for categorical ones; 0 when either side is empty.
 */
export function movedMass(reference: ArrayLike<number>, current: ArrayLike<number>, categorical: boolean): number {
  let referenceTotal = 0;
  let currentTotal = 0;
  for (let i = 0; i < reference.length; i++) {
    referenceTotal += reference[i]!;
    currentTotal += current[i]!;
  }
  if (!(referenceTotal > 0) || !(currentTotal > 0)) return 0;
  if (!categorical) return ksStatistic(reference, current);
  let tv = 0;
  for (let i = 0; i < reference.length; i++) tv += Math.abs(reference[i]! / referenceTotal - current[i]! / currentTotal);
  return Math.min(1, tv / 2);
}
