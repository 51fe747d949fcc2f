import { NumericHistogram, CategoricalHistogram, OTHER_CATEGORY } from '../../../lib/stats';
import type { CategoricalReference, NumericReference } from '../../../lib/stats';

/**
 * Reference-free, mergeable window summaries. Stage 1 of the trigger summarises
 * each input partition's window without knowing the model's reference (so a new
 * champion, or a bootstrap reference, never has to reach every ingest instance);
 * stage 2 merges the partitions' summaries and re-bins them onto the reference.
 *
 * Numeric values go to a merging t-digest (Dunning & Ertl, "Computing extremely
 * accurate quantiles using t-digests", 2019) with the k1 scale function: sorted
 * centroids, each a (count, sum) of adjacent values, where a centroid may cover
 * at most 1 unit of k(q) = δ/(2π)·asin(2q − 1) of the quantile axis. Its error
 * is bounded in quantile (rank), not in value: a feature at 100 ± 1 or 1e6 ± 10
 * is resolved exactly as finely as one at 0 ± 1, and the tails (where the
 * reference's outer bins and the drift statistics are most sensitive) most
 * finely of all. (The log buckets used before had a width of 2% of the value:
 * near 100 that is 4σ of a feature with σ 1, and unchanged features read as
 * drifted. See docs/catalog.md, "Sketch accuracy".) Equal values always share a
 * centroid, so a discrete feature (hour of day, a flag) is summarised exactly.
 *
 * Each centroid keeps its exact sum, so re-binning places it at its exact mean
 * and the Wasserstein test sees exact bin means. Deterministic: the same values
 * in the same order (and merges in the same order) give the same centroids;
 * the order of insertion changes the centroids only within the digest's error.
 */

/** δ of the k1 scale: at most ~δ/2 centroids however many values; a central centroid holds ≤ π/δ of them (0.63%). */
export const DIGEST_COMPRESSION = 500;
/** Values (or merged centroids) buffered before a compression pass: the pass sorts them, so the cost per value is amortised. */
const BUFFER_LIMIT = 2 * DIGEST_COMPRESSION;
/** Same cut as lib/stats: larger magnitudes are treated like NaN. */
const MAX_MAGNITUDE = 1e100;

/**
 * A numeric sketch as it travels (partials) and rests (checkpoints): `t` is the
 * centroids in a compact binary form, base64 — ascending by mean, each an
 * unsigned LEB128 varint count and the centroid's sum as a little-endian
 * float64. Lossless for the digest (sums keep every bit), about 10 bytes a
 * centroid. `b` (log buckets keyed by magnitude) and `keys`/`counts`/`sums`
 * (JSON arrays) are the forms of earlier versions, still read.
 */
export interface NumericSketchState {
  readonly k: 'n';
  readonly t: string;
  /**
   * Values (and merged centroids) not yet compressed, in arrival order, in the
   * same (count, sum) form; absent when none. Carried as they are so that a
   * sketch restored from a checkpoint goes on exactly as the one that was saved
   * (compressing at a checkpoint would move later centroids: a restart, or a
   * second replica taking a partition over, would then judge slightly other
   * statistics than one uninterrupted instance). At most BUFFER_LIMIT − 1 items.
   */
  readonly u?: string;
  readonly missing: number;
  readonly nan: number;
  readonly sumSq: number;
}

/**
 * A sketch that holds single values only (no centroid yet, nothing merged in),
 * as most of a family's member sketches per slice do (one or two events): `r`
 * is the values as little-endian float64s, base64, in arrival order. Its
 * sumSq is theirs, summed in that order (the form is written only when that
 * gives exactly the sketch's sumSq), and missing / nan are written only when
 * not 0: a one-value sketch is ~30 bytes of JSON where the digest form takes
 * ~80. Read back, it is the same sketch.
 */
export interface RawNumericSketchState {
  readonly k: 'n';
  readonly r: string;
  readonly missing?: number;
  readonly nan?: number;
}

