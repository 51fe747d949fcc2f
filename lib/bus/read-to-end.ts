import type { Clock } from '../clock';
import { ErrorCodes, RoundhouseError, errorCode } from '../errors';
import type { EventBus, InboundMessage, OffsetRange } from './types';

/**
 * Read a topic from the start of every partition to its end as of the call, then
 * resolve: how the trigger loads its checkpoints, the followers catch up and the
 * dispatcher rebuilds its runs (issue 11: this was written four times, three on
 * the wall clock, each with a throwaway consumer group that committed as it went).
 *
 * 1. Snapshot the end offsets. EventBus.endOffsets is the last stable offset:
 *    records of a transaction still open lie at or after it, so nothing below
 *    the end can still change, and the read never waits on an open transaction.
 *    (Committed records after an open transaction's first record are beyond it
 *    too: see CheckpointStore.load for a reader that must wait for those.)
 * 2. Take the log-start offsets and read [max(start, from), end) of each
 *    partition with readRange: nothing committed, no group of ours (the Kafka
 *    adapter joins a throwaway one inside readRange, kafkajs having no assign(),
 *    and never commits it). A partition
 *    retention has emptied (start = end) is done at once instead of being waited
 *    for, and a compacted or truncated head is simply not there to read.
 * 3. Resolve with the ends reached, so a caller can go on from there (a live
 *    subscription's initialOffsets, or a later readToEnd's `from`).
 *
 * If it takes longer than `timeoutMs` on the injected clock it rejects with a
 * TIMEOUT naming the topic and every partition left; the read under way is ended
 * at its next batch, or on Kafka by the range reader's idle guard if no batch
 * comes (readRange has no other way to be cancelled).
 */
export interface ReadToEndOptions {
  /** Each batch, in offset order per partition; awaited before the next (back-pressure). */
  readonly onMessages: (messages: readonly InboundMessage[]) => Promise<void> | void;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** Only these partitions (default: all of them). */
  readonly partitions?: readonly number[];
  /** Per partition, where to start instead of the log start (continuing an earlier read); clamped to the log start. */
  readonly from?: ReadonlyMap<number, string>;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

export async function readToEnd(bus: EventBus, topic: string, options: ReadToEndOptions): Promise<ReadonlyMap<number, string>> {
  const deadline = options.clock.now() + options.timeoutMs;
  const ends = await bus.endOffsets(topic);
  const wanted = options.partitions ?? [...ends.keys()];
  for (const partition of wanted) {
    if (!ends.has(partition)) {
      throw new RoundhouseError(ErrorCodes.NOT_FOUND, `${topic} has no partition ${partition} (it has ${ends.size})`, { context: { topic, partition } });
    }
  }
  const reached = new Map(wanted.map((partition) => [partition, ends.get(partition)!]));
  // Where each partition has got to: the read's start, then one past the last record delivered.
  const positions = new Map(wanted.map((partition) => [partition, BigInt(options.from?.get(partition) ?? '0')]));
  const left = (): number[] => wanted.filter((partition) => positions.get(partition)! < BigInt(ends.get(partition)!));
  if (left().length === 0) return reached;

  let timedOut = false;
  let cancelTimer: () => void = () => undefined;
  const timeout = new Promise<never>((_, reject) => {
    cancelTimer = options.clock.schedule(Math.max(0, deadline - options.clock.now()), () => {
      timedOut = true;
      reject(
        new RoundhouseError(
          ErrorCodes.TIMEOUT,
          `reading ${topic} to its end took longer than ${options.timeoutMs} ms; left: ${left().map((p) => `partition ${p} at ${positions.get(p)} of ${ends.get(p)}`).join(', ')}`,
          { context: { topic, timeoutMs: options.timeoutMs, partitionsLeft: left().join(',') } },
        ),
      );
    });
  });
  const onBatch = async (messages: readonly InboundMessage[]): Promise<void> => {
    if (timedOut) throw new RoundhouseError(ErrorCodes.TIMEOUT, `reading ${topic} to its end was abandoned (timed out)`);
    const last = messages[messages.length - 1];
    if (last) positions.set(last.partition, BigInt(last.offset) + 1n);
    await options.onMessages(messages);
  };
  const readAll = async (): Promise<void> => {
    for (let attempt = 0; left().length > 0 && !timedOut; attempt++) {
      // Taken after the ends, so they reflect every deletion up to then; a start at
      // or past a partition's end means retention emptied it: nothing to wait for.
      const starts = await bus.startOffsets(topic);
      const ranges: OffsetRange[] = [];
      for (const partition of left()) {
        const from = max(BigInt(starts.get(partition) ?? '0'), positions.get(partition)!);
        positions.set(partition, from);
        if (from < BigInt(ends.get(partition)!)) ranges.push({ partition, startOffset: from.toString(), endOffset: ends.get(partition)! });
      }
      if (ranges.length === 0) return;
      try {
        return await bus.readRange(topic, ranges, onBatch);
      } catch (error) {
        // Retention moved a log start between our snapshot and the read: readRange
        // refuses before delivering anything, so take the starts again.
        if (errorCode(error) !== ErrorCodes.OFFSET_OUT_OF_RANGE || attempt >= 2) throw error;
      }
    }
  };
  const reading = readAll();
  // After a timeout the read ends on its own (at its next batch); nobody awaits it any more.
  reading.catch(() => undefined);
  try {
    await Promise.race([reading, timeout]);
  } finally {
    cancelTimer();
  }
  return reached;
}
