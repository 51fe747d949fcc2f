import { ErrorCodes, RoundhouseError } from '../errors';
import { movedMass } from './budget';
import { categoricalBuckets, numericBuckets } from './buckets';
import { type FeatureHistogram } from './drift-tests';
import { normalSf } from './special';
import { type FeatureReference } from './types';

/**
 * The recent-change scan of sliding windows (docs/catalog.md, "Sliding windows").
 *
 * A window test compares the whole window with the reference, so an abrupt change
 * is seen only once enough of the window holds it. The scan asks, at every hop,
 * whether the newest k hops (k = 1 … all of them) alone differ from the
 * reference, which catches a change within a hop or two of it.
 *
 * Each event of a numeric feature is scored by its reference bucket (the
 * reference's bins, then missing, then NaN, as the KS test orders them):
 *  - location: the bucket's mid-rank under the reference, F(<b) + p_b/2 − ½
 *    (a binned Wilcoxon score; its mean under the reference is exactly 0);
 *  - spread: that score squared (values moving out to both tails).
 * A categorical feature scores each bucket's indicator (one test per bucket).
 * Under "nothing changed" the newest k hops' events are n independent draws of
 * a known discrete distribution (the reference's buckets), so the tail of their
 * score sum is computed, not assumed normal: the Lugannani–Rice saddlepoint
 * approximation of the sum of n draws (Daniels' lattice form for indicators),
 * accurate far into the tail where a normal approximation is not (skewed
 * scores: a bucket with 90 % of the mass, a rare category). Binned scores keep
 * it exact whatever the feature's scale or shape.
 *
 * The scan's share of the feature's budget is split evenly over its tests
 * (scales × statistics): a Bonferroni correction, valid whatever their
 * correlation (the scales overlap), so the false-alarm budget holds.
 */

/** A discrete distribution: values and their probabilities (summing to 1). */
interface Discrete {
  readonly values: Float64Array;
  readonly probs: Float64Array;
}

/** log E[exp(θX)], its first and second derivatives (the tilted mean and variance). */
function cumulants(d: Discrete, theta: number): { k: number; k1: number; k2: number } {
  let max = -Infinity;
  for (let i = 0; i < d.values.length; i++) if (d.probs[i]! > 0) max = Math.max(max, theta * d.values[i]!);
  let z = 0;
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < d.values.length; i++) {
    const p = d.probs[i]!;
    if (!(p > 0)) continue;
    const w = p * Math.exp(theta * d.values[i]! - max);
    z += w;
    m1 += w * d.values[i]!;
    m2 += w * d.values[i]! * d.values[i]!;
  }
  const mean = m1 / z;
  return { k: max + Math.log(z), k1: mean, k2: Math.max(0, m2 / z - mean * mean) };
}

/**
 * P(S ≥ s) for S the sum of n independent draws of d: the saddlepoint
 * (Lugannani–Rice) approximation; with `lattice` (values on the integers, s an
 * integer) Daniels' continuity-corrected form. Exact at the extremes of the
 * support; the normal approximation near the mean, where only "not small" matters.
 */
