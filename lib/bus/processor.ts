import { Clock, backoffDelay, systemClock } from '../clock';
import { errorCode, errorMessage, isRetriable } from '../errors';
import type { Logger } from '../log';
import { silentLogger } from '../log';
import type { ServiceMetrics } from '../metrics';
import { deadLetter } from './dlq';
import type { BatchControl, InboundMessage, OutboundMessage, PartitionBatch } from './types';

/**
 * The consumer runner's policy, independent of the transport:
 *   1. prepare (async, once per batch: e.g. fetch unseen schema ids);
 *   2. decode every message synchronously; a non-retriable decode error sends the
 *      message to <topic>.dlq with the reason and the batch carries on;
 *   3. hand the decoded records to the handler, which performs its effect and may
 *      return messages to publish (in a transactional subscription they commit in
 *      the same transaction as the offsets);
 *   4. commit: outputs + dead letters + offsets, only after the effect.
 * A retriable failure anywhere pauses the partition and redelivers it from the
 * last commit after an exponential backoff. A non-retriable handler failure on a
 * batch is narrowed down by replaying records one at a time (handlers are
 * idempotent), so only the poison record is dead-lettered.
 */

export interface DecodedRecord<T> {
  readonly message: InboundMessage;
  readonly value: T;
}

export interface BatchProcessorSpec<T> {
  /** Names the consumer in logs and metrics (low cardinality: e.g. "trigger"). */
  readonly name: string;
  readonly groupId: string;
  prepare?(messages: readonly InboundMessage[]): Promise<void>;
  /** Synchronous: throw a non-retriable RoundhouseError to dead-letter the message. */
  decode(message: InboundMessage): T;
  handle(records: readonly DecodedRecord<T>[], batch: PartitionBatch): Promise<readonly OutboundMessage[] | void>;
}

export interface BatchProcessorDeps {
  readonly logger?: Logger;
  readonly metrics?: ServiceMetrics;
  readonly clock?: Clock;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly random?: () => number;
}

export type BatchProcessor = (batch: PartitionBatch, control: BatchControl) => Promise<void>;

export function createBatchProcessor<T>(spec: BatchProcessorSpec<T>, deps: BatchProcessorDeps = {}): BatchProcessor {
  const logger = (deps.logger ?? silentLogger()).child({ consumer: spec.name });
  const clock = deps.clock ?? systemClock;
  const backoffOptions = { ...(deps.backoff ?? { initialMs: 200, maxMs: 30_000 }), random: deps.random };
  const attempts = new Map<string, number>();
  const m = deps.metrics;
  const consumed = m?.counter('consumer_messages_total', 'Messages consumed and committed.', ['consumer', 'topic']);
  const deadLettered = m?.counter('consumer_dead_letters_total', 'Messages sent to a dead-letter topic.', ['consumer', 'topic', 'code']);
  const retries = m?.counter('consumer_retries_total', 'Batches paused for a retriable failure.', ['consumer', 'topic', 'code']);
  const lag = m?.gauge('consumer_lag_messages', 'Messages between the last commit and the partition end.', ['consumer', 'topic', 'partition']);

  const retryLater = (batch: PartitionBatch, control: BatchControl, error: unknown): void => {
    const key = `${batch.topic}:${batch.partition}`;
    const attempt = attempts.get(key) ?? 0;
    attempts.set(key, attempt + 1);
    const delay = backoffDelay(attempt, backoffOptions);
    retries?.inc({ consumer: spec.name, topic: batch.topic, code: errorCode(error) });
    logger.warn({ err: error, topic: batch.topic, partition: batch.partition, attempt, delayMs: delay }, 'retriable failure; pausing partition');
    control.backoff(delay);
  };

  return async (batch, control) => {
    if (batch.messages.length === 0) return;
    const deadLetters: OutboundMessage[] = [];
    const records: DecodedRecord<T>[] = [];
    try {
      if (spec.prepare) await spec.prepare(batch.messages);
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error);
      throw error;
    }
    for (const message of batch.messages) {
      try {
        records.push({ message, value: spec.decode(message) });
      } catch (error) {
        if (isRetriable(error)) return retryLater(batch, control, error);
        deadLetters.push(deadLetter(message, error, spec.groupId, clock.now()));
        deadLettered?.inc({ consumer: spec.name, topic: batch.topic, code: errorCode(error) });
        logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, code: errorCode(error), reason: errorMessage(error) }, 'dead-lettered undecodable message');
      }
    }

    let outputs: OutboundMessage[];
    try {
      outputs = records.length > 0 ? [...((await spec.handle(records, batch)) ?? [])] : [];
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error);
      if (records.length === 1) {
        const only = records[0]!;
        deadLetters.push(deadLetter(only.message, error, spec.groupId, clock.now()));
        deadLettered?.inc({ consumer: spec.name, topic: batch.topic, code: errorCode(error) });
        logger.warn({ topic: batch.topic, offset: only.message.offset, code: errorCode(error), reason: errorMessage(error) }, 'dead-lettered message its handler rejected');
        outputs = [];
      } else {
        // Narrow the failure down: replay one record at a time.
        outputs = [];
        for (const record of records) {
          if (!control.isActive()) return;
          try {
            outputs.push(...((await spec.handle([record], batch)) ?? []));
          } catch (single) {
            if (isRetriable(single)) return retryLater(batch, control, single);
            deadLetters.push(deadLetter(record.message, single, spec.groupId, clock.now()));
            deadLettered?.inc({ consumer: spec.name, topic: batch.topic, code: errorCode(single) });
            logger.warn({ topic: batch.topic, offset: record.message.offset, code: errorCode(single), reason: errorMessage(single) }, 'dead-lettered message its handler rejected');
          }
        }
      }
    }

    if (!control.isActive()) return;
    const nextOffset = (BigInt(batch.lastOffset) + 1n).toString();
    try {
      await control.commit(nextOffset, [...deadLetters, ...outputs]);
    } catch (error) {
      if (isRetriable(error)) return retryLater(batch, control, error);
      throw error;
    }
    attempts.delete(`${batch.topic}:${batch.partition}`);
    consumed?.inc({ consumer: spec.name, topic: batch.topic }, batch.messages.length);
    lag?.set({ consumer: spec.name, topic: batch.topic, partition: String(batch.partition) }, Number(BigInt(batch.highWatermark) - BigInt(nextOffset)));
  };
}
