import { ErrorCodes, RoundhouseError } from '../errors';
import { OTHER_CATEGORY } from '../stats';
import { DEFAULT_HYPERPARAMETERS, type Encoding } from './hyperparameters';
import { MAX_MAGNITUDE, categoryOf, numericValue, resolveFeatureType, type FeatureInput, type FeatureType, type Row } from './values';

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
  return fitColumns(rows, features, options).pipeline;
}

/**
 * fitPipeline then transformRows, reading each row's fields once instead of
 * three times: keyed property reads dominate the pipeline's cost on large
 * training sets.
 */
export function fitTransform(
  rows: readonly Row[],
  features: readonly FeatureInput[],
  options: Partial<PipelineOptions> = {},
): { readonly pipeline: FeaturePipeline; readonly matrix: DesignMatrix } {
  const { pipeline, extracted } = fitColumns(rows, features, options);
  const n = rows.length;
  const cols = pipeline.columns.length;
  const data = new Float64Array(n * cols);
  const { numeric, width, categorical } = extracted;
  for (let i = 0, j = 0; i < n; i++) {
    let q = 0;
    pipeline.features.forEach((f, k) => {
      if (f.kind === 'numeric') {
        const v = numeric[i * width + q++] as number;
        const missing = Number.isNaN(v);
        data[j++] = missing ? 0 : (v - f.mean) / f.scale;
        if (f.missingIndicator) data[j++] = missing ? 1 : 0;
      } else {
        data[j + categoryColumn(f, (categorical[k] as string[])[i] as string)] = 1;
        j += columnCount(f);
      }
    });
  }
  return { pipeline, matrix: { data, rows: n, cols } };
}

/**
 * The features' values, read row by row (all fields of a row together, which
 * V8 does several times faster than one field across many objects): numeric
 * ones into a row-major n × width buffer (NaN = missing), categorical ones as
 * names (missing = MISSING_CATEGORY), by feature index.
 */
interface Extracted {
  readonly numeric: Float64Array;
  readonly width: number;
  readonly categorical: readonly (string[] | null)[];
}

function fitColumns(
  rows: readonly Row[],
  features: readonly FeatureInput[],
  options: Partial<PipelineOptions>,
): { pipeline: FeaturePipeline; extracted: Extracted } {
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
  const types = features.map((f) => resolveFeatureType(f, rows));
  const extracted = extract(rows, features, types);
  const stats = numericStats(extracted.numeric, rows.length, extracted.width);
  let q = 0;
  const encoded = features.map((f, k): FeatureEncoding => {
    if (types[k] === 'numeric') {
      const { mean, std, present } = stats[q++] as NumericStats;
      return { kind: 'numeric', name: f.name, mean, scale: std > 0 && Number.isFinite(std) ? std : 1, missingIndicator: present < rows.length };
    }
    if (opts.encoding === 'hashing') return { kind: 'hashing', name: f.name, buckets: opts.hashBuckets };
    return fitOneHot(f.name, extracted.categorical[k] as string[], opts.maxCategories);
  });
  return { pipeline: { features: encoded, columns: encoded.flatMap(columnsOf) }, extracted };
}

function extract(rows: readonly Row[], features: readonly FeatureInput[], types: readonly FeatureType[]): Extracted {
  const n = rows.length;
  const width = types.filter((t) => t === 'numeric').length;
  const numeric = new Float64Array(n * width);
  const categorical = types.map((t) => (t === 'categorical' ? new Array<string>(n) : null));
  const names = features.map((f) => f.name);
  for (let i = 0, j = 0; i < n; i++) {
    const row = rows[i] as Row;
    for (let k = 0; k < names.length; k++) {
      const raw = row[names[k] as string];
      const cats = categorical[k];
      if (cats) cats[i] = categoryOf(raw) ?? MISSING_CATEGORY;
      // Fast path for plain numbers: numericValue's other cases are rare.
      else numeric[j++] = typeof raw === 'number' && raw === raw && Math.abs(raw) <= MAX_MAGNITUDE ? raw : (numericValue(raw) ?? NaN);
    }
  }
  return { numeric, width, categorical };
}

interface NumericStats {
  readonly mean: number;
  /** Population std of the mean-imputed column: imputed values add rows but no squared deviation. */
  readonly std: number;
  readonly present: number;
}

function numericStats(values: Float64Array, n: number, width: number): NumericStats[] {
  const present = new Float64Array(width);
  const sum = new Float64Array(width);
  for (let i = 0, j = 0; i < n; i++) {
    for (let q = 0; q < width; q++, j++) {
      const v = values[j] as number;
      if (Number.isNaN(v)) continue;
      present[q] = (present[q] as number) + 1;
      sum[q] = (sum[q] as number) + v;
    }
  }
  const mean = Float64Array.from(sum, (s, q) => ((present[q] as number) === 0 ? 0 : s / (present[q] as number)));
  const ss = new Float64Array(width);
  for (let i = 0, j = 0; i < n; i++) {
    for (let q = 0; q < width; q++, j++) {
      const v = values[j] as number;
      if (!Number.isNaN(v)) ss[q] = (ss[q] as number) + (v - (mean[q] as number)) ** 2;
    }
  }
  return Array.from({ length: width }, (_, q) => ({
    mean: mean[q] as number,
    std: n === 0 ? 0 : Math.sqrt((ss[q] as number) / n),
    present: present[q] as number,
  }));
}

function fitOneHot(name: string, values: readonly string[], maxCategories: number): OneHotEncoding {
  const counts = new Map<string, number>();
  for (const c of values) counts.set(c, (counts.get(c) ?? 0) + 1);
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

/** The column (within the feature's block) that a category switches on. */
function categoryColumn(f: OneHotEncoding | HashingEncoding, category: string): number {
  if (f.kind === 'hashing') return fnv1a(category) % f.buckets;
  return lookupOf(f).get(category) ?? f.categories.length;
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
      case 'onehot':
      case 'hashing': {
        const width = columnCount(f);
        out.fill(0, j, j + width);
        out[j + categoryColumn(f, categoryOf(raw) ?? MISSING_CATEGORY)] = 1;
        j += width;
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
