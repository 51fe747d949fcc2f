import type { ModelSpec } from '../../../lib/catalog';
import type { ModelMetrics, PartitionRange, PerformanceEvidence, ReferenceProfile, RetrainRequested } from '../../../lib/events';
import { DEFAULT_BINS, DEFAULT_MAX_CATEGORIES, type FeatureReference, type NumericReference } from '../../../lib/stats';
import { observe, requested, type AttemptState, type RunOutcome, type Unpromoted } from './attempts';
import { decide, type Fired, type Suppression } from './decide';
import { driftEvidence, profileToReference, type FeatureStatistic, type Reference } from './evidence';
import { OVERFLOW_SEGMENT, type TriggerGroup, type WindowClass } from './groups';
import { memberModelId, requestIdFor } from './ids';
import type { FeaturePartial, LabelPartial } from './partials';
import { addLabelProgress, addPositives, addSamples, judgePerformance, labelHorizon, newPerformanceState, prune, realised, type PerformanceState, type PerformanceVerdict } from './performance';
import { SliceAssembler, newSliceState, type Contribution, type SliceState } from './slices';
import { CategoricalCounts, NumericSketch, sketchFromJSON, type FeatureSketch, type FeatureSketchState } from './sketch';

export { profileToReference } from './evidence';

/** The profile's per-feature importances (FeatureProfile.importance), or null when it reports none. */
function profileImportance(features: readonly { readonly name: string; readonly importance?: number | null }[]): Record<string, number> | null {
  const out: Record<string, number> = {};
  let any = false;
  for (const f of features) {
    if (typeof f.importance === 'number' && Number.isFinite(f.importance) && f.importance >= 0) {
      out[f.name] = f.importance;
      any = true;
    }
  }
  return any ? out : null;
}
export type { FeatureStatistic } from './evidence';

/**
 * Stage 2: one judge per (group, member shard). Slices arrive from every
 * partition (slices.ts lines them up, idle partitions included); each complete
 * slice is folded, in partition order, into every window class of the group (a
 * time window is one slice; a count window gathers slices until it holds `size`
 * events of the whole topic), and a closed window is judged for every model of
 * the class and every member of the shard: drift against the reference (the
 * champion's training profile, or a bootstrap reference built from the first
 * windows, shared by the models of a class with the same bootstrapEvents), then
 * decide.ts's rules and suppressions. Requests carry the evidence and a
 * deterministic requestId. Time is event time, never the wall clock, so a
 * replay makes the same decisions.
 */

export interface Champion {
  readonly version: number;
  readonly promotedAt: number;
  readonly profile: ReferenceProfile;
  /** End of the champion's training data window (event time); volume counts from here. */
  readonly dataWindowEnd: number | null;
  /** Its holdout metrics (ModelReady.metrics): what the PERFORMANCE rule expects. */
  readonly metrics?: ModelMetrics | null;
}

export interface JudgeContext {
  champion(modelId: string): Champion | undefined;
  inFlight(modelId: string): boolean;
  /** What became of a request (the follower's view of its run, evaluation and promotion). */
  outcome(requestId: string): RunOutcome;
}

interface MemberState {
  consecutive: number;
  lastRequestAt: number | null;
  /** (start, end, count) of judged windows, oldest first, for the volume rule; coarsened past MAX_HISTORY. */
  history: [number, number, number][];
  labels: { labels: number; positives: number };
  windowLabels: { labels: number; positives: number };
  /** The requests for the current champion and their outcomes (attempts.ts); absent in checkpoints written before it. */
  attempts?: AttemptState;
  /** Checkpoints written before attempts: dropped at the member's next window (attempt 0 keeps the same requestIds). */
  firedVolumeFor?: string | null;
  firedAgeFor?: number | null;
}

type Bootstrap = { count: number; sketches: Record<string, FeatureSketchState> } | { reference: Record<string, FeatureReference> };

interface ClassState {
  windows: number;
  firstSlice: number | null;
  lastSlice: number;
  total: number;
  disabled: string[];
  segments: Record<string, AccSegmentState>;
  /** Sliding windows (window.hop): the closed hops the window still covers, oldest first; absent for tumbling windows. */
  pieces?: PieceState[];
}

interface PieceState {
  firstSlice: number;
  lastSlice: number;
  total: number;
  segments: Record<string, AccSegmentState>;
}