/** The log-bucket form of an earlier version; still read (checkpoints and partials in flight during an upgrade). */
interface BucketNumericSketchState {
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

export type AnyNumericSketchState = NumericSketchState | RawNumericSketchState | BucketNumericSketchState | LegacyNumericSketchState;

/** Buffered items held in a plain array before the buffer becomes a Float64Array (NumericSketch.store). */
const SMALL_BUFFER = 32;
/** The counts of a buffer of single values (BUFFER_LIMIT ones), for encoding it. */
const UNIT_COUNTS = new Float64Array(BUFFER_LIMIT).fill(1);
/** Scratch of the compression pass (reused: one pass at a time, never re-entered). */
let scratchMeans = new Float64Array(4 * BUFFER_LIMIT);
let scratchIndex = new Int32Array(4 * BUFFER_LIMIT);

export class NumericSketch {
  readonly kind = 'numeric' as const;
  /** Compressed centroids, ascending by mean (sum / count). */
  private counts: number[] = [];
  private sums: number[] = [];
  /**
   * Not yet compressed, in arrival order: single values (count 1) and merged
   * centroids' sums, the first `buffered` slots. A plain array while it holds
   * fewer than SMALL_BUFFER (a family's member sketches mostly hold a handful,
   * and a small array is the cheapest thing to allocate), then a Float64Array
   * of BUFFER_LIMIT slots, kept across compressions (a busy sketch: no pushes,
   * no reallocation). `bufferCounts` is null while every buffered item is a
   * single value (the per-event path then stores and sorts raw values only).
   */
  private bufferSums: number[] | Float64Array = [];
  private bufferCounts: number[] | null = null;
  private buffered = 0;
  missing = 0;
  nan = 0;
  sumSq = 0;
  /** buckets() memo: a window's sketch is re-binned once per model that reads it (sketch once, judge many). */
  private sorted: { mean: number; count: number; sum: number }[] | null = null;

  add(value: number | null | undefined): void {
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    if (!(value >= -MAX_MAGNITUDE && value <= MAX_MAGNITUDE)) {
      this.nan++;
      return;
    }
    this.sorted = null;
    this.store(value === 0 ? 0 : value, 1);
    this.sumSq += value * value;
  }

  /** Appends one buffered item (compresses when the buffer is full). */
  private store(sum: number, count: number): void {
    const at = this.buffered;
    const sums = this.bufferSums;
    if (at < sums.length) sums[at] = sum;
    else if (at + 1 < SMALL_BUFFER) (sums as number[]).push(sum);
    else {
      const typed = new Float64Array(BUFFER_LIMIT);
      for (let i = 0; i < at; i++) typed[i] = sums[i]!;
      typed[at] = sum;
      this.bufferSums = typed;
    }
    if (count !== 1 && this.bufferCounts === null) this.bufferCounts = new Array<number>(at).fill(1);
    if (this.bufferCounts !== null) this.bufferCounts[at] = count;
    this.buffered = at + 1;
    if (at + 1 >= BUFFER_LIMIT) this.compress();
  }

  private addCentroid(count: number, sum: number): void {
    if (count <= 0) return;
    this.sorted = null;
    this.store(sum, count);
  }

  merge(other: NumericSketch): this {
    for (let i = 0; i < other.counts.length; i++) this.addCentroid(other.counts[i]!, other.sums[i]!);
    for (let i = 0; i < other.buffered; i++) this.addCentroid(other.bufferCounts === null ? 1 : other.bufferCounts[i]!, other.bufferSums[i]!);
    this.missing += other.missing;
    this.nan += other.nan;
    this.sumSq += other.sumSq;
    return this;
  }

