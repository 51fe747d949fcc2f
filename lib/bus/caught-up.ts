import type { Clock } from '../clock';
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

/**
 * Waits up to `withinMs` on `clock` for a record at or past `offset` on one
 * partition: true as soon as the partition's end passes `offset` (polled every
 * `pollMs`), false once the time is up. A failed poll only means waiting on
 * (`onPollError` hears of it). `abandon` is asked before every poll: once it
 * says true (the caller lost the partition, or is stopping) the wait ends with
 * false at once. The trigger's judge uses it while it paces a
 * commit: records that arrive meanwhile are taken into the same commit, and a
 * judge with nothing more coming does not sleep out its whole pace.
 */
export async function recordsArrive(
  bus: Pick<EventBus, 'endOffsets'>,
  clock: Clock,
  where: { topic: string; partition: number; offset: string; withinMs: number; pollMs: number; onPollError?: (error: unknown) => void; abandon?: () => boolean },
): Promise<boolean> {
  const until = clock.now() + where.withinMs;
  const pollMs = Math.max(1, where.pollMs);
  for (;;) {
    const left = until - clock.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => clock.schedule(Math.min(pollMs, left), resolve));
    if (where.abandon?.() === true) return false;
    try {
      if (BigInt((await bus.endOffsets(where.topic)).get(where.partition) ?? '0') > BigInt(where.offset)) return true;
    } catch (error) {
      where.onPollError?.(error);
    }
  }
}
