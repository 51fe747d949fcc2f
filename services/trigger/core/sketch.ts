import { NumericHistogram, CategoricalHistogram, OTHER_CATEGORY } from '../../../lib/stats';
import type { CategoricalReference, NumericReference } from '../../../lib/stats';

/**
 * Reference-free, mergeable window summaries. Stage 1 of the trigger summarises
 * each input partition's window without knowing the model's reference (so a new
 * champion, or a bootstrap reference, never has to reach every ingest instance);
 * stage 2 merges the partitions' summaries and re-bins them onto the reference.
 *
 * Numeric values go to logarithmic buckets with 2% relative width (DDSketch's
 * mapping): bucket k of the positive values holds (γ^(k-1), γ^k], γ = 1.02/0.98.
 * Each bucket keeps its count and its sum, so its exact mean places it when
 * re-binned and the Wasserstein test sees exact bin means. Counts merge exactly;
 * sums merge up to floating-point rounding, so stage 2 merges in partition order.
 */

const ALPHA = 0.02;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const INV_LN_GAMMA = 1 / Math.log(GAMMA);
/** Magnitudes below this count as zero (bounds the number of buckets). */
const MIN_MAGNITUDE = 1e-9;
/** Same cut as lib/stats: larger magnitudes are treated like NaN. */
const MAX_MAGNITUDE = 1e100;
const ZERO_KEY = 0;

/**
 * A numeric sketch as it travels (partials) and rests (checkpoints): `b` is the
 * buckets in a compact binary form, base64 — ascending by key, each an unsigned
 * LEB128 varint of the key's distance from the previous one (the first from 0),
 * a varint count and the bucket's sum as a little-endian float64. Lossless
 * (sums keep every bit), deterministic (key order, whatever the insertion
 * order), about 11 bytes a bucket (15 characters of base64) against ~28
 * characters as JSON arrays, and one string for JSON.stringify and JSON.parse
 * instead of three arrays of numbers.
 */
export interface NumericSketchState {
  readonly k: 'n';
  readonly b: string;
  readonly missing: number;
  readonly nan: number;
  readonly sumSq: number;
}

/** The JSON-array form written before the binary one; still read (checkpoints of an earlier version). */
interface LegacyNumericSketchState {
  readonly k: 'n';
  readonly keys: number[];
  readonly counts: number[];
  readonly sums: number[];
  readonly missing: number;
  readonly nan: number;
  readonly sumSq: number;
}

/** Positive bucket k → 2k+1 ≥ … (odd), negative → even offset, zero → 0. Never collide. */
function keyOf(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude < MIN_MAGNITUDE) return ZERO_KEY;
  const k = Math.ceil(Math.log(magnitude) * INV_LN_GAMMA);
  // Interleave: positive k → 2*(k+K0)+1, negative → 2*(k+K0)+2, with K0 keeping keys positive.
  const shifted = k + 2048;
  return value > 0 ? 2 * shifted + 1 : 2 * shifted + 2;
}

export class NumericSketch {
  readonly kind = 'numeric' as const;
  private readonly slots = new Map<number, number>();
  private keys: number[] = [];
  private counts: number[] = [];
  private sums: number[] = [];
  missing = 0;
  nan = 0;
  sumSq = 0;
  /** buckets() memo: a window's sketch is re-binned once per model that reads it (sketch once, judge many). */
  private sorted: { mean: number; count: number; sum: number }[] | null = null;

