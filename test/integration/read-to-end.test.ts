import type { Admin, Producer } from 'kafkajs';
import { readToEnd } from '../../lib/bus/read-to-end';
import type { InboundMessage } from '../../lib/bus/types';
import { systemClock } from '../../lib/clock';
import { MODEL_READY_TOPIC_CONFIG } from '../../lib/events';
import { KafkaEventBus } from '../../lib/kafka';
import { silentLogger } from '../../lib/log';
import { CheckpointStore, STATE_TOPIC_CONFIG } from '../../services/trigger/checkpoints';
import { kafkaBus, kafkaClient, rawKafka, uniqueName, waitFor } from '../helpers';

/**
 * startOffsets, readToEnd and initialOffsets on the real broker: a head removed
 * by deleteRecords, a partition emptied by it, and what an open transaction does
 * to the end offsets (the last stable offset) and to a checkpoint load.
 */
const IDLE_MS = 60_000;

/** A bus whose range reader would wait a minute on a partition that delivers nothing: finishing sooner proves it did not. */
const patientBus = (): KafkaEventBus => new KafkaEventBus(kafkaClient(), { logger: silentLogger(), defaultPartitions: 1, replicationFactor: 1, rangeIdleMs: IDLE_MS });

const values = (messages: readonly InboundMessage[]): string[] => messages.map((m) => m.value!.toString());

async function connected<T extends Admin | Producer>(client: T): Promise<T> {
  await client.connect();
  return client;
}

