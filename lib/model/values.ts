/**
 * How decoded Avro values become model inputs. One place, shared by the feature
 * pipeline and the reference profile, so training, scoring and drift agree on
 * what "missing" means.
 */
export type Row = Readonly<Record<string, unknown>>;
export type FeatureType = 'numeric' | 'categorical';

/** A catalog feature as the model needs it; a null type is inferred from the rows. */
export interface FeatureInput {
  readonly name: string;
  readonly type: FeatureType | null;
}

/** Same bound as lib/stats: larger magnitudes are treated as corrupt, not as values. */
export const MAX_MAGNITUDE = 1e100;

/**
 * A numeric feature's value, or null when it is missing. Booleans count as 1/0,
 * Dates (avsc timestamp logical types) as epoch milliseconds, bigints as numbers.
 * null, undefined, NaN, ±Infinity, |x| > 1e100 and values of any other type are
 * missing: a string in a numeric field is a producer bug, and the model should
 * treat it as it treats an absent value rather than fail the whole run.
 */
export function numericValue(v: unknown): number | null {
  let x: number;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'boolean') x = v ? 1 : 0;
  else if (typeof v === 'bigint') x = Number(v);
  else if (v instanceof Date) x = v.getTime();
  else return null;
  return Number.isFinite(x) && Math.abs(x) <= MAX_MAGNITUDE ? x : null;
}

/**
 * The category of a value, or null when missing. Strings are themselves;
 * booleans 'true'/'false'; numbers their decimal form; Buffers (Avro bytes/fixed)
 * hex; anything else its JSON.
 */
export function categoryOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return JSON.stringify(v) ?? null;
}

/**
 * The type of a feature declared without one: numeric when its first present
 * value is a number, bigint or Date, categorical otherwise (strings, booleans:
 * a flag is a two-level category, so an unseen level is visible to drift tests).
 * All-missing features are numeric (nothing to encode either way).
 */
export function resolveFeatureType(feature: FeatureInput, rows: readonly Row[]): FeatureType {
  if (feature.type !== null) return feature.type;
  for (const row of rows) {
    const v = row[feature.name];
    if (v === null || v === undefined) continue;
    return typeof v === 'number' || typeof v === 'bigint' || v instanceof Date ? 'numeric' : 'categorical';
  }
  return 'numeric';
}
