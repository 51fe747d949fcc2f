import { KafkaEventBus } from '../../lib/kafka';
import { silentLogger } from '../../lib/log';
import { kafkaBus, kafkaClient, rawKafka, uniqueName } from '../helpers';

/** EventBus.offsetsForTime and readRange on the real broker (what the trainer reads its window with). */
describe('Kafka bus: offsetsForTime and readRange', () => {
  const T = Date.UTC(2026, 0, 1);

  it('a topic that does not exist is NOT_FOUND at once, not after the client retries (pinning a run relies on it)', async () => {
    const bus = kafkaBus(2);
    try {
      // Without the check, kafkajs retries its metadata request and fails with its own (retriable) error.
      await expect(bus.offsetsForTime(uniqueName('missing'), T)).rejects.toMatchObject({ code: 'NOT_FOUND', retriable: false, message: expect.stringMatching(/^topic .* does not exist$/) });
    } finally {
      await bus.close();
    }
  });

  it('turns record timestamps into offsets and reads exactly the ranges', async () => {
    const bus = kafkaBus(2);
    const topic = uniqueName('range');
    try {
      await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      await bus.publish(
        Array.from({ length: 20 }, (_, i) => ({ topic, key: null, partition: i % 2, value: Buffer.from(`v${i}`), timestamp: T + 1000 * i })),
      );
      // Partition 0 holds v0, v2, … (times T, T+2s, …), partition 1 v1, v3, ….
      expect(await bus.offsetsForTime(topic, T + 4_500)).toEqual(new Map([[0, '3'], [1, '2']]));
      expect(await bus.offsetsForTime(topic, T - 1)).toEqual(new Map([[0, '0'], [1, '0']]));
      expect(await bus.offsetsForTime(topic, T + 100_000)).toEqual(new Map([[0, '10'], [1, '10']]));

      const seen: { partition: number; offset: string; value: string; timestamp: number }[] = [];
      await bus.readRange(
        topic,
        [
          { partition: 0, startOffset: '3', endOffset: '7' },
          { partition: 1, startOffset: '5', endOffset: '5' },
        ],
        async (messages) => {
          seen.push(...messages.map((m) => ({ partition: m.partition, offset: m.offset, value: m.value!.toString(), timestamp: m.timestamp })));
        },
      );
      expect(seen.map((m) => m.value)).toEqual(['v6', 'v8', 'v10', 'v12']);
      expect(seen.map((m) => m.timestamp)).toEqual([T + 6000, T + 8000, T + 10_000, T + 12_000]);
      expect(seen.every((m) => m.partition === 0)).toBe(true);
    } finally {
      await bus.close();
    }
  });

  it('finishes a range that ends on a transaction marker, without aborted records', async () => {
    const topic = uniqueName('range-tx');
    const bus = new KafkaEventBus(kafkaClient(), { logger: silentLogger(), defaultPartitions: 1, replicationFactor: 1, rangeIdleMs: 60_000 });
    const producer = rawKafka().producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
    try {
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      await producer.connect();
      const send = async (values: string[], commit: boolean): Promise<void> => {
        const tx = await producer.transaction();
        await tx.send({ topic, messages: values.map((value) => ({ value })) });
        await (commit ? tx.commit() : tx.abort());
      };
      await send(['c0', 'c1'], true); // offsets 0, 1, marker 2
      await send(['x0'], false); // 3, marker 4
      await send(['c2'], true); // 5, marker 6
      const end = await bus.endOffsets(topic);
      expect(end.get(0)).toBe('7');
      const seen: string[] = [];
      const started = Date.now();
      await bus.readRange(topic, [{ partition: 0, startOffset: '0', endOffset: '7' }], async (messages) => {
        seen.push(...messages.map((m) => m.value!.toString()));
      });
      expect(seen).toEqual(['c0', 'c1', 'c2']);
      // Finished by the marker's batch, not by the (60 s) idle guard.
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await producer.disconnect();
      await bus.close();
    }
  });

  it('finishes by the idle guard when nothing below the end can arrive', async () => {
    const topic = uniqueName('range-idle');
    const bus = new KafkaEventBus(kafkaClient(), { logger: silentLogger(), defaultPartitions: 1, replicationFactor: 1, rangeIdleMs: 1_000 });
    try {
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      await bus.publish([{ topic, key: null, value: Buffer.from('only') }]);
      const seen: string[] = [];
      // The end lies beyond what the partition holds (as after a trailing marker the fetch never reports).
      await bus.readRange(topic, [{ partition: 0, startOffset: '0', endOffset: '2' }], async (messages) => {
        seen.push(...messages.map((m) => m.value!.toString()));
      });
      expect(seen).toEqual(['only']);
    } finally {
      await bus.close();
    }
  });
});
