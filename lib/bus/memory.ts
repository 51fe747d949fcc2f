import { gzipSync } from 'node:zlib';
import { ErrorCodes, RoundhouseError } from '../errors';
import { Clock, systemClock } from '../clock';
import { recordBytes, sendGroups } from './split';
import { offsetOutOfRange } from './out-of-range';
import type {
  BatchControl,
  EventBus,
  InboundMessage,
  OffsetRange,
  OutboundMessage,
  PartitionBatch,
  SubscribeOptions,
  Subscription,
  TopicPartition,
  TopicSpec,
} from './types';

/**
 * An in-memory EventBus for unit tests and the embedded demo. It keeps Kafka's
 * semantics that our code relies on: partitions chosen by key hash, consumer
 * groups whose members share partitions, delivery from the committed offset (so
 * a batch that is not committed is redelivered), atomic commit of outputs and
 * offsets, paused partitions, compaction read as "latest value per key", and
 * retention as a log-start offset that truncate() moves (see there).
 * It records everything published, for assertions.
 */

interface MemoryTopic {
  readonly spec: TopicSpec;
  /** Indexed by offset; records below the partition's log start stay in the array but are never read. */
  readonly partitions: InboundMessage[][];
  readonly logStarts: number[];
}

interface Member {
  readonly id: number;
  readonly options: SubscribeOptions;
  assigned: TopicPartition[];
  /** Fetch positions moved past the committed offset by advance(); reset on every rebalance. */
  readonly positions: Map<string, bigint>;
  readonly pausedUntil: Map<string, number>;
  running: boolean;
  wake: () => void;
}

