import { ErrorCodes, RoundhouseError } from '../errors';
import { benjaminiHochberg } from './fdr';
import { type DriftTestResult } from './types';

export interface FeatureDriftInput {
  readonly feature: string;
  readonly result: DriftTestResult;
  /** A critical feature that drifts makes the dataset drift on its own. */
  readonly critical?: boolean;
  /**
   * The feature's share of the false-alarm budget (budget.ts) when its test was
   * calibrated by it: its drift alone then makes the dataset drift. Absent or
   * null: a feature judged by its own threshold, counted by the share rule.
   */
  readonly weight?: number | null;
}

export interface DatasetDriftPolicy {
  /** The dataset drifts when drifted / evaluated features >= driftShare; in (0, 1]. */
  readonly driftShare: number;
  /** Features whose reference or window has fewer observations are insufficient, not counted. */
  readonly minSamples: number;
  /** Benjamini–Hochberg q across the p-value tests; null to use each test's own alpha. */
  readonly falseDiscoveryRate: number | null;
}

export type FeatureDriftStatus = 'drifted' | 'stable' | 'insufficient';

export interface FeatureDriftVerdict {
  readonly feature: string;
  readonly critical: boolean;
  readonly status: FeatureDriftStatus;
  /** The test's own result: raw statistic, raw p-value, its threshold and its own decision. */
  readonly result: DriftTestResult;
  /** BH-adjusted p-value when BH decided this feature, else null. */
  readonly adjustedPValue: number | null;
  /** What made the call: the test's threshold, Benjamini–Hochberg, or too few samples. */
  readonly decidedBy: 'threshold' | 'benjamini-hochberg' | 'insufficient';
  /** Its share of the false-alarm budget, or null when it was not budgeted. */
  readonly weight: number | null;
}

export interface DatasetDriftResult {
  readonly drifted: boolean;
  /** 'budget': a budgeted feature drifted; 'share': the share rule over the features judged by their own thresholds. */
  readonly reasons: Array<'budget' | 'share' | 'critical'>;
  readonly driftedCount: number;
  /** Features with enough samples (the share's denominator). */
  readonly evaluatedCount: number;
  readonly insufficientCount: number;
  /**
   * driftedCount / evaluatedCount, 0 when nothing was evaluated; when features
   * were budgeted, the sum of the drifted ones' weights (the importance-weighted
   * share) instead.
   */
  readonly driftedShare: number;
  readonly criticalDrifted: string[];
  readonly features: FeatureDriftVerdict[];
}

/**
 * The dataset rule. A feature is insufficient when its test had not enough data
 * or either side has fewer than minSamples observations; it is reported but
 * counts neither way (an insufficient critical feature does not fire).
 *
 * Multiple testing: with 20 features each at alpha 0.05, a stationary stream
 * would show a drifted p-value feature in most windows. So when
 * falseDiscoveryRate is set and two or more sufficient features ran p-value tests
 * (ks, chisquare, z), those features are decided together by Benjamini–Hochberg
 * at that rate (adjusted p <= q) instead of by their own alpha. Distance tests
 * (psi, jensenshannon, wasserstein) have no p-value and keep their threshold.
 *
 * Budgeted features (a weight: their test was run at their share of the
 * false-alarm budget, budget.ts) are already corrected for multiple testing by
 * that split: BH leaves them alone, and any one of them drifting makes the
 * dataset drift (reason 'budget'). The features judged by their own thresholds
 * keep the share rule: the dataset drifts when their drifted / evaluated share
 * is >= driftShare (reason 'share'). Any critical feature drifting fires too.
 */
