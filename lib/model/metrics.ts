import { ErrorCodes, RoundhouseError } from '../errors';
import type { ModelMetrics } from '../events';

/**
 * Holdout metrics on (labels, scores), defined as scikit-learn defines them
 * (checked against it: scripts/model-fixtures.py → lib/model/fixtures).
 *
 * - rocAuc: Mann–Whitney with tied scores at their average rank (= sklearn's
 *   roc_auc_score, whose trapezoids give ties half credit).
 * - prAuc: average precision, Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct score thresholds,
 *   descending (= sklearn's average_precision_score; no interpolation).
 * - logLoss: mean binary cross-entropy with p clipped to [ε, 1 − ε], ε = 2⁻⁵²
 *   (sklearn's log_loss, whose eps is the float64 machine epsilon).
 * - brier: mean (p − y)².
 * - recallAt1PctFpr: the largest TPR among ROC points (score thresholds, ties
 *   kept together) whose FPR ≤ 1%, i.e. max(tpr[fpr ≤ 0.01]) of sklearn's
 *   roc_curve(drop_intermediate=False). No interpolation between points.
 * - precisionAtK: positives among the k highest scores / k, k = max(1,
 *   round(rows × topFraction)), topFraction 1% by default. Rows tied with the
 *   k-th score count by the expected value under a random order of the tie, so
 *   the result does not depend on row order.
 * - expectedCalibrationError: Σ_b (n_b / n)·|mean(y)_b − mean(p)_b| over 10
 *   equal-width bins, bin edges i·0.1 with each bin closed on the right
 *   ([0, 0.1], (0.1, 0.2], …, (0.9, 1]): sklearn's calibration_curve
 *   (strategy='uniform') binning, weighted by the bin counts.
 *
 * Undefined values are null, never NaN: rocAuc when only one class is present;
 * prAuc without positives (sklearn returns 0 with a warning; all positives give 1);
 * recallAt1PctFpr without positives or without negatives. With no rows at all
 * every metric is null. ModelMetrics (the event record) has no nulls, so
 * `toModelMetrics` refuses incomplete metrics with NO_DATA (non-retriable): a
 * holdout without both classes cannot judge a fraud model.
 */
export interface HoldoutMetrics {
  readonly rocAuc: number | null;
  readonly prAuc: number | null;
  readonly logLoss: number | null;
  readonly brier: number | null;
  readonly recallAt1PctFpr: number | null;
  readonly precisionAtK: number | null;
  readonly k: number;
  readonly expectedCalibrationError: number | null;
  readonly rows: number;
  readonly positives: number;
  readonly extra: Readonly<Record<string, number>>;
}

export interface MetricsOptions {
  /** precisionAtK's k as a share of the rows (default 0.01); ignored when k is given. */
  readonly topFraction?: number;
  readonly k?: number;
  /** Bins of the expected calibration error (default 10). */
  readonly calibrationBins?: number;
  /** FPR at which recall is read (default 0.01). */
  readonly maxFpr?: number;
}

export const LOG_LOSS_EPSILON = Number.EPSILON;

export function computeMetrics(
  labels: ArrayLike<number | boolean>,
  scores: ArrayLike<number>,
  options: MetricsOptions = {},
): HoldoutMetrics {
  const n = labels.length;
  if (scores.length !== n) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `computeMetrics: ${n} labels but ${scores.length} scores`, { retriable: false });
  }
  const y = new Uint8Array(n);
  const p = new Float64Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    const s = scores[i] as number;
    if (l === 1 || l === true) y[i] = 1;
    else if (l !== 0 && l !== false) throw bad(`label ${i} is ${String(l)}; labels must be 0 or 1`);
    if (!(s >= 0 && s <= 1)) throw bad(`score ${i} is ${s}; scores must be probabilities in [0, 1]`);
    p[i] = s;
    positives += y[i] as number;
  }
  const k = options.k ?? Math.max(1, Math.round(n * (options.topFraction ?? 0.01)));
  if (!Number.isInteger(k) || k < 1) throw bad(`computeMetrics: k must be an integer ≥ 1, got ${k}`);
  if (n === 0) {
    return { rocAuc: null, prAuc: null, logLoss: null, brier: null, recallAt1PctFpr: null, precisionAtK: null, k, expectedCalibrationError: null, rows: 0, positives: 0, extra: {} };
  }
  const groups = thresholdGroups(y, p);
  const negatives = n - positives;
  return {
    rocAuc: positives === 0 || negatives === 0 ? null : rocAuc(groups, positives, negatives),
    prAuc: positives === 0 ? null : averagePrecision(groups, positives),
    logLoss: logLoss(y, p),
    brier: brier(y, p),
    recallAt1PctFpr: positives === 0 || negatives === 0 ? null : recallAtFpr(groups, positives, negatives, options.maxFpr ?? 0.01),
    precisionAtK: precisionAtK(groups, Math.min(k, n)),
    k,
    expectedCalibrationError: expectedCalibrationError(y, p, options.calibrationBins ?? 10),
    rows: n,
    positives,
    extra: {},
  };
}