  /**
   * One merging pass: the centroids and the buffer, in ascending order of mean,
   * folded greedily left to right; a centroid grows while it spans at most one
   * unit of k1 (or while the next item has exactly its mean).
   */
  private compress(): void {
    const items = this.buffered;
    if (items === 0) return;
    const heldCounts = this.counts;
    const heldSums = this.sums;
    const held = heldCounts.length;
    const total = held + items;
    if (scratchMeans.length < total) {
      scratchMeans = new Float64Array(total * 2);
      scratchIndex = new Int32Array(total * 2);
    }
    // Sorted order of the buffer: raw values sort directly; weighted items by their mean.
    const bufferCounts = this.bufferCounts;
    const unit = bufferCounts === null;
    const bufferSums = this.bufferSums;
    const bufferOrder = scratchIndex.subarray(0, items);
    const means = scratchMeans.subarray(0, items);
    let n = 0;
    if (unit) {
      for (let i = 0; i < items; i++) means[i] = bufferSums[i]!;
      means.sort();
      n = items;
    } else {
      for (let i = 0; i < items; i++) {
        means[i] = bufferSums[i]! / bufferCounts![i]!;
        bufferOrder[i] = i;
        n += bufferCounts![i]!;
      }
      const m = Float64Array.from(means);
      bufferOrder.sort((a, b) => m[a]! - m[b]! || a - b);
      for (let i = 0; i < items; i++) means[i] = m[bufferOrder[i]!]!;
    }
    for (let i = 0; i < held; i++) n += heldCounts[i]!;

    // One left-to-right fold of both sorted runs (inlined: this loop is most of
    // the trigger's per-value cost). A centroid absorbs the next item while it
    // has exactly its mean, or while the centroid would end at or below
    // `limit`, the cumulative count where k1 has grown by 1 from its start.
    const outCounts: number[] = [];
    const outSums: number[] = [];
    let curCount = 0;
    let curSum = 0;
    let curMean = 0;
    let before = 0;
    let limit = 0;
    const halfPi = Math.PI / 2;
    const scale = (2 * Math.PI) / DIGEST_COMPRESSION;
    let i = 0;
    let j = 0;
    let heldMean = held > 0 ? heldSums[0]! / heldCounts[0]! : Infinity;
    while (i < held || j < items) {
      let count: number;
      let sum: number;
      let mean: number;
      if (j >= items || heldMean <= means[j]!) {
        count = heldCounts[i]!;
        sum = heldSums[i]!;
        mean = heldMean;
        i++;
        heldMean = i < held ? heldSums[i]! / heldCounts[i]! : Infinity;
      } else {
        mean = means[j]!;
        if (unit) {
          count = 1;
          sum = mean;
        } else {
          const b = bufferOrder[j]!;
          count = bufferCounts![b]!;
          sum = bufferSums[b]!;
        }
        j++;
      }
      if (curCount !== 0) {
        if (mean === curMean) {
          // Equal values: one centroid, and its mean stays exactly that value.
          curCount += count;
          curSum += sum;
          continue;
        }
        if (before + curCount + count <= limit) {
          curCount += count;
          curSum += sum;
          curMean = curSum / curCount;
          continue;
        }
        outCounts.push(curCount);
        outSums.push(curSum);
        before += curCount;
      }
      curCount = count;
      curSum = sum;
      curMean = mean;
      const k = Math.asin(Math.min(1, Math.max(-1, (2 * before) / n - 1)));
      limit = k + scale >= halfPi ? n : ((Math.sin(k + scale) + 1) / 2) * n;
    }
    if (curCount > 0) {
      outCounts.push(curCount);
      outSums.push(curSum);
    }
    this.counts = outCounts;
    this.sums = outSums;
    this.buffered = 0;
    if (!(bufferSums instanceof Float64Array)) this.bufferSums = [];
    this.bufferCounts = null;
  }

  get validCount(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    if (this.bufferCounts === null) n += this.buffered;
    else for (let i = 0; i < this.buffered; i++) n += this.bufferCounts[i]!;
    return n;
  }

  get count(): number {
    return this.validCount + this.missing + this.nan;
  }

