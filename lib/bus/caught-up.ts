import type { ConsumerGroupTopics, EventBus } from './types';

/**
 * Whether every group has committed the end of every topic it reads (a
 * partition it never committed counts as offset 0, so an empty one needs no
 * commit). The demo's lockstep and the throughput bench's probe both ask this.
 */
export async function groupsCaughtUp(bus: EventBus, groups: readonly ConsumerGroupTopics[]): Promise<boolean> {
  for (const { groupId, topics } of groups) {
    for (const topic of topics) {
      const [end, committed] = await Promise.all([bus.endOffsets(topic), bus.committedOffsets(groupId, topic)]);
      for (const [partition, offset] of end) if (BigInt(committed.get(partition) ?? '0') < BigInt(offset)) return false;
    }
  }
  return true;
}