describe('Kafka bus: startOffsets and readToEnd', () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = await connected(rawKafka().admin());
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('reports log starts that deleteRecords moves, refuses a range below one, and reads to the end from them', async () => {
    const bus = patientBus();
    const topic = uniqueName('read-end');
    try {
      await bus.ensureTopics([{ name: topic, partitions: 3 }]);
      expect(await bus.startOffsets(topic)).toEqual(new Map([[0, '0'], [1, '0'], [2, '0']]));
      // Partition 0: 6 records, head of 4 deleted; partition 1: 3 records, all deleted; partition 2: empty.
      await bus.publish([
        ...Array.from({ length: 6 }, (_, i) => ({ topic, key: null, partition: 0, value: Buffer.from(`a${i}`) })),
        ...Array.from({ length: 3 }, (_, i) => ({ topic, key: null, partition: 1, value: Buffer.from(`b${i}`) })),
      ]);
      await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs the admin's metadata of the topic
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '3' }] });
      expect(await bus.startOffsets(topic)).toEqual(new Map([[0, '4'], [1, '3'], [2, '0']]));
      expect(await bus.endOffsets(topic)).toEqual(new Map([[0, '6'], [1, '3'], [2, '0']]));

      const refused = await bus.readRange(topic, [{ partition: 0, startOffset: '2', endOffset: '6' }], async () => undefined).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', retriable: false, context: { topic, partition: 0, logStart: '4' } });

      const seen: InboundMessage[] = [];
      const started = Date.now();
      const ends = await readToEnd(bus, topic, { clock: systemClock, timeoutMs: 30_000, onMessages: (messages) => void seen.push(...messages) });
      expect(Date.now() - started).toBeLessThan(IDLE_MS / 2);
      expect(ends).toEqual(new Map([[0, '6'], [1, '3'], [2, '0']]));
      expect(values(seen)).toEqual(['a4', 'a5']);
      expect(seen.map((m) => m.offset)).toEqual(['4', '5']);
    } finally {
      await bus.close();
    }
  });

  it('commits nothing for any group while reading', async () => {
    const bus = kafkaBus(2);
    const topic = uniqueName('read-end-groups');
    try {
      await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      await bus.publish(Array.from({ length: 4 }, (_, i) => ({ topic, key: null, partition: i % 2, value: Buffer.from(`v${i}`) })));
      const seen: InboundMessage[] = [];
      await readToEnd(bus, topic, { clock: systemClock, timeoutMs: 30_000, onMessages: (messages) => void seen.push(...messages) });
      expect(seen).toHaveLength(4);
      // kafkajs has no assign(): the range reader joins a throwaway group. No group
      // on the broker (that one included, if it is still listed) holds an offset for the topic.
      const { groups } = await admin.listGroups();
      const committing: string[] = [];
      for (const { groupId } of groups) {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        if ((offsets?.partitions ?? []).some((p) => p.offset !== '-1')) committing.push(groupId);
      }
      expect(committing).toEqual([]);
    } finally {
      await bus.close();
    }
  });

  it('end offsets are the last stable offset: an open transaction holds them at its first record, and readToEnd does not wait for it', async () => {
    const bus = patientBus();
    const topic = uniqueName('read-end-lso');
    const producer = await connected(rawKafka().producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 }));
    try {
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      await bus.publish(['c0', 'c1'].map((v) => ({ topic, key: null, value: Buffer.from(v) }))); // offsets 0, 1
      const open = await producer.transaction();
      await open.send({ topic, messages: [{ value: 'open0' }, { value: 'open1' }] }); // 2, 3: not committed
      await bus.publish([{ topic, key: null, value: Buffer.from('after') }]); // 4: committed, but beyond the open record
      expect(await bus.endOffsets(topic)).toEqual(new Map([[0, '2']]));

      const seen: InboundMessage[] = [];
      const started = Date.now();
      expect(await readToEnd(bus, topic, { clock: systemClock, timeoutMs: 30_000, onMessages: (m) => void seen.push(...m) })).toEqual(new Map([[0, '2']]));
      expect(Date.now() - started).toBeLessThan(IDLE_MS / 2);
      expect(values(seen)).toEqual(['c0', 'c1']);

      // Committed, the marker (offset 5) lands and the LSO catches up with the high watermark.
      await open.commit();
      await waitFor(async () => ((await bus.endOffsets(topic)).get(0) === '6' ? true : undefined), 'the LSO to pass the commit marker');
      const all: InboundMessage[] = [];
      await readToEnd(bus, topic, { clock: systemClock, timeoutMs: 30_000, onMessages: (m) => void all.push(...m) });
      expect(values(all)).toEqual(['c0', 'c1', 'open0', 'open1', 'after']);
    } finally {
      await producer.disconnect();
      await bus.close();
    }
  });

  it('a checkpoint load waits for a transaction open before its sentinel, then sees what was committed after that transaction', async () => {
    const bus = kafkaBus();
    const topic = uniqueName('state');
    const store = new CheckpointStore(bus, topic, silentLogger());
    const crashedId = uniqueName('tx-crashed');
    // A transaction timeout far beyond the test: only fencing can end the crashed member's transaction.
    const crashed = await connected(rawKafka().producer({ transactionalId: crashedId, transactionTimeout: 600_000, idempotent: true, maxInFlightRequests: 1 }));
    const other = await connected(rawKafka().producer({ transactionalId: uniqueName('tx-other'), idempotent: true, maxInFlightRequests: 1 }));
    let loaded: Map<string, unknown> | undefined;
    let loading: Promise<unknown> = Promise.resolve();
    try {
      await bus.ensureTopics([{ name: topic, partitions: 1, compacted: true, config: STATE_TOPIC_CONFIG }]);
      const send = async (producer: Producer, key: string, state: unknown): Promise<void> => {
        const tx = await producer.transaction();
        const m = store.message(key, state);
        await tx.send({ topic, messages: [{ key: m.key, value: m.value, partition: 0 }] });
        if (producer === other) await tx.commit();
      };
      await send(other, 'ingest/a/0', { v: 1 });
      // The crashed member's transaction stays open; the other member commits after it.
      await send(crashed, 'ingest/b/0', { zombie: true });
      await send(other, 'ingest/a/1', { v: 2 });
      // a/0 at 0 (marker 1), the open b/0 at 2, a/1 at 3 (marker 4): the LSO stops before a/1, though it is committed.
      expect(await bus.endOffsets(topic)).toEqual(new Map([[0, '2']]));

      loading = store.load(40_000).then((states) => (loaded = states));
      loading.catch(() => undefined);
      // A sleep, not a wait for a condition: what is checked is that nothing happens for a while.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(loaded).toBeUndefined();

      // The crashed member's successor (same transactional id) fences it: InitProducerId aborts the open transaction.
      const successor = await connected(rawKafka().producer({ transactionalId: crashedId, idempotent: true, maxInFlightRequests: 1 }));
      await (await successor.transaction()).abort();
      await successor.disconnect();
      await waitFor(() => loaded, 'the load to finish once the open transaction is aborted');
      expect(loaded).toEqual(new Map([['ingest/a/0', { v: 1 }], ['ingest/a/1', { v: 2 }]]));
    } finally {
      await Promise.allSettled([crashed.disconnect(), other.disconnect(), loading]);
      await bus.close();
    }
  });

  it('the broker accepts the state and model-ready topic settings', async () => {
    const bus = kafkaBus();
    const state = uniqueName('state-config');
    const ready = uniqueName('ready-config');
    try {
      await bus.ensureTopics([
        { name: state, partitions: 1, compacted: true, config: STATE_TOPIC_CONFIG },
        { name: ready, compacted: true, config: MODEL_READY_TOPIC_CONFIG },
      ]);
      for (const [topic, expected] of [[state, STATE_TOPIC_CONFIG], [ready, MODEL_READY_TOPIC_CONFIG]] as const) {
        const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: Object.keys(expected) }] });
        const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
        expect(Object.fromEntries(entries)).toEqual(expected);
      }
    } finally {
      await bus.close();
    }
  });

  it('a subscription starts a partition its group never committed at initialOffsets, and the others at the log start', async () => {
    const bus = kafkaBus(2);
    const topic = uniqueName('initial');
    const groupId = uniqueName('group');
    try {
      await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      await bus.publish(Array.from({ length: 10 }, (_, i) => ({ topic, key: null, partition: i % 2, value: Buffer.from(`v${i}`) })));
      const seen: string[] = [];
      const subscription = await bus.subscribe({
        groupId,
        topics: [topic],
        initialOffsets: new Map([[topic, new Map([[0, '3']])]]),
        onBatch: async (batch, control) => {
          seen.push(...batch.messages.map((m) => `${m.partition}:${m.offset}`));
          await control.commit((BigInt(batch.lastOffset) + 1n).toString(), []);
        },
      });
      try {
        await waitFor(() => (seen.length >= 7 ? true : undefined), 'both partitions to be read');
      } finally {
        await subscription.stop();
      }
      expect(seen.filter((s) => s.startsWith('0:'))).toEqual(['0:3', '0:4']);
      expect(seen.filter((s) => s.startsWith('1:'))).toEqual(['1:0', '1:1', '1:2', '1:3', '1:4']);
    } finally {
      await bus.close();
    }
  });
});
