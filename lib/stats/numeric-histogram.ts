import { ErrorCodes, RoundhouseError } from '../errors';

/** Larger magnitudes are not measurements; 1e100² still sums safely far past 2^53 events. */
export const MAX_MAGNITUDE = 1e100;

/** Whether a number is a usable value (else it belongs in the NaN bucket). */
export function isValidNumber(value: number): boolean {
  return value >= -MAX_MAGNITUDE && value <= MAX_MAGNITUDE;
}

/**
 * Streaming histogram of one numeric feature over fixed bin edges (from the
 * reference profile). With k edges there are k + 1 bins: (-inf, e0), [e0, e1), …,
 * [e(k-1), +inf), so every finite value lands somewhere (bin = number of edges
 * <= value, numpy's searchsorted side='right'). null/undefined count as missing;
 * NaN, ±Infinity and magnitudes above MAX_MAGNITUDE count as `nan`: values we
 * cannot place or average, and which would overflow the sums of squares and so
 * turn the JSON checkpoint into nulls.
 *
 * `add` allocates nothing: counts and per-bin sums live in Float64Arrays (exact
 * integers up to 2^53) and the bin is found by binary search. Per-bin sums give
 * each bin's mean, which the Wasserstein test uses as the bin's position.
 */
export class NumericHistogram {
  readonly kind = 'numeric' as const;
  readonly edges: Float64Array;
  readonly counts: Float64Array;
  readonly sums: Float64Array;
  missing = 0;
  nan = 0;
  /** Sum and sum of squares of the valid (finite) values. */
  sum = 0;
  sumSq = 0;

  constructor(edges: ArrayLike<number>) {
    validateEdges(edges);
    this.edges = Float64Array.from(edges);
    this.counts = new Float64Array(this.edges.length + 1);
    this.sums = new Float64Array(this.edges.length + 1);
  }

  add(value: number | null | undefined): void {
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    // Comparisons with NaN are false, so NaN fails this test as well.
    if (!(value >= -MAX_MAGNITUDE && value <= MAX_MAGNITUDE)) {
      this.nan++;
      return;
    }
    const edges = this.edges;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((edges[mid] as number) <= value) lo = mid + 1;
      else hi = mid;
    }
    (this.counts[lo] as number)++;
    (this.sums[lo] as number) += value;
    this.sum += value;
    this.sumSq += value * value;
  }

  /** Finite values added. */
  get validCount(): number {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) n += this.counts[i] as number;
    return n;
  }

  /** Every observation: valid, missing and NaN. */
  get count(): number {
    return this.validCount + this.missing + this.nan;
  }

  /** Mean of the valid values, or null when there are none. */
  get mean(): number | null {
    const n = this.validCount;
    return n === 0 ? null : this.sum / n;
  }

  /** Mean of bin i's values, or null when the bin is empty. */
  binMean(i: number): number | null {
    const c = this.counts[i];
    if (c === undefined || c === 0) return null;
    return (this.sums[i] as number) / c;
  }

  /**
   * Adds other's counts into this one (mutates and returns this). Counts are
   * exact, so merge is associative and commutative for them; the float sums are
   * up to rounding. Throws VALIDATION when the edges differ.
   */
  merge(other: NumericHistogram): this {
    if (!sameEdges(this.edges, other.edges)) {
      throw new RoundhouseError(ErrorCodes.VALIDATION, 'cannot merge numeric histograms with different bin edges', {
        context: { thisBins: this.counts.length, otherBins: other.counts.length },
      });
    }
    for (let i = 0; i < this.counts.length; i++) {
      (this.counts[i] as number) += other.counts[i] as number;
      (this.sums[i] as number) += other.sums[i] as number;
    }
    this.missing += other.missing;
    this.nan += other.nan;
    this.sum += other.sum;
    this.sumSq += other.sumSq;
    return this;
  }

  /** Empties the histogram in place, keeping the edges (window reuse without allocation). */
  reset(): void {
    this.counts.fill(0);
    this.sums.fill(0);
    this.missing = 0;
    this.nan = 0;
    this.sum = 0;
    this.sumSq = 0;
  }

  clone(): NumericHistogram {
    return new NumericHistogram(this.edges).merge(this);
  }

  toJSON(): NumericHistogramState {
    return {
      v: 1,
      edges: Array.from(this.edges),
      counts: Array.from(this.counts),
      sums: Array.from(this.sums),
      missing: this.missing,
      nan: this.nan,
      sum: this.sum,
      sumSq: this.sumSq,
    };
  }

  /** Rebuilds a histogram from a checkpoint; throws VALIDATION naming the bad field. */
  static fromJSON(state: unknown): NumericHistogram {
    const s = asRecord(state, 'numeric histogram');
    if (s.v !== 1) throw invalid('v', 'unsupported version');
    const edges = finiteArray(s.edges, 'edges');
    const counts = finiteArray(s.counts, 'counts');
    const sums = finiteArray(s.sums, 'sums');
    if (counts.length !== edges.length + 1) throw invalid('counts', `expected ${edges.length + 1} entries`);
    if (sums.length !== edges.length + 1) throw invalid('sums', `expected ${edges.length + 1} entries`);
    counts.forEach((c, i) => {
      if (!(c >= 0) || !Number.isInteger(c)) throw invalid(`counts[${i}]`, 'not a non-negative integer');
    });
    const h = new NumericHistogram(edges);
    h.counts.set(counts);
    h.sums.set(sums);
    h.missing = count(s.missing, 'missing');
    h.nan = count(s.nan, 'nan');
    h.sum = finite(s.sum, 'sum');
    h.sumSq = finite(s.sumSq, 'sumSq');
    return h;
  }
}

/** Compact, JSON-safe checkpoint of a NumericHistogram. */
export interface NumericHistogramState {
  readonly v: 1;
  readonly edges: number[];
  readonly counts: number[];
  readonly sums: number[];
  readonly missing: number;
  readonly nan: number;
  readonly sum: number;
  readonly sumSq: number;
}

export function validateEdges(edges: ArrayLike<number>): void {
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i] as number;
    if (!Number.isFinite(e)) throw invalid(`edges[${i}]`, 'not finite');
    if (i > 0 && !(e > (edges[i - 1] as number))) throw invalid(`edges[${i}]`, 'edges must be strictly increasing');
  }
}

export function sameEdges(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function invalid(path: string, message: string): RoundhouseError {
  return new RoundhouseError(ErrorCodes.VALIDATION, `numeric histogram: ${path}: ${message}`, { context: { path } });
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `${what}: expected an object`);
  }
  return value as Record<string, unknown>;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(path, 'not a finite number');
  return value;
}

function count(value: unknown, path: string): number {
  const n = finite(value, path);
  if (n < 0 || !Number.isInteger(n)) throw invalid(path, 'not a non-negative integer');
  return n;
}

function finiteArray(value: unknown, path: string): number[] {
  if (!Array.isArray(value)) throw invalid(path, 'not an array');
  return value.map((v, i) => finite(v, `${path}[${i}]`));
}