export function evaluateDatasetDrift(
  features: readonly FeatureDriftInput[],
  policy: DatasetDriftPolicy,
): DatasetDriftResult {
  validatePolicy(policy);
  const sufficient = features.map(
    ({ result }) =>
      result.status === 'ok' && result.referenceCount >= policy.minSamples && result.currentCount >= policy.minSamples,
  );
  const pValueIdx = features
    .map((f, i) => i)
    .filter((i) => sufficient[i] === true && (features[i] as FeatureDriftInput).result.pValue !== null && (features[i]!.weight ?? null) === null);
  const useBh = policy.falseDiscoveryRate !== null && pValueIdx.length >= 2;
  const adjusted = new Map<number, { p: number; rejected: boolean }>();
  if (useBh) {
    const bh = benjaminiHochberg(
      pValueIdx.map((i) => (features[i] as FeatureDriftInput).result.pValue as number),
      policy.falseDiscoveryRate as number,
    );
    pValueIdx.forEach((i, k) => adjusted.set(i, { p: bh.adjusted[k] as number, rejected: bh.rejected[k] as boolean }));
  }

  const verdicts: FeatureDriftVerdict[] = features.map((f, i) => {
    const critical = f.critical === true;
    if (!sufficient[i]) {
      return { feature: f.feature, critical, status: 'insufficient', result: f.result, adjustedPValue: null, decidedBy: 'insufficient', weight: f.weight ?? null };
    }
    const bh = adjusted.get(i);
    if (bh !== undefined) {
      return {
        feature: f.feature,
        critical,
        status: bh.rejected ? 'drifted' : 'stable',
        result: f.result,
        adjustedPValue: bh.p,
        decidedBy: 'benjamini-hochberg',
        weight: null,
      };
    }
    return {
      feature: f.feature,
      critical,
      status: f.result.drifted ? 'drifted' : 'stable',
      result: f.result,
      adjustedPValue: null,
      decidedBy: 'threshold',
      weight: f.weight ?? null,
    };
  });

  const evaluatedCount = verdicts.filter((v) => v.status !== 'insufficient').length;
  const driftedCount = verdicts.filter((v) => v.status === 'drifted').length;
  const budgeted = verdicts.filter((v) => v.weight !== null);
  const shared = verdicts.filter((v) => v.weight === null && v.status !== 'insufficient');
  const sharedDrifted = shared.filter((v) => v.status === 'drifted').length;
  const driftedShare =
    budgeted.length > 0
      ? budgeted.filter((v) => v.status === 'drifted').reduce((sum, v) => sum + (v.weight as number), 0)
      : evaluatedCount === 0
        ? 0
        : driftedCount / evaluatedCount;
  const criticalDrifted = verdicts.filter((v) => v.critical && v.status === 'drifted').map((v) => v.feature);
  const reasons: Array<'budget' | 'share' | 'critical'> = [];
  if (budgeted.some((v) => v.status === 'drifted')) reasons.push('budget');
  if (shared.length > 0 && sharedDrifted / shared.length >= policy.driftShare) reasons.push('share');
  if (criticalDrifted.length > 0) reasons.push('critical');
  return {
    drifted: reasons.length > 0,
    reasons,
    driftedCount,
    evaluatedCount,
    insufficientCount: features.length - evaluatedCount,
    driftedShare,
    criticalDrifted,
    features: verdicts,
  };
}

function validatePolicy(policy: DatasetDriftPolicy): void {
  const problems: string[] = [];
  if (!(policy.driftShare > 0 && policy.driftShare <= 1)) problems.push(`driftShare must be in (0, 1], got ${policy.driftShare}`);
  if (!(Number.isInteger(policy.minSamples) && policy.minSamples >= 0)) {
    problems.push(`minSamples must be a non-negative integer, got ${policy.minSamples}`);
  }
  const q = policy.falseDiscoveryRate;
  if (q !== null && !(q > 0 && q < 1)) problems.push(`falseDiscoveryRate must be in (0, 1) or null, got ${q}`);
  if (problems.length > 0) throw new RoundhouseError(ErrorCodes.VALIDATION, `dataset drift policy: ${problems.join('; ')}`);
}
