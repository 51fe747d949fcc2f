import { NO_SLICE } from './ingest';
import type { FeaturePartial, SegmentSummary } from './partials';

/**
 * The judge's view of a feature topic's partitions for one (group, shard): which
 * slices each partition has closed, and the slice contributions not yet judged.
 *
 * Slice s is complete when every partition has closed through s or is idle, and
 * at least one has closed through it. A partition is idle when its last final
 * record said it was caught up (its ingest consumer at the end of the log) and
 * its watermark is more than the group's idle timeout behind the newest
 * watermark of the topic; a partition no ingest has reported yet holds slices
 * back (it may be unread rather than empty), until a heartbeat says it is caught
 * up. Every input to this decision is in the partials log, and the state is
 * checkpointed with the judge's offsets, so a replay decides the same.
 *
 * Contributions for slices already judged (a partition back from idleness, or
 * from behind) are late: counted per partition, not used.
 */

export interface PartitionProgress {
  closedThrough: number;
  watermark: number;
  caughtUp: boolean;
}

export interface Contribution {
  total: number;
  disabled: string[];
  segments: Record<string, SegmentSummary>;
}

export interface SliceState {
  partitions: number;
  progress: Record<string, PartitionProgress>;
  /** slice index → partition → contribution. */
  pending: Record<string, Record<string, Contribution>>;
  judgedThrough: number;
  /** Late contributions (events) per partition. */
  late: Record<string, number>;
  /** Partitions ruled idle when the last slice was judged (for metrics and logs). */
  idle: number[];
}

export function newSliceState(): SliceState {
  return { partitions: 0, progress: {}, pending: {}, judgedThrough: NO_SLICE, late: {}, idle: [] };
}

export class SliceAssembler {
  constructor(
    readonly state: SliceState,
    private readonly idleTimeoutMs: number,
  ) {}

  add(partial: FeaturePartial): void {
    const state = this.state;
    state.partitions = Math.max(state.partitions, partial.partitions);
    const source = String(partial.partition);
    for (const slice of partial.slices) {
      if (slice.index <= state.judgedThrough) {
        state.late[source] = (state.late[source] ?? 0) + slice.segments.reduce((n, s) => n + s.count, 0);
        continue;
      }
      const bySource = (state.pending[String(slice.index)] ??= {});
      const contribution = (bySource[source] ??= { total: 0, disabled: [], segments: {} });
      contribution.total = slice.total;
      contribution.disabled = [...new Set([...contribution.disabled, ...slice.disabled])].sort();
      for (const segment of slice.segments) contribution.segments[segment.key] = segment;
    }
    if (partial.final) {
      const previous = state.progress[source];
      state.progress[source] = {
        closedThrough: Math.max(previous?.closedThrough ?? NO_SLICE, partial.closedThrough),
        watermark: Math.max(previous?.watermark ?? NO_SLICE, partial.watermark),
        caughtUp: partial.caughtUp,
      };
    }
  }

  /**
   * Whether every partition of the topic has reported, in its last final
   * record, that its ingest consumer was at the end of the log: nothing more is
   * in flight for this (group, shard) until new events arrive.
   */
  inputsCaughtUp(): boolean {
    const state = this.state;
    if (state.partitions === 0) return false;
    for (let p = 0; p < state.partitions; p++) if (state.progress[String(p)]?.caughtUp !== true) return false;
    return true;
  }

  /** Partitions that do not hold slices back now. */
  idlePartitions(): number[] {
    const entries = Object.entries(this.state.progress);
    const newest = Math.max(NO_SLICE, ...entries.map(([, p]) => p.watermark));
    return entries
      .filter(([, p]) => p.caughtUp && (p.watermark === NO_SLICE ? newest > NO_SLICE : newest - p.watermark > this.idleTimeoutMs))
      .map(([k]) => Number(k))
      .sort((a, b) => a - b);
  }

  /** Complete slices not yet judged, ascending; each is taken with take(). */
  completeSlices(): number[] {
    const state = this.state;
    if (state.partitions === 0) return [];
    const idle = new Set(this.idlePartitions());
    let through = Number.MAX_SAFE_INTEGER;
    let anyActive = false;
    for (let p = 0; p < state.partitions; p++) {
      const progress = state.progress[String(p)];
      if (idle.has(p)) continue;
      if (!progress) return [];
      anyActive = true;
      through = Math.min(through, progress.closedThrough);
    }
    if (!anyActive) {
      // Every partition idle: the slices some partition has closed are complete.
      through = Math.max(NO_SLICE, ...Object.values(state.progress).map((p) => p.closedThrough));
    }
    state.idle = [...idle];
    return Object.keys(state.pending)
      .map(Number)
      .filter((index) => index <= through)
      .sort((a, b) => a - b);
  }

  /** The contributions of a complete slice in partition order; marks it judged. */
  take(index: number): { partition: number; contribution: Contribution }[] {
    const bySource = this.state.pending[String(index)] ?? {};
    delete this.state.pending[String(index)];
    this.state.judgedThrough = Math.max(this.state.judgedThrough, index);
    // Anything pending below a judged slice can no longer be used: count it late.
    for (const key of Object.keys(this.state.pending)) {
      if (Number(key) < index) {
        for (const [source, c] of Object.entries(this.state.pending[key]!)) {
          this.state.late[source] = (this.state.late[source] ?? 0) + Object.values(c.segments).reduce((n, s) => n + s.count, 0);
        }
        delete this.state.pending[key];
      }
    }
    return Object.keys(bySource)
      .map(Number)
      .sort((a, b) => a - b)
      .map((partition) => ({ partition, contribution: bySource[String(partition)]! }));
  }
}
