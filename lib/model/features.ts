import { ErrorCodes, RoundhouseError } from '../errors';
import { OTHER_CATEGORY } from '../stats';
import { DEFAULT_HYPERPARAMETERS, type Encoding } from './hyperparameters';
import { categoryOf, numericValue, resolveFeatureType, type FeatureInput, type Row } from './values';

/**
 * The feature pipeline: fitted on the training rows, then applied unchanged to
 * every row the model scores. It is plain JSON data (it travels inside the model
 * artifact), and transforms are pure functions of (pipeline, row).
 *
 * - numeric: missing values (see values.ts) take the training mean; a
 *   `<name>__missing` indicator column is added when any training value was
 *   missing; then (x − mean) / scale, scale being the population std of the
 *   imputed column (scikit-learn's SimpleImputer → StandardScaler), or 1 when 0.
 * - categorical, one-hot: a column per category among the K most frequent
 *   (ties by name), missing being the category `__missing__`, plus `__other__`
 *   for the rest and for categories first seen at scoring time.
 * - categorical, hashing: `hashBuckets` columns per feature, the category's
 *   FNV-1a hash (over UTF-16 code units) modulo the bucket count.
 * Categorical columns are 0/1, not standardised.
 */
export const MISSING_CATEGORY = '__missing__';
export const MISSING_INDICATOR_SUFFIX = '__missing';

export interface NumericEncoding {
  readonly kind: 'numeric';
  readonly name: string;
  readonly mean: number;
  readonly scale: number;
  readonly missingIndicator: boolean;
}

export interface OneHotEncoding {
  readonly kind: 'onehot';
  readonly name: string;
  /** Categories with their own column, most frequent first; `__other__` follows them. */
  readonly categories: readonly string[];
}

export interface HashingEncoding {
  readonly kind: 'hashing';
  readonly name: string;
  readonly buckets: number;
}

export type FeatureEncoding = NumericEncoding | OneHotEncoding | HashingEncoding;

export interface FeaturePipeline {
  readonly features: readonly FeatureEncoding[];
  /** Column names of the design matrix, in order. */
  readonly columns: readonly string[];
}

export interface PipelineOptions {
  readonly maxCategories: number;
  readonly encoding: Encoding;
  readonly hashBuckets: number;
}

/** Dense row-major design matrix: entry (i, j) is data[i * cols + j]. */
export interface DesignMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

export function fitPipeline(
  rows: readonly Row[],
  features: readonly FeatureInput[],
  options: Partial<PipelineOptions> = {},
): FeaturePipeline {
  const opts: PipelineOptions = {
    maxCategories: options.maxCategories ?? DEFAULT_HYPERPARAMETERS.maxCategories,
    encoding: options.encoding ?? DEFAULT_HYPERPARAMETERS.encoding,
    hashBuckets: options.hashBuckets ?? DEFAULT_HYPERPARAMETERS.hashBuckets,
  };
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f.name)) throw new RoundhouseError(ErrorCodes.VALIDATION, `feature "${f.name}" is listed twice`, { retriable: false });
    seen.add(f.name);
  }
  const encoded = features.map((f): FeatureEncoding => {
    if (resolveFeatureType(f, rows) === 'numeric') return fitNumeric(f.name, rows);
    if (opts.encoding === 'hashing') return { kind: 'hashing', name: f.name, buckets: opts.hashBuckets };
    return fitOneHot(f.name, rows, opts.maxCategories);
  });
  return { features: encoded, columns: encoded.flatMap(columnsOf) };
}

function fitNumeric(name: string, rows: readonly Row[]): NumericEncoding {
  let present = 0;
  let sum = 0;
  for (const row of rows) {
    const v = numericValue(row[name]);
    if (v !== null) {
      present++;
      sum += v;
    }
  }
  const mean = present === 0 ? 0 : sum / present;
  let ss = 0;
  for (const row of rows) {
    const v = numericValue(row[name]);
    if (v !== null) ss += (v - mean) * (v - mean);
  }
  // Imputed values sit at the mean, so they add rows but no squared deviation.
  const std = rows.length === 0 ? 0 : Math.sqrt(ss / rows.length);
  return { kind: 'numeric', name, mean, scale: std > 0 && Number.isFinite(std) ? std : 1, missingIndicator: present < rows.length };
}

function fitOneHot(name: string, rows: readonly Row[], maxCategories: number): OneHotEncoding {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const c = categoryOf(row[name]) ?? MISSING_CATEGORY;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const categories = [...counts.entries()]
    .filter(([c]) => c !== OTHER_CATEGORY) // a literal "__other__" value shares the other column
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxCategories)
    .map(([c]) => c);
  return { kind: 'onehot', name, categories };
}

export function columnsOf(f: FeatureEncoding): string[] {
  switch (f.kind) {
    case 'numeric':
      return f.missingIndicator ? [f.name, `${f.name}${MISSING_INDICATOR_SUFFIX}`] : [f.name];
    case 'onehot':
      return [...f.categories.map((c) => `${f.name}=${c}`), `${f.name}=${OTHER_CATEGORY}`];
    case 'hashing':
      return Array.from({ length: f.buckets }, (_, i) => `${f.name}#${i}`);
  }
}

export function columnCount(f: FeatureEncoding): number {
  switch (f.kind) {
    case 'numeric':
      return f.missingIndicator ? 2 : 1;
    case 'onehot':
      return f.categories.length + 1;
    case 'hashing':
      return f.buckets;
  }
}

// Category → column lookups, built once per encoding object (pipelines are immutable).
const lookups = new WeakMap<OneHotEncoding, Map<string, number>>();

function lookupOf(f: OneHotEncoding): Map<string, number> {
  let m = lookups.get(f);
  if (m === undefined) {
    m = new Map(f.categories.map((c, i) => [c, i]));
    lookups.set(f, m);
  }
  return m;
}

/** Writes one row's columns into out[offset … offset + columns.length); every entry is written. */
export function transformRowInto(pipeline: FeaturePipeline, row: Row, out: Float64Array, offset: number): void {
  let j = offset;
  for (const f of pipeline.features) {
    const raw = row[f.name];
    switch (f.kind) {
      case 'numeric': {
        const v = numericValue(raw);
        out[j++] = v === null ? 0 : (v - f.mean) / f.scale;
        if (f.missingIndicator) out[j++] = v === null ? 1 : 0;
        break;
      }
      case 'onehot': {
        const width = f.categories.length + 1;
        out.fill(0, j, j + width);
        const index = lookupOf(f).get(categoryOf(raw) ?? MISSING_CATEGORY);
        out[j + (index ?? f.categories.length)] = 1;
        j += width;
        break;
      }
      case 'hashing': {
        out.fill(0, j, j + f.buckets);
        out[j + (fnv1a(categoryOf(raw) ?? MISSING_CATEGORY) % f.buckets)] = 1;
        j += f.buckets;
        break;
      }
    }
  }
}

export function transformRows(pipeline: FeaturePipeline, rows: readonly Row[]): DesignMatrix {
  const cols = pipeline.columns.length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => transformRowInto(pipeline, row, data, i * cols));
  return { data, rows: rows.length, cols };
}

/** FNV-1a, 32-bit, over UTF-16 code units: stable across platforms and Node versions. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
