import { chiSquareSf, erfc } from './special';

/**
 * The statistics over plain arrays: shares or counts per bucket, in a fixed
 * bucket order. drift-tests.ts builds those arrays from a reference profile and
 * a histogram; these functions know nothing of features.
 */

/**
 * PSI's stand-in for an empty bucket's share (on either side), so ln(p/q) stays
 * finite. Evidently fills empty bins with 0.0001 the same way (it switches to
 * min/1e6 only when some non-empty share is already below 1e-4); shares are not
 * renormalised afterwards, as in Evidently.
 */
export const PSI_EPSILON = 1e-4;

/** Population Stability Index: Σ (q − p)·ln(q / p) over buckets; inputs are normalised here. */
export function psiOfDistributions(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const p = normalise(reference);
  const q = normalise(current);
  let psi = 0;
  for (let i = 0; i < p.length; i++) {
    const a = (p[i] as number) === 0 ? PSI_EPSILON : (p[i] as number);
    const b = (q[i] as number) === 0 ? PSI_EPSILON : (q[i] as number);
    psi += (b - a) * Math.log(b / a);
  }
  return psi;
}

/** Jensen–Shannon distance with base-2 logs, in [0, 1]; inputs are normalised here. */
export function jensenShannonDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const p = normalise(reference);
  const q = normalise(current);
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] as number;
    const b = q[i] as number;
    const m = (a + b) / 2;
    if (a > 0) divergence += a * Math.log(a / m);
    if (b > 0) divergence += b * Math.log(b / m);
  }
  // Rounding can leave a tiny negative divergence for identical inputs.
  return Math.min(1, Math.sqrt(Math.max(0, divergence / 2 / Math.LN2)));
}

/**
 * Earth mover's distance (W1) between two weighted point sets: the integral of
 * |F_u − F_v| over the line (scipy.stats.wasserstein_distance with weights).
 */
export function wassersteinDistance(
  uValues: ArrayLike<number>,
  uWeights: ArrayLike<number>,
  vValues: ArrayLike<number>,
  vWeights: ArrayLike<number>,
): number {
  const u = normalise(uWeights);
  const v = normalise(vWeights);
  const points: Array<{ x: number; du: number; dv: number }> = [];
  for (let i = 0; i < uValues.length; i++) points.push({ x: uValues[i] as number, du: u[i] as number, dv: 0 });
  for (let i = 0; i < vValues.length; i++) points.push({ x: vValues[i] as number, du: 0, dv: v[i] as number });
  points.sort((a, b) => a.x - b.x);
  let fu = 0;
  let fv = 0;
  let distance = 0;
  for (let i = 0; i < points.length - 1; i++) {
    const p = points[i] as { x: number; du: number; dv: number };
    fu += p.du;
    fv += p.dv;
    distance += Math.abs(fu - fv) * ((points[i + 1] as { x: number }).x - p.x);
  }
  return distance;
}

/** Largest gap between the two cumulative distributions over the bucket boundaries. */
export function ksStatistic(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const p = normalise(reference);
  const q = normalise(current);
  let fp = 0;
  let fq = 0;
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    fp += p[i] as number;
    fq += q[i] as number;
    d = Math.max(d, Math.abs(fp - fq));
  }
  return Math.min(1, d);
}

/** Columns whose smallest expected cell is below this are pooled (the usual rule for the chi-square approximation). */
export const MIN_EXPECTED_COUNT = 5;

export interface ChiSquareOutcome {
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
  /** Buckets left after pooling. */
  readonly buckets: number;
}

/**
 * Pearson's chi-square test of homogeneity on the 2×K table of reference and
 * current counts (scipy.stats.chi2_contingency without Yates' correction).
 *
 * Why not goodness of fit against the reference shares: those shares are an
 * estimate from n observations, and treating them as exact inflates the
 * statistic by about 1 + m/n under no drift (a window as large as a bootstrap
 * reference would "drift" a third of the time at alpha 0.05). The homogeneity
 * test accounts for both samples and tends to goodness of fit as n grows.
 *
 * Pooling, so the approximation holds and categories seen on one side only
 * stay finite:
 *  1. drop buckets empty on both sides;
 *  2. pool every bucket whose smaller expected cell, min(n, m)·total/N, is below 5;
 *  3. while that pool's smaller expected cell is still below 5, move into it the
 *     remaining bucket with the smallest total (first in bucket order on ties);
 *  4. fewer than 2 buckets left means the samples are too small: null.
 * Then statistic = Σ over cells (O − E)² / E, df = buckets − 1.
 */
export function chiSquareHomogeneity(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
): ChiSquareOutcome | null {
  let n = 0;
  let m = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    n += referenceCounts[i] as number;
    m += currentCounts[i] as number;
  }
  if (n <= 0 || m <= 0) return null;
  const total = n + m;
  const smallerRow = Math.min(n, m);
  const isSmall = (t: number): boolean => (smallerRow * t) / total < MIN_EXPECTED_COUNT;

  type Column = { r: number; c: number };
  const kept: Column[] = [];
  const pool: Column = { r: 0, c: 0 };
  let pooled = false;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = referenceCounts[i] as number;
    const c = currentCounts[i] as number;
    if (r + c === 0) continue;
    if (isSmall(r + c)) {
      pool.r += r;
      pool.c += c;
      pooled = true;
    } else {
      kept.push({ r, c });
    }
  }
  if (pooled) {
    while (isSmall(pool.r + pool.c) && kept.length > 0) {
      let j = 0;
      for (let i = 1; i < kept.length; i++) {
        const a = kept[i] as Column;
        const b = kept[j] as Column;
        if (a.r + a.c < b.r + b.c) j = i;
      }
      const [moved] = kept.splice(j, 1) as [Column];
      pool.r += moved.r;
      pool.c += moved.c;
    }
    kept.push(pool);
  }
  if (kept.length < 2) return null;
  let statistic = 0;
  for (const { r, c } of kept) {
    const t = r + c;
    const er = (n * t) / total;
    const ec = (m * t) / total;
    statistic += ((r - er) * (r - er)) / er + ((c - ec) * (c - ec)) / ec;
  }
  const df = kept.length - 1;
  return { statistic, df, pValue: chiSquareSf(statistic, df), buckets: kept.length };
}

export interface ZTestOutcome {
  readonly z: number;
  readonly pValue: number;
}

/**
 * Two-sided z-test for the difference of two proportions with the pooled
 * variance (Evidently's proportions_diff_z_test). When the pooled share is 0 or
 * 1 both samples are identical in this respect: z = 0, p = 1.
 */
export function twoProportionZTest(p1: number, n1: number, p2: number, n2: number): ZTestOutcome {
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  if (!(pooled > 0 && pooled < 1)) return { z: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return { z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

function normalise(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  let total = 0;
  for (let i = 0; i < out.length; i++) total += out[i] as number;
  if (total > 0) for (let i = 0; i < out.length; i++) (out[i] as number) /= total;
  return out;
}
