import { packBySize } from '../../../lib/bus/split';
import type { ScoreSample } from './performance';
import type { FeatureSketchState } from './sketch';

/**
 * What stage 1 (ingest, per input partition) tells stage 2 (judge, per group and
 * member shard). Keyed on the partials topic by `<group>/<shard>` (groups.ts
 * judgeKey), so one judge instance sees one shard's records in order.
 *
 * Every record is bounded: a partition's closed slices are split over as many
 * records as it takes to keep each under PARTIAL_BUDGET_BYTES of JSON (a quarter
 * of Kafka's default 1 MiB message limit, before compression). Only the last
 * record of a split carries `final: true`; the judge applies the partition's
 * progress (closedThrough, watermark, caughtUp) from that record only, so a
 * judge never treats a half-delivered slice as complete.
 */

/** Largest JSON body of one partial or checkpoint chunk (before the producer's gzip). */
export const PARTIAL_BUDGET_BYTES = 256 * 1024;

export interface SegmentSummary {
  /** '' for global models; the segment value for a family member. */
  readonly key: string;
  readonly count: number;
  readonly minTime: number;
  readonly maxTime: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
  /** By sketch key (`n:<field>` numeric, `c:<field>` categorical; scores are `n:<scoreField>`). */
  readonly sketches: Readonly<Record<string, FeatureSketchState>>;
  /** PERFORMANCE: the sampled scores of this segment's events (performance.ts); absent when the group samples none. */
  readonly samples?: readonly ScoreSample[];
  /** The sample is complete for hashes below this (it held MAX_SAMPLES_PER_SUMMARY); absent: complete below the sample rate. */
  readonly sampleBelow?: number;
}

export interface SliceSummary {
  /** floor(eventTime / sliceMs): the same interval on every partition. */
  readonly index: number;
  /** Events of the group in this partition and slice, all shards together (count windows close on it). */
  readonly total: number;
  /** Models that could not read some writer schema seen in this slice: not judged on it. */
  readonly disabled: readonly string[];
  /** This shard's segments (may be split over several records). */
  readonly segments: readonly SegmentSummary[];
}

export interface FeaturePartial {
  readonly v: 2;
  readonly kind: 'features';
  readonly group: string;
  readonly shard: number;
  readonly topic: string;
  readonly partition: number;
  /** Partitions of the feature topic: the judge waits for each (or rules it idle). */
  readonly partitions: number;
  /** Every slice with index <= closedThrough is final for this partition (applied only when `final`). */
  readonly closedThrough: number;
  /** Largest event time seen on the partition. */
  readonly watermark: number;
  /** The ingest consumer had reached the end of the partition when it wrote this. */
  readonly caughtUp: boolean;
  /** Last record of this partition's commit for this shard. */
  readonly final: boolean;
  readonly slices: readonly SliceSummary[];
}

export interface LabelCounts {
  labels: number;
  positives: number;
  maxTime: number;
  /** PERFORMANCE: sampled positive labels [eventId, labelTime] (at most MAX_LABELS_PER_ENTRY per entry; a segment may have several entries). */
  sampled?: [string, number][];
}

export interface LabelPartial {
  readonly v: 2;
  readonly kind: 'labels';
  readonly group: string;
  readonly shard: number;
  readonly topic: string;
  readonly partition: number;
  /** Label counts by segment since this partition's previous partial. */
  readonly segments: readonly (readonly [string, LabelCounts])[];
  /** PERFORMANCE groups only: partitions of the label topic, this partition's largest label time and whether it was caught up (sent to every shard when they change). */
  readonly partitions?: number;
  readonly watermark?: number;
  readonly caughtUp?: boolean;
  /**
   * The input range the counts cover, on this label partition: the offset of
   * the first label event since the partition's previous partial, and the
   * offset after the last one (Kafka offsets, decimal strings). The judge keeps
   * the highest (through, part) it applied per label partition and skips a
   * partial at or below it (a redelivery: a zombie's completed commit, a replay
   * of the partials topic, a judge restored from an older checkpoint), since
   * counts are added, not set. Absent in partials written before this (and in
   * progress-only partials of a drain without label events): applied as they
   * always were, without the check.
   */
  readonly from?: string;
  readonly through?: string;
  /** Which record of the commit's split (splitLabelPartial) this is, from 0, and of how many; set with `through`. */
  readonly part?: number;
  readonly parts?: number;
}

export type Partial = FeaturePartial | LabelPartial;

export function encodePartial(partial: Partial): Buffer {
  return Buffer.from(JSON.stringify(partial));
}

export function decodePartial(buffer: Buffer | null): Partial {
  if (buffer === null) throw new Error('empty partial');
  const value = JSON.parse(buffer.toString()) as Partial;
  if (value.v !== 2 || (value.kind !== 'features' && value.kind !== 'labels')) throw new Error('not a trigger partial (v2)');
  return value;
}

/** JSON length of a value (what encodePartial or a checkpoint chunk costs before gzip). */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/**
 * One partition's closed slices and progress for one shard, as records under the
 * budget. The segments of a slice may straddle records; each record repeats the
 * slice's index, total and disabled models (the judge sets, never adds, them).
 */
export function splitFeaturePartial(partial: FeaturePartial, budget = PARTIAL_BUDGET_BYTES): FeaturePartial[] {
  // Each segment is measured once (a family's partial holds thousands): their
  // sum plus the envelope bounds the whole record's JSON, so a partial that fits
  // is not stringified here at all.
  const items = partial.slices.flatMap((slice) =>
    slice.segments.length === 0
      ? [{ slice, segment: null as SegmentSummary | null, bytes: 0 }]
      : slice.segments.map((segment) => ({ slice, segment: segment as SegmentSummary | null, bytes: jsonBytes(segment) })),
  );
  const itemBytes = (item: (typeof items)[number]): number => item.bytes + 64;
  const envelope = 512 + partial.slices.reduce((n, slice) => n + 64 + jsonBytes(slice.disabled), 0);
  if (items.reduce((n, item) => n + itemBytes(item), 0) + envelope <= budget) return [partial];
  // Every record repeats each of its slices' header (index, total, the disabled
  // models): reserve room for all of them, as a record may hold every slice.
  const chunks = packBySize(items, itemBytes, Math.max(1024, budget - envelope));
  return chunks.map((chunk, i) => {
    const slices: SliceSummary[] = [];
    for (const { slice, segment } of chunk) {
      let last = slices[slices.length - 1];
      if (!last || last.index !== slice.index) {
        last = { index: slice.index, total: slice.total, disabled: slice.disabled, segments: [] };
        slices.push(last);
      }
      if (segment) (last.segments as SegmentSummary[]).push(segment);
    }
    return { ...partial, final: i === chunks.length - 1, slices };
  });
}

/**
 * One partition's label counts for one shard, as records under the budget.
 * With an input range (`through`), each record is numbered (part of parts), so
 * the judge can tell the records of one commit apart from a redelivery.
 */
export function splitLabelPartial(partial: LabelPartial, budget = PARTIAL_BUDGET_BYTES): LabelPartial[] {
  const numbered = partial.through !== undefined;
  const whole: LabelPartial = numbered ? { ...partial, part: 0, parts: 1 } : partial;
  if (jsonBytes(whole) <= budget) return [whole];
  // The 512 bytes left over hold the envelope, numbering included.
  const pieces = packBySize(partial.segments, (entry) => jsonBytes(entry) + 1, budget - 512);
  return pieces.map((segments, i) => (numbered ? { ...partial, segments, part: i, parts: pieces.length } : { ...partial, segments }));
}
