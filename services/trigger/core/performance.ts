import type { ModelSpec, PerformancePolicy } from '../../../lib/catalog';
import type { ModelMetrics, PerformanceEvidence } from '../../../lib/events';
import { computeMetrics } from '../../../lib/model';

/**
 * The PERFORMANCE rule's data: the serving score of a deterministic sample of
 * events, joined by event id with their positive labels, and the champion's
 * realised metric over a label window. Pure.
 *
 * Where the join happens. Feature and label topics are partitioned
 * differently (by card or merchant, by chargeback), so no ingest instance sees
 * an event and its label. Both reach the judge of their (group, member shard):
 * ingest puts the sampled scores in the slice summaries of the feature
 * partials, and the sampled positive labels in the label partials, keyed
 * `<group>/<shard>` like the rest. The judge is the one stage that sees both.
 *
 * Sampling. An event is sampled when sampleHash(eventId) < sampleRate: the
 * same events on every partition, instance and replay, and a label is kept
 * only when its event id passes the same test, so every sampled label finds its
 * score. Bounds, each explicit:
 *   - a slice summary (one segment of one partition's slice) holds at most
 *     MAX_SAMPLES_PER_SUMMARY scores (the smallest hashes; `sampleBelow` says
 *     the sample is complete below that hash), so a partial stays under its
 *     budget;
 *   - a judge shard keeps at most `maxSampled` scores: past it the hash
 *     threshold halves and the entries above it go (thinning keeps a uniform
 *     sample over the whole label window, where evicting the oldest would drop
 *     exactly the matured events the metric needs); `thinned` counts them;
 *   - at most `maxSampled` positive labels, the oldest label time evicted and
 *     counted (`labelsEvicted`);
 *   - entries older than every window still to be judged are pruned as the
 *     feature stream's event time passes (prune()).
 *
 * Maturity and clocks. The metric for the window ending W is computed on the
 * sampled events with W − labelMaturity − window < event time ≤ W −
 * labelMaturity: every one is older than the maturity, so its label is final —
 * positive when a positive label with label time ≤ W has arrived, else negative.
 * Young events are left out whatever their label (keeping young positives and
 * not their negatives would inflate the metric's positive rate). It is judged
 * only once every label partition has passed W (labelHorizon() ≥ W), so every
 * label it may count has arrived: the same W gives the same evidence on any
 * replay. Which window first meets that condition can differ when the label
 * stream is read behind the feature stream (like an idle partition), and the
 * requestId (per champion and attempt) does not depend on it.
 */

/** One sampled event on the wire and in the judge: [eventId, eventTime, hash, score per group score field]. */
export type ScoreSample = [string, number, number, ...number[]];

/** Scores one slice summary (a segment of one partition's slice) carries at most. */
export const MAX_SAMPLES_PER_SUMMARY = 2_000;

/** Positive labels one label-partial entry carries at most (label-partials split by entry). */
export const MAX_LABELS_PER_ENTRY = 4_000;

/** FNV-1a over the UTF-16 code units, then murmur3's fmix32 (FNV alone leaves similar ids in similar low bits), as a fraction in [0, 1). */
export function sampleHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** What a group samples for its models with the rule enabled (null: none has it). */
export interface GroupPerformance {
  /** The largest sampleRate of the group's models (each model judges on its own rate's subset). */
  readonly sampleRate: number;
  /** The smallest maxSampled of the group's models: the judge shard's bound. */
  readonly maxSampled: number;
  /** Distinct score fields, sorted: the order of a ScoreSample's scores. */
  readonly scoreFields: readonly string[];
  /** Largest labelMaturity + window of the models: how far behind the stream's event time an entry can still be needed. */
  readonly reachMs: number;
}

export function groupPerformance(models: readonly ModelSpec[]): GroupPerformance | null {
  const enabled = models.filter((m) => m.triggers.performance.enabled && m.data.scoreField);
  if (enabled.length === 0) return null;
  return {
    sampleRate: Math.max(...enabled.map((m) => m.triggers.performance.sampleRate)),
    maxSampled: Math.min(...enabled.map((m) => m.triggers.performance.maxSampled)),
    scoreFields: [...new Set(enabled.map((m) => m.data.scoreField!))].sort(),
    reachMs: Math.max(...enabled.map((m) => m.data.labelMaturityMs + m.triggers.performance.windowMs)),
  };
}

/**
 * Adds one sampled score to a summary's sample; past twice the bound it is
 * trimmed (trimSummarySample). Returns the new complete-below bound.
 */
