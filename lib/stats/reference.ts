import { ErrorCodes, RoundhouseError } from '../errors';
import { type CategoricalValue } from './categorical-histogram';
import { NumericHistogram, isValidNumber } from './numeric-histogram';
import { nextUp, quantileSorted } from './quantile';
import { OTHER_CATEGORY, type CategoricalReference, type NumericReference } from './types';

/**
 * Twenty quantile bins: fine enough that the binned KS statistic and the
 * Wasserstein distance stay close to their exact values, coarse enough that PSI's
 * noise under no drift, about (bins − 1)(1/n + 1/m), stays well under 0.2 for
 * windows of a few thousand events.
 */
export const DEFAULT_BINS = 20;
/** Named categories kept in a reference; the tail is pooled as OTHER_CATEGORY. */
export const DEFAULT_MAX_CATEGORIES = 100;

/**
 * Reference profile of a numeric feature from a sample (a training set, or the
 * first N events of a stream for a bootstrap reference).
 *
 * Edges are the interior quantiles i/bins (i = 1 … bins−1, numpy 'linear'),
 * deduplicated, so each bin holds about 1/bins of the sample and the outer bins
 * are open-ended. Heavy ties collapse edges, giving fewer bins. When the top edge
 * equals the sample maximum (a constant feature, or a point mass at the top), one
 * more edge is put just above it, so that values above everything the reference
 * saw get a bin of their own instead of hiding among the maximum's copies.
 */
export function buildNumericReference(
  values: ArrayLike<number | null | undefined>,
  bins: number = DEFAULT_BINS,
): NumericReference {
  if (!Number.isInteger(bins) || bins < 2) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `buildNumericReference: bins must be an integer >= 2, got ${bins}`);
  }
  const valid: number[] = [];
  let missing = 0;
  let nan = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) missing++;
    else if (!isValidNumber(v)) nan++;
    else valid.push(v);
  }
  const count = values.length;
  const edges = quantileEdges(valid, bins);
  const hist = new NumericHistogram(edges);
  for (const v of valid) hist.add(v);

  const n = valid.length;
  const proportions = Array.from(hist.counts, (c) => (n === 0 ? 0 : c / n));
  const binMeans = Array.from(hist.counts, (_, i) => hist.binMean(i) ?? fallbackBinPosition(edges, i));
  let mean = 0;
  let std = 0;
  if (n > 0) {
    mean = hist.sum / n;
    let ss = 0;
    for (const v of valid) ss += (v - mean) * (v - mean);
    std = Math.sqrt(ss / n);
  }
  return {
    kind: 'numeric',
    edges,
    proportions,
    binMeans,
    count,
    missingShare: count === 0 ? 0 : missing / count,
    nanShare: count === 0 ? 0 : nan / count,
    mean,
    std,
  };
}

function quantileEdges(valid: readonly number[], bins: number): number[] {
  if (valid.length === 0) return [];
  const sorted = Float64Array.from(valid).sort();
  const raw: number[] = [];
  for (let i = 1; i < bins; i++) raw.push(quantileSorted(sorted, i / bins));
  // Sort before deduplicating: numpy's two-sided lerp is not strictly monotone in
  // q to the last ulp (np.unique sorts too).
  raw.sort((a, b) => a - b);
  const edges = raw.filter((e, i) => i === 0 || e > (raw[i - 1] as number));
  const max = sorted[sorted.length - 1] as number;
  const above = nextUp(max);
  if (edges[edges.length - 1] === max && Number.isFinite(above)) edges.push(above);
  return edges;
}

/**
 * Where an empty bin sits, for the Wasserstein test: its midpoint, or its finite
 * edge for the open outer bins. An empty bin has no weight, so this only keeps
 * positions ordered; it never moves mass.
 */
export function fallbackBinPosition(edges: ArrayLike<number>, bin: number): number {
  const k = edges.length;
  if (k === 0) return 0;
  if (bin <= 0) return edges[0] as number;
  if (bin >= k) return edges[k - 1] as number;
  return ((edges[bin - 1] as number) + (edges[bin] as number)) / 2;
}

/**
 * Reference profile of a categorical feature: each category's share among the
 * non-missing values. Past `maxCategories` names, the least frequent (ties by
 * name) are pooled as OTHER_CATEGORY; current categories missing from such a
 * reference are then compared against that pool, since they may be its members.
 */
export function buildCategoricalReference(
  values: ArrayLike<CategoricalValue>,
  maxCategories: number = DEFAULT_MAX_CATEGORIES,
): CategoricalReference {
  if (!Number.isInteger(maxCategories) || maxCategories < 1) {
    throw new RoundhouseError(
      ErrorCodes.VALIDATION,
      `buildCategoricalReference: maxCategories must be an integer >= 1, got ${maxCategories}`,
    );
  }
  const counts = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      missing++;
      continue;
    }
    const name = typeof v === 'string' ? v : String(v);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const count = values.length;
  const present = count - missing;
  let entries = [...counts.entries()];
  if (entries.length > maxCategories) {
    entries.sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]));
    const kept = entries.slice(0, maxCategories);
    const pooled = entries.slice(maxCategories).reduce((s, [, c]) => s + c, 0);
    // A real category literally named OTHER_CATEGORY joins the pool.
    const withoutOther = kept.filter(([name]) => name !== OTHER_CATEGORY);
    const otherKept = kept.find(([name]) => name === OTHER_CATEGORY)?.[1] ?? 0;
    entries = [...withoutOther, [OTHER_CATEGORY, pooled + otherKept]];
  }
  entries.sort((a, b) => compareStrings(a[0], b[0]));
  // fromEntries defines own properties, so a category named "__proto__" is safe.
  const categories = Object.fromEntries(entries.map(([name, c]) => [name, c / present]));
  return { kind: 'categorical', categories, count, missingShare: count === 0 ? 0 : missing / count };
}

/** Code-unit order: the canonical order of categories everywhere in lib/stats. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
