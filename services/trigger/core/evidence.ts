import type { FeatureSpec, ModelSpec } from '../../../lib/catalog';
import { featureDriftOverride, hopFraction, scoreDriftOverride } from '../../../lib/catalog';
import type { DriftEvidence, FeatureDrift, FeatureProfile, PartitionRange } from '../../../lib/events';
import { budgetTest, budgetWeights, effectSize, evaluateDatasetDrift, runDriftTest, twoProportionZTest, windowAlpha, type DriftTestName, type DriftTestResult, type FeatureHistogram, type FeatureReference, type NumericReference } from '../../../lib/stats';
import type { CategoricalCounts, FeatureSketch, NumericSketch } from './sketch';

/**
 * Drift evidence of one member's window against its reference: each feature's
 * test (re-binning the window's sketch onto the reference's bins), the dataset
 * rule, the serving score's drift and the fraud rate. Pure.
 */

export interface Reference {
  /** By feature name. */
  readonly features: Readonly<Record<string, FeatureReference>>;
  readonly score: FeatureReference | null;
  readonly labelRate: number | null;
  readonly labelledRows: number | null;
  readonly bootstrap: boolean;
  /** The champion's per-feature importance (FeatureProfile.importance), by feature name; null when none was reported. */
  readonly importance?: Readonly<Record<string, number>> | null;
}

export interface FeatureStatistic {
  readonly feature: string;
  readonly test: DriftTestName;
  readonly statistic: number;
  readonly drifted: boolean;
}

const TEST_NAMES: Record<DriftTestName, FeatureDrift['test']> = {
  psi: 'PSI',
  ks: 'KS',
  jensenshannon: 'JENSEN_SHANNON',
  wasserstein: 'WASSERSTEIN',
  chisquare: 'CHI_SQUARE',
  z: 'Z_TEST',
};

export function profileToReference(profile: FeatureProfile): FeatureReference {
  if (profile.kind === 'NUMERIC') {
    return {
      kind: 'numeric',
      edges: profile.binEdges,
      proportions: profile.binProportions,
      binMeans: profile.binMeans.length === profile.binProportions.length ? profile.binMeans : midpoints(profile.binEdges),
      count: profile.count,
      missingShare: profile.missingShare,
      nanShare: profile.nanShare,
      mean: profile.mean,
      std: profile.std,
    };
  }
  return { kind: 'categorical', categories: profile.categories, count: profile.count, missingShare: profile.missingShare };
}

function midpoints(edges: readonly number[]): number[] {
  if (edges.length === 0) return [0];
  return [edges[0]!, ...edges.slice(1).map((e, i) => (edges[i]! + e) / 2), edges[edges.length - 1]!];
}

/** The window's sketch of a model feature: the catalog's kind, else whichever kind the group sketched. */
export function featureSketch(sketches: ReadonlyMap<string, FeatureSketch>, spec: FeatureSpec): FeatureSketch | undefined {
  if (spec.type === 'numeric') return sketches.get(`n:${spec.name}`);
  if (spec.type === 'categorical') return sketches.get(`c:${spec.name}`);
  return sketches.get(`n:${spec.name}`) ?? sketches.get(`c:${spec.name}`);
}

