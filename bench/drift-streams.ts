/**
 * Seeded drift streams for bench/drift-vs-river.ts (issue 12): the same events
 * to Roundhouse's trigger core and to River's detectors.
 *
 * A stream is `events` rows × (20 numeric features + 1 categorical feature of
 * 6 categories). Rows [0, reference) are the reference (the champion's
 * training data); the change happens at `changeAt`. With the default 200,000
 * events: reference = the first 50,000, change at 100,000, a gradual drift
 * ramps from 100,000 to 150,000 (the positions scale with `events`).
 *
 * The numeric features are not all standard normals: normals with means from
 * −200 to 1,000 and σ from 0.01 to 50 (some near zero, some far from it with a
 * small spread) and one heavy-tailed lognormal `amount`. Every shift is in
 * units of the changed feature's own σ (its true standard deviation), and
 * a variance change scales the deviation from the feature's true mean.
 *
 * Families (FAMILIES):
 *   mean-shift-3        abrupt +0.5σ on CHANGED_3 (amount, f03, f09)
 *   variance-3          abrupt σ × 1.5 on CHANGED_3
 *   gradual-3           mean ramps linearly 0 → +1σ on CHANGED_3 from changeAt to changeAt + events/4, then stays
 *   categorical         channel c4's share 10% → 25% (the others rescaled by 0.75/0.90)
 *   small-shift-1       abrupt +0.2σ on f17 only
 *   stationary          no change (the varied features above)
 *   stationary-mean100  no change; every numeric feature N(100, 1)
 *   stationary-mean1e6  no change; every numeric feature N(1e6, 10)
 *
 * Randomness: lib/synthetic's mulberry32 and Box–Muller normal, one generator
 * per (family, seed), so the same family and seed give the same stream
 * bit for bit, and different families are independent draws.
 *
 * File form (writeStreamFile): float64 little-endian, row-major, `events` × 21
 * (the categorical column holds the category's index 0–5), plus a JSON
 * sidecar with the column names and positions, read by bench/drift_river.py.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logNormal, mixSeed, mulberry32, normal, weightedIndex } from '../lib/synthetic';

export const FAMILIES = ['mean-shift-3', 'variance-3', 'gradual-3', 'categorical', 'small-shift-1', 'stationary', 'stationary-mean100', 'stationary-mean1e6'] as const;
export type Family = (typeof FAMILIES)[number];

export const DRIFTING_FAMILIES: readonly Family[] = ['mean-shift-3', 'variance-3', 'gradual-3', 'categorical', 'small-shift-1'];
export const STATIONARY_FAMILIES: readonly Family[] = ['stationary', 'stationary-mean100', 'stationary-mean1e6'];

export interface NumericFeature {
  readonly name: string;
  readonly kind: 'normal' | 'lognormal';
  /** normal: mean and σ; lognormal: μ and σ of the log. */
  readonly a: number;
  readonly b: number;
  /** True mean and standard deviation of the feature (what shifts are measured in). */
  readonly mean: number;
  readonly sd: number;
}

function normalFeature(name: string, mean: number, sd: number): NumericFeature {
  return { name, kind: 'normal', a: mean, b: sd, mean, sd };
}

function lognormalFeature(name: string, mu: number, sigma: number): NumericFeature {
  const mean = Math.exp(mu + (sigma * sigma) / 2);
  return { name, kind: 'lognormal', a: mu, b: sigma, mean, sd: mean * Math.sqrt(Math.expm1(sigma * sigma)) };
}

/** The 20 numeric features of the non-offset families. */
export const VARIED_FEATURES: readonly NumericFeature[] = [
  lognormalFeature('amount', 3.5, 1), // mean ≈ 54.6, σ ≈ 71.6, heavy right tail
  normalFeature('f01', 0, 1),
  normalFeature('f02', 0, 0.01),
  normalFeature('f03', 5, 2),
  normalFeature('f04', -3, 0.5),
  normalFeature('f05', 120, 15),
  normalFeature('f06', 1000, 50),
  normalFeature('f07', 0.5, 0.1),
  normalFeature('f08', -40, 4),
  normalFeature('f09', 30, 1), // far from zero, small spread
  normalFeature('f10', 0, 5),
  normalFeature('f11', 2, 0.3),
  normalFeature('f12', 365, 30), // a card age in days
  normalFeature('f13', -0.5, 0.2),
  normalFeature('f14', 10, 3),
  normalFeature('f15', 0, 0.1),
  normalFeature('f16', 50, 0.5), // far from zero, very small spread
  normalFeature('f17', 7, 1),
  normalFeature('f18', -200, 20),
  normalFeature('f19', 1.5, 1),
];

export const NUMERIC_NAMES: readonly string[] = VARIED_FEATURES.map((f) => f.name);
export const CATEGORICAL_NAME = 'channel';
export const CATEGORIES: readonly string[] = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
/** Reference shares of CATEGORIES; c4 (10%) is the one that grows in `categorical`. */
export const CATEGORY_SHARES: readonly number[] = [0.3, 0.22, 0.16, 0.12, 0.1, 0.1];
export const GROWING_CATEGORY = 4;
export const GROWN_SHARE = 0.25;
/** All 21 features, in file column order. */
export const COLUMNS: readonly string[] = [...NUMERIC_NAMES, CATEGORICAL_NAME];

export const CHANGED_3: readonly string[] = ['amount', 'f03', 'f09'];
export const SMALL_SHIFT_FEATURE = 'f17';