interface LivePiece {
  firstSlice: number;
  lastSlice: number;
  total: number;
  segments: Map<string, LiveSegment>;
}

interface AccSegmentState {
  count: number;
  sketches: Record<string, FeatureSketchState>;
  offsets: Record<string, [string, string]>;
}

export interface JudgeState {
  readonly v: 2;
  readonly group: string;
  readonly shard: number;
  slices: SliceState;
  classes: Record<string, ClassState>;
  /** Segments this shard admitted (family.maxSegments), in admission order. */
  admitted: string[];
  overflowFolds: number;
  /** model id → segment → state. */
  members: Record<string, Record<string, MemberState>>;
  /** `<class>/<bootstrapEvents>` → segment → bootstrap. */
  bootstraps: Record<string, Record<string, Bootstrap>>;
  /** PERFORMANCE groups: the shard's score sample and positive labels (performance.ts); absent otherwise. */
  performance?: PerformanceState;
  /**
   * The last label partial applied per label partition (`<topic>:<partition>`),
   * by its input range: a partial at or below it is a redelivery and is skipped
   * (labels are added, not set). One entry per partition of the group's label
   * topic, so across the trigger this is bounded by label partitions × groups ×
   * shards. Written with the members (whose label counts it guards), in the same
   * transaction; absent in checkpoints written before it (nothing is known
   * applied: the next partial of each partition is applied).
   */
  labelsApplied?: Record<string, AppliedLabels>;
}

/** Where a label partition's applied partials end: the last one's input range and its place in its commit's split. */
export interface AppliedLabels {
  readonly from: string | null;
  readonly through: string;
  readonly part: number;
  readonly parts: number;
}

/**
 * What addLabels did with a partial: applied it; skipped it, as a duplicate of
 * partials already applied; or applied one whose range begins before the end
 * of what was applied (a replay that began earlier and committed later than the
 * first delivery: its counts cannot be split, so the overlap is counted twice).
 */
export type LabelApplication = 'applied' | 'duplicate' | 'overlapping';

export interface WindowVerdict {
  readonly modelId: string;
  /** The catalog model (the family for a member). */
  readonly catalogId: string;
  readonly window: { readonly index: number; readonly start: number; readonly end: number };
  readonly events: number;
  /** null: no reference yet (bootstrapping), drift disabled, or the model cannot read the window's schema. */
  readonly drifted: boolean | null;
  readonly statistics: readonly FeatureStatistic[];
  readonly suppressed: Suppression | null;
  /** decide.ts's one line (which rule fired, what held it back). */
  readonly why: string;
  /** The attempt a firing had (runs in a row without a promotion for this champion). */
  readonly attempt: number;
  /** The last request's outcome, when this window learnt it. */
  readonly learnt: { readonly requestId: string; readonly outcome: Unpromoted } | null;
  /**
   * A new champion was first judged with in this window: event time from the end
   * of its training data to this window's end (how far the stream had moved on
   * when the model took over). Null otherwise, or when its ModelReady has no data window.
   */
  readonly dataToModelLagMs: number | null;
  /** PERFORMANCE: the realised metric when it was judged in this window (breached or not). */
  readonly performance?: PerformanceEvidence | null;
}

export interface JudgeOutput {
  readonly requests: RetrainRequested[];
  readonly verdicts: WindowVerdict[];
}

/** Judged windows kept per member for the volume rule; older ones are merged pairwise. */
const MAX_HISTORY = 64;

interface LiveSegment {
  count: number;
  sketches: Map<string, FeatureSketch>;
  offsets: Map<number, [string, string]>;
}

function newMember(): MemberState {
  return { consecutive: 0, lastRequestAt: null, history: [], labels: { labels: 0, positives: 0 }, windowLabels: { labels: 0, positives: 0 } };
}

function mergeInto(target: Map<string, FeatureSketch>, key: string, sketch: FeatureSketch): void {
  const existing = target.get(key);
  if (!existing) target.set(key, sketch);
  else if (existing.kind === 'numeric' && sketch.kind === 'numeric') existing.merge(sketch);
  else if (existing.kind === 'categorical' && sketch.kind === 'categorical') existing.merge(sketch);
}

