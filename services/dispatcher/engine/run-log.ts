import type { InboundMessage, MemoryEventBus } from '../../../lib/bus';

/**
 * Reads a topic from the beginning to its current end: how the dispatcher
 * rebuilds its runs at start-up from roundhouse.training-runs. Our EventBus has
 * no "end of partition" notion (an empty partition never delivers a batch), so
 * this is a separate port: the Kafka adapter asks the broker for the end offsets
 * first (adapters/kafka-run-log.ts), the memory one reads the log directly.
 */
export interface RunLogReader {
  readToEnd(topic: string): Promise<readonly InboundMessage[]>;
}

export function memoryRunLog(bus: MemoryEventBus): RunLogReader {
  return { readToEnd: async (topic) => bus.messages(topic) };
}
