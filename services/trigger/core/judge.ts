import type { FeatureSpec, ModelSpec } from '../../../lib/catalog';
import { featureDriftOverride, scoreDriftOverride } from '../../../lib/catalog';
import type { DriftEvidence, FeatureDrift, FeatureProfile, PartitionRange, ReferenceProfile, RetrainReason, RetrainRequested } from '../../../lib/events';
import {
  DEFAULT_BINS,
  DEFAULT_MAX_CATEGORIES,
  evaluateDatasetDrift,
  runDriftTest,
  twoProportionZTest,
  type DriftTestName,
  type DriftTestResult,
  type FeatureReference,
  type NumericReference,
} from '../../../lib/stats';
import { memberModelId, requestIdFor } from './ids';
import type { FeaturePartial, LabelPartial, SegmentSummary, WindowSummary } from './partials';
import { CategoricalCounts, FeatureSketch, FeatureSketchState, NumericSketch, sketchFromJSON } from './sketch';

/**
 * Stage 2: one judge per catalog model (or family). It collects the window
 * summaries of every partition of the feature topic, and once all of them have
 * closed through window w it merges them (in partition order, so the merge is
 * deterministic) and judges w for each member: drift against the reference (the
 * champion's training profile, or a bootstrap reference built from the first
 * events when there is no champion yet), hysteresis (K consecutive drifted
 * windows), cooldown, no request while a run is in flight, plus the volume, age
 * and fraud-rate rules. Requests carry the evidence and a deterministic requestId.
 * Time here is event time (window ends), never the wall clock, so a replay makes
 * the same decisions.
 */

export interface Champion {
  readonly version: number;
  readonly promotedAt: number;
  readonly profile: ReferenceProfile;
  /** End of the champion's training data window (event time); volume counts from here. */
  readonly dataWindowEnd: number | null;
}

export interface JudgeContext {
  champion(modelId: string): Champion | undefined;
  inFlight(modelId: string): boolean;
}

interface MemberState {
  consecutive: number;
  lastRequestAt: number | null;
  bootstrap: { count: number; features: Record<string, FeatureSketchState>; score: FeatureSketchState | null } | null;
  bootstrapReference: { features: Record<string, FeatureReference>; score: NumericReference | null } | null;
  /** (start, end, count) of judged windows, newest last, for the volume rule. */
  history: [number, number, number][];
  labels: { labels: number; positives: number; since: number };
  windowLabels: { labels: number; positives: number };
  firedVolumeFor: string | null;
  firedAgeFor: number | null;
  totalEvents: number;
}

export interface JudgeState {
  readonly v: 1;
  readonly model: string;
  partitions: number;
  sources: Record<string, number>;
  pending: Record<string, Record<string, WindowSummary>>;
  judgedThrough: number;
  members: Record<string, MemberState>;
}

export interface FeatureStatistic {
  readonly feature: string;
  readonly test: DriftTestName;
  readonly statistic: number;
  readonly drifted: boolean;
}

export interface WindowVerdict {
  readonly modelId: string;
  readonly window: { readonly index: number; readonly start: number; readonly end: number };
  readonly events: number;
  /** null: no reference yet (bootstrapping) or drift disabled. */
  readonly drifted: boolean | null;
  readonly statistics: readonly FeatureStatistic[];
  readonly suppressed: 'cooldown' | 'in-flight' | 'not-eligible' | null;
}

export interface JudgeOutput {
  readonly requests: RetrainRequested[];
  readonly verdicts: WindowVerdict[];
}

const MAX_HISTORY = 5000;

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

function newMember(): MemberState {
  return {
    consecutive: 0,
    lastRequestAt: null,
    bootstrap: null,
    bootstrapReference: null,
    history: [],
    labels: { labels: 0, positives: 0, since: -Infinity },
    windowLabels: { labels: 0, positives: 0 },
    firedVolumeFor: null,
    firedAgeFor: null,
    totalEvents: 0,
  };
}