function liveSegments(states: Record<string, AccSegmentState>): Map<string, LiveSegment> {
  const segments = new Map<string, LiveSegment>();
  for (const [key, s] of Object.entries(states)) {
    segments.set(key, {
      count: s.count,
      sketches: new Map(Object.entries(s.sketches).map(([k, v]) => [k, sketchFromJSON(v)])),
      offsets: new Map(Object.entries(s.offsets).map(([p, r]) => [Number(p), r])),
    });
  }
  return segments;
}

function segmentStates(segments: ReadonlyMap<string, LiveSegment>): Record<string, AccSegmentState> {
  const out: Record<string, AccSegmentState> = {};
  for (const [key, s] of segments) {
    out[key] = {
      count: s.count,
      sketches: Object.fromEntries([...s.sketches].map(([k, v]) => [k, v.toJSON()])),
      offsets: Object.fromEntries([...s.offsets].map(([p, r]) => [String(p), r])),
    };
  }
  return out;
}

const EMPTY_SKETCHES: ReadonlyMap<string, FeatureSketch> = new Map();

/**
 * A sliding window's segment: its hops' events and offsets. No merged sketches:
 * the evidence sums the hops' histograms (evidence.ts windowHistogram).
 */
function mergePieces(pieces: readonly LivePiece[], key: string): LiveSegment {
  const merged: LiveSegment = { count: 0, sketches: EMPTY_SKETCHES as Map<string, FeatureSketch>, offsets: new Map() };
  for (const piece of pieces) {
    const segment = piece.segments.get(key);
    if (!segment) continue;
    merged.count += segment.count;
    for (const [partition, [first, last]] of segment.offsets) {
      const range = merged.offsets.get(partition);
      merged.offsets.set(partition, range ? [range[0], last] : [first, last]);
    }
  }
  return merged;
}

export class GroupJudge {
  private readonly state: JudgeState;
  private readonly assembler: SliceAssembler;
  private readonly admitted: Set<string>;
  /** Live accumulators per class (the state's `segments` are refreshed by toJSON). */
  private readonly live = new Map<string, Map<string, LiveSegment>>();
  /** Sliding windows: the closed hops per class (the state's `pieces` are refreshed by toJSON). */
  private readonly pieces = new Map<string, LivePiece[]>();
  /** Members, bootstraps or admissions changed since the last checkpoint() (they change per judged window or label, not per partial). */
  private membersDirty = true;

  constructor(
    private readonly group: TriggerGroup,
    shard: number,
    state?: JudgeState,
  ) {
    this.state = state?.v === 2 ? state : { v: 2, group: group.id, shard, slices: newSliceState(), classes: {}, admitted: [], overflowFolds: 0, members: {}, bootstraps: {} };
    if (group.performance !== null) this.state.performance ??= newPerformanceState(group.performance);
    else delete this.state.performance;
    this.assembler = new SliceAssembler(this.state.slices, group.idlePartitionTimeoutMs);
    this.admitted = new Set(this.state.admitted);
    for (const [id, c] of Object.entries(this.state.classes)) {
      const segments = new Map<string, LiveSegment>();
      for (const [key, s] of Object.entries(c.segments)) {
        segments.set(key, {
          count: s.count,
          sketches: new Map(Object.entries(s.sketches).map(([k, v]) => [k, sketchFromJSON(v)])),
          offsets: new Map(Object.entries(s.offsets).map(([p, r]) => [Number(p), r])),
        });
      }
      this.live.set(id, segments);
      if (c.pieces) this.pieces.set(id, c.pieces.map((p) => ({ firstSlice: p.firstSlice, lastSlice: p.lastSlice, total: p.total, segments: liveSegments(p.segments) })));
    }
  }

  toJSON(): JudgeState {
    for (const [id, segments] of this.live) {
      const c = this.state.classes[id];
      if (!c) continue;
      c.segments = {};
      for (const [key, s] of segments) {
        c.segments[key] = {
          count: s.count,
          sketches: Object.fromEntries([...s.sketches].map(([k, v]) => [k, v.toJSON()])),
          offsets: Object.fromEntries([...s.offsets].map(([p, r]) => [String(p), r])),
        };
      }
    }
    for (const [id, pieces] of this.pieces) {
      const c = this.state.classes[id];
      if (c) c.pieces = pieces.map((p) => ({ firstSlice: p.firstSlice, lastSlice: p.lastSlice, total: p.total, segments: segmentStates(p.segments) }));
    }
    this.state.admitted = [...this.admitted];
    return this.state;
  }

