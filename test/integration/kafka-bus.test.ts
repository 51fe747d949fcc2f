import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupsCaughtUp } from '../../lib/bus/caught-up';
import { createBatchProcessor } from '../../lib/bus/processor';
import type { OutboundMessage } from '../../lib/bus/types';
import { kafkaBus, rawKafka, readAll, uniqueName, waitFor } from '../helpers';

const values = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => String(from + i));
const out = (topic: string, value: string): OutboundMessage => ({ topic, key: 'k', value: Buffer.from(value) });

function runCrashingConsumer(env: Record<string, string>): Promise<NodeJS.Signals | number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'crashing-consumer.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
}

/** Consume a group in-process and record what it is delivered. */
async function consumeGroup(topic: string, groupId: string) {
  const bus = kafkaBus();
  const delivered: string[] = [];
  const subscription = await bus.subscribe({
    groupId,
    topics: [topic],
    onBatch: createBatchProcessor({
      name: 'survivor',
      groupId,
      decode: (m) => m.value?.toString() ?? '',
      handle: async (records) => {
        delivered.push(...records.map((r) => r.value));
      },
    }),
  });
  return { delivered, stop: async () => bus.close().then(() => subscription.done) };
}

describe('Kafka bus: commit after the effect', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'roundhouse-crash-'));
  });

  it('redelivers a message whose consumer crashed before its effect', async () => {
    const bus = kafkaBus();
    const topic = uniqueName('crash-before');
    const groupId = uniqueName('group');
    const effects = join(dir, `${topic}.log`);
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    await bus.publish(values(10).map((v) => out(topic, v)));

    const exit = await runCrashingConsumer({ TOPIC: topic, GROUP: groupId, CRASH_AT: 'before-effect', CRASH_VALUE: '5', EFFECTS_FILE: effects });
    expect(exit).toBe('SIGKILL');
    const before = existsSync(effects) ? readFileSync(effects, 'utf8').trim().split('\n').filter(Boolean) : [];
    expect(before).not.toContain('5');

    const survivor = await consumeGroup(topic, groupId);
    try {
      await waitFor(() => survivor.delivered.includes('10'), 'the survivor to reach the end');
      expect(survivor.delivered).toContain('5');
      expect(new Set([...before, ...survivor.delivered])).toEqual(new Set(values(10)));
    } finally {
      await survivor.stop();
      await bus.close();
    }
  });

  it('does not redeliver what was committed before the crash', async () => {
    const bus = kafkaBus();
    const topic = uniqueName('crash-after');
    const groupId = uniqueName('group');
    const effects = join(dir, `${topic}.log`);
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    await bus.publish(values(10).map((v) => out(topic, v)));

    const exit = await runCrashingConsumer({ TOPIC: topic, GROUP: groupId, CRASH_AT: 'after-commit', CRASH_VALUE: '10', EFFECTS_FILE: effects });
    expect(exit).toBe('SIGKILL');
    expect(readFileSync(effects, 'utf8').trim().split('\n')).toEqual(values(10));

    await bus.publish([out(topic, 'sentinel')]);
    const survivor = await consumeGroup(topic, groupId);
    try {
      await waitFor(() => survivor.delivered.includes('sentinel'), 'the sentinel');
      expect(survivor.delivered).toEqual(['sentinel']);
    } finally {
      await survivor.stop();
      await bus.close();
    }
  });
});

