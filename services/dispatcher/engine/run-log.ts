import type { Clock } from '../../../lib/clock';
import type { EventBus, InboundMessage } from '../../../lib/bus';
import type { Logger } from '../../../lib/log';

/**
 * Reads a topic from the beginning to its end as of the call: how the dispatcher
 * rebuilds its runs at start-up from roundhouse.training-runs.
 */
export interface RunLogReader {
  readToEnd(topic: string): Promise<readonly InboundMessage[]>;
}

export interface BusRunLogOptions {
  /** A fresh consumer group per read (so it starts at the beginning); the suffix is added here. */
  readonly groupPrefix: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * A partition whose end offset is above zero but that delivers nothing (every
   * record deleted by retention) would be waited for forever: after this long
   * without progress the read ends with what it has, and says so.
   */
  readonly idleMs?: number;
}

let reads = 0;

/**
 * Read-to-end over any EventBus: ask for the end offsets first, then consume with
 * a throwaway group from the beginning until every partition has reached its end.
 * The group commits as it goes (the memory bus redelivers what is not committed);
 * nothing ever reads those offsets again.
 */
export function busRunLog(bus: EventBus, options: BusRunLogOptions): RunLogReader {
  return {
    async readToEnd(topic) {
      const ends = new Map<number, bigint>([...(await bus.endOffsets(topic))].map(([partition, end]) => [partition, BigInt(end)]));
      const remaining = new Set([...ends].filter(([, end]) => end > 0n).map(([partition]) => partition));
      if (remaining.size === 0) return [];
      const collected: InboundMessage[] = [];
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      let cancelIdle: () => void = () => undefined;
      const idleMs = options.idleMs ?? 30_000;
      const armIdle = (): void => {
        cancelIdle();
        cancelIdle = options.clock.schedule(idleMs, () => {
          options.logger.warn({ topic, partitions: [...remaining] }, `no progress reading ${topic} for ${idleMs} ms; treating the remaining partitions as read (records deleted by retention?)`);
          finish();
        });
      };
      armIdle();
      const subscription = await bus.subscribe({
        groupId: `${options.groupPrefix}-${Date.now().toString(36)}-${++reads}`,
        topics: [topic],
        fromBeginning: true,
        onBatch: async (batch, control) => {
          if (!remaining.has(batch.partition)) return;
          const end = ends.get(batch.partition)!;
          for (const message of batch.messages) if (BigInt(message.offset) < end) collected.push(message);
          // lastOffset counts trailing transaction markers too, which are never delivered as messages.
          const next = BigInt(batch.lastOffset) + 1n;
          await control.commit(next.toString(), []);
          if (next >= end) remaining.delete(batch.partition);
          armIdle();
          if (remaining.size === 0) finish();
        },
      });
      try {
        await Promise.race([done, subscription.done]);
      } finally {
        cancelIdle();
        await subscription.stop();
      }
      return collected.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    },
  };
}