function mergeSegments(summaries: readonly SegmentSummary[]): { count: number; features: Map<string, FeatureSketch>; score: NumericSketch | null; minTime: number; maxTime: number } {
  const features = new Map<string, FeatureSketch>();
  let score: NumericSketch | null = null;
  let count = 0;
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const s of summaries) {
    count += s.count;
    minTime = Math.min(minTime, s.minTime);
    maxTime = Math.max(maxTime, s.maxTime);
    for (const [name, state] of Object.entries(s.features)) {
      const sketch = sketchFromJSON(state);
      const existing = features.get(name);
      if (!existing) features.set(name, sketch);
      else if (existing.kind === 'numeric' && sketch.kind === 'numeric') existing.merge(sketch);
      else if (existing.kind === 'categorical' && sketch.kind === 'categorical') existing.merge(sketch);
    }
    if (s.score) {
      const sketch = sketchFromJSON(s.score) as NumericSketch;
      score = score ? score.merge(sketch) : sketch;
    }
  }
  return { count, features, score, minTime, maxTime };
}

export class ModelJudge {
  private readonly state: JudgeState;
  /** Pending windows changed or judged since the last takePendingChanges(). */
  private readonly dirty = new Set<string>();
  private readonly judged = new Set<string>();

  constructor(
    private readonly model: ModelSpec,
    state?: JudgeState,
  ) {
    this.state = state ?? { v: 1, model: model.id, partitions: 0, sources: {}, pending: {}, judgedThrough: -Infinity, members: {} };
  }

  toJSON(): JudgeState {
    return this.state;
  }

  /**
   * The state without its pending windows, which are checkpointed one record per
   * window: a partition that runs far ahead of another leaves many windows
   * pending, and one record holding them all outgrows Kafka's message size.
   */
  toJSONWithoutPending(): JudgeState {
    return { ...this.state, pending: {} };
  }

  pendingWindow(index: string): Record<string, WindowSummary> | undefined {
    return this.state.pending[index];
  }

  /** Pending windows written to or judged since the last call. */
  takePendingChanges(): { changed: string[]; judged: string[] } {
    const changes = { changed: [...this.dirty].filter((w) => !this.judged.has(w)), judged: [...this.judged] };
    this.dirty.clear();
    this.judged.clear();
    return changes;
  }

  memberIds(): string[] {
    return Object.keys(this.state.members).map((segment) => this.memberId(segment));
  }

  /** True when this member has a reference: the champion's, or a completed bootstrap. */
  hasReference(segment: string, ctx: JudgeContext): boolean {
    return ctx.champion(this.memberId(segment)) !== undefined || this.state.members[segment]?.bootstrapReference != null;
  }

  private memberId(segment: string): string {
    return this.model.family ? memberModelId(this.model.id, segment) : this.model.id;
  }

  private member(segment: string): MemberState {
    let member = this.state.members[segment];
    if (!member) {
      member = newMember();
      this.state.members[segment] = member;
    }
    return member;
  }

  addLabels(partial: LabelPartial): void {
    for (const [segment, counts] of Object.entries(partial.segments)) {
      const member = this.member(segment);
      member.labels.labels += counts.labels;
      member.labels.positives += counts.positives;
      member.windowLabels.labels += counts.labels;
      member.windowLabels.positives += counts.positives;
    }
  }

  addFeatures(partial: FeaturePartial, ctx: JudgeContext): JudgeOutput {
    const state = this.state;
    state.partitions = Math.max(state.partitions, partial.partitions);
    const source = String(partial.partition);
    for (const window of partial.windows) {
      const bucket = (state.pending[String(window.index)] ??= {});
      bucket[source] = window;
      this.dirty.add(String(window.index));
    }
    state.sources[source] = Math.max(state.sources[source] ?? -Infinity, partial.closedThrough);

    const output: JudgeOutput = { requests: [], verdicts: [] };
    if (Object.keys(state.sources).length < state.partitions) return output;
    const closedEverywhere = Math.min(...Object.values(state.sources));
    const ready = Object.keys(state.pending)
      .map(Number)
      .filter((index) => index <= closedEverywhere)
      .sort((a, b) => a - b);
    for (const index of ready) {
      const bySource = state.pending[String(index)]!;
      delete state.pending[String(index)];
      this.judged.add(String(index));
      this.judgeWindow(index, bySource, ctx, output);
      state.judgedThrough = Math.max(state.judgedThrough, index);
    }
    return output;
  }

