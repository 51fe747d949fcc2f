import type { FeatureSketchState } from './sketch';

/**
 * What stage 1 (ingest, per input partition) tells stage 2 (judge, per model):
 * the summaries of the windows that partition has closed, and how far it has
 * closed. Stage 2 judges window w once every partition of the feature topic has
 * closed through w. JSON on the internal partials topic, keyed by model id.
 */

export interface SegmentSummary {
  count: number;
  minTime: number;
  maxTime: number;
  firstOffset: string;
  lastOffset: string;
  features: Record<string, FeatureSketchState>;
  score: FeatureSketchState | null;
}

export interface WindowSummary {
  index: number;
  /** Event-time bounds: the window's for time windows, the observed ones for count windows. */
  start: number;
  end: number;
  /** '' for a global model; the segment value for a family member. */
  segments: Record<string, SegmentSummary>;
}

export interface FeaturePartial {
  readonly v: 1;
  readonly kind: 'features';
  readonly model: string;
  readonly topic: string;
  readonly partition: number;
  /** Partitions of the feature topic: stage 2 waits for all of them. */
  readonly partitions: number;
  /** Every window with index <= closedThrough is final for this partition. */
  readonly closedThrough: number;
  readonly watermark: number;
  readonly windows: WindowSummary[];
}

export interface LabelCounts {
  labels: number;
  positives: number;
  maxTime: number;
}

export interface LabelPartial {
  readonly v: 1;
  readonly kind: 'labels';
  readonly model: string;
  readonly topic: string;
  readonly partition: number;
  readonly watermark: number;
  /** Label counts by segment ('' for global) since this partition's previous partial. */
  readonly segments: Record<string, LabelCounts>;
}

export type Partial = FeaturePartial | LabelPartial;

export function encodePartial(partial: Partial): Buffer {
  return Buffer.from(JSON.stringify(partial));
}

export function decodePartial(buffer: Buffer | null): Partial {
  if (buffer === null) throw new Error('empty partial');
  const value = JSON.parse(buffer.toString()) as Partial;
  if (value.v !== 1 || (value.kind !== 'features' && value.kind !== 'labels')) throw new Error('not a trigger partial (v1)');
  return value;
}
