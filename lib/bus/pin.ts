import type { PartitionRange } from '../events';
import type { EventBus } from './types';

/**
 * Pinned data: the per-partition offsets that bound a training window, fixed
 * once when the run is created (the dispatcher, for a request without them) so
 * that every attempt and rerun of the request reads the same records, however
 * many events and labels arrive in between (issue 13: "two runs of one request
 * train on byte-identical row sets").
 *
 * For each topic: from the first offset whose record timestamp is at or after
 * `startTime − slackMs` (record timestamps are not event times; the trainer
 * filters by event time) to the partition's end offset now. The feature range
 * holds the window's events that have arrived; the label range every label that
 * has, which the trainer joins as of the window's read time (core/join.ts).
 *
 * A missing topic is NOT_FOUND (the Kafka bus checks before asking for offsets).
 *
 * Size: one range per partition of the two topics (4 numbers and a topic name,
 * ~60 bytes each in Avro): 1,000 partitions is ~60 KB of the request.
 */
export const DEFAULT_TIMESTAMP_SLACK_MS = 5 * 60_000;

export interface PinnedTopics {
  readonly featureTopic: string;
  readonly labelTopic: string;
}

export async function pinWindowOffsets(bus: Pick<EventBus, 'offsetsForTime' | 'endOffsets'>, topics: PinnedTopics, startTime: number, slackMs: number = DEFAULT_TIMESTAMP_SLACK_MS): Promise<PartitionRange[]> {
  const names = [...new Set([topics.featureTopic, topics.labelTopic])];
  const ranges: PartitionRange[] = [];
  for (const topic of names) {
    // In turn, not together: offsetsForTime fails at once on a missing topic (NOT_FOUND), before
    // endOffsets would retry on it.
    const starts = await bus.offsetsForTime(topic, startTime - slackMs);
    const ends = await bus.endOffsets(topic);
    for (const [partition, end] of [...ends].sort(([a], [b]) => a - b)) {
      const endOffset = Number(end);
      ranges.push({ topic, partition, startOffset: Math.min(Number(starts.get(partition) ?? 0), endOffset), endOffset });
    }
  }
  return ranges;
}
