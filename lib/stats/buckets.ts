import { ErrorCodes, RoundhouseError } from '../errors';
import { type CategoricalHistogram } from './categorical-histogram';
import { sameEdges, type NumericHistogram } from './numeric-histogram';
import { compareStrings, fallbackBinPosition } from './reference';
import { OTHER_CATEGORY, type CategoricalReference, type NumericReference } from './types';

/**
 * Lines a reference profile and a current histogram up bucket by bucket, the
 * common ground of every test.
 *
 * Missing values and NaN are distributions' own buckets, not dropped: a feature
 * that starts arriving null has drifted. Numeric buckets are the bins, then
 * MISSING, then NAN; categorical buckets are the reference's categories (code-unit
 * order), then either the reference's OTHER_CATEGORY pool (which absorbs every
 * current category the reference does not name: they may be its members) or,
 * when the reference named all its categories, each unseen category by name and
 * one OVERFLOW bucket for the unnamed ones; then MISSING.
 */
export const MISSING_BUCKET = '__missing__';
export const NAN_BUCKET = '__nan__';
export const OVERFLOW_BUCKET = '__overflow__';

export interface BucketComparison {
  readonly labels: string[];
  /** Reference share of each bucket (sums to 1 when referenceCount > 0). */
  readonly reference: Float64Array;
  /** Current count of each bucket. */
  readonly current: Float64Array;
  readonly referenceCount: number;
  readonly currentCount: number;
}

export function numericBuckets(reference: NumericReference, current: NumericHistogram): BucketComparison {
  assertSameEdges(reference, current);
  const bins = reference.proportions.length;
  const validShare = Math.max(0, 1 - reference.missingShare - reference.nanShare);
  const ref = new Float64Array(bins + 2);
  const cur = new Float64Array(bins + 2);
  for (let i = 0; i < bins; i++) {
    ref[i] = (reference.proportions[i] as number) * validShare;
    cur[i] = current.counts[i] as number;
  }
  ref[bins] = reference.missingShare;
  ref[bins + 1] = reference.nanShare;
  cur[bins] = current.missing;
  cur[bins + 1] = current.nan;
  return {
    labels: [...binLabels(reference.edges), MISSING_BUCKET, NAN_BUCKET],
    reference: ref,
    current: cur,
    referenceCount: reference.count,
    currentCount: current.count,
  };
}

/** The valid values only, each bin placed at its mean: what Wasserstein compares. */
export interface PositionedBins {
  readonly referencePositions: Float64Array;
  readonly referenceWeights: Float64Array;
  readonly currentPositions: Float64Array;
  readonly currentWeights: Float64Array;
  readonly referenceCount: number;
  readonly currentCount: number;
}

export function numericPositions(reference: NumericReference, current: NumericHistogram): PositionedBins {
  assertSameEdges(reference, current);
  const bins = reference.proportions.length;
  const currentPositions = new Float64Array(bins);
  for (let i = 0; i < bins; i++) currentPositions[i] = current.binMean(i) ?? fallbackBinPosition(reference.edges, i);
  return {
    referencePositions: Float64Array.from(reference.binMeans),
    referenceWeights: Float64Array.from(reference.proportions),
    currentPositions,
    currentWeights: Float64Array.from(current.counts),
    referenceCount: referenceValidCount(reference),
    currentCount: current.validCount,
  };
}

/** Valid reference observations; the profile keeps shares, so round back to a count. */
export function referenceValidCount(reference: NumericReference): number {
  return Math.round(reference.count * Math.max(0, 1 - reference.missingShare - reference.nanShare));
}

export function categoricalBuckets(reference: CategoricalReference, current: CategoricalHistogram): BucketComparison {
  const present = 1 - reference.missingShare;
  const named = Object.keys(reference.categories)
    .filter((c) => c !== OTHER_CATEGORY)
    .sort(compareStrings);
  const hasOther = Object.prototype.hasOwnProperty.call(reference.categories, OTHER_CATEGORY);
  const referenceNames = new Set(Object.keys(reference.categories));
  const unseen = current.unseen().filter(([name]) => !referenceNames.has(name));
  // Categories the histogram holds as reference slots but this reference lacks
  // (the histogram was built for another profile) count as unseen too.
  for (const name of current.referenceCategories) {
    if (!referenceNames.has(name) && current.countOf(name) > 0) unseen.push([name, current.countOf(name)]);
  }
  unseen.sort((a, b) => compareStrings(a[0], b[0]));
  const unseenTotal = unseen.reduce((s, [, c]) => s + c, 0) + current.overflow;

  const labels: string[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  for (const name of named) {
    labels.push(name);
    ref.push((reference.categories[name] as number) * present);
    cur.push(current.countOf(name));
  }
  if (hasOther) {
    labels.push(OTHER_CATEGORY);
    ref.push((reference.categories[OTHER_CATEGORY] as number) * present);
    cur.push(current.countOf(OTHER_CATEGORY) + unseenTotal);
  } else {
    for (const [name, c] of unseen) {
      labels.push(name);
      ref.push(0);
      cur.push(c);
    }
    if (current.overflow > 0) {
      labels.push(OVERFLOW_BUCKET);
      ref.push(0);
      cur.push(current.overflow);
    }
  }
  labels.push(MISSING_BUCKET);
  ref.push(reference.missingShare);
  cur.push(current.missing);
  return {
    labels,
    reference: Float64Array.from(ref),
    current: Float64Array.from(cur),
    referenceCount: reference.count,
    currentCount: current.count,
  };
}

/** Buckets with mass on either side: what "number of categories" means for the automatic choice. */
export function occupiedBuckets(comparison: BucketComparison): number {
  let n = 0;
  for (let i = 0; i < comparison.labels.length; i++) {
    if ((comparison.reference[i] as number) > 0 || (comparison.current[i] as number) > 0) n++;
  }
  return n;
}

function binLabels(edges: readonly number[]): string[] {
  if (edges.length === 0) return ['(-inf,+inf)'];
  const labels = [`(-inf,${edges[0]})`];
  for (let i = 1; i < edges.length; i++) labels.push(`[${edges[i - 1]},${edges[i]})`);
  labels.push(`[${edges[edges.length - 1]},+inf)`);
  return labels;
}

function assertSameEdges(reference: NumericReference, current: NumericHistogram): void {
  if (reference.proportions.length !== reference.edges.length + 1 || !sameEdges(reference.edges, current.edges)) {
    throw new RoundhouseError(
      ErrorCodes.VALIDATION,
      'numeric histogram bins do not match the reference profile; build the histogram from reference.edges',
      { context: { referenceEdges: reference.edges.length, histogramEdges: current.edges.length } },
    );
  }
}
