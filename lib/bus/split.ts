import type { OutboundMessage } from './types';

/**
 * How both buses cut one logical send (a publish, or a transaction's outputs)
 * into produce requests. A broker refuses a partition's record batch above
 * max.message.bytes (1 MiB by default, measured after compression), and kafkajs
 * puts everything one sendBatch holds for a partition into one batch; so a
 * transaction with a few 300 KiB records for one partition was refused whole.
 * Sends of at most SEND_BUDGET_BYTES (before compression) each stay under the
 * limit whatever the compression ratio. A single record above the budget is a
 * send of its own, and the broker (or the memory bus) judges it.
 */
export const SEND_BUDGET_BYTES = 768 * 1024;

/** Bytes a record adds to a batch before compression (value, key, headers; framing left out). */
export function recordBytes(message: OutboundMessage): number {
  let n = (message.value?.length ?? 0) + (message.key === null ? 0 : Buffer.byteLength(message.key));
  for (const [k, v] of Object.entries(message.headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/**
 * Greedy packing of items into consecutive chunks of at most `budget` bytes by
 * `size`; an item larger than the budget gets a chunk of its own (whoever
 * receives it judges it, loudly). Order is kept.
 */
export function packBySize<T>(items: readonly T[], size: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && bytes + n > budget) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Consecutive runs of messages of at most `budget` bytes each (order kept). */
export function sendGroups(messages: readonly OutboundMessage[], budget = SEND_BUDGET_BYTES): OutboundMessage[][] {
  return packBySize(messages, recordBytes, budget);
}
