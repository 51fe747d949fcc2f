/**
 * Which test, with which threshold, a feature is judged by: the feature's own
 * override, else the model's drift policy, else the method's default. The trigger
 * calls this once per feature at start-up, after it has inferred the types the
 * catalog left open from the Avro schema.
 */
import { ErrorCodes, RoundhouseError } from '../errors';
import { DRIFT_METHODS, resolveDriftMethod, supportsType, type DriftMethod, type FeatureType } from './drift-methods';
import type { DriftPolicy, FeatureSpec, ScoreDriftPolicy } from './types';

export interface DriftTest {
  readonly method: DriftMethod;
  readonly kind: 'statistic' | 'pvalue';
  /** statistic: drifted when statistic ≥ threshold; pvalue: drifted when p < threshold (before any FDR correction). */
  readonly threshold: number;
}

export function featureDriftTest(policy: DriftPolicy, feature: FeatureSpec, type: FeatureType): DriftTest {
  const ownMethod = feature.drift?.method ?? null;
  const method = resolveDriftMethod(ownMethod ?? policy.method, type);
  if (!supportsType(method, type)) {
    throw new RoundhouseError(
      ErrorCodes.CATALOG_INVALID,
      `feature ${feature.name} is ${type}, but its drift method ${method} applies to ${DRIFT_METHODS[method].featureTypes.join(' and ')} features`,
      { context: { feature: feature.name, method, type } },
    );
  }
  // The model-wide threshold belongs to the model-wide method; a feature that picks
  // another method gets that method's default unless it sets its own threshold.
  const inheritedThreshold = ownMethod === null || ownMethod === policy.method ? policy.threshold : null;
  const threshold = feature.drift?.threshold ?? inheritedThreshold ?? DRIFT_METHODS[method].defaultThreshold;
  return { method, kind: DRIFT_METHODS[method].kind, threshold };
}

export function scoreDriftTest(policy: ScoreDriftPolicy): DriftTest {
  const method = resolveDriftMethod(policy.method, 'numeric');
  return { method, kind: DRIFT_METHODS[method].kind, threshold: policy.threshold ?? DRIFT_METHODS[method].defaultThreshold };
}