export const MEAN_SHIFT_SIGMAS = 0.5;
export const VARIANCE_FACTOR = 1.5;
export const GRADUAL_SIGMAS = 1;
export const SMALL_SHIFT_SIGMAS = 0.2;

/** The numeric features of a family (the offset controls replace all 20 by one normal). */
export function numericFeatures(family: Family): readonly NumericFeature[] {
  if (family === 'stationary-mean100') return NUMERIC_NAMES.map((name) => normalFeature(name, 100, 1));
  if (family === 'stationary-mean1e6') return NUMERIC_NAMES.map((name) => normalFeature(name, 1e6, 10));
  return VARIED_FEATURES;
}

/** The features whose distribution changes at changeAt (none for the stationary families). */
export function changedFeatures(family: Family): readonly string[] {
  switch (family) {
    case 'mean-shift-3':
    case 'variance-3':
    case 'gradual-3':
      return CHANGED_3;
    case 'small-shift-1':
      return [SMALL_SHIFT_FEATURE];
    case 'categorical':
      return [CATEGORICAL_NAME];
    default:
      return [];
  }
}

export interface StreamLayout {
  readonly events: number;
  /** Rows [0, reference) are the reference. */
  readonly reference: number;
  readonly changeAt: number;
  /** gradual-3: the ramp reaches its full size here. */
  readonly rampEnd: number;
}

export function layoutFor(events: number): StreamLayout {
  if (!Number.isInteger(events) || events < 1000) throw new Error(`events must be an integer ≥ 1000, got ${events}`);
  return { events, reference: Math.floor(events / 4), changeAt: Math.floor(events / 2), rampEnd: Math.floor((3 * events) / 4) };
}

export interface Stream extends StreamLayout {
  readonly family: Family;
  readonly seed: number;
  readonly numeric: readonly NumericFeature[];
  readonly changed: readonly string[];
  /** events × COLUMNS.length, row-major; the last column is the category index. */
  readonly data: Float64Array;
}

function familyCode(family: Family): number {
  return FAMILIES.indexOf(family) + 1;
}

/** The stream of (family, seed): deterministic, independent across families and seeds. */
export function generateStream(family: Family, seed: number, events = 200_000): Stream {
  const layout = layoutFor(events);
  const numeric = numericFeatures(family);
  const changed = changedFeatures(family);
  const width = COLUMNS.length;
  const data = new Float64Array(events * width);
  const random = mulberry32(mixSeed(seed, familyCode(family), 12));
  const isChanged = numeric.map((f) => changed.includes(f.name));
  const grown = CATEGORY_SHARES.map((s, i) => (i === GROWING_CATEGORY ? GROWN_SHARE : (s * (1 - GROWN_SHARE)) / (1 - CATEGORY_SHARES[GROWING_CATEGORY]!)));
  for (let i = 0; i < events; i++) {
    const after = i >= layout.changeAt;
    const row = i * width;
    for (let j = 0; j < numeric.length; j++) {
      const f = numeric[j]!;
      let x = f.kind === 'normal' ? normal(random, f.a, f.b) : logNormal(random, f.a, f.b);
      if (after && isChanged[j]) {
        if (family === 'mean-shift-3') x += MEAN_SHIFT_SIGMAS * f.sd;
        else if (family === 'variance-3') x = f.mean + VARIANCE_FACTOR * (x - f.mean);
        else if (family === 'gradual-3') x += GRADUAL_SIGMAS * f.sd * Math.min(1, (i - layout.changeAt) / (layout.rampEnd - layout.changeAt));
        else if (family === 'small-shift-1') x += SMALL_SHIFT_SIGMAS * f.sd;
      }
      data[row + j] = x;
    }
    data[row + numeric.length] = weightedIndex(random, family === 'categorical' && after ? grown : CATEGORY_SHARES);
  }
  return { ...layout, family, seed, numeric, changed, data };
}

/** Column j of rows [from, to). */
export function column(stream: Stream, j: number, from = 0, to = stream.events): Float64Array {
  const width = COLUMNS.length;
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = stream.data[i * width + j]!;
  return out;
}

export interface StreamFile {
  readonly data: string;
  readonly meta: string;
}

/** `<dir>/<family>-s<seed>.f64` (float64 LE row-major) and its `.json` sidecar. */
export function writeStreamFile(stream: Stream, dir: string): StreamFile {
  const base = join(dir, `${stream.family}-s${stream.seed}`);
  const file = { data: `${base}.f64`, meta: `${base}.json` };
  const bytes = Buffer.from(stream.data.buffer, stream.data.byteOffset, stream.data.byteLength);
  // Float64Array is host-endian; every platform Node runs on here is little-endian, and the reader asks for '<f8'.
  if (new Uint8Array(new Float64Array([1]).buffer)[7] !== 0x3f) throw new Error('big-endian host: the stream files would not be float64 LE');
  writeFileSync(file.data, bytes);
  writeFileSync(
    file.meta,
    `${JSON.stringify({
      family: stream.family,
      seed: stream.seed,
      events: stream.events,
      reference: stream.reference,
      changeAt: stream.changeAt,
      columns: COLUMNS,
      numeric: NUMERIC_NAMES.length,
      categorical: CATEGORICAL_NAME,
      categories: CATEGORIES,
      changed: stream.changed,
      // The reference's mean and σ per numeric feature (for an optional standardised River run).
      referenceMoments: NUMERIC_NAMES.map((_, j) => moments(column(stream, j, 0, stream.reference))),
    })}\n`,
  );
  return file;
}

export function moments(values: ArrayLike<number>): { mean: number; sd: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += (values[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / values.length) };
}
