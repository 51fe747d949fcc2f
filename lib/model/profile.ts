import { ErrorCodes, RoundhouseError } from '../errors';
import type { FeatureProfile, ReferenceProfile } from '../events';
import { DEFAULT_BINS, DEFAULT_MAX_CATEGORIES, buildCategoricalReference, buildNumericReference, type FeatureReference } from '../stats';
import { categoryOf, numericValue, resolveFeatureType, type FeatureInput, type Row } from './values';

/**
 * The reference profile of a training set: what the trigger compares live
 * traffic against once this model is promoted. Numeric features get quantile
 * bins (lib/stats buildNumericReference: edges, shares, bin means, missing and
 * NaN shares, mean, std); categorical ones category shares with the tail pooled
 * as `__other__` (buildCategoricalReference). The same value rules as the
 * model's pipeline apply (values.ts), except that a numeric value that is
 * present but unusable (NaN, ±Infinity, a string) counts in nanShare rather
 * than missingShare, so the trigger can tell "absent" from "broken".
 */
export interface ProfileOptions {
  readonly bins?: number;
  readonly maxCategories?: number;
}

export interface ProfileSpec {
  readonly features: readonly FeatureInput[];
  /** The serving model's score field, profiled as a numeric feature; null when the catalog names none. */
  readonly scoreField: string | null;
}

export function buildReferenceProfile(
  rows: readonly Row[],
  labels: ArrayLike<number | boolean> | null,
  spec: ProfileSpec,
  options: ProfileOptions = {},
): ReferenceProfile {
  const features = spec.features.map((f) => profileFeature(f, rows, options));
  const score = spec.scoreField === null ? null : profileFeature({ name: spec.scoreField, type: 'numeric' }, rows, options);
  let labelRate: number | null = null;
  let labelledRows: number | null = null;
  if (labels !== null) {
    let positives = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i] === 1 || labels[i] === true) positives++;
    labelledRows = labels.length;
    labelRate = labels.length === 0 ? null : positives / labels.length;
  }
  return { features, score, labelRate, labelledRows };
}

export function profileFeature(feature: FeatureInput, rows: readonly Row[], options: ProfileOptions = {}): FeatureProfile {
  if (resolveFeatureType(feature, rows) === 'numeric') {
    const values = rows.map((row) => {
      const raw = row[feature.name];
      if (raw === null || raw === undefined) return null;
      return numericValue(raw) ?? NaN;
    });
    return toFeatureProfile(feature.name, buildNumericReference(values, options.bins ?? DEFAULT_BINS));
  }
  const values = rows.map((row) => categoryOf(row[feature.name]));
  return toFeatureProfile(feature.name, buildCategoricalReference(values, options.maxCategories ?? DEFAULT_MAX_CATEGORIES));
}

/** lib/stats reference → the event's FeatureProfile (same numbers, event field names). */
export function toFeatureProfile(name: string, ref: FeatureReference): FeatureProfile {
  if (ref.kind === 'numeric') {
    return {
      name,
      kind: 'NUMERIC',
      binEdges: ref.edges,
      binProportions: ref.proportions,
      categories: {},
      missingShare: ref.missingShare,
      count: ref.count,
      binMeans: ref.binMeans,
      nanShare: ref.nanShare,
      mean: ref.mean,
      std: ref.std,
      importance: null,
    };
  }
  return {
    name,
    kind: 'CATEGORICAL',
    binEdges: [],
    binProportions: [],
    categories: ref.categories,
    missingShare: ref.missingShare,
    count: ref.count,
    binMeans: [],
    nanShare: 0,
    mean: 0,
    std: 0,
    importance: null,
  };
}

/**
 * The profile with each feature's importance set (FeatureProfile.importance):
 * from the built-in model (importance.ts) or a custom trainer's result.json
 * `featureImportance`. Every key must name a profiled feature and every value be
 * a finite number >= 0, else VALIDATION naming each problem; a feature left out
 * keeps importance null. The score's profile is not a feature and gets none.
 */
export function withImportance(profile: ReferenceProfile, importance: unknown): ReferenceProfile {
  if (typeof importance !== 'object' || importance === null || Array.isArray(importance)) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, 'featureImportance must be an object mapping feature names to numbers >= 0', { retriable: false });
  }
  const known = new Set(profile.features.map((f) => f.name));
  const problems: string[] = [];
  for (const [name, value] of Object.entries(importance as Record<string, unknown>)) {
    if (!known.has(name)) problems.push(`featureImportance.${name}: not a feature of this model (${[...known].join(', ')})`);
    else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) problems.push(`featureImportance.${name}: must be a finite number >= 0, got ${JSON.stringify(value)}`);
  }
  if (problems.length > 0) throw new RoundhouseError(ErrorCodes.VALIDATION, problems.join('; '), { retriable: false, context: { problems: problems.join('; ') } });
  const values = importance as Record<string, number>;
  return { ...profile, features: profile.features.map((f) => (Object.prototype.hasOwnProperty.call(values, f.name) ? { ...f, importance: values[f.name]! } : f)) };
}
