import { ErrorCodes, RoundhouseError } from '../errors';
import { createServiceMetrics } from '../metrics';
import { DLQ_HEADERS } from './dlq';
import { MemoryEventBus } from './memory';
import { createBatchProcessor, DecodedRecord } from './processor';
import type { InboundMessage, OutboundMessage } from './types';

const text = (m: InboundMessage): string => m.value?.toString() ?? '';
const msg = (topic: string, key: string, value: string): OutboundMessage => ({ topic, key, value: Buffer.from(value) });

function decodeNumber(message: InboundMessage): number {
  const value = Number(text(message));
  if (!Number.isFinite(value)) {
    throw new RoundhouseError(ErrorCodes.DECODE_BODY, `not a number: ${text(message)}`);
  }
  return value;
}

async function until(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('batch processor on the memory bus', () => {
  it('dead-letters undecodable messages with the reason and carries on', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 1 });
    const seen: number[] = [];
    const metrics = createServiceMetrics('t');
    const processor = createBatchProcessor(
      {
        name: 'sum',
        groupId: 'g',
        decode: decodeNumber,
        handle: async (records: readonly DecodedRecord<number>[]) => {
          seen.push(...records.map((r) => r.value));
        },
      },
      { metrics },
    );
    await bus.publish([msg('in', 'k', '1'), msg('in', 'k', 'garbage'), msg('in', 'k', '3')]);
    const sub = await bus.subscribe({ groupId: 'g', topics: ['in'], onBatch: processor });
    await bus.drained();
    await sub.stop();

    expect(seen).toEqual([1, 3]);
    const dead = bus.messages('in.dlq');
    expect(dead).toHaveLength(1);
    expect(dead[0]!.value?.toString()).toBe('garbage');
    expect(dead[0]!.key?.toString()).toBe('k');
    expect(dead[0]!.headers).toMatchObject({
      [DLQ_HEADERS.sourceTopic]: 'in',
      [DLQ_HEADERS.sourcePartition]: '0',
      [DLQ_HEADERS.sourceOffset]: '1',
      [DLQ_HEADERS.errorCode]: 'DECODE_BODY',
      [DLQ_HEADERS.errorMessage]: 'not a number: garbage',
      [DLQ_HEADERS.consumerGroup]: 'g',
    });
    expect(bus.committedOffset('g', 'in', 0)).toBe('3');
    const exported = await metrics.registry.metrics();
    expect(exported).toContain('roundhouse_t_consumer_dead_letters_total{consumer="sum",topic="in",code="DECODE_BODY"} 1');
    expect(exported).toContain('roundhouse_t_consumer_messages_total{consumer="sum",topic="in"} 3');
  });

  it('does not commit when the effect fails retriably, and redelivers after a backoff', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 1 });
    const effects: number[] = [];
    let failures = 2;
    const processor = createBatchProcessor(
      {
        name: 'flaky',
        groupId: 'g',
        decode: decodeNumber,
        handle: async (records) => {
          if (failures-- > 0) throw new RoundhouseError(ErrorCodes.KAFKA_UNAVAILABLE, 'downstream down');
          effects.push(...records.map((r) => r.value));
        },
      },
      { backoff: { initialMs: 1, maxMs: 2 } },
    );
    await bus.publish([msg('in', 'a', '7'), msg('in', 'a', '8')]);
    const sub = await bus.subscribe({ groupId: 'g', topics: ['in'], onBatch: processor });
    await until(() => effects.length === 2, 'the effect after retries');
    await sub.stop();
    expect(effects).toEqual([7, 8]);
    expect(bus.committedOffset('g', 'in', 0)).toBe('2');
    expect(bus.messages('in.dlq')).toHaveLength(0);
  });

  it('narrows a non-retriable handler failure down to the one poison record', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 1 });
    const effects: number[] = [];
    const processor = createBatchProcessor({
      name: 'strict',
      groupId: 'g',
      decode: decodeNumber,
      handle: async (records) => {
        if (records.some((r) => r.value < 0)) throw new RoundhouseError(ErrorCodes.VALIDATION, 'negative amount');
        effects.push(...records.map((r) => r.value));
      },
    });
    await bus.publish([msg('in', 'a', '1'), msg('in', 'a', '-2'), msg('in', 'a', '3')]);
    const sub = await bus.subscribe({ groupId: 'g', topics: ['in'], onBatch: processor });
    await bus.drained();
    await sub.stop();
    expect(effects).toEqual([1, 3]);
    const dead = bus.messages('in.dlq');
    expect(dead.map(text)).toEqual(['-2']);
    expect(dead[0]!.headers[DLQ_HEADERS.errorCode]).toBe('VALIDATION');
  });

  it('publishes handler outputs together with the offsets', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 2 });
    const processor = createBatchProcessor({
      name: 'double',
      groupId: 'g',
      decode: decodeNumber,
      handle: async (records) => records.map((r) => msg('out', 'k', String(r.value * 2))),
    });
    await bus.publish(['1', '2', '3'].map((v) => msg('in', v, v)));
    const sub = await bus.subscribe({ groupId: 'g', topics: ['in'], onBatch: processor });
    await bus.drained();
    await sub.stop();
    expect(bus.messages('out').map(text).sort()).toEqual(['2', '4', '6']);
  });

  it('shares partitions between the members of a group and hands them over on leave', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 4 });
    await bus.ensureTopics([{ name: 'in' }]);
    const byMember: Record<string, number[]> = { a: [], b: [] };
    const make = (name: 'a' | 'b') =>
      createBatchProcessor({
        name,
        groupId: 'g',
        decode: decodeNumber,
        handle: async (records) => {
          byMember[name]!.push(...records.map((r) => r.value));
        },
      });
    const assignments: Record<string, number> = {};
    const a = await bus.subscribe({ groupId: 'g', topics: ['in'], onBatch: make('a'), onAssignment: (tp) => (assignments.a = tp.length) });
    const b = await bus.subscribe({ groupId: 'g', topics: ['in'], onBatch: make('b'), onAssignment: (tp) => (assignments.b = tp.length) });
    expect(assignments).toEqual({ a: 2, b: 2 });
    await bus.publish(Array.from({ length: 40 }, (_, i) => msg('in', `key-${i}`, String(i))));
    await bus.drained();
    await b.stop();
    expect(assignments.a).toBe(4);
    await bus.publish(Array.from({ length: 10 }, (_, i) => msg('in', `key-${i}`, String(100 + i))));
    await bus.drained();
    await a.stop();
    const all = [...byMember.a!, ...byMember.b!].sort((x, y) => x - y);
    expect(all).toEqual([...Array.from({ length: 40 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
    expect(byMember.a!.length).toBeGreaterThan(0);
    expect(byMember.b!.length).toBeGreaterThan(0);
  });
});

describe('BatchControl.advance', () => {
  it('moves the fetch position without committing; a backoff redelivers from the last commit', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 1, maxBatchSize: 2 });
    await bus.publish(['1', '2', '3', '4', '5', '6'].map((v) => msg('in', 'k', v)));
    const seen: string[] = [];
    let failedOnce = false;
    const sub = await bus.subscribe({
      groupId: 'g',
      topics: ['in'],
      onBatch: async (batch, control) => {
        const values = batch.messages.map(text);
        seen.push(...values);
        const next = (BigInt(batch.lastOffset) + 1n).toString();
        if (values.includes('5') && !failedOnce) {
          failedOnce = true;
          control.backoff(1);
          return;
        }
        if (values.includes('1')) return control.commit(next, []);
        control.advance(next);
        if (values.includes('5')) await control.commit(next, []);
      },
    });
    await until(() => bus.committedOffset('g', 'in', 0) === '6', 'the final commit');
    await sub.stop();
    // 1,2 committed; 3,4 advanced only; 5,6 failed once → redelivered from offset 2 (3,4 again), then committed.
    expect(seen).toEqual(['1', '2', '3', '4', '5', '6', '3', '4', '5', '6']);
  });
});
