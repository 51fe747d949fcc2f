import type { Clock } from '../../../lib/clock';
import type { EventBus, InboundMessage } from '../../../lib/bus';
import { readToEnd } from '../../../lib/bus';
import type { Logger } from '../../../lib/log';

/**
 * Reads a topic from the beginning to its end as of the call: how the dispatcher
 * rebuilds its runs at start-up from roundhouse.training-runs.
 */
export interface RunLogReader {
  readToEnd(topic: string): Promise<readonly InboundMessage[]>;
}

export interface BusRunLogOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long the read may take before start-up fails with a retriable TIMEOUT (default 120 s). */
  readonly timeoutMs?: number;
}

/**
 * Read-to-end over any EventBus with lib/bus readToEnd: from each partition's log
 * start (a partition retention emptied is done at once) to the end offsets taken
 * when the read began, with no consumer group. Messages come back in partition,
 * then offset order.
 */
export function busRunLog(bus: EventBus, options: BusRunLogOptions): RunLogReader {
  return {
    async readToEnd(topic) {
      const started = options.clock.now();
      const collected: InboundMessage[] = [];
      await readToEnd(bus, topic, {
        clock: options.clock,
        timeoutMs: options.timeoutMs ?? 120_000,
        onMessages: (messages) => {
          collected.push(...messages);
        },
      });
      options.logger.debug({ topic, messages: collected.length, ms: options.clock.now() - started }, 'read the run log to its end');
      return collected.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    },
  };
}