  /**
   * The state in two parts: `core` (slices, window accumulators) changes with
   * every partial and is written at every commit; `members` (member states,
   * bootstraps, admissions) only when a window was judged or labels came, and is
   * null otherwise. For a 10,000-merchant family the members part is most of
   * the state, and rewriting it on every commit was most of the trigger's CPU.
   */
  checkpoint(): {
    core: Omit<JudgeState, 'members' | 'bootstraps' | 'admitted' | 'overflowFolds' | 'performance' | 'labelsApplied'>;
    members: Pick<JudgeState, 'members' | 'bootstraps' | 'admitted' | 'overflowFolds' | 'performance' | 'labelsApplied'> | null;
  } {
    // The PERFORMANCE sample changes with judged slices and labels, as the members do: it is written with them,
    // and so are the applied label ranges, which must always match the label counts.
    const { members, bootstraps, admitted, overflowFolds, performance, labelsApplied, ...core } = this.toJSON();
    const dirty = this.membersDirty;
    this.membersDirty = false;
    return { core, members: dirty ? { members, bootstraps, admitted, overflowFolds, ...(performance ? { performance } : {}), ...(labelsApplied ? { labelsApplied } : {}) } : null };
  }

  /** PERFORMANCE: the sample's size and hash threshold, scores dropped by thinning and positive labels evicted since the state was created (metrics). */
  performanceBounds(): { sampled: number; thinned: number; labelsEvicted: number; threshold: number } | null {
    const p = this.state.performance;
    if (!p) return null;
    return { sampled: Object.values(p.samples).reduce((n, l) => n + l.length, 0), thinned: p.thinned, labelsEvicted: p.labelsEvicted, threshold: p.threshold };
  }

  /** Late events per partition (contributions for slices already judged). */
  lateEvents(): Readonly<Record<string, number>> {
    return this.state.slices.late;
  }

  idlePartitions(): readonly number[] {
    return this.state.slices.idle;
  }

  /** Every feature partition's ingest said, in its last final partial, that it was at the end of its log (slices.ts). */
  inputsCaughtUp(): boolean {
    return this.assembler.inputsCaughtUp();
  }

  overflowFolds(): number {
    return this.state.overflowFolds;
  }

  /** Segments admitted (for heap accounting and metrics). */
  admittedSegments(): number {
    return this.admitted.size;
  }

  private memberId(model: ModelSpec, segment: string): string {
    return model.family ? memberModelId(model.id, segment) : model.id;
  }

  private member(model: ModelSpec, segment: string): MemberState {
    const byModel = (this.state.members[model.id] ??= {});
    return (byModel[segment] ??= newMember());
  }

  /** The member a segment's data goes to: itself once admitted, else the overflow member when the shard is full. */
  private admit(segment: string): string {
    if (this.group.segmentField === null || this.admitted.has(segment)) return segment;
    if (this.admitted.size < this.group.segmentsPerShard) {
      this.admitted.add(segment);
      return segment;
    }
    this.state.overflowFolds++;
    return OVERFLOW_SEGMENT;
  }

  /**
   * Add a label partial's counts (and PERFORMANCE's sampled positives and label
   * progress) to the shard's members, unless the partial is at or below the
   * last one applied for its label partition (see JudgeState.labelsApplied):
   * then nothing changes. Partials without an input range (older writers) are
   * applied without the check.
   */
  addLabels(partial: LabelPartial): LabelApplication {
    let application: LabelApplication = 'applied';
    if (partial.through !== undefined) {
      const key = `${partial.topic}:${partial.partition}`;
      const applied = (this.state.labelsApplied ??= {});
      const last = applied[key];
      const position: AppliedLabels = { from: partial.from ?? null, through: partial.through, part: partial.part ?? 0, parts: partial.parts ?? 1 };
      if (last) {
        const through = BigInt(position.through);
        const lastThrough = BigInt(last.through);
        // A later record of the same split (same range, same number of parts) is new; anything else at or below the last range is not.
        const sameSplit = position.from === last.from && position.parts === last.parts && position.part > last.part;
        if (through < lastThrough || (through === lastThrough && !sameSplit)) return 'duplicate';
        if (through > lastThrough && position.from !== null && BigInt(position.from) < lastThrough) application = 'overlapping';
      }
      applied[key] = position;
    }
    this.membersDirty = true;
    const performance = this.state.performance;
    if (performance && this.group.performance) {
      if (partial.partitions !== undefined && partial.watermark !== undefined) addLabelProgress(performance, partial.partition, partial.partitions, partial.watermark, partial.caughtUp === true);
      for (const [, counts] of partial.segments) if (counts.sampled) addPositives(performance, this.group.performance, counts.sampled);
    }
    for (const [segment, counts] of partial.segments) {
      const target = this.admit(segment);
      for (const model of this.group.models) {
        const member = this.member(model, target);
        member.labels.labels += counts.labels;
        member.labels.positives += counts.positives;
        member.windowLabels.labels += counts.labels;
        member.windowLabels.positives += counts.positives;
      }
    }
    return application;
  }