export function upperTail(d: Discrete, n: number, s: number, lattice = false): number {
  if (!(n > 0)) return 1;
  let lo = Infinity;
  let hi = -Infinity;
  let mean = 0;
  let variance = 0;
  for (let i = 0; i < d.values.length; i++) {
    if (!(d.probs[i]! > 0)) continue;
    lo = Math.min(lo, d.values[i]!);
    hi = Math.max(hi, d.values[i]!);
    mean += d.probs[i]! * d.values[i]!;
  }
  for (let i = 0; i < d.values.length; i++) if (d.probs[i]! > 0) variance += d.probs[i]! * (d.values[i]! - mean) ** 2;
  const x = s / n;
  const span = hi - lo;
  const tolerance = 1e-12 * Math.max(1, Math.abs(hi), Math.abs(lo));
  if (x > hi + tolerance) return 0;
  if (x <= lo) return 1;
  if (x >= hi - tolerance) {
    // Every draw at the maximum.
    let pHi = 0;
    for (let i = 0; i < d.values.length; i++) if (d.probs[i]! > 0 && d.values[i]! >= hi - tolerance) pHi += d.probs[i]!;
    return Math.exp(n * Math.log(pHi));
  }
  if (!(variance > 0) || !(span > 0)) return x > mean ? 0 : 1;
  const z = (s - n * mean) / Math.sqrt(n * variance);
  if (z < 1) return normalSf(z);
  // Solve K'(θ) = x (K' increases from lo to hi): Newton, kept inside a bisection bracket.
  let a = 0;
  let b = 1 / span;
  while (cumulants(d, b).k1 < x && b < 1e12) {
    a = b;
    b *= 2;
  }
  let theta = (a + b) / 2;
  for (let i = 0; i < 200; i++) {
    const c = cumulants(d, theta);
    if (Math.abs(c.k1 - x) <= 1e-14 * span) break;
    if (c.k1 < x) a = theta;
    else b = theta;
    if (b - a <= 1e-15 * Math.max(1, theta)) break;
    const next = c.k2 > 0 ? theta - (c.k1 - x) / c.k2 : NaN;
    theta = Number.isFinite(next) && next > a && next < b ? next : (a + b) / 2;
  }
  const c = cumulants(d, theta);
  const exponent = n * (theta * x - c.k);
  if (!(exponent > 0)) return normalSf(z);
  const w = Math.sqrt(2 * exponent);
  const u = (lattice ? 1 - Math.exp(-theta) : theta) * Math.sqrt(n * c.k2);
  const density = Math.exp(-0.5 * w * w) / Math.sqrt(2 * Math.PI);
  const p = normalSf(w) + density * (1 / u - 1 / w);
  return Math.min(1, Math.max(0, p));
}

export interface ScanResult {
  /** Whether any of the scan's tests rejected at its share. */
  readonly drifted: boolean;
  /** The test with the smallest p-value: its mean score's shift from the reference's (signed; a location shift of 0.1 moves the median event a tenth of the reference's ranks). */
  readonly statistic: number;
  readonly pValue: number;
  /** Each test's level: the scan's alpha over its number of tests. */
  readonly threshold: number;
  /** 'location' | 'spread' for numeric features, the bucket's label for categorical ones. */
  readonly score: string;
  /** How many newest hops the deciding test covered, and their events. */
  readonly hops: number;
  readonly count: number;
  /** The share of the mass that moved over those hops (KS D or total variation), checked against minEffect. */
  readonly effect: number;
}

/** The share of a feature's budget a sliding window's scan gets; the window test keeps the rest. */
export const SCAN_SHARE = 0.5;

/** The fewest events a scale needs before it is tested. */
export const SCAN_MIN_EVENTS = 50;

interface Scored {
  readonly reference: Float64Array;
  readonly referenceCount: number;
  readonly lattice: boolean;
  /** One discrete score distribution per statistic, and each bucket's score. */
  readonly statistics: readonly { readonly name: string; readonly scores: Float64Array; readonly twoSided: boolean }[];
}

function normalised(shares: Float64Array): Float64Array {
  let total = 0;
  for (const v of shares) total += v;
  return total > 0 ? shares.map((v) => v / total) : shares;
}

function scoresFor(reference: FeatureReference, sample: FeatureHistogram): Scored & { current: Float64Array } {
  if (reference.kind === 'numeric' && sample.kind === 'numeric') {
    const b = numericBuckets(reference, sample);
    const p = normalised(b.reference);
    const location = new Float64Array(p.length);
    let below = 0;
    for (let i = 0; i < p.length; i++) {
      location[i] = below + p[i]! / 2 - 0.5;
      below += p[i]!;
    }
    return {
      reference: p,
      referenceCount: b.referenceCount,
      lattice: false,
      current: b.current,
      statistics: [
        { name: 'location', scores: location, twoSided: true },
        { name: 'spread', scores: location.map((v) => v * v), twoSided: false },
      ],
    };
  }
  if (reference.kind === 'categorical' && sample.kind === 'categorical') {
    const b = categoricalBuckets(reference, sample);
    const p = normalised(b.reference);
    return {
      reference: p,
      referenceCount: b.referenceCount,
      lattice: true,
      current: b.current,
      statistics: b.labels.map((label, i) => ({ name: label, scores: p.map((_, j) => (j === i ? 1 : 0)), twoSided: true })),
    };
  }
  throw new RoundhouseError(ErrorCodes.VALIDATION, `reference is ${reference.kind} but the histogram is ${sample.kind}`);
}

