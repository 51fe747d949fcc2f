/**
 * Which test, with which threshold, a feature is judged by: the feature's own
 * override, else the model's drift policy; whatever is left open is lib/stats'
 * automatic choice and default threshold. The result is exactly lib/stats'
 * DriftTestOverride, so the trigger passes it straight to runDriftTest. Called
 * once per feature at start-up, after the trigger has inferred from the Avro
 * schema the types the catalog left open.
 */
import { ErrorCodes, RoundhouseError } from '../errors';
import type { DriftTestOverride } from '../stats/types';
import { DRIFT_METHODS, supportsType, type DriftMethod, type FeatureType } from './drift-methods';
import type { DriftPolicy, FeatureSpec, ScoreDriftPolicy } from './types';

export type { DriftTestOverride };

export function featureDriftOverride(policy: DriftPolicy, feature: FeatureSpec, type: FeatureType): DriftTestOverride {
  const ownMethod = feature.drift?.method ?? null;
  const choice = ownMethod ?? policy.method;
  const test: DriftMethod | undefined = choice === 'auto' ? undefined : choice;
  if (test !== undefined && !supportsType(test, type)) {
    throw new RoundhouseError(
      ErrorCodes.CATALOG_INVALID,
      `feature ${feature.name} is ${type}, but its drift method ${test} applies to ${DRIFT_METHODS[test].featureTypes.join(' and ')} features`,
      { context: { feature: feature.name, method: test, type } },
    );
  }
  // The model-wide threshold belongs to the model-wide method; a feature that picks
  // another method gets that method's default unless it sets its own threshold.
  const inherited = ownMethod === null || ownMethod === policy.method ? policy.threshold : null;
  const threshold = feature.drift?.threshold ?? inherited;
  return { ...(test === undefined ? {} : { test }), ...(threshold === null ? {} : { threshold }) };
}

export function scoreDriftOverride(policy: ScoreDriftPolicy): DriftTestOverride {
  return {
    ...(policy.method === 'auto' ? {} : { test: policy.method }),
    ...(policy.threshold === null ? {} : { threshold: policy.threshold }),
  };
}