  addFeatures(partial: FeaturePartial, ctx: JudgeContext): JudgeOutput {
    this.assembler.add(partial);
    const output: JudgeOutput = { requests: [], verdicts: [] };
    for (const index of this.assembler.completeSlices()) {
      const parts = this.assembler.take(index);
      this.addSamples(parts);
      for (const windowClass of this.group.windowClasses) this.fold(windowClass, index, parts, ctx, output);
      // Every window still to be judged ends after this slice: older scores and labels are of no more use.
      if (this.state.performance && this.group.performance) prune(this.state.performance, (index + 1) * this.group.sliceMs - this.group.performance.reachMs);
    }
    return output;
  }

  /** PERFORMANCE: a complete slice's sampled scores into their members' samples, in partition and segment order (admitting as fold() would). */
  private addSamples(parts: { partition: number; contribution: Contribution }[]): void {
    const performance = this.state.performance;
    const spec = this.group.performance;
    if (!performance || !spec) return;
    this.membersDirty = true;
    for (const { contribution } of parts) {
      for (const key of Object.keys(contribution.segments).sort()) {
        const summary = contribution.segments[key]!;
        if (summary.samples) addSamples(performance, spec, this.admit(key), summary.samples, summary.sampleBelow ?? Infinity);
      }
    }
  }

  private fold(windowClass: WindowClass, index: number, parts: { partition: number; contribution: Contribution }[], ctx: JudgeContext, output: JudgeOutput): void {
    const c = (this.state.classes[windowClass.id] ??= { windows: 0, firstSlice: null, lastSlice: index, total: 0, disabled: [], segments: {} });
    let live = this.live.get(windowClass.id);
    if (!live) {
      live = new Map();
      this.live.set(windowClass.id, live);
    }
    c.firstSlice ??= index;
    c.lastSlice = index;
    const disabled = new Set(c.disabled);
    for (const { partition, contribution } of parts) {
      c.total += contribution.total;
      for (const id of contribution.disabled) disabled.add(id);
      for (const key of Object.keys(contribution.segments).sort()) {
        const summary = contribution.segments[key]!;
        const target = this.admit(key);
        let segment = live.get(target);
        if (!segment) {
          segment = { count: 0, sketches: new Map(), offsets: new Map() };
          live.set(target, segment);
        }
        segment.count += summary.count;
        for (const [name, state] of Object.entries(summary.sketches)) mergeInto(segment.sketches, name, sketchFromJSON(state));
        const range = segment.offsets.get(partition);
        segment.offsets.set(partition, range ? [range[0], summary.lastOffset] : [summary.firstOffset, summary.lastOffset]);
      }
    }
    c.disabled = [...disabled].sort();
    const window = windowClass.window;
    const hop = window.type === 'time' ? window.hopMs : window.hop;
    if (hop !== undefined) {
      this.slide(windowClass, index, c, live, disabled, ctx, output);
      return;
    }
    if (window.type === 'count' && c.total < window.size) return;
    this.membersDirty = true;
    const bounds = { index: c.windows, start: c.firstSlice * this.group.sliceMs, end: (c.lastSlice + 1) * this.group.sliceMs };
    for (const key of [...live.keys()].sort()) {
      const segment = live.get(key)!;
      const offsets: PartitionRange[] = [...segment.offsets]
        .sort((a, b) => a[0] - b[0])
        .map(([partition, [first, last]]) => ({ topic: this.group.featureTopic, partition, startOffset: Number(first), endOffset: Number(last) + 1 }));
      const bootstrapReference = this.bootstrap(windowClass, key, segment, ctx);
      for (const model of windowClass.models) {
        this.judgeMember(model, key, bounds, segment, offsets, bootstrapReference.get(model.triggers.drift.bootstrapEvents) ?? null, disabled.has(model.id), ctx, output);
      }
    }
    this.state.classes[windowClass.id] = { windows: c.windows + 1, firstSlice: null, lastSlice: index, total: 0, disabled: [], segments: {} };
    this.live.set(windowClass.id, new Map());
  }