/** A numeric reference's scores and their null moments, built once per reference object. */
const preparedNumeric = new WeakMap<FeatureReference, { readonly scored: Scored; readonly moments: readonly NullMoments[] }>();
/** A numeric hop's counts in the reference's bucket order, kept per histogram (a hop is scanned at every hop until it leaves the window). */
const hopCounts = new WeakMap<FeatureHistogram, { readonly on: FeatureReference; readonly counts: Float64Array; readonly n: number }>();

function prepared(reference: FeatureReference, sample: FeatureHistogram): { scored: Scored; moments: readonly NullMoments[]; first: { counts: Float64Array; n: number } } {
  if (reference.kind === 'numeric' && sample.kind === 'numeric') {
    let cached = preparedNumeric.get(reference);
    if (!cached) {
      const scored = scoresFor(reference, sample);
      cached = { scored, moments: momentsOf(scored) };
      preparedNumeric.set(reference, cached);
    }
    return { ...cached, first: countsOf(reference, sample) };
  }
  const scored = scoresFor(reference, sample);
  return { scored, moments: momentsOf(scored), first: { counts: scored.current, n: sum(scored.current) } };
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function momentsOf(scored: Scored): NullMoments[] {
  // Categorical buckets the reference never saw are a change the window test reports; here they would be certain.
  return scored.statistics.filter((st) => st.scores.some((v, i) => v !== 0 && scored.reference[i]! > 0) || !scored.lattice).map((st) => nullMoments(st.scores, scored.reference, st.name, st.twoSided));
}

/** A hop's counts in the reference's bucket order (numericBuckets' for numeric features, without its labels). */
function countsOf(reference: FeatureReference, sample: FeatureHistogram): { counts: Float64Array; n: number } {
  if (reference.kind === 'numeric' && sample.kind === 'numeric' && sample.counts.length === reference.proportions.length) {
    const cached = hopCounts.get(sample);
    if (cached && cached.on === reference) return cached;
    const counts = new Float64Array(sample.counts.length + 2);
    let n = 0;
    for (let i = 0; i < sample.counts.length; i++) n += counts[i] = sample.counts[i]!;
    n += counts[sample.counts.length] = sample.missing;
    n += counts[sample.counts.length + 1] = sample.nan;
    const entry = { on: reference, counts, n };
    hopCounts.set(sample, entry);
    return entry;
  }
  const counts = scoresFor(reference, sample).current;
  return { counts, n: sum(counts) };
}

/**
 * Scans the newest hops (newestFirst[0] is the newest) of one feature against
 * its reference at level `alpha` in all (Bonferroni over scales and statistics),
 * needing an effect of at least `minEffect` over the deciding hops. Null when no
 * scale holds SCAN_MIN_EVENTS events.
 */
export function recentChangeScan(reference: FeatureReference, newestFirst: readonly FeatureHistogram[], alpha: number, minEffect: number): ScanResult | null {
  if (newestFirst.length === 0) return null;
  const { scored, moments, first } = prepared(reference, newestFirst[0]!);
  if (scored.referenceCount <= 0 || moments.length === 0) return null;
  const buckets = scored.reference.length;
  const hops: Float64Array[] = [];
  const totals: number[] = [];
  let scales = 0;
  for (let k = 0, n = 0; k < newestFirst.length; k++) {
    const { counts, n: total } = k === 0 ? first : countsOf(reference, newestFirst[k]!);
    if (counts.length !== buckets) break; // a categorical hop with categories the others lack: the scan stops before it
    hops.push(counts);
    totals.push(total);
    n += total;
    if (n >= SCAN_MIN_EVENTS) scales++;
  }
  if (scales === 0) return null;
  const threshold = alpha / (scales * moments.length);
  const cumulative = new Float64Array(buckets);
  const sums = new Float64Array(moments.length);
  let best: (ScanResult & { z: number }) | null = null;
  let n = 0;
  for (let k = 0; k < hops.length; k++) {
    const counts = hops[k]!;
    for (let i = 0; i < buckets; i++) cumulative[i]! += counts[i]!;
    for (let m = 0; m < moments.length; m++) {
      const scores = moments[m]!.up.values;
      let add = 0;
      for (let i = 0; i < buckets; i++) add += counts[i]! * scores[i]!;
      sums[m]! += add;
    }
    n += totals[k]!;
    if (n < SCAN_MIN_EVENTS) continue;
    // The reference is a sample too: its noise adds m/(n+m) of the variance; shrinking the deviation is the conservative way to say so.
    const shrink = Math.sqrt(scored.referenceCount / (scored.referenceCount + n));
    const draws = Math.round(n);
    let effect: number | null = null;
    for (let m = 0; m < moments.length; m++) {
      const st = moments[m]!;
      if (!(st.variance > 0)) continue;
      const sum = sums[m]!;
      const s = draws * st.mean + (sum - n * st.mean) * shrink;
      const z = (s - draws * st.mean) / Math.sqrt(draws * st.variance);
      if (!st.twoSided && z <= 0) continue;
      // Berry–Esseen: the tail is at least the normal one less 0.4748·ρ/(σ³√n); when even that is above the level, the test cannot reject.
      const sides = st.twoSided ? 2 : 1;
      const floor = normalTailBelow(Math.abs(z)) - (0.4748 * st.rho) / (st.variance ** 1.5 * Math.sqrt(draws));
      let pValue: number;
      if (sides * floor >= threshold) {
        // Cannot reject: its normal p-value is only worth computing when it may be the strongest so far.
        if (best !== null && (best.drifted || Math.abs(z) <= best.z)) continue;
        pValue = sides * normalSf(Math.abs(z));
      } else if (z >= 0) pValue = sides * upperTail(st.up, draws, scored.lattice ? Math.ceil(s - 1e-9) : s, scored.lattice);
      else pValue = sides * upperTail(st.down, draws, scored.lattice ? -Math.floor(s + 1e-9) : -s, scored.lattice);
      pValue = Math.min(1, pValue);
      if (pValue < threshold || best === null || !best.drifted) effect ??= movedMass(scored.reference, cumulative, scored.lattice);
      const drifted = pValue < threshold && (effect ?? 0) >= minEffect;
      // The deciding test is the strongest among those that reject; else the strongest.
      if (best === null || (drifted && !best.drifted) || (drifted === best.drifted && pValue < best.pValue)) {
        best = { drifted, statistic: sum / n - st.mean, pValue, threshold, score: st.name, hops: k + 1, count: n, effect: effect ?? 0, z: Math.abs(z) };
      }
    }
  }
  if (!best) return null;
  const { z: _z, ...result } = best;
  return result;
}

/** A lower bound of the normal tail P(Z > z), z ≥ 0, for one exp: Q(1) below 1, else the Mills-ratio bound φ(z)·z/(1 + z²). */
function normalTailBelow(z: number): number {
  if (z <= 1) return 0.1586;
  return (Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)) * (z / (1 + z * z));
}

interface NullMoments {
  readonly name: string;
  readonly twoSided: boolean;
  readonly up: Discrete;
  /** The negated scores: the lower tail is their upper one. */
  readonly down: Discrete;
  readonly mean: number;
  readonly variance: number;
  /** E|X − mean|³, for the Berry–Esseen screen. */
  readonly rho: number;
}

function nullMoments(scores: Float64Array, probs: Float64Array, name: string, twoSided: boolean): NullMoments {
  let mean = 0;
  for (let i = 0; i < scores.length; i++) mean += probs[i]! * scores[i]!;
  let variance = 0;
  let rho = 0;
  for (let i = 0; i < scores.length; i++) {
    const d = Math.abs(scores[i]! - mean);
    variance += probs[i]! * d * d;
    rho += probs[i]! * d * d * d;
  }
  return { name, twoSided, up: { values: scores, probs }, down: { values: scores.map((v) => -v), probs }, mean, variance, rho };
}