/** The event record; throws NO_DATA naming the metrics that are undefined on this holdout. */
export function toModelMetrics(m: HoldoutMetrics): ModelMetrics {
  const missing = (Object.keys(m) as (keyof HoldoutMetrics)[]).filter((key) => m[key] === null);
  if (missing.length > 0) {
    throw new RoundhouseError(
      ErrorCodes.NO_DATA,
      `holdout of ${m.rows} rows with ${m.positives} positives: ${missing.join(', ')} undefined (need both classes)`,
      { retriable: false, context: { rows: m.rows, positives: m.positives } },
    );
  }
  return m as ModelMetrics;
}

function bad(message: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, message, { retriable: false });
}

/** Rows grouped by distinct score, highest first: positives and negatives per group. */
interface Groups {
  readonly pos: Float64Array;
  readonly neg: Float64Array;
  readonly length: number;
}

function thresholdGroups(y: Uint8Array, p: Float64Array): Groups {
  const order = Array.from({ length: p.length }, (_, i) => i);
  order.sort((a, b) => (p[b] as number) - (p[a] as number));
  const pos = new Float64Array(p.length);
  const neg = new Float64Array(p.length);
  let g = -1;
  let last = NaN;
  for (const i of order) {
    const s = p[i] as number;
    if (s !== last) {
      g++;
      last = s;
    }
    if (y[i] === 1) pos[g] = (pos[g] as number) + 1;
    else neg[g] = (neg[g] as number) + 1;
  }
  return { pos, neg, length: g + 1 };
}

function rocAuc(gr: Groups, positives: number, negatives: number): number {
  // Each positive beats the negatives in lower groups and ties half of its own group's.
  let negBelow = negatives;
  let wins = 0;
  for (let g = 0; g < gr.length; g++) {
    const neg = gr.neg[g] as number;
    negBelow -= neg;
    wins += (gr.pos[g] as number) * (negBelow + neg / 2);
  }
  return wins / (positives * negatives);
}

function averagePrecision(gr: Groups, positives: number): number {
  let tp = 0;
  let fp = 0;
  let ap = 0;
  for (let g = 0; g < gr.length; g++) {
    const dp = gr.pos[g] as number;
    tp += dp;
    fp += gr.neg[g] as number;
    if (dp > 0) ap += (dp / positives) * (tp / (tp + fp));
  }
  return ap;
}

function recallAtFpr(gr: Groups, positives: number, negatives: number, maxFpr: number): number {
  let tp = 0;
  let fp = 0;
  let best = 0;
  for (let g = 0; g < gr.length; g++) {
    tp += gr.pos[g] as number;
    fp += gr.neg[g] as number;
    if (fp / negatives > maxFpr) break;
    best = tp / positives;
  }
  return best;
}

function precisionAtK(gr: Groups, k: number): number {
  let taken = 0;
  let hits = 0;
  for (let g = 0; g < gr.length && taken < k; g++) {
    const pos = gr.pos[g] as number;
    const size = pos + (gr.neg[g] as number);
    const take = Math.min(size, k - taken);
    hits += (pos * take) / size; // all of the group, or its expected share
    taken += take;
  }
  return hits / k;
}

function logLoss(y: Uint8Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i] as number, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / p.length;
}

function brier(y: Uint8Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += ((p[i] as number) - (y[i] as number)) ** 2;
  return s / p.length;
}

function expectedCalibrationError(y: Uint8Array, p: Float64Array, bins: number): number {
  // Edges as numpy's linspace computes them (i · step), so boundary scores land where sklearn puts them.
  const step = 1 / bins;
  const count = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) {
    const s = p[i] as number;
    let b = 0;
    while (b < bins - 1 && s > (b + 1) * step) b++; // searchsorted(interior edges, s, side='left')
    count[b] = (count[b] as number) + 1;
    sumY[b] = (sumY[b] as number) + (y[i] as number);
    sumP[b] = (sumP[b] as number) + s;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) ece += Math.abs((sumY[b] as number) - (sumP[b] as number)) / p.length;
  return ece;
}