  /**
   * Sliding windows (window.hop): the open accumulator closes as a hop (every
   * slice of a time window, whose slice is the hop; at the first slice boundary
   * holding `hop` events of a count window) and joins the hops the window
   * covers (time: the last size/hop; count: the fewest newest holding `size`
   * events). Once the window is full it is judged, every hop, over the hops
   * merged. The newest hop alone feeds what must not be counted twice: the
   * bootstrap reference, the volume history and the fraud rate's events.
   */
  private slide(windowClass: WindowClass, index: number, c: ClassState, live: Map<string, LiveSegment>, disabled: ReadonlySet<string>, ctx: JudgeContext, output: JudgeOutput): void {
    const window = windowClass.window;
    if (window.type === 'count' && c.total < (window.hop ?? window.size)) return;
    let pieces = this.pieces.get(windowClass.id);
    if (!pieces) {
      pieces = [];
      this.pieces.set(windowClass.id, pieces);
    }
    pieces.push({ firstSlice: c.firstSlice ?? index, lastSlice: index, total: c.total, segments: live });
    if (window.type === 'time') {
      while (pieces.length > window.sizeMs / (window.hopMs ?? window.sizeMs)) pieces.shift();
    } else {
      let sum = pieces.reduce((n, p) => n + p.total, 0);
      while (pieces.length > 1 && sum - pieces[0]!.total >= window.size) sum -= pieces.shift()!.total;
    }
    const full = window.type === 'time' ? pieces.length === window.sizeMs / (window.hopMs ?? window.sizeMs) : pieces.reduce((n, p) => n + p.total, 0) >= window.size;
    this.membersDirty = true;
    const fresh = live;
    if (!full) {
      for (const key of [...fresh.keys()].sort()) this.bootstrap(windowClass, key, fresh.get(key)!, ctx);
    } else {
      const bounds = { index: c.windows, start: pieces[0]!.firstSlice * this.group.sliceMs, end: (index + 1) * this.group.sliceMs };
      const keys = new Set<string>();
      for (const piece of pieces) for (const key of piece.segments.keys()) keys.add(key);
      const empty: LiveSegment = { count: 0, sketches: new Map(), offsets: new Map() };
      for (const key of [...keys].sort()) {
        const segment = mergePieces(pieces, key);
        const offsets: PartitionRange[] = [...segment.offsets]
          .sort((a, b) => a[0] - b[0])
          .map(([partition, [first, last]]) => ({ topic: this.group.featureTopic, partition, startOffset: Number(first), endOffset: Number(last) + 1 }));
        const newest = fresh.get(key) ?? empty;
        const bootstrapReference = this.bootstrap(windowClass, key, newest, ctx);
        // The hops' own sketches, newest first, for the recent-change scan.
        const hops = pieces.map((p) => p.segments.get(key)?.sketches ?? EMPTY_SKETCHES).reverse();
        for (const model of windowClass.models) {
          this.judgeMember(model, key, bounds, segment, offsets, bootstrapReference.get(model.triggers.drift.bootstrapEvents) ?? null, disabled.has(model.id), ctx, output, { start: (c.firstSlice ?? index) * this.group.sliceMs, count: newest.count, hops });
        }
      }
    }
    this.state.classes[windowClass.id] = { windows: c.windows + (full ? 1 : 0), firstSlice: null, lastSlice: index, total: 0, disabled: [], segments: {} };
    this.live.set(windowClass.id, new Map());
  }