interface Group {
  readonly committed: Map<string, bigint>;
  readonly members: Member[];
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** FNV-1a: a stable hash so a key always lands in the same partition. */
function hashKey(key: string | Buffer): number {
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export interface MemoryBusOptions {
  readonly defaultPartitions?: number;
  readonly maxBatchSize?: number;
  readonly clock?: Clock;
  /** Create topics on first publish/subscribe instead of failing (Kafka's auto-create). */
  readonly autoCreateTopics?: boolean;
  /**
   * The broker's max.message.bytes (Kafka's default, 1 MiB + 12): a publish or
   * commit whose records for one partition exceed it after gzip (our Kafka sends
   * are gzip-compressed, and a kafkajs send is one batch per partition) is
   * refused whole with RECORD_TOO_LARGE, as the broker refuses it with
   * MESSAGE_TOO_LARGE, so unit tests see what a real broker would refuse.
   */
  readonly maxMessageBytes?: number;
}

/** Kafka's default max.message.bytes. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;


export class MemoryEventBus implements EventBus {
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly groups = new Map<string, Group>();
  private readonly waiters = new Set<() => void>();
  private nextMemberId = 1;
  private roundRobin = 0;
  private closed = false;
  readonly published: OutboundMessage[] = [];
  private readonly options: Required<Omit<MemoryBusOptions, 'clock'>> & { clock: Clock };

  constructor(options: MemoryBusOptions = {}) {
    this.options = {
      defaultPartitions: options.defaultPartitions ?? 3,
      maxBatchSize: options.maxBatchSize ?? 500,
      autoCreateTopics: options.autoCreateTopics ?? true,
      clock: options.clock ?? systemClock,
      maxMessageBytes: options.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
    };
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (const spec of specs) this.createTopic(spec);
    this.rebalanceAll();
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    this.append(messages);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new Error('bus is closed');
    for (const topic of options.topics) this.topic(topic);
    const group = this.group(options.groupId);
    let resolveDone!: () => void;
    let rejectDone!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const member: Member = { id: this.nextMemberId++, options, assigned: [], positions: new Map(), pausedUntil: new Map(), running: true, wake: () => undefined };
    group.members.push(member);
    this.rebalance(group);
    const loop = this.runMember(group, member).then(resolveDone, (error: unknown) => {
      member.running = false;
      this.leave(group, member);
      rejectDone(error);
    });
    return {
      isConsuming: () => member.running,
      stop: async () => {
        member.running = false;
        member.wake();
        await loop;
        this.leave(group, member);
      },
      done,
    };
  }

  async endOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return new Map(this.topic(topic).partitions.map((log, partition) => [partition, String(log.length)]));
  }

  async startOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return new Map(this.topic(topic).logStarts.map((start, partition) => [partition, String(start)]));
  }

  /**
   * Remove the records below `beforeOffset` from a partition, as retention or
   * Kafka's deleteRecords does: the log start moves there, later offsets keep
   * their numbers, the end does not move. As on the broker, readRange below the
   * new start is refused (OFFSET_OUT_OF_RANGE) and a subscription whose position
   * is below it resumes at the start (auto.offset.reset=earliest).
   */
  truncate(topic: string, partition: number, beforeOffset: number): void {
    const { partitions, logStarts } = this.topic(topic);
    const log = partitions[partition];
    if (!log) throw new Error(`topic ${topic} has no partition ${partition}`);
    if (beforeOffset > log.length) throw new RoundhouseError(ErrorCodes.OFFSET_OUT_OF_RANGE, `cannot delete ${topic}[${partition}] up to ${beforeOffset}: its end is ${log.length}`);
    logStarts[partition] = Math.max(logStarts[partition]!, beforeOffset);
  }

  /** Every consumer group that ever subscribed (tests: a read that must not create one). */
  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  async committedOffsets(groupId: string, topic: string): Promise<ReadonlyMap<number, string>> {
    const committed = new Map<number, string>();
    const group = this.groups.get(groupId);
    if (!group) return committed;
    this.topic(topic).partitions.forEach((_, partition) => {
      const offset = group.committed.get(tpKey(topic, partition));
      if (offset !== undefined) committed.set(partition, offset.toString());
    });
    return committed;
  }

  async offsetsForTime(topic: string, timestampMs: number): Promise<ReadonlyMap<number, string>> {
    const { partitions, logStarts } = this.topic(topic);
    return new Map(
      partitions.map((log, partition) => {
        const start = logStarts[partition]!;
        const first = log.findIndex((m, offset) => offset >= start && m.timestamp >= timestampMs);
        return [partition, String(first < 0 ? log.length : first)];
      }),
    );
  }

  async readRange(topic: string, ranges: readonly OffsetRange[], onBatch: (messages: readonly InboundMessage[]) => Promise<void>): Promise<void> {
    const { partitions: logs, logStarts } = this.topic(topic);
    for (const range of ranges) {
      const log = logs[range.partition];
      if (!log) throw new Error(`topic ${topic} has no partition ${range.partition}`);
      const start = Number(range.startOffset);
      const end = Math.min(Number(range.endOffset), log.length);
      if (start < end && start < logStarts[range.partition]!) throw offsetOutOfRange(topic, range.partition, range.startOffset, String(logStarts[range.partition]));
    }
    for (const range of ranges) {
      const log = logs[range.partition]!;
      const end = Math.min(Number(range.endOffset), log.length);
      for (let from = Number(range.startOffset); from < end; from += this.options.maxBatchSize) {
        await onBatch(log.slice(from, Math.min(end, from + this.options.maxBatchSize)));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const group of this.groups.values()) for (const member of group.members) member.running = false;
    this.notify();
  }

  /** Everything on a topic (but what truncate removed), in partition then offset order (tests, compacted reads). */
  messages(topic: string): InboundMessage[] {
    const { partitions, logStarts } = this.topic(topic);
    return partitions.flatMap((log, partition) => log.slice(logStarts[partition]));
  }

  /** The latest value per key, as a reader of a compacted topic would see it. */
  latestByKey(topic: string): Map<string, InboundMessage> {
    const latest = new Map<string, InboundMessage>();
    for (const message of this.messages(topic).sort((a, b) => a.timestamp - b.timestamp)) {
      const key = message.key?.toString() ?? '';
      if (message.value === null) latest.delete(key);
      else latest.set(key, message);
    }
    return latest;
  }

  committedOffset(groupId: string, topic: string, partition: number): string | undefined {
    return this.groups.get(groupId)?.committed.get(tpKey(topic, partition))?.toString();
  }

  /** Resolves once every member of every group has nothing left to read (tests). */
  async drained(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.isDrained()) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    throw new Error('memory bus did not drain in time');
  }

  private isDrained(): boolean {
    for (const group of this.groups.values()) {
      for (const member of group.members) {
        for (const tp of member.assigned) {
          const end = this.topic(tp.topic).partitions[tp.partition]!.length;
          if (this.resumeAt(group, member, tp) < end) return false;
        }
      }
    }
    return true;
  }

  /**
   * Where a member resumes a partition after a rebalance: the group's commit, else
   * its initialOffsets, else the log start; never below the log start (Kafka's
   * fetch fails there and the consumer resets to the earliest offset).
   */
  private resumeAt(group: Group, member: Member, tp: TopicPartition): number {
    const initial = member.options.initialOffsets?.get(tp.topic)?.get(tp.partition);
    const from = Number(group.committed.get(tpKey(tp.topic, tp.partition)) ?? BigInt(initial ?? 0));
    return Math.max(from, this.topics.get(tp.topic)!.logStarts[tp.partition]!);
  }

  private createTopic(spec: TopicSpec): MemoryTopic {
    const existing = this.topics.get(spec.name);
    if (existing) return existing;
    const count = spec.partitions ?? this.options.defaultPartitions;
    const topic: MemoryTopic = { spec, partitions: Array.from({ length: count }, () => []), logStarts: Array.from({ length: count }, () => 0) };
    this.topics.set(spec.name, topic);
    return topic;
  }

  private topic(name: string): MemoryTopic {
    const topic = this.topics.get(name);
    if (topic) return topic;
    if (!this.options.autoCreateTopics) throw new Error(`unknown topic ${name}`);
    const created = this.createTopic({ name });
    this.rebalanceAll();
    return created;
  }

  private group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { committed: new Map(), members: [] };
      this.groups.set(groupId, group);
    }
    return group;
  }

  /**
   * Refuses the whole send when, in one of the produce requests the Kafka
   * adapter would make of it (split.ts sendGroups), one partition's records
   * exceed max.message.bytes after gzip. Nothing is appended.
   */
  private checkSizes(messages: readonly OutboundMessage[], partitions: readonly number[]): void {
    let start = 0;
    for (const group of sendGroups(messages)) {
      this.checkRequest(group, partitions.slice(start, start + group.length));
      start += group.length;
    }
  }

  private checkRequest(messages: readonly OutboundMessage[], partitions: readonly number[]): void {
    const batches = new Map<string, OutboundMessage[]>();
    messages.forEach((message, i) => {
      const key = `${message.topic}[${partitions[i]}]`;
      const batch = batches.get(key) ?? [];
      batch.push(message);
      batches.set(key, batch);
    });
    const limit = this.options.maxMessageBytes;
    for (const [where, batch] of batches) {
      const raw = batch.reduce((n, m) => n + recordBytes(m), 0);
      if (raw <= limit) continue;
      const compressed = gzipSync(Buffer.concat(batch.flatMap((m) => [m.key === null ? Buffer.alloc(0) : Buffer.from(m.key), m.value ?? Buffer.alloc(0)]))).length;
      if (compressed > limit) {
        throw new RoundhouseError(
          ErrorCodes.RECORD_TOO_LARGE,
          `${batch.length} record(s) for ${where}: ${compressed} bytes after gzip (${raw} raw) exceed max.message.bytes ${limit}; split them`,
          { retriable: false, context: { topic: batch[0]!.topic, records: batch.length, bytes: compressed, limit } },
        );
      }
    }
  }

  private append(messages: readonly OutboundMessage[]): void {
    if (this.closed) throw new Error('bus is closed');
    const now = this.options.clock.now();
    const partitions = messages.map((message) => {
      const count = this.topic(message.topic).partitions.length;
      return message.partition ?? (message.key === null ? this.roundRobin++ % count : hashKey(message.key) % count);
    });
    this.checkSizes(messages, partitions);
    for (const [i, message] of messages.entries()) {
      const topic = this.topic(message.topic);
      const partition = partitions[i]!;
      const log = topic.partitions[partition];
      if (!log) throw new Error(`topic ${message.topic} has no partition ${partition}`);
      log.push({
        topic: message.topic,
        partition,
        offset: String(log.length),
        key: message.key === null ? null : Buffer.from(message.key),
        value: message.value,
        headers: { ...(message.headers ?? {}) },
        timestamp: message.timestamp ?? now,
      });
      this.published.push(message);
    }
    this.notify();
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private rebalanceAll(): void {
    for (const group of this.groups.values()) this.rebalance(group);
  }

  /** Round-robin assignment of every subscribed partition over the group's members. */
  private rebalance(group: Group): void {
    const members = group.members.filter((m) => m.running).sort((a, b) => a.id - b.id);
    for (const member of members) {
      member.assigned = [];
      member.positions.clear();
    }
    const topics = [...new Set(members.flatMap((m) => m.options.topics))].sort();
    let next = 0;
    for (const topic of topics) {
      const subscribers = members.filter((m) => m.options.topics.includes(topic));
      const partitions = this.topics.get(topic)?.partitions.length ?? 0;
      for (let partition = 0; partition < partitions; partition++) {
        subscribers[next++ % subscribers.length]!.assigned.push({ topic, partition });
      }
    }
    for (const member of members) {
      member.options.onAssignment?.(member.assigned);
      member.wake();
    }
  }

  private leave(group: Group, member: Member): void {
    const index = group.members.indexOf(member);
    if (index >= 0) {
      group.members.splice(index, 1);
      this.rebalance(group);
    }
  }

  private async runMember(group: Group, member: Member): Promise<void> {
    while (member.running && !this.closed) {
      let delivered = false;
      for (const tp of [...member.assigned]) {
        if (!member.running) break;
        const key = tpKey(tp.topic, tp.partition);
        const pausedUntil = member.pausedUntil.get(key);
        if (pausedUntil !== undefined && pausedUntil > this.options.clock.now()) continue;
        member.pausedUntil.delete(key);
        const log = this.topics.get(tp.topic)!.partitions[tp.partition]!;
        const position = member.positions.get(key);
        const from = position === undefined ? this.resumeAt(group, member, tp) : Math.max(Number(position), this.topics.get(tp.topic)!.logStarts[tp.partition]!);
        if (from >= log.length) continue;
        const messages = log.slice(from, from + this.options.maxBatchSize);
        const batch: PartitionBatch = { ...tp, messages, highWatermark: String(log.length), lastOffset: messages[messages.length - 1]!.offset };
        const stillAssigned = (): boolean =>
          member.running && member.assigned.some((a) => a.topic === tp.topic && a.partition === tp.partition);
        const control: BatchControl = {
          commit: async (nextOffset, outputs) => {
            if (!stillAssigned()) throw new Error(`partition ${tp.topic}[${tp.partition}] was revoked`);
            // One synchronous step: outputs and offsets become visible together.
            this.append(outputs);
            group.committed.set(key, BigInt(nextOffset));
            member.positions.delete(key);
          },
          advance: (nextOffset) => {
            member.positions.set(key, BigInt(nextOffset));
          },
          backoff: (ms) => {
            member.positions.delete(key);
            member.pausedUntil.set(key, this.options.clock.now() + ms);
            this.options.clock.schedule(ms, () => member.wake());
          },
          heartbeat: async () => undefined,
          isActive: stillAssigned,
        };
        await member.options.onBatch(batch, control);
        delivered = true;
      }
      // Yield to timers and I/O between rounds: a handler that neither commits nor
      // backs off gets its batch again, and must not starve the event loop doing so.
      if (!delivered) await this.waitForWork(member);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private waitForWork(member: Member): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        resolve();
      };
      member.wake = wake;
      this.waiters.add(wake);
      // Paused partitions come back on the clock; also poll occasionally so a
      // manual clock advanced by a test is noticed.
      const timer = setTimeout(wake, 50);
      timer.unref?.();
    });
  }
}