  private judgeWindow(index: number, bySource: Record<string, WindowSummary>, ctx: JudgeContext, output: JudgeOutput): void {
    const sources = Object.keys(bySource).sort((a, b) => Number(a) - Number(b));
    const windows = sources.map((s) => bySource[s]!);
    const start = Math.min(...windows.map((w) => w.start));
    const end = Math.max(...windows.map((w) => w.end));
    const segments = [...new Set(windows.flatMap((w) => Object.keys(w.segments)))].sort();
    for (const segment of segments) {
      const parts = windows.map((w) => w.segments[segment]).filter((s): s is SegmentSummary => s !== undefined);
      const offsets: PartitionRange[] = sources
        .filter((s) => bySource[s]!.segments[segment] !== undefined)
        .map((s) => {
          const summary = bySource[s]!.segments[segment]!;
          return { topic: this.model.data.featureTopic, partition: Number(s), startOffset: Number(summary.firstOffset), endOffset: Number(summary.lastOffset) + 1 };
        });
      this.judgeMember(segment, { index, start, end }, mergeSegments(parts), offsets, ctx, output);
    }
  }

  private judgeMember(
    segment: string,
    window: { index: number; start: number; end: number },
    merged: ReturnType<typeof mergeSegments>,
    offsets: PartitionRange[],
    ctx: JudgeContext,
    output: JudgeOutput,
  ): void {
    const model = this.model;
    const member = this.member(segment);
    const modelId = this.memberId(segment);
    const policy = model.triggers.drift;
    member.totalEvents += merged.count;
    member.history.push([window.start, window.end, merged.count]);
    if (member.history.length > MAX_HISTORY) member.history.splice(0, member.history.length - MAX_HISTORY);

    const champion = ctx.champion(modelId);
    let reference: { features: Record<string, FeatureReference>; score: FeatureReference | null; labelRate: number | null; labelledRows: number | null; bootstrap: boolean } | null = null;
    if (champion) {
      reference = {
        features: Object.fromEntries(champion.profile.features.map((f) => [f.name, profileToReference(f)])),
        score: champion.profile.score ? profileToReference(champion.profile.score) : null,
        labelRate: champion.profile.labelRate,
        labelledRows: champion.profile.labelledRows,
        bootstrap: false,
      };
    } else if (member.bootstrapReference) {
      reference = { ...member.bootstrapReference, labelRate: null, labelledRows: null, bootstrap: true };
    } else {
      this.accumulateBootstrap(member, merged);
    }

    // Family members become models once they have enough matured labels.
    const eligible = !model.family || this.maturedEvents(member, window.end, champion) >= model.family.minMaturedLabels || champion !== undefined;

    let drifted: boolean | null = null;
    const statistics: FeatureStatistic[] = [];
    let evidence: DriftEvidence | null = null;
    if (reference && policy.enabled) {
      const judged = this.judgeDrift(reference, merged, window, offsets, statistics, member);
      evidence = judged.evidence;
      drifted = judged.drifted;
      member.consecutive = drifted ? member.consecutive + 1 : 0;
    }

    const fired = this.rules(member, modelId, window, merged.count, champion, drifted === true && member.consecutive >= policy.consecutiveWindows, evidence);
    member.windowLabels = { labels: 0, positives: 0 };

    let suppressed: WindowVerdict['suppressed'] = null;
    if (fired) {
      if (!eligible) suppressed = 'not-eligible';
      else if (ctx.inFlight(modelId)) suppressed = 'in-flight';
      else if (member.lastRequestAt !== null && window.end - member.lastRequestAt < model.triggers.cooldownMs) suppressed = 'cooldown';
      if (suppressed === null) {
        output.requests.push(this.request(modelId, segment, fired, window, champion));
        member.lastRequestAt = window.end;
        if (fired.reason === 'DRIFT') member.consecutive = 0;
        if (fired.reason === 'VOLUME') member.firedVolumeFor = fired.key;
        if (fired.reason === 'AGE' && champion) member.firedAgeFor = champion.version;
      }
    }
    output.verdicts.push({ modelId, window, events: merged.count, drifted, statistics, suppressed });
  }

