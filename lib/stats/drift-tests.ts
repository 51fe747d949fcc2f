import { ErrorCodes, RoundhouseError } from '../errors';
import { categoricalBuckets, numericBuckets, numericPositions, type BucketComparison } from './buckets';
import { type CategoricalHistogram } from './categorical-histogram';
import {
  chiSquareHomogeneity,
  jensenShannonDistance,
  ksStatistic,
  psiOfDistributions,
  wassersteinDistance,
  twoProportionZTest,
} from './distances';
import { type NumericHistogram } from './numeric-histogram';
import { kolmogorovSf } from './special';
import { type DriftTestName, type DriftTestResult, type FeatureReference } from './types';

export type FeatureHistogram = NumericHistogram | CategoricalHistogram;

/**
 * Default thresholds. Distances drift when statistic >= threshold, p-value tests
 * when p < alpha.
 * - psi 0.2: Siddiqi, "Credit Risk Scorecards" (2006) reads PSI < 0.1 as stable,
 *   0.1–0.25 as a shift worth investigating and > 0.25 as a major shift; 0.2 is
 *   the single cut widely used in model monitoring, and it sits above the noise
 *   of 20-bin PSI on windows of a few thousand events. (Evidently defaults to 0.1.)
 * - jensenshannon 0.1, wasserstein 0.1 (normed): Evidently's defaults.
 * - ks, chisquare, z at alpha 0.05: Evidently's defaults.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTestName, number>> = Object.freeze({
  psi: 0.2,
  ks: 0.05,
  jensenshannon: 0.1,
  wasserstein: 0.1,
  chisquare: 0.05,
  z: 0.05,
});

/** Evidently floors the reference std at 0.001 so a constant feature does not divide by zero. */
export const WASSERSTEIN_MIN_STD = 0.001;

/**
 * Population Stability Index over all buckets (bins or categories, unseen,
 * missing, NaN), empty buckets at PSI_EPSILON. Counts: every observation.
 */
export function psi(reference: FeatureReference, current: FeatureHistogram, threshold = DEFAULT_THRESHOLDS.psi): DriftTestResult {
  const b = buckets(reference, current);
  if (b.referenceCount === 0 || b.currentCount === 0) return notEnoughData('psi', threshold, b);
  return distanceResult('psi', psiOfDistributions(b.reference, b.current), threshold, b);
}

/** Jensen–Shannon distance (base 2, in [0, 1]) over the same buckets as PSI. */
export function jensenShannon(
  reference: FeatureReference,
  current: FeatureHistogram,
  threshold = DEFAULT_THRESHOLDS.jensenshannon,
): DriftTestResult {
  const b = buckets(reference, current);
  if (b.referenceCount === 0 || b.currentCount === 0) return notEnoughData('jensenshannon', threshold, b);
  return distanceResult('jensenshannon', jensenShannonDistance(b.reference, b.current), threshold, b);
}

/**
 * Two-sample Kolmogorov–Smirnov on the binned CDFs (numeric only). Missing and
 * NaN are placed after the largest value, like numpy's sort puts NaN last, so a
 * change in their share moves the CDF too. D is taken at bin boundaries only, so
 * it can only understate the exact D; the p-value uses the limiting Kolmogorov
 * distribution at √(n·m/(n+m))·D, which is never below the finite-sample p (checked
 * against scipy's kstwo in the fixtures): both errors make the test conservative.
 * Counts: every observation.
 */
export function ksTest(reference: FeatureReference, current: FeatureHistogram, alpha = DEFAULT_THRESHOLDS.ks): DriftTestResult {
  const { reference: ref, current: cur } = numericPair('ks', reference, current);
  const b = numericBuckets(ref, cur);
  if (b.referenceCount === 0 || b.currentCount === 0) return notEnoughData('ks', alpha, b);
  const d = ksStatistic(b.reference, b.current);
  const n = b.referenceCount;
  const m = b.currentCount;
  const pValue = kolmogorovSf(Math.sqrt((n * m) / (n + m)) * d);
  return pValueResult('ks', d, pValue, alpha, b);
}

/**
 * Wasserstein distance divided by the reference std, floored at 0.001
 * (Evidently's "normed Wasserstein"), numeric only. Each bin is a point mass at
 * the mean of its values (the reference's from the profile, the window's from its
 * per-bin sums), so shifts inside the open outer bins still count. Missing and
 * NaN have no position and are left out. Counts: valid values.
 */
export function wassersteinNormed(
  reference: FeatureReference,
  current: FeatureHistogram,
  threshold = DEFAULT_THRESHOLDS.wasserstein,
): DriftTestResult {
  const { reference: ref, current: cur } = numericPair('wasserstein', reference, current);
  const p = numericPositions(ref, cur);
  if (p.referenceCount === 0 || p.currentCount === 0) return notEnoughData('wasserstein', threshold, p);
  const w = wassersteinDistance(p.referencePositions, p.referenceWeights, p.currentPositions, p.currentWeights);
  return distanceResult('wasserstein', w / Math.max(ref.std, WASSERSTEIN_MIN_STD), threshold, p);
}