export function driftEvidence(
  model: ModelSpec,
  reference: Reference,
  window: { readonly start: number; readonly end: number; readonly count: number; readonly sketches: ReadonlyMap<string, FeatureSketch> },
  offsets: PartitionRange[],
  windowLabels: { readonly labels: number; readonly positives: number },
  statistics: FeatureStatistic[],
): { drifted: boolean; evidence: DriftEvidence } {
  const policy = model.triggers.drift;
  const judged: { spec: FeatureSpec; ref: FeatureReference; histogram: FeatureHistogram }[] = [];
  for (const spec of model.data.features) {
    const ref = reference.features[spec.name];
    const sketch = featureSketch(window.sketches, spec);
    if (!ref || !sketch || ref.kind !== sketch.kind) continue;
    const histogram = sketch.kind === 'numeric' ? sketch.toHistogram((ref as NumericReference).edges) : (sketch as CategoricalCounts).toHistogram(ref as Extract<FeatureReference, { kind: 'categorical' }>);
    judged.push({ spec, ref, histogram });
  }
  // The false-alarm budget (lib/stats budget.ts) covers the features whose test is left to us
  // (method auto, no threshold of their own); the others keep their fixed thresholds and the share rule.
  const overrides = judged.map((j) => featureDriftOverride(policy, j.spec, j.ref.kind));
  const budgeted = judged.map((_, i) => policy.windowsPerFalseAlarm !== null && overrides[i]!.test === undefined && overrides[i]!.threshold === undefined);
  const budgetedNames = judged.filter((_, i) => budgeted[i]).map((j) => j.spec.name);
  const weights = budgetWeights(budgetedNames, reference.importance ?? null);
  // Sliding windows judge 1/hopFraction times per window length: each judgement gets that share of the window's budget.
  const hops = hopFraction(policy.window);
  const alpha = policy.windowsPerFalseAlarm === null ? 0 : windowAlpha(policy.windowsPerFalseAlarm) * hops;
  let w = 0;
  const inputs = judged.map((j, i) => {
    if (!budgeted[i]) return { feature: j.spec.name, result: runDriftTest(j.ref, j.histogram, overrides[i]!), critical: j.spec.critical, kind: j.ref.kind, weight: null };
    const weight = weights[w++]!;
    const raw = runDriftTest(j.ref, j.histogram, { test: budgetTest(j.ref, j.histogram), threshold: alpha * weight });
    // A p-value alone flags negligible changes on very large windows: the effect must reach minEffect too.
    const result = raw.drifted && effectSize(j.ref, j.histogram) < policy.minEffect ? { ...raw, drifted: false } : raw;
    return { feature: j.spec.name, result, critical: j.spec.critical, kind: j.ref.kind, weight };
  });
  const dataset = evaluateDatasetDrift(
    inputs.map((i) => ({ feature: i.feature, result: i.result, critical: i.critical, weight: i.weight })),
    { driftShare: policy.driftShare, minSamples: policy.minSamples, falseDiscoveryRate: policy.falseDiscoveryRate },
  );
  const features: FeatureDrift[] = dataset.features.map((verdict, i) => {
    const input = inputs[i]!;
    statistics.push({ feature: verdict.feature, test: verdict.result.test, statistic: verdict.result.statistic, drifted: verdict.status === 'drifted' });
    return {
      feature: verdict.feature,
      kind: input.kind === 'numeric' ? 'NUMERIC' : 'CATEGORICAL',
      test: TEST_NAMES[verdict.result.test],
      statistic: verdict.result.statistic,
      pValue: verdict.adjustedPValue ?? verdict.result.pValue,
      threshold: verdict.result.threshold,
      drifted: verdict.status === 'drifted',
      referenceCount: verdict.result.referenceCount,
      currentCount: verdict.result.currentCount,
      critical: verdict.critical,
      weight: verdict.weight,
    };
  });

  let scoreDrift: FeatureDrift | null = null;
  const scorePolicy = model.triggers.score;
  const scoreSketch = model.data.scoreField ? (window.sketches.get(`n:${model.data.scoreField}`) as NumericSketch | undefined) : undefined;
  if (scorePolicy.enabled && reference.score && reference.score.kind === 'numeric' && scoreSketch) {
    const result = runDriftTest(reference.score, scoreSketch.toHistogram(reference.score.edges), scoreDriftOverride(scorePolicy));
    const sufficient = result.status === 'ok' && result.referenceCount >= policy.minSamples && result.currentCount >= policy.minSamples;
    scoreDrift = {
      feature: model.data.scoreField ?? 'score',
      kind: 'NUMERIC',
      test: TEST_NAMES[result.test],
      statistic: result.statistic,
      pValue: result.pValue,
      threshold: result.threshold,
      drifted: sufficient && result.drifted,
      referenceCount: result.referenceCount,
      currentCount: result.currentCount,
      critical: false,
      weight: null,
    };
    statistics.push({ feature: scoreDrift.feature, test: result.test, statistic: result.statistic, drifted: scoreDrift.drifted });
  }

  const fraudRateDrift = fraudRate(model, reference, window.count, windowLabels);
  const drifted = dataset.drifted || scoreDrift?.drifted === true || fraudRateDrift?.drifted === true;
  const budgetRule = budgetedNames.length > 0 ? `any of ${budgetedNames.length} features drifted at its share of the false-alarm budget (1/${policy.windowsPerFalseAlarm} per window${hops < 1 ? `, ${+(hops).toPrecision(6)} of it per judgement (sliding)` : ''}, ${reference.importance ? 'importance-weighted' : 'equal shares'}, effect >= ${policy.minEffect})` : null;
  const shareRule = budgetedNames.length < judged.length || judged.length === 0 ? `driftedShare >= ${policy.driftShare}${budgetRule ? ' of the features with their own thresholds' : ''}` : null;
  const rule = `${[budgetRule, shareRule].filter((r) => r !== null).join(' OR ')}${model.data.features.some((f) => f.critical) ? ' OR any critical feature drifted' : ''}${scorePolicy.enabled ? ' OR score drifted' : ''}${model.triggers.fraudRate.enabled ? ' OR fraud rate changed' : ''}`;
  return {
    drifted,
    evidence: {
      windowStart: window.start,
      windowEnd: window.end,
      features,
      driftedShare: dataset.driftedShare,
      driftedShareThreshold: policy.driftShare,
      datasetRule: rule,
      bootstrapReference: reference.bootstrap,
      scoreDrift,
      fraudRateDrift,
      sourceOffsets: offsets,
    },
  };
}

/**
 * Fraud rate of the window: positive labels received during the window over the
 * window's events, against the champion's training label rate. Labels arrive
 * late, so this is a steady-state estimate (it assumes a stable label delay); it
 * needs minLabels labels to speak.
 */
function fraudRate(model: ModelSpec, reference: Reference, events: number, labels: { readonly labels: number; readonly positives: number }): FeatureDrift | null {
  const policy = model.triggers.fraudRate;
  if (!policy.enabled || reference.labelRate === null || reference.labelRate <= 0 || events === 0) return null;
  if (labels.labels < policy.minLabels) return null;
  const rate = labels.positives / events;
  const change = Math.abs(rate - reference.labelRate) / reference.labelRate;
  const z = twoProportionZTest(rate, events, reference.labelRate, reference.labelledRows ?? events);
  return {
    feature: 'fraud_rate',
    kind: 'NUMERIC',
    test: 'Z_TEST',
    statistic: change,
    pValue: z.pValue,
    threshold: policy.maxRelativeChange,
    drifted: change > policy.maxRelativeChange && z.pValue < 0.05,
    referenceCount: reference.labelledRows ?? 0,
    currentCount: events,
    critical: false,
    weight: null,
  };
}