  private accumulateBootstrap(member: MemberState, merged: ReturnType<typeof mergeSegments>): void {
    const policy = this.model.triggers.drift;
    const features = new Map<string, FeatureSketch>();
    if (member.bootstrap) for (const [name, state] of Object.entries(member.bootstrap.features)) features.set(name, sketchFromJSON(state));
    let score = member.bootstrap?.score ? (sketchFromJSON(member.bootstrap.score) as NumericSketch) : null;
    for (const [name, sketch] of merged.features) {
      const existing = features.get(name);
      if (!existing) features.set(name, sketch);
      else if (existing.kind === 'numeric' && sketch.kind === 'numeric') existing.merge(sketch);
      else if (existing.kind === 'categorical' && sketch.kind === 'categorical') existing.merge(sketch);
    }
    if (merged.score) score = score ? score.merge(merged.score) : merged.score;
    const count = (member.bootstrap?.count ?? 0) + merged.count;
    if (count >= policy.bootstrapEvents) {
      const references: Record<string, FeatureReference> = {};
      for (const [name, sketch] of features) references[name] = sketch.kind === 'numeric' ? sketch.toReference(DEFAULT_BINS) : sketch.toReference(DEFAULT_MAX_CATEGORIES);
      member.bootstrapReference = { features: references, score: score ? score.toReference(DEFAULT_BINS) : null };
      member.bootstrap = null;
      return;
    }
    member.bootstrap = {
      count,
      features: Object.fromEntries([...features].map(([name, sketch]) => [name, sketch.toJSON()])),
      score: score?.toJSON() ?? null,
    };
  }

