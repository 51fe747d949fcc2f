/**
 * The event bus in our own words. Kafka (kafkajs) and the in-memory bus implement
 * it; services only ever see this interface, so the transport can change in one
 * adapter. Offsets are decimal strings because Kafka offsets are int64.
 */

export type Headers = Readonly<Record<string, string>>;

export interface InboundMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  /** Broker (or producer) timestamp, epoch ms. */
  readonly timestamp: number;
}

export interface OutboundMessage {
  readonly topic: string;
  readonly key: string | Buffer | null;
  /** null is a tombstone: on a compacted topic it deletes the key. */
  readonly value: Buffer | null;
  readonly headers?: Headers;
  readonly partition?: number;
  /**
   * Record timestamp, epoch ms (default: when it is published). Producers of
   * feature and label events set it to the event time, so a trainer can turn
   * event-time bounds into offsets with offsetsForTime.
   */
  readonly timestamp?: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions?: number;
  /** cleanup.policy=compact: the latest value per key is kept (model-ready, trigger-state). */
  readonly compacted?: boolean;
  readonly config?: Readonly<Record<string, string>>;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface PartitionBatch extends TopicPartition {
  readonly messages: readonly InboundMessage[];
  /** Offset of the next message the broker will write (end of the partition at fetch). */
  readonly highWatermark: string;
  /**
   * Offset of the last record in the fetched batch, including transaction markers
   * that follow the last message (they take offsets but are never delivered).
   * Committing `lastOffset + 1` after processing every message moves past them.
   */
  readonly lastOffset: string;
}

/** What a subscription offers the code processing one partition batch. */
export interface BatchControl {
  /**
   * Make `outputs` durable and commit consumption up to `nextOffset` (the offset of
   * the next message to read). In a transactional subscription both happen in one
   * Kafka transaction; otherwise outputs are acknowledged first, then offsets.
   */
  commit(nextOffset: string, outputs: readonly OutboundMessage[]): Promise<void>;
  /**
   * Move this member's fetch position to `nextOffset` without committing: the
   * next batch starts there, but a restart or a rebalance resumes from the last
   * commit. For handlers that commit every few batches (state + offsets together).
   */
  advance(nextOffset: string): void;
  /** Stop fetching this partition for `ms`, then redeliver from the last commit. */
  backoff(ms: number): void;
  heartbeat(): Promise<void>;
  /** False once the subscription stops or the partition is revoked: stop, commit nothing. */
  isActive(): boolean;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed offset starts. Default: earliest. */
  readonly fromBeginning?: boolean;
  /** When set, outputs and consumed offsets commit in one transaction (exactly-once). */
  readonly transactionalId?: string;
  /**
   * With transactionalId: one transactional producer per assigned partition,
   * id `<transactionalId>-<topic>-<partition>` (the same on every member), so
   * the member a rebalance gives a partition fences the one that had it: a
   * zombie (a stalled or partitioned old holder) cannot commit outputs or
   * offsets for it any more (kafkajs has no KIP-447 group-generation fencing).
   * Its commit fails with FENCED. The in-memory bus is one process: nothing to fence.
   */
  readonly transactionalIdPerPartition?: boolean;
  readonly onBatch: (batch: PartitionBatch, control: BatchControl) => Promise<void>;
  /** Called with this member's partitions after every rebalance. */
  readonly onAssignment?: (assigned: readonly TopicPartition[]) => void;
  /**
   * Per topic, per partition: where to start a partition the group has never
   * committed, instead of its log start (or end). A follower that caught up with
   * readToEnd passes the ends it read to, so its live subscription neither reads
   * the topic a second time nor misses what was written in between.
   */
  readonly initialOffsets?: ReadonlyMap<string, ReadonlyMap<number, string>>;
  /**
   * How many partitions' batches may be in onBatch at once (default 1). Above
   * 1, onBatch must keep its state per partition; the transactions of one
   * subscription still commit one at a time (one transactional producer), so
   * what overlaps is one partition's work with another's commit.
   */
  readonly partitionsConcurrently?: number;
}

export interface Subscription {
  /** True while this member has joined its group and is fetching. */
  isConsuming(): boolean;
  /** Finish the batch in progress, leave the group, release resources. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolves on stop, rejects on a crash. */
  readonly done: Promise<void>;
}

/** A half-open offset range [startOffset, endOffset) of one partition, for readRange. */
export interface OffsetRange {
  readonly partition: number;
  readonly startOffset: string;
  readonly endOffset: string;
}

/** A consumer group and the topics it commits offsets on (lag probes, the demo's lockstep). */
export interface ConsumerGroupTopics {
  readonly groupId: string;
  readonly topics: readonly string[];
}

export interface EventBus {
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Idempotent, acknowledged by all in-sync replicas before resolving. */
  publish(messages: readonly OutboundMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * The offset the next committed message of each partition will get (the last
   * stable offset: what a read_committed reader can reach). Its size is the
   * topic's partition count.
   */
  endOffsets(topic: string): Promise<ReadonlyMap<number, string>>;
  /**
   * The first offset still held by each partition (its log-start offset): 0 until
   * retention or a records deletion removes the head of the partition. A partition
   * whose start equals its end holds nothing, whatever its end offset says.
   */
  startOffsets(topic: string): Promise<ReadonlyMap<number, string>>;
  /**
   * Per partition, the first offset whose record timestamp is ≥ timestampMs, or
   * the end offset when there is none. Record timestamps are producer (or broker)
   * times, not event times: callers that bound by event time leave some slack.
   */
  offsetsForTime(topic: string, timestampMs: number): Promise<ReadonlyMap<number, string>>;
  /**
   * Read the committed records in [startOffset, endOffset) of each range, in
   * offset order per partition, then resolve. No consumer group offsets are
   * committed. `onBatch` is awaited before the next batch (back-pressure).
   * A non-empty range that starts below its partition's log start is refused
   * with OFFSET_OUT_OF_RANGE before anything is read, as the broker refuses such
   * a fetch (a consumer would silently jump to the earliest or latest offset).
   * To read a whole topic, use readToEnd (read-to-end.ts).
   */
  readRange(topic: string, ranges: readonly OffsetRange[], onBatch: (messages: readonly InboundMessage[]) => Promise<void>): Promise<void>;
  /**
   * The offsets a consumer group has committed on a topic, per partition (a
   * partition it never committed is absent). With endOffsets this is the group's
   * lag: the demo waits on it to run in lockstep, operators read it for alerts.
   */
  committedOffsets(groupId: string, topic: string): Promise<ReadonlyMap<number, string>>;
  close(): Promise<void>;
}

export const dlqTopic = (topic: string): string => `${topic}.dlq`;
