import type { OffsetRange } from '../../../lib/bus';
import type { PartitionRange } from '../../../lib/events';

/**
 * Which offsets to read. The run spec may name them (the trigger saw them);
 * otherwise every partition of the topic from the first offset whose record
 * timestamp is at or after (window start − slack) to the end at reading time.
 * Record timestamps are producer or broker times, not event times, so the
 * reader still filters by the event-time field; the slack covers producers whose
 * clocks run behind the events they send.
 */
export function rangesFor(
  topic: string,
  given: readonly PartitionRange[],
  starts: ReadonlyMap<number, string> | null,
  ends: ReadonlyMap<number, string>,
): PartitionRange[] {
  const named = given.filter((r) => r.topic === topic);
  if (named.length > 0) return [...named].sort((a, b) => a.partition - b.partition);
  return [...ends]
    .sort(([a], [b]) => a - b)
    .map(([partition, end]) => {
      const endOffset = Number(end);
      const startOffset = Math.min(Number(starts?.get(partition) ?? 0), endOffset);
      return { topic, partition, startOffset, endOffset };
    });
}

/** Whether the spec names offsets for this topic (then no broker look-up is needed). */
export function namesTopic(given: readonly PartitionRange[], topic: string): boolean {
  return given.some((r) => r.topic === topic);
}

export function toOffsetRanges(ranges: readonly PartitionRange[]): OffsetRange[] {
  return ranges.map((r) => ({ partition: r.partition, startOffset: String(r.startOffset), endOffset: String(r.endOffset) }));
}
