import { ErrorCodes, RoundhouseError } from '../../../lib/errors';
import type { ModelSpec, WindowSpec } from '../../../lib/catalog';
import type { FeatureRecordPlan, LabelRecordPlan } from './extract';
import { readCategorical, readLabel, readNumeric, readSegment, readTime } from './extract';
import type { FeaturePartial, LabelCounts, LabelPartial, SegmentSummary, WindowSummary } from './partials';
import { CategoricalCounts, FeatureSketch, NumericSketch, sketchFromJSON } from './sketch';

const isoOrNumber = (t: number): string => (Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(t).toISOString() : String(t));

/**
 * Stage 1: one instance per input partition. Assigns each event to its model's
 * window (tumbling by event time, or by count: a count window of N events takes
 * ceil(N / P) events from each of the topic's P partitions), summarises windows
 * with reference-free sketches, and closes a time window once the partition's
 * watermark (the largest event time seen) has passed its end plus the allowed
 * lateness. Events for an already-closed window are late and counted, not used.
 * Deterministic: the same events in the same order give the same partials.
 */

interface OpenSegment {
  count: number;
  minTime: number;
  maxTime: number;
  firstOffset: string;
  lastOffset: string;
  features: Map<string, FeatureSketch>;
  score: NumericSketch | null;
}

interface OpenWindow {
  index: number;
  start: number;
  end: number;
  segments: Map<string, OpenSegment>;
}

interface ModelTrack {
  /** Events of this model seen in this partition (count windows). */
  seq: number;
  closedThrough: number;
  /** closedThrough already reported to stage 2. */
  reported: number;
  open: Map<number, OpenWindow>;
  closed: WindowSummary[];
  late: number;
}

export interface IngestState {
  readonly v: 1;
  readonly topic: string;
  readonly partition: number;
  readonly watermark: number;
  readonly models: Record<
    string,
    { seq: number; closedThrough: number; reported: number; late: number; open: WindowSummary[]; closed: WindowSummary[] }
  >;
  readonly labels: Record<string, Record<string, LabelCounts>>;
}

export interface IngestOptions {
  readonly topic: string;
  readonly partition: number;
  readonly partitions: number;
  readonly models: readonly ModelSpec[];
}

const NO_WINDOW = -1;

function perPartitionCount(window: Extract<WindowSpec, { type: 'count' }>, partitions: number): number {
  return Math.max(1, Math.ceil(window.size / partitions));
}

export class IngestPartition {
  private watermark = -Infinity;
  private readonly tracks = new Map<string, ModelTrack>();
  private readonly labels = new Map<string, Map<string, LabelCounts>>();
  private readonly models: Map<string, ModelSpec>;

