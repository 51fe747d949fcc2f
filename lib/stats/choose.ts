import { ErrorCodes, RoundhouseError } from '../errors';
import { categoricalBuckets, occupiedBuckets } from './buckets';
import {
  DEFAULT_THRESHOLDS,
  chiSquareTest,
  jensenShannon,
  ksTest,
  psi,
  wassersteinNormed,
  zTestProportions,
  type FeatureHistogram,
} from './drift-tests';
import {
  TESTS_BY_KIND,
  type DriftTestName,
  type DriftTestOverride,
  type DriftTestResult,
  type FeatureKind,
  type FeatureReference,
} from './types';

/** At or below this many reference observations the p-value tests are used (Evidently's cut). */
export const SMALL_REFERENCE = 1000;

export interface TestChoice {
  readonly test: DriftTestName;
  readonly threshold: number;
}

/**
 * Evidently's automatic choice. Numeric: KS when the reference has at most 1000
 * observations, else normed Wasserstein (0.1). Categorical: at most 1000, a
 * z-test when there are at most two buckets (binary), else chi-square; above
 * 1000, Jensen–Shannon (0.1). With many observations every p-value test rejects
 * on negligible differences, hence distances there.
 *
 * `categories` counts occupied buckets across reference and window, unseen
 * categories and the missing bucket included (Evidently counts distinct values
 * of both samples but drops missing; we keep missing as a bucket, so a binary
 * feature with nulls gets chi-square, which sees the nulls).
 */
export function chooseTest(kind: FeatureKind, referenceCount: number, categories = 0): TestChoice {
  const small = referenceCount <= SMALL_REFERENCE;
  let test: DriftTestName;
  if (kind === 'numeric') test = small ? 'ks' : 'wasserstein';
  else test = small ? (categories <= 2 ? 'z' : 'chisquare') : 'jensenshannon';
  return { test, threshold: DEFAULT_THRESHOLDS[test] };
}

/**
 * Runs one feature's test: the override's test if given (it must suit the
 * feature's kind, else VALIDATION), otherwise the automatic choice; the
 * override's threshold if given, otherwise that test's default. A threshold
 * override without a test applies to whichever test is chosen, so set both when
 * the reference size can cross the 1000 cut (KS alpha vs Wasserstein distance).
 */
export function runDriftTest(
  reference: FeatureReference,
  current: FeatureHistogram,
  override: DriftTestOverride = {},
): DriftTestResult {
  const test = override.test ?? autoTest(reference, current);
  if (!TESTS_BY_KIND[reference.kind].includes(test)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `the ${test} test does not apply to ${reference.kind} features`, {
      context: { test, kind: reference.kind },
    });
  }
  const threshold = override.threshold ?? DEFAULT_THRESHOLDS[test];
  if (!Number.isFinite(threshold) || threshold < 0) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `threshold for ${test} must be a finite non-negative number`, {
      context: { test, threshold },
    });
  }
  return RUNNERS[test](reference, current, threshold);
}

function autoTest(reference: FeatureReference, current: FeatureHistogram): DriftTestName {
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    return chooseTest('categorical', reference.count, occupiedBuckets(categoricalBuckets(reference, current))).test;
  }
  return chooseTest(reference.kind, reference.count).test;
}

const RUNNERS: Readonly<
  Record<DriftTestName, (reference: FeatureReference, current: FeatureHistogram, threshold: number) => DriftTestResult>
> = {
  psi,
  ks: ksTest,
  jensenshannon: jensenShannon,
  wasserstein: wassersteinNormed,
  chisquare: chiSquareTest,
  z: zTestProportions,
};