  add(value: number | null | undefined): void {
    this.sorted = null;
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    if (!(value >= -MAX_MAGNITUDE && value <= MAX_MAGNITUDE)) {
      this.nan++;
      return;
    }
    const key = keyOf(value);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.keys.length;
      this.slots.set(key, slot);
      this.keys.push(key);
      this.counts.push(0);
      this.sums.push(0);
    }
    this.counts[slot]!++;
    this.sums[slot]! += value;
    this.sumSq += value * value;
  }

  private addBucket(key: number, count: number, sum: number): void {
    this.sorted = null;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.keys.length;
      this.slots.set(key, slot);
      this.keys.push(key);
      this.counts.push(0);
      this.sums.push(0);
    }
    this.counts[slot]! += count;
    this.sums[slot]! += sum;
  }

  merge(other: NumericSketch): this {
    for (let i = 0; i < other.keys.length; i++) this.addBucket(other.keys[i]!, other.counts[i]!, other.sums[i]!);
    this.missing += other.missing;
    this.nan += other.nan;
    this.sumSq += other.sumSq;
    return this;
  }

  get validCount(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  get count(): number {
    return this.validCount + this.missing + this.nan;
  }

  /** Buckets as (mean, count, sum), ascending by mean (do not mutate: memoised until the next add or merge). */
  buckets(): readonly { mean: number; count: number; sum: number }[] {
    if (this.sorted) return this.sorted;
    const out: { mean: number; count: number; sum: number }[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const count = this.counts[i]!;
      if (count > 0) out.push({ mean: this.sums[i]! / count, count, sum: this.sums[i]! });
    }
    this.sorted = out.sort((a, b) => a.mean - b.mean);
    return this.sorted;
  }

  /** Re-bin onto a reference's edges, as lib/stats' histogram (searchsorted right). */
  toHistogram(edges: readonly number[]): NumericHistogram {
    const counts = new Array<number>(edges.length + 1).fill(0);
    const sums = new Array<number>(edges.length + 1).fill(0);
    let sum = 0;
    for (const bucket of this.buckets()) {
      const bin = binOf(edges, bucket.mean);
      counts[bin]! += bucket.count;
      sums[bin]! += bucket.sum;
      sum += bucket.sum;
    }
    return NumericHistogram.fromJSON({ v: 1, edges: [...edges], counts, sums, missing: this.missing, nan: this.nan, sum, sumSq: this.sumSq });
  }

  /**
   * A reference built from the sketch (bootstrap: no champion yet): edges at the
   * bucket means nearest the bin quantiles, deduplicated, like lib/stats'
   * buildNumericReference does on raw values (within the sketch's 2% accuracy).
   */
  toReference(bins: number): NumericReference {
    const buckets = this.buckets();
    const valid = buckets.reduce((n, b) => n + b.count, 0);
    const total = valid + this.missing + this.nan;
    const sum = buckets.reduce((s, b) => s + b.sum, 0);
    const mean = valid > 0 ? sum / valid : 0;
    const variance = valid > 0 ? Math.max(0, this.sumSq / valid - mean * mean) : 0;
    const edges: number[] = [];
    let cumulative = 0;
    let next = 1;
    for (const bucket of buckets) {
      cumulative += bucket.count;
      while (next < bins && cumulative >= (next * valid) / bins) {
        const edge = bucket.mean;
        if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
        next++;
      }
    }
    // Values at the top edge belong to the last bin; add one above the maximum so
    // the outer bin catches values beyond anything the reference saw (lib/stats does the same).
    const max = buckets.length > 0 ? buckets[buckets.length - 1]!.mean : 0;
    if (edges.length === 0 || edges[edges.length - 1]! <= max) edges.push(max + Math.max(Math.abs(max) * 1e-9, 1e-12));
    const histogram = this.toHistogram(edges);
    const proportions = Array.from(histogram.counts, (c) => (valid > 0 ? c / valid : 0));
    const binMeans = Array.from(histogram.counts, (c, i) => (c > 0 ? histogram.sums[i]! / c : binFallback(edges, i)));
    return {
      kind: 'numeric',
      edges,
      proportions,
      binMeans,
      count: total,
      missingShare: total > 0 ? this.missing / total : 0,
      nanShare: total > 0 ? this.nan / total : 0,
      mean,
      std: Math.sqrt(variance),
    };
  }

  toJSON(): NumericSketchState {
    return { k: 'n', b: encodeBuckets(this.keys, this.counts, this.sums), missing: this.missing, nan: this.nan, sumSq: this.sumSq };
  }

  static fromJSON(state: NumericSketchState | LegacyNumericSketchState): NumericSketch {
    const sketch = new NumericSketch();
    if ('b' in state) decodeBuckets(state.b, (key, count, sum) => sketch.addBucket(key, count, sum));
    else for (let i = 0; i < state.keys.length; i++) sketch.addBucket(state.keys[i]!, state.counts[i]!, state.sums[i]!);
    sketch.missing = state.missing;
    sketch.nan = state.nan;
    sketch.sumSq = state.sumSq;
    return sketch;
  }
}

/** Largest bucket record: two 5-byte varints (keys and counts stay below 2^35) and a float64. */
const MAX_BUCKET_BYTES = 18;

function writeVarint(buffer: Buffer, at: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buffer[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buffer[at++] = v;
  return at;
}

/** Scratch space of encodeBuckets (grown on demand, reused: a family encodes hundreds of thousands of sketches per commit). */
let scratchBytes = Buffer.allocUnsafe(16 * 1024);
let scratchOrder = new Int32Array(1024);

/** Buckets (any order) → base64 of (key delta, count, sum) ascending by key; empty buckets (count 0) are dropped. */
export function encodeBuckets(keys: readonly number[], counts: readonly number[], sums: readonly number[]): string {
  if (scratchOrder.length < keys.length) scratchOrder = new Int32Array(keys.length * 2);
  let n = 0;
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    if (counts[i]! <= 0) continue;
    if (n > 0 && keys[i]! < keys[scratchOrder[n - 1]!]!) sorted = false;
    scratchOrder[n++] = i;
  }
  const order = scratchOrder.subarray(0, n);
  if (!sorted) order.sort((a, b) => keys[a]! - keys[b]!);
  if (scratchBytes.length < n * MAX_BUCKET_BYTES) scratchBytes = Buffer.allocUnsafe(n * MAX_BUCKET_BYTES * 2);
  const buffer = scratchBytes;
  let at = 0;
  let previous = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    at = writeVarint(buffer, at, keys[i]! - previous);
    previous = keys[i]!;
    at = writeVarint(buffer, at, counts[i]!);
    at = buffer.writeDoubleLE(sums[i]!, at);
  }
  return buffer.toString('base64', 0, at);
}

