import { CompressionTypes } from 'kafkajs';
import type { OutboundMessage } from '../bus';

/**
 * Values that are gzip already (every checkpoint record of the trigger) gain
 * nothing from a second gzip of the batch; the batch gzip cost the trigger's
 * commits about half their send time (measured in bench/trigger-throughput).
 * `byCodec` splits the messages of one send into the topics whose values are
 * all gzip (or tombstones) — sent uncompressed — and the rest, gzip'd as
 * before. Split by topic, in order, so every partition's records keep their
 * order.
 */
export function byCodec(messages: readonly OutboundMessage[]): { compression: CompressionTypes; messages: OutboundMessage[] }[] {
  const plain = new Set<string>();
  for (const m of messages) if (m.value !== null && !isGzip(m.value)) plain.add(m.topic);
  const precompressed = messages.filter((m) => !plain.has(m.topic));
  const rest = messages.filter((m) => plain.has(m.topic));
  return [
    { compression: CompressionTypes.GZIP, messages: rest },
    { compression: CompressionTypes.None, messages: precompressed },
  ].filter((part) => part.messages.length > 0);
}

export const isGzip = (value: Buffer): boolean => value.length >= 2 && value[0] === 0x1f && value[1] === 0x8b;