  /**
   * The bootstrap references (by bootstrapEvents) the class's models without a
   * champion use: built once per (class, bootstrapEvents, segment) from the first
   * windows, until they hold bootstrapEvents events. Windows that feed a
   * bootstrap are not judged against it.
   */
  private bootstrap(windowClass: WindowClass, segment: string, window: LiveSegment, ctx: JudgeContext): Map<number, Record<string, FeatureReference> | null> {
    const out = new Map<number, Record<string, FeatureReference> | null>();
    const needed = windowClass.models.filter((m) => ctx.champion(this.memberId(m, segment)) === undefined);
    for (const events of new Set(needed.map((m) => m.triggers.drift.bootstrapEvents))) {
      const bySegment = (this.state.bootstraps[`${windowClass.id}/${events}`] ??= {});
      const current = bySegment[segment];
      if (current && 'reference' in current) {
        out.set(events, current.reference);
        continue;
      }
      out.set(events, null);
      const sketches = new Map<string, FeatureSketch>();
      if (current) for (const [name, state] of Object.entries(current.sketches)) sketches.set(name, sketchFromJSON(state));
      for (const [name, sketch] of window.sketches) mergeInto(sketches, name, sketchFromJSON(sketch.toJSON()));
      const count = (current?.count ?? 0) + window.count;
      if (count >= events) {
        const reference: Record<string, FeatureReference> = {};
        for (const [name, sketch] of sketches) reference[name] = sketch.kind === 'numeric' ? (sketch as NumericSketch).toReference(DEFAULT_BINS) : (sketch as CategoricalCounts).toReference(DEFAULT_MAX_CATEGORIES);
        bySegment[segment] = { reference };
      } else {
        bySegment[segment] = { count, sketches: Object.fromEntries([...sketches].map(([name, s]) => [name, s.toJSON()])) };
      }
    }
    return out;
  }

  private judgeMember(
    model: ModelSpec,
    segment: string,
    window: { index: number; start: number; end: number },
    merged: LiveSegment,
    offsets: PartitionRange[],
    bootstrap: Record<string, FeatureReference> | null,
    disabled: boolean,
    ctx: JudgeContext,
    output: JudgeOutput,
    /** Sliding windows: the newest hop's start and events (what the window adds to the volume history and the fraud rate); else the window's. */
    fresh: { readonly start: number; readonly count: number; readonly hops?: readonly ReadonlyMap<string, FeatureSketch>[] } = { start: window.start, count: merged.count },
  ): void {
    const member = this.member(model, segment);
    const modelId = this.memberId(model, segment);
    const policy = model.triggers.drift;
    member.history.push([fresh.start, window.end, fresh.count]);
    while (member.history.length > MAX_HISTORY) {
      const [a, b] = member.history.splice(0, 2) as [[number, number, number], [number, number, number]];
      member.history.unshift([a[0], b[1], a[2] + b[2]]);
    }

    const champion = ctx.champion(modelId);
    let reference: Reference | null = null;
    if (champion) {
      reference = {
        features: Object.fromEntries(champion.profile.features.map((f) => [f.name, profileToReference(f)])),
        score: champion.profile.score ? profileToReference(champion.profile.score) : null,
        labelRate: champion.profile.labelRate,
        labelledRows: champion.profile.labelledRows,
        bootstrap: false,
        importance: profileImportance(champion.profile.features),
      };
    } else if (bootstrap) {
      const features: Record<string, FeatureReference> = {};
      for (const spec of model.data.features) {
        const ref = spec.type === 'categorical' ? bootstrap[`c:${spec.name}`] : spec.type === 'numeric' ? bootstrap[`n:${spec.name}`] : (bootstrap[`n:${spec.name}`] ?? bootstrap[`c:${spec.name}`]);
        if (ref) features[spec.name] = ref;
      }
      const score = model.data.scoreField ? ((bootstrap[`n:${model.data.scoreField}`] as NumericReference | undefined) ?? null) : null;
      reference = { features, score, labelRate: null, labelledRows: null, bootstrap: true };
    }

    let drifted: boolean | null = null;
    const statistics: FeatureStatistic[] = [];
    let evidence = null;
    if (reference && policy.enabled && !disabled) {
      // count: the events the window's labels came with (fraud rate): the newest hop's when sliding.
      const judged = driftEvidence(model, reference, { start: window.start, end: window.end, count: fresh.count, sketches: merged.sketches, ...(fresh.hops ? { hops: fresh.hops } : {}) }, offsets, member.windowLabels, statistics);
      evidence = judged.evidence;
      drifted = judged.drifted;
      member.consecutive = drifted ? member.consecutive + 1 : 0;
    }

    const matured = this.maturedEvents(model, member, window.end, champion);
    // Family members become models once they have enough matured labels; the overflow member never does.
    const eligible = segment !== OVERFLOW_SEGMENT && (!model.family || champion !== undefined || matured >= model.family.minMaturedLabels);
    const championVersion = champion?.version ?? 0;
    const performance = this.performance(model, segment, window.end, champion);
    const observed = observe(member.attempts, championVersion, (requestId) => ctx.outcome(requestId), window.end);
    member.attempts = observed.state;
    delete member.firedVolumeFor;
    delete member.firedAgeFor;
    const attempts = observed.state;
    const decision = decide(
      {
        window,
        drift: { held: drifted === true && member.consecutive >= policy.consecutiveWindows, evidence },
        volume: {
          enabled: model.triggers.volume.enabled,
          matured,
          positives: member.labels.positives,
          threshold: model.triggers.volume.minNewLabels,
          since: champion?.dataWindowEnd ?? member.history[0]?.[0] ?? window.start,
        },
        age: { maxAgeMs: model.triggers.maxAgeMs, champion: champion ? { version: champion.version, promotedAt: champion.promotedAt, dataWindowEnd: champion.dataWindowEnd } : null },
        ...(performance ? { performance } : {}),
        championVersion,
        attempts,
      },
      {
        eligible,
        inFlight: ctx.inFlight(modelId),
        attempts,
        refire: model.triggers.refire,
        lastRequestAt: member.lastRequestAt,
        cooldownMs: model.triggers.cooldownMs,
        windowEnd: window.end,
      },
    );
    member.windowLabels = { labels: 0, positives: 0 };
    if (decision.fired && decision.suppressed === null) {
      const request = this.request(model, modelId, segment, decision.fired, window, champion);
      output.requests.push(request);
      member.lastRequestAt = window.end;
      member.attempts = requested(attempts, request.requestId, request.reason, window.end);
      if (decision.fired.reason === 'DRIFT') member.consecutive = 0;
    }
    const learntRequest = observed.learnt !== null ? attempts.last : null;
    output.verdicts.push({
      modelId,
      catalogId: model.id,
      window,
      events: merged.count,
      drifted,
      statistics,
      suppressed: decision.fired ? decision.suppressed : null,
      why: decision.why,
      attempt: decision.fired?.attempt ?? attempts.failures,
      learnt: learntRequest && observed.learnt ? { requestId: learntRequest.requestId, outcome: observed.learnt } : null,
      dataToModelLagMs: observed.championChanged && champion?.dataWindowEnd != null ? window.end - champion.dataWindowEnd : null,
      performance: performance?.evidence ?? null,
    });
  }

