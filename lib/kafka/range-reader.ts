import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { ErrorCodes, RoundhouseError, isRetriable } from '../errors';
import type { Logger } from '../log';
import type { InboundMessage, OffsetRange } from '../bus/types';
import { toHeaders } from './headers';

/**
 * EventBus.readRange over kafkajs: read the committed records in [start, end) of
 * some partitions of one topic, then stop. kafkajs has no assign(), so this is a
 * consumer in a throwaway group (never committing) that seeks each partition
 * once the group is joined and pauses partitions it has nothing to read from.
 *
 * When is a range finished? When the position (last offset fetched + 1) reaches
 * `end`. A read_committed fetch never delivers control records, so a range whose
 * last offset is a transaction marker (end = a last stable offset just past a
 * commit) would never see a message at end − 1. Two guards:
 * - kafkajs still reports such batches (only markers or aborted records) through
 *   END_BATCH_PROCESS with their last offset, which moves the position past them;
 * - if no fetch moves an unfinished range for `idleMs`, the broker has nothing
 *   left below `end` for us (markers, aborted records, or records removed by
 *   retention) and the range is finished as it stands, with a warning.
 */
export interface RangeReadOptions {
  readonly logger: Logger;
  /** Give up waiting on a range nothing arrives for (see above). Default 5 s. */
  readonly idleMs?: number;
  readonly maxBytesPerPartition?: number;
}

interface Progress {
  readonly start: bigint;
  readonly end: bigint;
  position: bigint;
}

export async function readRangeWithKafka(
  kafka: Kafka,
  topic: string,
  ranges: readonly OffsetRange[],
  onBatch: (messages: readonly InboundMessage[]) => Promise<void>,
  options: RangeReadOptions,
): Promise<void> {
  const progress = new Map<number, Progress>();
  for (const r of ranges) {
    const start = BigInt(r.startOffset);
    const end = BigInt(r.endOffset);
    if (end > start) progress.set(r.partition, { start, end, position: start });
  }
  if (progress.size === 0) return;
  const idleMs = options.idleMs ?? 5_000;
  const logger = options.logger.child({ component: 'range-reader', topic });
  const consumer: Consumer = kafka.consumer({
    groupId: `roundhouse-range-reader-${randomUUID()}`,
    readUncommitted: false,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
    // A short long-poll: disconnect waits for the fetch in flight, and the idle guard looks between fetches.
    maxWaitTimeInMs: 500,
    allowAutoTopicCreation: false,
  });

  let settle!: (error?: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    let settled = false;
    settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve();
      else reject(error);
    };
  });
  let lastProgressAt = Date.now();
  const unfinished = (): number[] => [...progress].filter(([, p]) => p.position < p.end).map(([partition]) => partition);
  /** Only a batch that starts at or before the position moves it: one fetched before our seek landed does not. */
  const advance = (partition: number, firstOffset: string | null, lastOffset: string): void => {
    const p = progress.get(partition);
    if (!p || firstOffset === null || BigInt(firstOffset) > p.position) return;
    const next = BigInt(lastOffset) + 1n;
    if (next > p.position) {
      p.position = next;
      lastProgressAt = Date.now();
    }
    if (p.position >= p.end) consumer.pause([{ topic, partitions: [partition] }]);
    if (unfinished().length === 0) settle();
  };

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assigned = event.payload.memberAssignment[topic] ?? [];
    const idle = assigned.filter((partition) => (progress.get(partition)?.position ?? 0n) >= (progress.get(partition)?.end ?? 0n));
    if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
    for (const [partition, p] of progress) {
      if (p.position < p.end) consumer.seek({ topic, partition, offset: p.position.toString() });
    }
    lastProgressAt = Date.now();
  });
  // Batches holding only control records or aborted records never reach eachBatch.
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    if (event.payload.topic === topic) advance(event.payload.partition, event.payload.firstOffset, event.payload.lastOffset);
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) settle(asKafkaError(event.payload.error, `reading ${topic}`));
  });

  const timer = setInterval(() => {
    const left = unfinished();
    if (left.length === 0 || Date.now() - lastProgressAt < idleMs) return;
    logger.warn(
      { partitions: left.map((partition) => ({ partition, position: String(progress.get(partition)?.position), end: String(progress.get(partition)?.end) })), idleMs },
      'nothing more below the end of these ranges (transaction markers, aborted or deleted records); finishing them',
    );
    for (const partition of left) progress.get(partition)!.position = progress.get(partition)!.end;
    settle();
  }, Math.min(500, idleMs));
  timer.unref?.();

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const p = progress.get(batch.partition);
        if (!p || p.position >= p.end) return;
        const messages: InboundMessage[] = [];
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          // A fetch may start before our seek lands (at the group's default offset): skip anything outside the range.
          if (offset < p.position || offset >= p.end) continue;
          messages.push({
            topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key ?? null,
            value: m.value ?? null,
            headers: toHeaders(m.headers),
            timestamp: Number(m.timestamp),
          });
        }
        if (messages.length > 0) {
          try {
            await onBatch(messages);
          } catch (error) {
            settle(error);
            return;
          }
        }
        advance(batch.partition, batch.firstOffset(), batch.lastOffset());
      },
    });
    await finished;
  } catch (error) {
    throw asKafkaError(error, `reading ${topic}`);
  } finally {
    clearInterval(timer);
    await consumer.disconnect().catch((error: unknown) => logger.warn({ err: error }, 'range reader disconnect failed'));
  }
}

function asKafkaError(error: unknown, what: string): unknown {
  if (isRetriable(error) && (error as { isRoundhouseError?: boolean }).isRoundhouseError !== true) {
    return new RoundhouseError(ErrorCodes.KAFKA_UNAVAILABLE, `${what}: ${(error as Error).message}`, { cause: error });
  }
  return error;
}
