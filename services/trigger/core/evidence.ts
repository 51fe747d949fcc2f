import type { FeatureSpec, ModelSpec } from '../../../lib/catalog';
import { featureDriftOverride, hopFraction, scoreDriftOverride } from '../../../lib/catalog';
import type { DriftEvidence, FeatureDrift, FeatureProfile, PartitionRange } from '../../../lib/events';
import { budgetTest, budgetWeights, CategoricalHistogram, effectSize, evaluateDatasetDrift, NumericHistogram, recentChangeScan, runDriftTest, SCAN_SHARE, twoProportionZTest, windowAlpha, type DriftTestName, type DriftTestResult, type FeatureHistogram, type FeatureReference, type NumericReference } from '../../../lib/stats';
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

/** A sketch's histogram on a reference's bins, kept while both live: a sliding window's hops are scanned again at every hop. */
const histograms = new WeakMap<FeatureSketch, { readonly on: object; readonly histogram: FeatureHistogram }>();

function histogramOf(sketch: FeatureSketch | undefined, ref: FeatureReference): FeatureHistogram {
  const on: object = ref.kind === 'numeric' ? ref.edges : ref.categories;
  if (!sketch) return ref.kind === 'numeric' ? new NumericHistogram(ref.edges) : new CategoricalHistogram(Object.keys(ref.categories).sort());
  const cached = histograms.get(sketch);
  if (cached && cached.on === on) return cached.histogram;
  const histogram = sketch.kind === 'numeric' ? (sketch as NumericSketch).toHistogram((ref as NumericReference).edges) : (sketch as CategoricalCounts).toHistogram(ref as Extract<FeatureReference, { kind: 'categorical' }>);
  histograms.set(sketch, { on, histogram });
  return histogram;
}

/**
 * A window's histogram of one feature on the reference's bins, or null when the
 * window has no sketch of that kind: a tumbling window's sketch binned; a sliding
 * window's hops' histograms summed (each hop's is binned once and kept, so a hop
 * costs its binning once, not a merge of every hop's sketch at every hop).
 */
function windowHistogram(
  window: { readonly sketches: ReadonlyMap<string, FeatureSketch>; readonly hops?: readonly ReadonlyMap<string, FeatureSketch>[] },
  ref: FeatureReference,
  pick: (sketches: ReadonlyMap<string, FeatureSketch>) => FeatureSketch | undefined,
): FeatureHistogram | null {
  if (!window.hops || window.hops.length === 0) {
    const sketch = pick(window.sketches);
    return sketch && sketch.kind === ref.kind ? histogramOf(sketch, ref) : null;
  }
  let total: FeatureHistogram | null = null;
  for (const hop of window.hops) {
    const sketch = pick(hop);
    if (!sketch || sketch.kind !== ref.kind) continue;
    const histogram = histogramOf(sketch, ref);
    if (total === null) total = histogram.clone();
    else if (total.kind === 'numeric' && histogram.kind === 'numeric') total.merge(histogram);
    else if (total.kind === 'categorical' && histogram.kind === 'categorical') total.merge(histogram);
  }
  return total;
}

export function driftEvidence(
  model: ModelSpec,
  reference: Reference,
  window: {
    readonly start: number;
    readonly end: number;
    readonly count: number;
    readonly sketches: ReadonlyMap<string, FeatureSketch>;
    /** Sliding windows: each hop's own sketches, newest first: the window is their sum (`sketches` is then unused) and the recent-change scan (lib/stats scan.ts) looks at the newest of them. */
    readonly hops?: readonly ReadonlyMap<string, FeatureSketch>[];
  },
  offsets: PartitionRange[],
  windowLabels: { readonly labels: number; readonly positives: number },
  statistics: FeatureStatistic[],
): { drifted: boolean; evidence: DriftEvidence } {
  const policy = model.triggers.drift;
  const judged: { spec: FeatureSpec; ref: FeatureReference; histogram: FeatureHistogram }[] = [];
  for (const spec of model.data.features) {
    const ref = reference.features[spec.name];
    if (!ref) continue;
    const histogram = windowHistogram(window, ref, (sketches) => featureSketch(sketches, spec));
    if (histogram) judged.push({ spec, ref, histogram });
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
  // Sliding windows also scan their newest hops for a recent change, on SCAN_SHARE of each feature's share.
  const hopSketches = window.hops && window.hops.length > 0 ? window.hops : null;
  const windowShare = hopSketches ? 1 - SCAN_SHARE : 1;
  let w = 0;
  let scanned = 0;
  const inputs = judged.map((j, i) => {
    if (!budgeted[i]) return { feature: j.spec.name, result: runDriftTest(j.ref, j.histogram, overrides[i]!), critical: j.spec.critical, kind: j.ref.kind, weight: null };
    const weight = weights[w++]!;
    const raw = runDriftTest(j.ref, j.histogram, { test: budgetTest(j.ref, j.histogram), threshold: alpha * weight * windowShare });
    // A p-value alone flags negligible changes on very large windows: the effect must reach minEffect too (the feature's own, or the model's).
    const minEffect = j.spec.drift?.minEffect ?? policy.minEffect;
    let result: DriftTestResult = raw.drifted && effectSize(j.ref, j.histogram) < minEffect ? { ...raw, drifted: false } : raw;
    if (hopSketches && !result.drifted && result.status === 'ok') {
      const scan = recentChangeScan(j.ref, hopSketches.map((hop) => histogramOf(featureSketch(hop, j.spec), j.ref)), alpha * weight * SCAN_SHARE, minEffect);
      if (scan?.drifted) {
        // The window's counts stay (minSamples is the window's); the statistic is the scan's mean score shift over its newest hops.
        result = { ...result, test: 'z', statistic: scan.statistic, pValue: scan.pValue, threshold: scan.threshold, drifted: true };
        scanned++;
      }
    }
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
  const scoreField = model.data.scoreField;
  const scoreHistogram = scoreField && reference.score ? windowHistogram(window, reference.score, (sketches) => sketches.get(`n:${scoreField}`)) : null;
  if (scorePolicy.enabled && reference.score && reference.score.kind === 'numeric' && scoreHistogram) {
    const result = runDriftTest(reference.score, scoreHistogram, scoreDriftOverride(scorePolicy));
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
  const scanRule = hopSketches ? `; half of each share scans the newest 1..${hopSketches.length} hops for a recent change${scanned > 0 ? ` (${scanned} found so)` : ''}` : '';
  const ownEffects = judged.filter((j, i) => budgeted[i] && j.spec.drift?.minEffect != null).map((j) => `${j.spec.name} ${j.spec.drift!.minEffect}`);
  const effectRule = `effect >= ${policy.minEffect}${ownEffects.length > 0 ? ` (${ownEffects.join(', ')})` : ''}`;
  const budgetRule = budgetedNames.length > 0 ? `any of ${budgetedNames.length} features drifted at its share of the false-alarm budget (1/${policy.windowsPerFalseAlarm} per window${hops < 1 ? `, ${+(hops).toPrecision(6)} of it per judgement (sliding)` : ''}, ${reference.importance ? 'importance-weighted' : 'equal shares'}, ${effectRule}${scanRule})` : null;
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