export function addToSummarySample(samples: ScoreSample[], sample: ScoreSample, below: number): number {
  if (sample[2] >= below) return below;
  samples.push(sample);
  return samples.length >= 2 * MAX_SAMPLES_PER_SUMMARY ? trimSummarySample(samples, below) : below;
}

/** Keeps the MAX_SAMPLES_PER_SUMMARY smallest hashes (ties at the cut all go); returns the bound below which the sample is complete. */
export function trimSummarySample(samples: ScoreSample[], below: number): number {
  if (samples.length <= MAX_SAMPLES_PER_SUMMARY) return below;
  samples.sort((a, b) => a[2] - b[2] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const cut = samples[MAX_SAMPLES_PER_SUMMARY]![2];
  let keep = MAX_SAMPLES_PER_SUMMARY;
  while (keep > 0 && samples[keep - 1]![2] >= cut) keep--;
  samples.length = keep;
  return cut;
}

/** The judge shard's sample and labels (checkpointed with the members). */
export interface PerformanceState {
  /** The sample is complete below this hash (starts at the group's sampleRate; only ever lowered). */
  threshold: number;
  /** Scores dropped by thinning (the threshold lowered), since the state was created. */
  thinned: number;
  /** Positive labels evicted because maxSampled were held. */
  labelsEvicted: number;
  /** Member segment → its sampled scores, in arrival (slice) order. */
  samples: Record<string, ScoreSample[]>;
  /** Event id → earliest positive label time. */
  positives: Record<string, number>;
  /** Label partitions of the label topic (0 until a label partial says). */
  labelPartitions: number;
  /** Label partition → [watermark (largest label time), caught up]. */
  labelProgress: Record<string, [number, boolean]>;
}

export function newPerformanceState(spec: GroupPerformance): PerformanceState {
  return { threshold: spec.sampleRate, thinned: 0, labelsEvicted: 0, samples: {}, positives: {}, labelPartitions: 0, labelProgress: {} };
}

function sampledCount(state: PerformanceState): number {
  let n = 0;
  for (const list of Object.values(state.samples)) n += list.length;
  return n;
}

/** Lowers the threshold (never raises it), dropping what is above it. */
function lowerThreshold(state: PerformanceState, to: number): void {
  if (to >= state.threshold) return;
  state.threshold = to;
  for (const [key, list] of Object.entries(state.samples)) {
    const kept = list.filter((s) => s[2] < to);
    state.thinned += list.length - kept.length;
    if (kept.length === 0) delete state.samples[key];
    else state.samples[key] = kept;
  }
  for (const id of Object.keys(state.positives)) if (sampleHash(id) >= to) delete state.positives[id];
}

/** One slice summary's sample into a member's store (`below`: the summary's complete-below bound). */
export function addSamples(state: PerformanceState, spec: GroupPerformance, member: string, samples: readonly ScoreSample[], below: number): void {
  if (below < state.threshold) lowerThreshold(state, below);
  const list = (state.samples[member] ??= []);
  for (const s of samples) if (s[2] < state.threshold) list.push(s);
  if (list.length === 0) delete state.samples[member];
  let total = sampledCount(state);
  while (total > spec.maxSampled) {
    lowerThreshold(state, state.threshold / 2);
    total = sampledCount(state);
  }
}

/** Positive labels [eventId, labelTime] (already sampled by ingest); the earliest label time of an event is kept. */
export function addPositives(state: PerformanceState, spec: GroupPerformance, labels: readonly (readonly [string, number])[]): void {
  for (const [id, time] of labels) {
    if (sampleHash(id) >= state.threshold) continue;
    const known = state.positives[id];
    if (known === undefined || time < known) state.positives[id] = time;
  }
  const ids = Object.keys(state.positives);
  if (ids.length <= spec.maxSampled) return;
  const oldest = ids.sort((a, b) => state.positives[a]! - state.positives[b]! || (a < b ? -1 : 1)).slice(0, ids.length - spec.maxSampled);
  for (const id of oldest) delete state.positives[id];
  state.labelsEvicted += oldest.length;
}

/** A label partition's progress. */
export function addLabelProgress(state: PerformanceState, partition: number, partitions: number, watermark: number, caughtUp: boolean): void {
  state.labelPartitions = Math.max(state.labelPartitions, partitions);
  const known = state.labelProgress[String(partition)];
  state.labelProgress[String(partition)] = [Math.max(known?.[0] ?? watermark, watermark), caughtUp];
}

/**
 * Label time every label partition has reached: the smallest watermark of the
 * label partitions, leaving out those caught up and more than idleTimeoutMs
 * behind the newest (as slices.ts does for feature partitions). Null while a
 * partition has not reported.
 */
export function labelHorizon(state: PerformanceState, idleTimeoutMs: number): number | null {
  if (state.labelPartitions === 0) return null;
  const progress: [number, boolean][] = [];
  for (let p = 0; p < state.labelPartitions; p++) {
    const known = state.labelProgress[String(p)];
    if (!known) return null;
    progress.push(known);
  }
  const newest = Math.max(...progress.map((p) => p[0]));
  const active = progress.filter(([watermark, caughtUp]) => !(caughtUp && watermark < newest - idleTimeoutMs));
  return Math.min(...active.map((p) => p[0]));
}

/** Drops what no window still to be judged can use: scores of events at or before `before`, positives labelled at or before it (their events are older still). */
export function prune(state: PerformanceState, before: number): void {
  for (const [key, list] of Object.entries(state.samples)) {
    if (list.length === 0 || list[0]![1] > before) continue;
    const kept = list.filter((s) => s[1] > before);
    if (kept.length === 0) delete state.samples[key];
    else state.samples[key] = kept;
  }
  for (const [id, time] of Object.entries(state.positives)) if (time <= before) delete state.positives[id];
}

export interface Realised {
  readonly rows: number;
  readonly positives: number;
  /** Null when the metric is undefined on these rows (no positives, or no negatives). */
  readonly observed: number | null;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly sampleRate: number;
}

/** The model's realised metric at the window ending `windowEnd`, on a member's sample (see the header for which rows and labels). */
export function realised(model: ModelSpec, spec: GroupPerformance, state: PerformanceState, member: string, windowEnd: number): Realised {
  const policy = model.triggers.performance;
  const end = windowEnd - model.data.labelMaturityMs;
  const start = end - policy.windowMs;
  const rate = Math.min(policy.sampleRate, state.threshold);
  const scoreAt = 3 + spec.scoreFields.indexOf(model.data.scoreField ?? '');
  const labels: number[] = [];
  const scores: number[] = [];
  for (const s of state.samples[member] ?? []) {
    if (s[1] <= start || s[1] > end || s[2] >= rate) continue;
    const score = s[scoreAt] as number | undefined;
    if (score === undefined || !(score >= 0 && score <= 1)) continue;
    const labelled = state.positives[s[0]];
    labels.push(labelled !== undefined && labelled <= windowEnd ? 1 : 0);
    scores.push(score);
  }
  const metrics = computeMetrics(labels, scores);
  return { rows: metrics.rows, positives: metrics.positives, observed: metrics[policy.metric], windowStart: start, windowEnd: end, sampleRate: rate };
}

export interface PerformanceVerdict {
  /** The realised metric is worse than the champion's by more than maxDrop, on enough rows and positives. */
  readonly breached: boolean;
  /** Evidence whenever the metric was judged (breached or not); null when it could not be. */
  readonly evidence: PerformanceEvidence | null;
  /** Why it was not judged, for the verdict's log line. */
  readonly why: string;
}

/** Judges a realised metric against the champion's holdout figure. */
export function judgePerformance(policy: PerformancePolicy, expected: ModelMetrics | null | undefined, r: Realised): PerformanceVerdict {
  const baseline = expected?.[policy.metric];
  if (baseline === undefined || baseline === null || !Number.isFinite(baseline)) return { breached: false, evidence: null, why: `the champion has no holdout ${policy.metric}` };
  if (r.rows < policy.minRows) return { breached: false, evidence: null, why: `${r.rows} matured sampled rows < minRows ${policy.minRows}` };
  if (r.positives < policy.minPositives) return { breached: false, evidence: null, why: `${r.positives} matured positives < minPositives ${policy.minPositives}` };
  if (r.observed === null) return { breached: false, evidence: null, why: `${policy.metric} undefined on the window (one class only)` };
  const worseBy = policy.metric === 'logLoss' ? r.observed - baseline : baseline - r.observed;
  const evidence: PerformanceEvidence = {
    metric: policy.metric,
    observed: r.observed,
    baseline,
    maxDrop: policy.maxDrop,
    labelledRows: r.rows,
    positives: r.positives,
    windowStart: r.windowStart,
    windowEnd: r.windowEnd,
    sampleRate: r.sampleRate,
  };
  return { breached: worseBy > policy.maxDrop, evidence, why: `${policy.metric} ${r.observed.toFixed(4)} vs ${baseline.toFixed(4)}` };
}