/**
 * Chi-square test of homogeneity between the reference's counts (its shares
 * times its count) and the window's (categorical only), unseen categories and
 * missing included, sparse buckets pooled (see chiSquareHomogeneity for both
 * the pooling and why this is not goodness of fit). When pooling leaves a
 * single bucket the samples are too small: not_enough_data. Counts: every
 * observation.
 */
export function chiSquareTest(
  reference: FeatureReference,
  current: FeatureHistogram,
  alpha = DEFAULT_THRESHOLDS.chisquare,
): DriftTestResult {
  const { reference: ref, current: cur } = categoricalPair('chisquare', reference, current);
  const b = categoricalBuckets(ref, cur);
  if (b.referenceCount === 0 || b.currentCount === 0) return notEnoughData('chisquare', alpha, b);
  const referenceCounts = b.reference.map((share) => share * b.referenceCount);
  const outcome = chiSquareHomogeneity(referenceCounts, b.current);
  if (outcome === null) return notEnoughData('chisquare', alpha, b);
  return pValueResult('chisquare', outcome.statistic, outcome.pValue, alpha, b);
}

/**
 * Z-test for two proportions (categorical only): the share of the first bucket
 * (the first reference category in code-unit order) among all observations, in
 * the reference against the window. Meant for binary features, where it is the
 * whole story; on more buckets it tests that one share (as Evidently's does).
 * The statistic is the signed z. Counts: every observation.
 */
export function zTestProportions(
  reference: FeatureReference,
  current: FeatureHistogram,
  alpha = DEFAULT_THRESHOLDS.z,
): DriftTestResult {
  const { reference: ref, current: cur } = categoricalPair('z', reference, current);
  const b = categoricalBuckets(ref, cur);
  if (b.referenceCount === 0 || b.currentCount === 0) return notEnoughData('z', alpha, b);
  const p1 = b.reference[0] as number;
  const p2 = (b.current[0] as number) / b.currentCount;
  const { z, pValue } = twoProportionZTest(p1, b.referenceCount, p2, b.currentCount);
  return pValueResult('z', z, pValue, alpha, b);
}

type Counts = Pick<BucketComparison, 'referenceCount' | 'currentCount'>;

function buckets(reference: FeatureReference, current: FeatureHistogram): BucketComparison {
  if (reference.kind === 'numeric' && current.kind === 'numeric') return numericBuckets(reference, current);
  if (reference.kind === 'categorical' && current.kind === 'categorical') return categoricalBuckets(reference, current);
  throw kindMismatch(reference.kind, current.kind);
}

function numericPair(test: DriftTestName, reference: FeatureReference, current: FeatureHistogram) {
  if (reference.kind !== 'numeric' || current.kind !== 'numeric') throw wrongKind(test, 'numeric', reference.kind, current.kind);
  return { reference, current };
}

function categoricalPair(test: DriftTestName, reference: FeatureReference, current: FeatureHistogram) {
  if (reference.kind !== 'categorical' || current.kind !== 'categorical') {
    throw wrongKind(test, 'categorical', reference.kind, current.kind);
  }
  return { reference, current };
}

function notEnoughData(test: DriftTestName, threshold: number, counts: Counts): DriftTestResult {
  return {
    test,
    statistic: 0,
    pValue: null,
    threshold,
    drifted: false,
    referenceCount: counts.referenceCount,
    currentCount: counts.currentCount,
    status: 'not_enough_data',
  };
}

function distanceResult(test: DriftTestName, statistic: number, threshold: number, counts: Counts): DriftTestResult {
  return {
    test,
    statistic,
    pValue: null,
    threshold,
    drifted: statistic >= threshold,
    referenceCount: counts.referenceCount,
    currentCount: counts.currentCount,
    status: 'ok',
  };
}

function pValueResult(test: DriftTestName, statistic: number, pValue: number, alpha: number, counts: Counts): DriftTestResult {
  return {
    test,
    statistic,
    pValue,
    threshold: alpha,
    drifted: pValue < alpha,
    referenceCount: counts.referenceCount,
    currentCount: counts.currentCount,
    status: 'ok',
  };
}

function kindMismatch(referenceKind: string, currentKind: string): RoundhouseError {
  return new RoundhouseError(
    ErrorCodes.VALIDATION,
    `reference is ${referenceKind} but the histogram is ${currentKind}`,
    { context: { referenceKind, currentKind } },
  );
}

function wrongKind(test: DriftTestName, needs: string, referenceKind: string, currentKind: string): RoundhouseError {
  return new RoundhouseError(
    ErrorCodes.VALIDATION,
    `the ${test} test applies to ${needs} features, got a ${referenceKind} reference and a ${currentKind} histogram`,
    { context: { test, referenceKind, currentKind } },
  );
}