  /** Buckets (centroids) as (mean, count, sum), ascending by mean (do not mutate: memoised until the next add or merge). */
  buckets(): readonly { mean: number; count: number; sum: number }[] {
    if (this.sorted) return this.sorted;
    this.compress();
    const out: { mean: number; count: number; sum: number }[] = [];
    for (let i = 0; i < this.counts.length; i++) out.push({ mean: this.sums[i]! / this.counts[i]!, count: this.counts[i]!, sum: this.sums[i]! });
    this.sorted = out;
    return out;
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

  /** The sketch's exact state (never compresses: saving a sketch must not change what it becomes). */
  toJSON(): NumericSketchState | RawNumericSketchState {
    if (this.counts.length === 0 && this.bufferCounts === null) {
      const raw = this.rawState();
      if (raw) return raw;
    }
    const t = encodeCentroids(this.counts, this.sums);
    if (this.buffered === 0) return { k: 'n', t, missing: this.missing, nan: this.nan, sumSq: this.sumSq };
    return { k: 'n', t, u: encodeCentroids(this.bufferCounts ?? UNIT_COUNTS, this.bufferSums, this.buffered), missing: this.missing, nan: this.nan, sumSq: this.sumSq };
  }

  /** The raw form, when the buffer's values summed in order give exactly sumSq (always, unless merges or an older form made it). */
  private rawState(): RawNumericSketchState | null {
    const n = this.buffered;
    let sumSq = 0;
    for (let i = 0; i < n; i++) sumSq += this.bufferSums[i]! * this.bufferSums[i]!;
    if (sumSq !== this.sumSq) return null;
    if (centroidBytes.length < 8 * n) centroidBytes = Buffer.allocUnsafe(16 * n);
    for (let i = 0; i < n; i++) centroidBytes.writeDoubleLE(this.bufferSums[i]!, 8 * i);
    const r = centroidBytes.toString('base64', 0, 8 * n);
    if (this.missing === 0 && this.nan === 0) return { k: 'n', r };
    if (this.nan === 0) return { k: 'n', r, missing: this.missing };
    return { k: 'n', r, missing: this.missing, nan: this.nan };
  }

  static fromJSON(state: AnyNumericSketchState): NumericSketch {
    const sketch = new NumericSketch();
    if ('r' in state) {
      const bytes = Buffer.from(state.r, 'base64');
      if (bytes.length % 8 !== 0 || bytes.length / 8 >= BUFFER_LIMIT) throw new Error('malformed raw sketch (not a whole number of float64s below the buffer limit)');
      for (let at = 0; at < bytes.length; at += 8) {
        const value = bytes.readDoubleLE(at);
        if (!(value >= -MAX_MAGNITUDE && value <= MAX_MAGNITUDE)) throw new Error('malformed raw sketch (a value out of range)');
        sketch.add(value);
      }
      sketch.missing = state.missing ?? 0;
      sketch.nan = state.nan ?? 0;
      return sketch;
    }
    if ('t' in state) {
      // Exactly the saved state: the centroids as they were, then the buffer in its order. (Their
      // means ascend up to rounding: sum / count of neighbouring centroids of nearly equal values
      // may come out an ulp out of order, which the next compression pass tolerates.)
      decodeCentroids(state.t, (count, sum) => {
        sketch.counts.push(count);
        sketch.sums.push(sum);
      });
      if (state.u !== undefined) decodeCentroids(state.u, (count, sum) => sketch.addCentroid(count, sum));
    } else {
      if ('b' in state) decodeBuckets(state.b, (_key, count, sum) => sketch.addCentroid(count, sum));
      else for (let i = 0; i < state.keys.length; i++) sketch.addCentroid(state.counts[i]!, state.sums[i]!);
      sketch.compress();
    }
    sketch.missing = state.missing;
    sketch.nan = state.nan;
    sketch.sumSq = state.sumSq;
    return sketch;
  }
}

/** Largest centroid record: a 5-byte varint count (counts stay below 2^35) and a float64. */
const MAX_CENTROID_BYTES = 13;
let centroidBytes = Buffer.allocUnsafe(16 * 1024);

/** The first `length` centroids (ascending by mean) → base64 of (count varint, sum float64) each. */
export function encodeCentroids(counts: ArrayLike<number>, sums: ArrayLike<number>, length = counts.length): string {
  if (centroidBytes.length < length * MAX_CENTROID_BYTES) centroidBytes = Buffer.allocUnsafe(length * MAX_CENTROID_BYTES * 2);
  let at = 0;
  for (let i = 0; i < length; i++) {
    if (counts[i]! <= 0) continue;
    at = writeVarint(centroidBytes, at, counts[i]!);
    at = centroidBytes.writeDoubleLE(sums[i]!, at);
  }
  return centroidBytes.toString('base64', 0, at);
}

/** The centroids of encodeCentroids' output, in order; throws on a truncated or malformed encoding. */
export function decodeCentroids(encoded: string, centroid: (count: number, sum: number) => void): void {
  const buffer = Buffer.from(encoded, 'base64');
  const cursor = { at: 0 };
  while (cursor.at < buffer.length) {
    const count = readVarint(buffer, cursor);
    if (cursor.at + 8 > buffer.length) throw new Error('truncated sketch centroids');
    const sum = buffer.readDoubleLE(cursor.at);
    cursor.at += 8;
    if (count === 0 || !Number.isFinite(sum)) throw new Error('malformed sketch centroids (empty or non-finite centroid)');
    centroid(count, sum);
  }
}

function readVarint(buffer: Buffer, cursor: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (cursor.at >= buffer.length) throw new Error('truncated sketch buckets');
    const byte = buffer[cursor.at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
  throw new Error('malformed sketch buckets (varint too long)');
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
  /** Written only when not 0 (a family's member sketches mostly hold one or two events). */
  readonly other?: number;
  readonly missing?: number;
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
    const counts = [...this.counts];
    if (this.other === 0 && this.missing === 0) return { k: 'c', counts };
    return { k: 'c', counts, other: this.other, missing: this.missing };
  }

  static fromJSON(state: CategoricalCountsState): CategoricalCounts {
    const counts = new CategoricalCounts();
    for (const [name, count] of state.counts) counts.counts.set(name, count);
    counts.other = state.other ?? 0;
    counts.missing = state.missing ?? 0;
    return counts;
  }
}

export type FeatureSketch = NumericSketch | CategoricalCounts;
export type FeatureSketchState = NumericSketchState | RawNumericSketchState | CategoricalCountsState;

export function sketchFromJSON(state: FeatureSketchState | LegacyNumericSketchState): FeatureSketch {
  return state.k === 'n' ? NumericSketch.fromJSON(state) : CategoricalCounts.fromJSON(state);
}