describe('Kafka bus: transactions', () => {
  it('commits outputs and consumed offsets together in one transaction', async () => {
    const bus = kafkaBus();
    const input = uniqueName('tx-in');
    const output = uniqueName('tx-out');
    const groupId = uniqueName('tx-group');
    await bus.ensureTopics([{ name: input, partitions: 1 }, { name: output, partitions: 1 }]);
    await bus.publish(values(5).map((v) => out(input, v)));

    const subscription = await bus.subscribe({
      groupId,
      topics: [input],
      transactionalId: uniqueName('tx'),
      onBatch: createBatchProcessor({
        name: 'doubler',
        groupId,
        decode: (m) => Number(m.value?.toString()),
        handle: async (records) => records.map((r) => out(output, String(r.value * 2))),
      }),
    });
    const admin = rawKafka().admin();
    await admin.connect();
    try {
      const seen = await readAll(output, 5);
      expect(seen.map((m) => m.value?.toString())).toEqual(['2', '4', '6', '8', '10']);
      const committed = await waitFor(async () => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [input] });
        const offset = offsets?.partitions[0]?.offset;
        return offset === '5' ? offset : undefined;
      }, 'the consumed offset to be committed in the transaction');
      expect(committed).toBe('5');
    } finally {
      await admin.disconnect();
      await subscription.stop();
      await bus.close();
    }
  });

  it('hides an aborted transaction from a read_committed consumer, offsets included', async () => {
    const bus = kafkaBus();
    const topic = uniqueName('tx-abort');
    const sourceTopic = uniqueName('tx-source');
    const groupId = uniqueName('tx-group');
    await bus.ensureTopics([{ name: topic, partitions: 1 }, { name: sourceTopic, partitions: 1 }]);
    const producer = rawKafka().producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
    const admin = rawKafka().admin();
    await Promise.all([producer.connect(), admin.connect()]);
    try {
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ value: 'aborted' }] });
      await aborted.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: sourceTopic, partitions: [{ partition: 0, offset: '42' }] }] });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic, messages: [{ value: 'committed' }] });
      await committed.commit();

      // Our subscriptions read committed data only.
      const delivered: string[] = [];
      const subscription = await bus.subscribe({
        groupId: uniqueName('reader'),
        topics: [topic],
        onBatch: createBatchProcessor({
          name: 'reader',
          groupId: 'reader',
          decode: (m) => m.value?.toString() ?? '',
          handle: async (records) => {
            delivered.push(...records.map((r) => r.value));
          },
        }),
      });
      await waitFor(() => delivered.includes('committed'), 'the committed message');
      await subscription.stop();
      expect(delivered).toEqual(['committed']);

      // The aborted record was written (a read_uncommitted reader sees it), and its offsets were not committed.
      const uncommitted = await readAll(topic, 2, { readUncommitted: true });
      expect(uncommitted.map((m) => m.value?.toString())).toEqual(['aborted', 'committed']);
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [sourceTopic] });
      expect(offsets?.partitions[0]?.offset).toBe('-1');
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
      await bus.close();
    }
  });
});

describe('Kafka bus: limits and lag, on the real broker', () => {
  it('refuses a send above max.message.bytes with RECORD_TOO_LARGE (not retriable), like the memory bus', async () => {
    const bus = kafkaBus();
    const topic = uniqueName('too-large');
    try {
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      // Random bytes do not compress: 1.5 MiB stays above the broker's default 1 MiB after gzip.
      const error = await bus.publish([{ topic, key: 'k', value: randomBytes(1_500_000) }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'RECORD_TOO_LARGE', retriable: false });
      await bus.publish([{ topic, key: 'k', value: Buffer.alloc(1_500_000, 'a') }]); // compresses well below it: accepted
      expect((await bus.endOffsets(topic)).get(0)).toBe('1');
    } finally {
      await bus.close();
    }
  });

  it('sends several records that together exceed max.message.bytes for one partition, in produce requests under it (lib/bus/split)', async () => {
    const bus = kafkaBus();
    const topic = uniqueName('split-send');
    try {
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      // Four incompressible 400 KiB records for one partition: 1.6 MiB in one sendBatch was refused whole.
      await bus.publish(Array.from({ length: 4 }, (_, i) => ({ topic, key: `k${i}`, value: randomBytes(400 * 1024) })));
      expect((await bus.endOffsets(topic)).get(0)).toBe('4');
    } finally {
      await bus.close();
    }
  });

  it('committedOffsets reports what a group committed, and nothing for a group that never did', async () => {
    const bus = kafkaBus();
    const topic = uniqueName('committed');
    const groupId = uniqueName('group');
    try {
      await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      await bus.publish(values(6).map((v, i) => ({ topic, key: null, partition: i % 2, value: Buffer.from(v) })));
      expect(await groupsCaughtUp(bus, [{ groupId, topics: [topic] }])).toBe(false);
      const survivor = await consumeGroup(topic, groupId);
      try {
        await waitFor(async () => (await groupsCaughtUp(bus, [{ groupId, topics: [topic] }])) || undefined, 'the group to commit the end');
      } finally {
        await survivor.stop();
      }
      expect([...(await bus.committedOffsets(groupId, topic))].sort()).toEqual([
        [0, '3'],
        [1, '3'],
      ]);
      expect((await bus.committedOffsets(uniqueName('never'), topic)).size).toBe(0);
    } finally {
      await bus.close();
    }
  });
});