/** The buckets of encodeBuckets' output, in key order; throws on a truncated or malformed encoding. */
export function decodeBuckets(encoded: string, bucket: (key: number, count: number, sum: number) => void): void {
  const buffer = Buffer.from(encoded, 'base64');
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (at >= buffer.length) throw new Error('truncated sketch buckets');
      const byte = buffer[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
    throw new Error('malformed sketch buckets (varint too long)');
  };
  let key = 0;
  while (at < buffer.length) {
    key += varint();
    const count = varint();
    if (at + 8 > buffer.length) throw new Error('truncated sketch buckets');
    const sum = buffer.readDoubleLE(at);
    at += 8;
    bucket(key, count, sum);
  }
}

function binFallback(edges: readonly number[], bin: number): number {
  if (bin === 0) return edges[0] ?? 0;
  if (bin >= edges.length) return edges[edges.length - 1] ?? 0;
  return (edges[bin - 1]! + edges[bin]!) / 2;
}

/** Index of the bin holding `value` (searchsorted right); a mean within rounding of an edge counts as on it. */
export function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const edge = edges[mid]!;
    if (edge <= value || Math.abs(value - edge) <= 1e-9 * Math.max(1, Math.abs(edge))) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface CategoricalCountsState {
  readonly k: 'c';
  readonly counts: [string, number][];
  readonly other: number;
  readonly missing: number;
}

/** Distinct categories tracked per window; the rest are counted as OTHER_CATEGORY. */
export const MAX_TRACKED_CATEGORIES = 256;

export class CategoricalCounts {
  readonly kind = 'categorical' as const;
  private readonly counts = new Map<string, number>();
  other = 0;
  missing = 0;

  add(value: string | number | boolean | null | undefined): void {
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    const name = typeof value === 'string' ? value : String(value);
    const current = this.counts.get(name);
    if (current !== undefined) this.counts.set(name, current + 1);
    else if (this.counts.size < MAX_TRACKED_CATEGORIES) this.counts.set(name, 1);
    else this.other++;
  }

  merge(other: CategoricalCounts): this {
    // Deterministic under a fixed merge order: categories are visited sorted.
    for (const [name, count] of [...other.counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const current = this.counts.get(name);
      if (current !== undefined) this.counts.set(name, current + count);
      else if (this.counts.size < MAX_TRACKED_CATEGORIES) this.counts.set(name, count);
      else this.other += count;
    }
    this.other += other.other;
    this.missing += other.missing;
    return this;
  }

  get count(): number {
    let n = this.other + this.missing;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  toHistogram(reference: CategoricalReference): CategoricalHistogram {
    const referenceCategories = Object.keys(reference.categories).sort();
    const known = new Set(referenceCategories);
    const counts = referenceCategories.map((name) => this.counts.get(name) ?? 0);
    const unseen = [...this.counts].filter(([name]) => !known.has(name)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const maxUnseen = 64;
    const tracked = unseen.slice(0, maxUnseen);
    const overflow = this.other + unseen.slice(maxUnseen).reduce((n, [, c]) => n + c, 0);
    // The reference's own "other" bucket absorbs our untracked tail when it has one.
    if (known.has(OTHER_CATEGORY)) {
      const index = referenceCategories.indexOf(OTHER_CATEGORY);
      counts[index]! += overflow;
      return CategoricalHistogram.fromJSON({ v: 1, categories: referenceCategories, maxUnseen, counts, unseen: tracked, overflow: 0, missing: this.missing });
    }
    return CategoricalHistogram.fromJSON({ v: 1, categories: referenceCategories, maxUnseen, counts, unseen: tracked, overflow, missing: this.missing });
  }

  toReference(maxCategories: number): CategoricalReference {
    const entries = [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const valid = entries.reduce((n, [, c]) => n + c, 0) + this.other;
    const total = valid + this.missing;
    const categories: Record<string, number> = {};
    let rest = this.other;
    entries.forEach(([name, count], i) => {
      if (i < maxCategories) categories[name] = valid > 0 ? count / valid : 0;
      else rest += count;
    });
    if (rest > 0) categories[OTHER_CATEGORY] = (categories[OTHER_CATEGORY] ?? 0) + rest / valid;
    return { kind: 'categorical', categories, count: total, missingShare: total > 0 ? this.missing / total : 0 };
  }

  toJSON(): CategoricalCountsState {
    return { k: 'c', counts: [...this.counts], other: this.other, missing: this.missing };
  }

  static fromJSON(state: CategoricalCountsState): CategoricalCounts {
    const counts = new CategoricalCounts();
    for (const [name, count] of state.counts) counts.counts.set(name, count);
    counts.other = state.other;
    counts.missing = state.missing;
    return counts;
  }
}

export type FeatureSketch = NumericSketch | CategoricalCounts;
export type FeatureSketchState = NumericSketchState | CategoricalCountsState;

export function sketchFromJSON(state: FeatureSketchState | LegacyNumericSketchState): FeatureSketch {
  return state.k === 'n' ? NumericSketch.fromJSON(state) : CategoricalCounts.fromJSON(state);
}