  constructor(
    private readonly options: IngestOptions,
    state?: IngestState,
  ) {
    this.models = new Map(options.models.map((m) => [m.id, m]));
    for (const model of options.models) {
      this.tracks.set(model.id, { seq: 0, closedThrough: NO_WINDOW, reported: NO_WINDOW - 1, open: new Map(), closed: [], late: 0 });
    }
    if (state) this.restore(state);
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  lateEvents(model: string): number {
    return this.tracks.get(model)?.late ?? 0;
  }

  /**
   * Add one feature event for every model whose feature topic this is. Throws
   * EVENT_TIME_OUT_OF_RANGE (the caller dead-letters the event, nothing is
   * counted) when its event time is beyond max(watermark, record timestamp) +
   * the model's allowed future skew — one event in microseconds would otherwise
   * move the watermark to year 57971 and make every later event late — or when
   * it is behind every window still open (late for every model). Both bounds
   * come from the log and the checkpoint, so a replay decides the same.
   */
  addFeature(row: Readonly<Record<string, unknown>>, key: Buffer | null, offset: string, plans: ReadonlyMap<string, FeatureRecordPlan>, recordTimestamp = -Infinity): void {
    const first = plans.values().next();
    if (first.done) return;
    const eventTime = readTime(row, first.value.eventTimeField, first.value.timeScale);
    this.checkEventTime(eventTime, recordTimestamp, plans);
    for (const [modelId, plan] of plans) {
      const model = this.models.get(modelId)!;
      const track = this.tracks.get(modelId)!;
      const window = model.triggers.drift.window;
      let index: number;
      let start: number;
      let end: number;
      if (window.type === 'time') {
        index = Math.floor(eventTime / window.sizeMs);
        if (index <= track.closedThrough) {
          track.late++;
          continue;
        }
        start = index * window.sizeMs;
        end = start + window.sizeMs;
      } else {
        index = Math.floor(track.seq / perPartitionCount(window, this.options.partitions));
        start = eventTime;
        end = eventTime + 1;
      }
      track.seq++;
      let open = track.open.get(index);
      if (!open) {
        open = { index, start, end, segments: new Map() };
        track.open.set(index, open);
      }
      if (window.type === 'count') {
        open.start = Math.min(open.start, eventTime);
        open.end = Math.max(open.end, eventTime + 1);
      }
      const segmentKey = plan.segmentField === null ? '' : (readSegment(row, plan.segmentField, key) ?? '');
      let segment = open.segments.get(segmentKey);
      if (!segment) {
        segment = { count: 0, minTime: eventTime, maxTime: eventTime, firstOffset: offset, lastOffset: offset, features: new Map(), score: plan.scoreField ? new NumericSketch() : null };
        for (const feature of plan.features) segment.features.set(feature.name, feature.kind === 'numeric' ? new NumericSketch() : new CategoricalCounts());
        open.segments.set(segmentKey, segment);
      }
      segment.count++;
      if (eventTime < segment.minTime) segment.minTime = eventTime;
      if (eventTime > segment.maxTime) segment.maxTime = eventTime;
      segment.lastOffset = offset;
      for (const feature of plan.features) {
        const sketch = segment.features.get(feature.name)!;
        if (sketch.kind === 'numeric') sketch.add(feature.present ? readNumeric(row, feature.name) : null);
        else sketch.add(feature.present ? readCategorical(row, feature.name) : null);
      }
      if (segment.score && plan.scoreField) segment.score.add(readNumeric(row, plan.scoreField));
      if (window.type === 'count' && track.seq % perPartitionCount(window, this.options.partitions) === 0) {
        this.closeThrough(track, index);
      }
    }
    if (eventTime !== undefined && eventTime > this.watermark) {
      this.watermark = eventTime;
      this.closeByWatermark();
    }
  }

  private checkEventTime(eventTime: number, recordTimestamp: number, plans: ReadonlyMap<string, FeatureRecordPlan>): void {
    const reference = Math.max(this.watermark, recordTimestamp);
    let lateForAll = true;
    for (const modelId of plans.keys()) {
      const model = this.models.get(modelId)!;
      if (Number.isFinite(reference) && eventTime > reference + model.data.allowedFutureSkewMs) {
        throw new RoundhouseError(
          ErrorCodes.EVENT_TIME_OUT_OF_RANGE,
          `event time ${isoOrNumber(eventTime)} is more than ${model.data.allowedFutureSkewMs} ms (data.allowedFutureSkew of ${modelId}) ahead of the partition's watermark ${isoOrNumber(this.watermark)} and the record's timestamp ${isoOrNumber(recordTimestamp)}`,
          { retriable: false, context: { eventTime, watermark: this.watermark, recordTimestamp, model: modelId } },
        );
      }
      const window = model.triggers.drift.window;
      if (window.type === 'count' || Math.floor(eventTime / window.sizeMs) > this.tracks.get(modelId)!.closedThrough) lateForAll = false;
    }
    if (lateForAll) {
      for (const modelId of plans.keys()) this.tracks.get(modelId)!.late++;
      throw new RoundhouseError(
        ErrorCodes.EVENT_TIME_OUT_OF_RANGE,
        `event time ${isoOrNumber(eventTime)} is behind every open window (partition watermark ${isoOrNumber(this.watermark)}, beyond each model's allowed lateness)`,
        { retriable: false, context: { eventTime, watermark: this.watermark } },
      );
    }
  }

  /** Count one label event for every model whose label topic this is. */
  addLabel(row: Readonly<Record<string, unknown>>, key: Buffer | null, plans: ReadonlyMap<string, LabelRecordPlan>): void {
    for (const [modelId, plan] of plans) {
      const labelTime = readTime(row, plan.labelTimeField, plan.timeScale);
      const positive = readLabel(row, plan.labelField);
      const segmentKey = this.models.get(modelId)!.family ? (readSegment(row, plan.segmentField, key) ?? '') : '';
      let bySegment = this.labels.get(modelId);
      if (!bySegment) {
        bySegment = new Map();
        this.labels.set(modelId, bySegment);
      }
      const counts = bySegment.get(segmentKey) ?? { labels: 0, positives: 0, maxTime: -Infinity };
      counts.labels++;
      if (positive) counts.positives++;
      counts.maxTime = Math.max(counts.maxTime, labelTime);
      bySegment.set(segmentKey, counts);
      if (labelTime > this.watermark) this.watermark = labelTime;
    }
  }

  private closeByWatermark(): void {
    for (const [modelId, track] of this.tracks) {
      const window = this.models.get(modelId)!.triggers.drift.window;
      if (window.type !== 'time') continue;
      // The last window whose end + lateness is at or before the watermark.
      const closable = Math.floor((this.watermark - window.allowedLatenessMs) / window.sizeMs) - 1;
      if (closable > track.closedThrough) this.closeThrough(track, closable);
    }
  }

  private closeThrough(track: ModelTrack, index: number): void {
    const indexes = [...track.open.keys()].filter((i) => i <= index).sort((a, b) => a - b);
    for (const i of indexes) {
      track.closed.push(summarise(track.open.get(i)!));
      track.open.delete(i);
    }
    track.closedThrough = Math.max(track.closedThrough, index);
  }

  /** Partials to publish now (closed windows, progress, label counts); clears them. */
  drain(): (FeaturePartial | LabelPartial)[] {
    const out: (FeaturePartial | LabelPartial)[] = [];
    for (const [modelId, track] of this.tracks) {
      if (track.closed.length === 0 && track.closedThrough === track.reported) continue;
      if (track.closedThrough === NO_WINDOW && track.closed.length === 0) continue;
      out.push({
        v: 1,
        kind: 'features',
        model: modelId,
        topic: this.options.topic,
        partition: this.options.partition,
        partitions: this.options.partitions,
        closedThrough: track.closedThrough,
        watermark: this.watermark,
        windows: track.closed,
      });
      track.closed = [];
      track.reported = track.closedThrough;
    }
    for (const [modelId, bySegment] of this.labels) {
      if (bySegment.size === 0) continue;
      out.push({
        v: 1,
        kind: 'labels',
        model: modelId,
        topic: this.options.topic,
        partition: this.options.partition,
        watermark: this.watermark,
        segments: Object.fromEntries([...bySegment].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
      });
    }
    this.labels.clear();
    return out;
  }

  toJSON(): IngestState {
    const models: IngestState['models'] = {};
    for (const [modelId, track] of this.tracks) {
      models[modelId] = {
        seq: track.seq,
        closedThrough: track.closedThrough,
        reported: track.reported,
        late: track.late,
        open: [...track.open.values()].sort((a, b) => a.index - b.index).map(summarise),
        closed: track.closed,
      };
    }
    const labels: IngestState['labels'] = {};
    for (const [modelId, bySegment] of this.labels) labels[modelId] = Object.fromEntries(bySegment);
    return { v: 1, topic: this.options.topic, partition: this.options.partition, watermark: this.watermark, models, labels };
  }

  private restore(state: IngestState): void {
    this.watermark = state.watermark ?? -Infinity;
    for (const [modelId, saved] of Object.entries(state.models)) {
      const track = this.tracks.get(modelId);
      if (!track) continue; // a model removed from the catalog
      track.seq = saved.seq;
      track.closedThrough = saved.closedThrough;
      track.reported = saved.reported;
      track.late = saved.late;
      track.closed = saved.closed;
      for (const window of saved.open) track.open.set(window.index, reopen(window));
    }
    for (const [modelId, bySegment] of Object.entries(state.labels)) {
      this.labels.set(modelId, new Map(Object.entries(bySegment)));
    }
  }
}

function summarise(window: OpenWindow): WindowSummary {
  const segments: Record<string, SegmentSummary> = {};
  for (const [key, s] of [...window.segments].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const features: SegmentSummary['features'] = {};
    for (const [name, sketch] of s.features) features[name] = sketch.toJSON();
    segments[key] = { count: s.count, minTime: s.minTime, maxTime: s.maxTime, firstOffset: s.firstOffset, lastOffset: s.lastOffset, features, score: s.score?.toJSON() ?? null };
  }
  return { index: window.index, start: window.start, end: window.end, segments };
}

function reopen(summary: WindowSummary): OpenWindow {
  const segments = new Map<string, OpenSegment>();
  for (const [key, s] of Object.entries(summary.segments)) {
    const features = new Map<string, FeatureSketch>();
    for (const [name, state] of Object.entries(s.features)) features.set(name, sketchFromJSON(state));
    segments.set(key, {
      count: s.count,
      minTime: s.minTime,
      maxTime: s.maxTime,
      firstOffset: s.firstOffset,
      lastOffset: s.lastOffset,
      features,
      score: s.score ? NumericSketch.fromJSON(s.score as Extract<typeof s.score, { k: 'n' }>) : null,
    });
  }
  return { index: summary.index, start: summary.start, end: summary.end, segments };
}