  /**
   * PERFORMANCE for a member at the window ending `windowEnd`: judged only with
   * a champion, and once every label partition has passed the window's end (so
   * each label the window may count has arrived; performance.ts).
   */
  private performance(model: ModelSpec, segment: string, windowEnd: number, champion: Champion | undefined): PerformanceVerdict | null {
    const state = this.state.performance;
    const spec = this.group.performance;
    if (!state || !spec || !model.triggers.performance.enabled || !champion) return null;
    const horizon = labelHorizon(state, this.group.idlePartitionTimeoutMs);
    if (horizon === null || horizon < windowEnd) return { breached: false, evidence: null, why: 'labels not yet read up to the window end' };
    return judgePerformance(model.triggers.performance, champion.metrics, realised(model, spec, state, segment, windowEnd));
  }

  private maturedEvents(model: ModelSpec, member: MemberState, now: number, champion: Champion | undefined): number {
    const since = champion?.dataWindowEnd ?? -Infinity;
    const maturedBefore = now - model.data.labelMaturityMs;
    let matured = 0;
    for (const [start, end, count] of member.history) if (start >= since && end <= maturedBefore) matured += count;
    return matured;
  }

  private request(model: ModelSpec, modelId: string, segment: string, fired: Fired, window: { start: number; end: number }, champion: Champion | undefined): RetrainRequested {
    return {
      requestId: requestIdFor(modelId, fired.reason, ...fired.key),
      modelId,
      segment: model.family ? segment : null,
      reason: fired.reason,
      requestedAt: window.end,
      window: { startTime: window.end - model.training.lookbackMs, endTime: window.end, partitions: [] },
      drift: fired.drift,
      volume: fired.volume,
      age: fired.age,
      performance: fired.performance,
      championVersion: champion?.version ?? null,
      hyperparameters: null,
      requestedBy: 'trigger',
      // The wall clock is the adapter's: app.ts stamps it when it publishes.
      emittedAt: null,
    };
  }
}