  private judgeDrift(
    reference: { features: Record<string, FeatureReference>; score: FeatureReference | null; labelRate: number | null; labelledRows: number | null; bootstrap: boolean },
    merged: ReturnType<typeof mergeSegments>,
    window: { start: number; end: number },
    offsets: PartitionRange[],
    statistics: FeatureStatistic[],
    member: MemberState,
  ): { drifted: boolean; evidence: DriftEvidence } {
    const policy = this.model.triggers.drift;
    const inputs: { feature: string; result: DriftTestResult; critical: boolean; spec: FeatureSpec; kind: 'numeric' | 'categorical' }[] = [];
    for (const spec of this.model.data.features) {
      const ref = reference.features[spec.name];
      const sketch = merged.features.get(spec.name);
      if (!ref || !sketch || ref.kind !== sketch.kind) continue;
      const histogram = sketch.kind === 'numeric' ? sketch.toHistogram((ref as NumericReference).edges) : (sketch as CategoricalCounts).toHistogram(ref as Extract<FeatureReference, { kind: 'categorical' }>);
      const result = runDriftTest(ref, histogram, featureDriftOverride(policy, spec, ref.kind));
      inputs.push({ feature: spec.name, result, critical: spec.critical, spec, kind: ref.kind });
    }
    const dataset = evaluateDatasetDrift(
      inputs.map((i) => ({ feature: i.feature, result: i.result, critical: i.critical })),
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
      };
    });

    let scoreDrift: FeatureDrift | null = null;
    const scorePolicy = this.model.triggers.score;
    if (scorePolicy.enabled && reference.score && reference.score.kind === 'numeric' && merged.score) {
      const result = runDriftTest(reference.score, merged.score.toHistogram(reference.score.edges), scoreDriftOverride(scorePolicy));
      const sufficient = result.status === 'ok' && result.referenceCount >= policy.minSamples && result.currentCount >= policy.minSamples;
      scoreDrift = {
        feature: this.model.data.scoreField ?? 'score',
        kind: 'NUMERIC',
        test: TEST_NAMES[result.test],
        statistic: result.statistic,
        pValue: result.pValue,
        threshold: result.threshold,
        drifted: sufficient && result.drifted,
        referenceCount: result.referenceCount,
        currentCount: result.currentCount,
        critical: false,
      };
      statistics.push({ feature: scoreDrift.feature, test: result.test, statistic: result.statistic, drifted: scoreDrift.drifted });
    }

    const fraudRateDrift = this.fraudRate(reference, merged.count, member);
    const drifted = dataset.drifted || scoreDrift?.drifted === true || fraudRateDrift?.drifted === true;
    const rule = `driftedShare >= ${policy.driftShare}${this.model.data.features.some((f) => f.critical) ? ' OR any critical feature drifted' : ''}${scorePolicy.enabled ? ' OR score drifted' : ''}${this.model.triggers.fraudRate.enabled ? ' OR fraud rate changed' : ''}`;
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
   * Fraud rate of the window: positive labels received during the window over
   * the window's events, against the champion's training label rate. Labels
   * arrive late, so this is a steady-state estimate (it assumes a stable label
   * delay); it needs minLabels labels to speak.
   */
  private fraudRate(
    reference: { labelRate: number | null; labelledRows: number | null },
    events: number,
    member: MemberState,
  ): FeatureDrift | null {
    const policy = this.model.triggers.fraudRate;
    if (!policy.enabled || reference.labelRate === null || reference.labelRate <= 0 || events === 0) return null;
    const labels = member.windowLabels;
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
    };
  }

  private maturedEvents(member: MemberState, now: number, champion: Champion | undefined): number {
    const since = champion?.dataWindowEnd ?? -Infinity;
    const maturedBefore = now - this.model.data.labelMaturityMs;
    let matured = 0;
    for (const [start, end, count] of member.history) if (start >= since && end <= maturedBefore) matured += count;
    return matured;
  }

  private rules(
    member: MemberState,
    modelId: string,
    window: { index: number; start: number; end: number },
    _events: number,
    champion: Champion | undefined,
    driftFired: boolean,
    evidence: DriftEvidence | null,
  ): Fired | null {
    const triggers = this.model.triggers;
    if (driftFired && evidence) {
      return { reason: 'DRIFT', key: `${window.start}-${window.end}`, drift: evidence, volume: null, age: null };
    }
    if (triggers.volume.enabled) {
      const matured = this.maturedEvents(member, window.end, champion);
      const key = `v${champion?.version ?? 0}`;
      if (matured >= triggers.volume.minNewLabels && member.firedVolumeFor !== key) {
        const since = champion?.dataWindowEnd ?? member.history[0]?.[0] ?? window.start;
        return {
          reason: 'VOLUME',
          key,
          drift: null,
          age: null,
          volume: { newMaturedLabels: matured, newMaturedPositives: member.labels.positives, threshold: triggers.volume.minNewLabels, since },
        };
      }
    }
    if (triggers.maxAgeMs !== null && champion && window.end - champion.promotedAt >= triggers.maxAgeMs && member.firedAgeFor !== champion.version) {
      return {
        reason: 'AGE',
        key: `a${champion.version}`,
        drift: null,
        volume: null,
        age: { championPromotedAt: champion.promotedAt, ageMs: window.end - champion.promotedAt, maxAgeMs: triggers.maxAgeMs },
      };
    }
    void modelId;
    return null;
  }

  private request(modelId: string, segment: string, fired: Fired, window: { start: number; end: number }, champion: Champion | undefined): RetrainRequested {
    return {
      requestId: requestIdFor(modelId, fired.reason, fired.key),
      modelId,
      segment: this.model.family ? segment : null,
      reason: fired.reason,
      requestedAt: window.end,
      window: { startTime: window.end - this.model.training.lookbackMs, endTime: window.end, partitions: [] },
      drift: fired.drift,
      volume: fired.volume,
      age: fired.age,
      performance: null,
      championVersion: champion?.version ?? null,
      hyperparameters: null,
      requestedBy: 'trigger',
    };
  }
}

interface Fired {
  reason: RetrainReason;
  key: string;
  drift: DriftEvidence | null;
  volume: RetrainRequested['volume'];
  age: RetrainRequested['age'];
}
