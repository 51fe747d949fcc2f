import { Partitioners } from 'kafkajs';
import type { Admin, EachBatchPayload, Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import { Clock, systemClock } from '../clock';
import { toHeaders } from './headers';
import { ErrorCodes, RoundhouseError, isRetriable } from '../errors';
import type { Logger } from '../log';
import type {
  BatchControl,
  EventBus,
  InboundMessage,
  OffsetRange,
  OutboundMessage,
  SubscribeOptions,
  Subscription,
  TopicPartition,
  TopicSpec,
} from '../bus/types';
import { sendGroups } from '../bus/split';
import { byCodec } from './compression';
import { offsetOutOfRange } from '../bus/out-of-range';
import { readRangeWithKafka } from './range-reader';

export interface KafkaBusOptions {
  readonly logger: Logger;
  readonly defaultPartitions?: number;
  readonly replicationFactor?: number;
  readonly clock?: Clock;
  /** Max bytes per partition per fetch: bounds memory per batch. */
  readonly maxBytesPerPartition?: number;
  /**
   * How long an open transaction may last. A crashed transactional member leaves
   * its transaction open until this expires (or a restart with the same
   * transactional id fences it), holding back read_committed readers; keep it short.
   */
  readonly transactionTimeoutMs?: number;
  /** readRange: how long a range may see no progress before it counts as finished (trailing markers). Default 5 s. */
  readonly rangeIdleMs?: number;
  /**
   * Consumer group session: a member that sends no heartbeat for this long
   * (a stalled batch) is removed and its partitions reassigned. Default kafkajs'
   * 30 s; the broker bounds it (group.min.session.timeout.ms, 6 s by default).
   */
  readonly sessionTimeoutMs?: number;
  /** How long a rebalance waits for members to rejoin. Default kafkajs' 60 s. */
  readonly rebalanceTimeoutMs?: number;
}


function toTopicMessages(messages: readonly OutboundMessage[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const m of messages) {
    const list = byTopic.get(m.topic) ?? [];
    list.push({
      key: m.key,
      value: m.value,
      ...(m.headers ? { headers: { ...m.headers } } : {}),
      ...(m.partition !== undefined ? { partition: m.partition } : {}),
      ...(m.timestamp !== undefined ? { timestamp: String(m.timestamp) } : {}),
    });
    byTopic.set(m.topic, list);
  }
  return [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
}

/** kafkajs errors carry `retriable`; give them our code so callers can match on it. */
function asKafkaError(error: unknown, what: string): unknown {
  if (isMessageTooLarge(error)) {
    return new RoundhouseError(ErrorCodes.RECORD_TOO_LARGE, `${what}: the broker refused a batch above max.message.bytes (${(error as Error).message}); split it`, { retriable: false, cause: error });
  }
  if (isRetriable(error) && !(error instanceof RoundhouseError)) {
    return new RoundhouseError(ErrorCodes.KAFKA_UNAVAILABLE, `${what}: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

/** The broker's answer to a producer whose transactional id a newer producer has initialised since. */
function isFenced(error: unknown): boolean {
  const e = error as { type?: unknown; cause?: { type?: unknown } } | null;
  const types = [e?.type, e?.cause?.type];
  return types.some((t) => t === 'INVALID_PRODUCER_EPOCH' || t === 'PRODUCER_FENCED' || t === 'INVALID_PRODUCER_ID_MAPPING');
}

function fenced(tpKey: string, groupId: string, cause?: unknown): RoundhouseError {
  return new RoundhouseError(
    ErrorCodes.FENCED,
    `group ${groupId}, ${tpKey}: another member now holds this partition (its transactional producer fenced ours); nothing was committed, and this member commits nothing more for it until the group assigns it again`,
    { retriable: true, ...(cause !== undefined ? { cause } : {}), context: { groupId, partition: tpKey } },
  );
}

/** kafkajs' protocol error for a batch above the topic's max.message.bytes (retrying resends the same batch). */
function isMessageTooLarge(error: unknown): boolean {
  const e = error as { type?: unknown; cause?: { type?: unknown } } | null;
  return e?.type === 'MESSAGE_TOO_LARGE' || e?.cause?.type === 'MESSAGE_TOO_LARGE';
}

/**
 * EventBus over kafkajs. Publishing uses one idempotent producer (acks=all).
 * A subscription owns a consumer (autoCommit off: offsets move only through
 * BatchControl.commit, after the effect) and, when transactional, its own
 * transactional producer so outputs and offsets commit atomically.
 */
export class KafkaEventBus implements EventBus {
  private admin: Admin | undefined;
  private adminReady: Promise<Admin> | undefined;
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaBusOptions,
  ) {
    this.logger = options.logger.child({ component: 'kafka-bus' });
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Create the topics that do not exist yet. Retried a few times: right after a
   * creation the broker may briefly answer "does not host this topic-partition"
   * while metadata propagates, and another instance may create the same topic.
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.getAdmin();
    for (let attempt = 0; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = specs.filter((spec) => !existing.has(spec.name));
        if (missing.length === 0) return;
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((spec) => ({
            topic: spec.name,
            numPartitions: spec.partitions ?? this.options.defaultPartitions ?? 3,
            replicationFactor: this.options.replicationFactor ?? 1,
            configEntries: Object.entries({ ...(spec.compacted ? { 'cleanup.policy': 'compact' } : {}), ...(spec.config ?? {}) }).map(
              ([name, value]) => ({ name, value }),
            ),
          })),
        });
        this.logger.info({ topics: missing.map((s) => s.name) }, 'created topics');
        return;
      } catch (error) {
        const type = (error as { type?: string }).type;
        const retriable = type === 'TOPIC_ALREADY_EXISTS' || isRetriable(error);
        if (!retriable || attempt >= 5) throw asKafkaError(error, 'creating topics');
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.getProducer();
    try {
      for (const part of byCodec(messages)) for (const group of sendGroups(part.messages)) await producer.sendBatch({ topicMessages: toTopicMessages(group), acks: -1, compression: part.compression });
    } catch (error) {
      throw asKafkaError(error, 'publishing');
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const logger = this.logger.child({ groupId: options.groupId });
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      // read_committed: aborted transactions are never seen.
      readUncommitted: false,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1_048_576,
      allowAutoTopicCreation: false,
      ...(this.options.sessionTimeoutMs !== undefined ? { sessionTimeout: this.options.sessionTimeoutMs, heartbeatInterval: Math.max(100, Math.floor(this.options.sessionTimeoutMs / 6)) } : {}),
      ...(this.options.rebalanceTimeoutMs !== undefined ? { rebalanceTimeout: this.options.rebalanceTimeoutMs } : {}),
    });
    const transactional = (transactionalId: string): Producer =>
      this.kafka.producer({
        transactionalId,
        transactionTimeout: this.options.transactionTimeoutMs ?? 30_000,
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
    const perPartition = options.transactionalId !== undefined && options.transactionalIdPerPartition === true;
    const txProducer = options.transactionalId && !perPartition ? transactional(options.transactionalId) : undefined;
    const plainProducer = options.transactionalId ? undefined : await this.getProducer();
    // transactionalIdPerPartition: one producer per assigned partition, its id
    // `<transactionalId>-<topic>-<partition>` whoever holds the partition. Its
    // connect (InitProducerId) fences any earlier holder of the id and completes
    // or aborts that holder's open transaction, so a zombie's late commit fails.
    const partitionProducers = new Map<string, Promise<Producer>>();
    // Partitions whose first batch of this assignment was checked against the
    // group's committed offset after fencing, and partitions whose producer was
    // fenced by a newer holder (no commits, and no new producer that would fence
    // that holder back, until the group assigns the partition again).
    const verified = new Set<string>();
    const fencedOut = new Set<string>();
    /** This member's partitions since the last join. */
    const holding: string[] = [];
    const partitionProducer = (tpKey: string): Promise<Producer> => {
      let ready = partitionProducers.get(tpKey);
      if (!ready) {
        const producer = transactional(`${options.transactionalId}-${tpKey.replace(':', '-')}`);
        // kafkajs initialises a transactional producer's id (InitProducerId, the
        // fencing step) at its first transaction(), not at connect: begin and
        // abort an empty one (no request) so the fence happens now, before this
        // member reads the partition — a zombie that never began a transaction
        // would otherwise initialise at its late commit and fence us instead.
        ready = producer.connect().then(async () => {
          await (await producer.transaction()).abort();
          return producer;
        });
        partitionProducers.set(tpKey, ready);
        ready.catch(() => {
          if (partitionProducers.get(tpKey) === ready) partitionProducers.delete(tpKey);
        });
      }
      return ready;
    };
    const dropProducer = (tpKey: string): void => {
      const ready = partitionProducers.get(tpKey);
      partitionProducers.delete(tpKey);
      void ready
        ?.then((producer) => producer.disconnect())
        .catch((error: unknown) => logger.warn({ err: error, partition: tpKey }, 'closing a partition producer failed'));
    };

    let consuming = false;
    let stopping = false;
    let resolveDone!: () => void;
    let rejectDone!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    done.catch(() => undefined);
    const resumeTimers = new Set<() => void>();
    // Where each partition was last committed (or where this assignment started),
    // and which partitions advanced past it: backoff must redeliver from the commit.
    const lastCommitted = new Map<string, string>();
    const advanced = new Set<string>();
    // initialOffsets of partitions the group never committed: sought on every join
    // until this subscription first commits them (a rejoin before that would
    // otherwise start them at the log start).
    const initial = new Map<string, { topic: string; partition: number; offset: string }>();
    for (const [topic, offsets] of options.initialOffsets ?? []) {
      const committed = await this.committedOffsets(options.groupId, topic);
      for (const [partition, offset] of offsets) if (!committed.has(partition)) initial.set(`${topic}:${partition}`, { topic, partition, offset });
    }

    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      consuming = true;
      lastCommitted.clear();
      advanced.clear();
      const assigned: TopicPartition[] = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      verified.clear();
      fencedOut.clear();
      holding.splice(0, holding.length, ...assigned.map((tp) => `${tp.topic}:${tp.partition}`));
      for (const tpKey of [...partitionProducers.keys()]) if (!holding.includes(tpKey)) dropProducer(tpKey);
      logger.info({ assigned: assigned.length }, 'joined consumer group');
      // Before the first fetch: kafkajs drops a fetched batch of a partition with a pending seek.
      for (const { topic, partition } of assigned) {
        const start = initial.get(`${topic}:${partition}`);
        if (start) consumer.seek(start);
      }
      options.onAssignment?.(assigned);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      logger.error({ err: error, restart }, 'consumer crashed');
      if (!restart) {
        consuming = false;
        rejectDone(error);
      }
    });

    await consumer.connect();
    await txProducer?.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });

    const commitPlain = async (payload: EachBatchPayload, nextOffset: string, outputs: readonly OutboundMessage[]): Promise<void> => {
      for (const part of byCodec(outputs)) for (const group of sendGroups(part.messages)) await plainProducer!.sendBatch({ topicMessages: toTopicMessages(group), acks: -1, compression: part.compression });
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: payload.batch.topic, partitions: [{ partition: payload.batch.partition, offset: nextOffset }] }],
      });
    };
    // One transaction at a time per producer: batches of several partitions may
    // be in onBatch together (partitionsConcurrently), their commits queue here.
    let transactions: Promise<unknown> = Promise.resolve();
    const commitTransactional = (payload: EachBatchPayload, nextOffset: string, outputs: readonly OutboundMessage[]): Promise<void> => {
      const run = transactions.then(() => commitOneTransaction(payload, nextOffset, outputs));
      transactions = run.catch(() => undefined);
      return run;
    };
    const commitOneTransaction = async (payload: EachBatchPayload, nextOffset: string, outputs: readonly OutboundMessage[], producer: Producer = txProducer!): Promise<void> => {
      const tx = await producer.transaction();
      try {
        // One transaction, several produce requests: each under the broker's message size limit (lib/bus/split.ts).
        for (const part of byCodec(outputs)) for (const group of sendGroups(part.messages)) await tx.sendBatch({ topicMessages: toTopicMessages(group), acks: -1, compression: part.compression });
        await tx.sendOffsets({
          consumerGroupId: options.groupId,
          topics: [{ topic: payload.batch.topic, partitions: [{ partition: payload.batch.partition, offset: nextOffset }] }],
        });
        await tx.commit();
      } catch (error) {
        if (!isFenced(error)) await tx.abort().catch((abortError: unknown) => logger.warn({ err: abortError }, 'abort after failed transaction failed'));
        throw isMessageTooLarge(error) ? asKafkaError(error, `committing outputs of ${payload.batch.topic}[${payload.batch.partition}]`) : error;
      }
    };
    const commitPartitionTransaction = async (payload: EachBatchPayload, nextOffset: string, outputs: readonly OutboundMessage[]): Promise<void> => {
      const tpKey = `${payload.batch.topic}:${payload.batch.partition}`;
      if (fencedOut.has(tpKey)) throw fenced(tpKey, options.groupId);
      try {
        await commitOneTransaction(payload, nextOffset, outputs, await partitionProducer(tpKey));
      } catch (error) {
        if (!isFenced(error)) throw error;
        fencedOut.add(tpKey);
        dropProducer(tpKey);
        logger.warn({ partition: tpKey }, 'a newer holder of this partition fenced our transactional producer: nothing of this batch was committed');
        throw fenced(tpKey, options.groupId, error);
      }
    };

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, options.partitionsConcurrently ?? 1),
      eachBatch: async (payload) => {
        const { batch } = payload;
        const messages: InboundMessage[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ?? null,
          value: m.value ?? null,
          headers: toHeaders(m.headers),
          timestamp: Number(m.timestamp),
        }));
        const tpKey = `${batch.topic}:${batch.partition}`;
        if (perPartition && !verified.has(tpKey) && messages.length > 0) {
          // Fence first, then read where the group stands: kafkajs fetched the
          // committed offset at the join, and a zombie's transaction may have
          // committed past it before our InitProducerId completed or aborted it.
          // Every partition of the assignment is fenced before any is handled:
          // a handler's state for all of them (the trigger's checkpoints) may be
          // loaded by the first batch, and must not predate a zombie's last commit.
          try {
            await Promise.all(holding.map(partitionProducer));
            const committed = (await this.committedOffsets(options.groupId, batch.topic)).get(batch.partition);
            verified.add(tpKey);
            if (committed !== undefined && BigInt(messages[0]!.offset) < BigInt(committed)) {
              logger.warn({ partition: tpKey, fetchedFrom: messages[0]!.offset, committed }, 'the group committed past where this assignment started (an earlier holder finished a transaction): resuming from the commit');
              lastCommitted.set(tpKey, committed);
              consumer.seek({ topic: batch.topic, partition: batch.partition, offset: committed });
              return;
            }
          } catch (error) {
            logger.warn({ err: error, partition: tpKey }, 'fencing this partition before reading it failed; retrying');
            const resume = payload.pause();
            const cancel = this.clock.schedule(1_000, () => {
              resumeTimers.delete(cancel);
              resume();
            });
            resumeTimers.add(cancel);
            return;
          }
        }
        // A fresh assignment fetches from the committed offset: the first batch starts there.
        if (!lastCommitted.has(tpKey) && messages.length > 0) lastCommitted.set(tpKey, messages[0]!.offset);
        const control: BatchControl = {
          commit: async (nextOffset, outputs) => {
            try {
              await (perPartition ? commitPartitionTransaction : txProducer ? commitTransactional : commitPlain)(payload, nextOffset, outputs);
            } catch (error) {
              throw asKafkaError(error, 'committing');
            }
            // Move the fetch position; resolving the batch's last message also skips
            // a trailing transaction marker (kafkajs handles that in resolveOffset).
            payload.resolveOffset((BigInt(nextOffset) - 1n).toString());
            lastCommitted.set(tpKey, nextOffset);
            advanced.delete(tpKey);
            initial.delete(tpKey);
          },
          advance: (nextOffset) => {
            advanced.add(tpKey);
            // kafkajs fetches from the resolved offset; a rejoin starts from the committed one.
            payload.resolveOffset((BigInt(nextOffset) - 1n).toString());
          },
          backoff: (ms) => {
            const from = lastCommitted.get(tpKey);
            if (advanced.has(tpKey) && from !== undefined) {
              // Progress past the commit was not made durable: redeliver from the commit.
              consumer.seek({ topic: batch.topic, partition: batch.partition, offset: from });
              advanced.delete(tpKey);
            }
            const resume = payload.pause();
            const cancel = this.clock.schedule(ms, () => {
              resumeTimers.delete(cancel);
              resume();
            });
            resumeTimers.add(cancel);
          },
          heartbeat: () => payload.heartbeat(),
          isActive: () => payload.isRunning() && !payload.isStale() && !stopping,
        };
        await options.onBatch({ topic: batch.topic, partition: batch.partition, messages, highWatermark: batch.highWatermark, lastOffset: batch.lastOffset() }, control);
      },
    });

    const subscription: Subscription = {
      isConsuming: () => consuming && !stopping,
      stop: async () => {
        if (stopping) return done;
        stopping = true;
        for (const cancel of resumeTimers) cancel();
        try {
          await consumer.disconnect();
          await txProducer?.disconnect();
          await Promise.allSettled([...partitionProducers.values()].map(async (ready) => (await ready).disconnect()));
          partitionProducers.clear();
        } finally {
          consuming = false;
          this.subscriptions.delete(subscription);
          resolveDone();
        }
        return done;
      },
      done,
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async endOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return new Map((await this.topicOffsets(topic, 'end')).map((o) => [o.partition, o.high]));
  }

  async startOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return new Map((await this.topicOffsets(topic, 'start')).map((o) => [o.partition, o.low]));
  }

  /**
   * ListOffsets, latest and earliest. kafkajs' admin asks with isolation level
   * READ_COMMITTED (its request default), so `high` is the last stable offset,
   * not the high watermark (test/integration/read-to-end.test.ts checks this);
   * `low` is the log-start offset.
   */
  private async topicOffsets(topic: string, which: string): Promise<{ partition: number; high: string; low: string }[]> {
    const admin = await this.getAdmin();
    // Right after a topic is created, or during a leader move, the broker may
    // answer "not the leader" / "unknown partition" for a moment: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        return await admin.fetchTopicOffsets(topic);
      } catch (error) {
        if (!isRetriable(error) || attempt >= 5) throw asKafkaError(error, `reading ${which} offsets of ${topic}`);
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  async committedOffsets(groupId: string, topic: string): Promise<ReadonlyMap<number, string>> {
    const admin = await this.getAdmin();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      // kafkajs reports "-1" for a partition the group never committed.
      return new Map((offsets?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset]));
    } catch (error) {
      throw asKafkaError(error, `reading the offsets group ${groupId} committed on ${topic}`);
    }
  }

  async offsetsForTime(topic: string, timestampMs: number): Promise<ReadonlyMap<number, string>> {
    const admin = await this.getAdmin();
    // kafkajs retries a lookup on a topic that does not exist for as long as its retry policy
    // allows (tens of seconds): say so at once instead (the dispatcher's pinning relies on it).
    let exists: boolean;
    try {
      exists = (await admin.listTopics()).includes(topic);
    } catch (error) {
      throw asKafkaError(error, `listing topics to read offsets of ${topic}`);
    }
    if (!exists) throw new RoundhouseError(ErrorCodes.NOT_FOUND, `topic ${topic} does not exist`, { retriable: false, context: { topic } });
    try {
      // kafkajs answers the end offset for partitions with no record at or after the time.
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs);
      return new Map(offsets.map((o) => [o.partition, o.offset]));
    } catch (error) {
      throw asKafkaError(error, `reading offsets of ${topic} at ${timestampMs}`);
    }
  }

  /**
   * See range-reader.ts: a throwaway consumer group (never committing), seeks
   * after the join, a guard against trailing transaction markers. A range below
   * the log start is refused here first: after the seek, the broker's
   * OFFSET_OUT_OF_RANGE makes kafkajs commit the group's default offset (the
   * latest) and jump there, and the range would end empty only when the idle
   * guard gave up on it.
   */
  async readRange(topic: string, ranges: readonly OffsetRange[], onBatch: (messages: readonly InboundMessage[]) => Promise<void>): Promise<void> {
    const reading = ranges.filter((r) => BigInt(r.endOffset) > BigInt(r.startOffset));
    if (reading.length === 0) return;
    const starts = await this.startOffsets(topic);
    for (const range of reading) {
      const logStart = starts.get(range.partition);
      if (logStart !== undefined && BigInt(range.startOffset) < BigInt(logStart)) {
        throw offsetOutOfRange(topic, range.partition, range.startOffset, logStart);
      }
    }
    return readRangeWithKafka(this.kafka, topic, reading, onBatch, {
      logger: this.logger,
      ...(this.options.rangeIdleMs !== undefined ? { idleMs: this.options.rangeIdleMs } : {}),
      ...(this.options.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: this.options.maxBytesPerPartition } : {}),
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    await this.producer?.disconnect();
    await this.admin?.disconnect();
    this.producer = undefined;
    this.producerReady = undefined;
    this.admin = undefined;
    this.adminReady = undefined;
  }

  /**
   * One admin client, however many callers ask at once: checking `this.admin`
   * across the await let concurrent callers (followers reading several topics
   * to their end in parallel) each connect one, and close() disconnected only
   * the last, so the process never exited. A failed connect is forgotten, so
   * the next call tries again.
   */
  private getAdmin(): Promise<Admin> {
    this.adminReady ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        this.adminReady = undefined;
        throw error;
      }
      this.admin = admin;
      return admin;
    })();
    return this.adminReady;
  }

  private getProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      this.producer = producer;
      return producer;
    })();
    return this.producerReady;
  }
}
