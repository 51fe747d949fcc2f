import { KafkaEventBus } from '../../lib/kafka';
import type { InboundMessage, OutboundMessage, PartitionBatch, BatchControl } from '../../lib/bus/types';
import { errorCode } from '../../lib/errors';
import { silentLogger } from '../../lib/log';
import { kafkaClient, uniqueName, waitFor } from '../helpers';

/**
 * A zombie: member A has read a batch and is about to commit its outputs when
 * it stalls (a GC pause, a partitioned node) past its session; the group gives
 * its partition to B, which processes the same batch and commits. Then A wakes
 * up and commits. kafkajs has no KIP-447 generation fencing, so only the
 * transactional id can stop A: with ids per partition, B's InitProducerId
 * fenced A's producer; with ids per member (what the trigger used, derived from
 * pod names), A's late commit lands and every output is there twice.
 */
describe('Kafka bus: a zombie member cannot commit after its partition moved', () => {
  const bus = (): KafkaEventBus => new KafkaEventBus(kafkaClient(), { logger: silentLogger(), defaultPartitions: 1, replicationFactor: 1, sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 10_000 });
  const outputsOf = (batch: PartitionBatch, topic: string): OutboundMessage[] => batch.messages.map((m: InboundMessage) => ({ topic, key: m.key, value: m.value }));

  async function zombieRun(perPartition: boolean): Promise<{ outputs: string[]; zombieError: string | null; committed: string | undefined }> {
    const input = uniqueName('fence-in');
    const output = uniqueName('fence-out');
    const groupId = uniqueName('fence-group');
    const admin = bus();
    await admin.ensureTopics([{ name: input, partitions: 1 }, { name: output, partitions: 1 }]);
    await admin.publish(Array.from({ length: 10 }, (_, i) => ({ topic: input, key: Buffer.from('k'), value: Buffer.from(String(i + 1)) })));

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    let zombieError: string | null = null;
    let zombieDone = false;
    const a = bus();
    const b = bus();
    try {
      await a.subscribe({
        groupId,
        topics: [input],
        transactionalId: perPartition ? `${groupId}-tx` : `${groupId}-tx-a`,
        transactionalIdPerPartition: perPartition,
        onBatch: async (batch: PartitionBatch, control: BatchControl) => {
          if (zombieDone) return;
          holding = true;
          await gate; // stalls without heartbeats: the group removes A
          try {
            await control.commit((BigInt(batch.lastOffset) + 1n).toString(), outputsOf(batch, output));
          } catch (error) {
            zombieError = errorCode(error);
          }
          zombieDone = true;
        },
      });
      await waitFor(() => holding, 'A holding its batch', 60_000);
      let bCommitted = 0;
      await b.subscribe({
        groupId,
        topics: [input],
        transactionalId: perPartition ? `${groupId}-tx` : `${groupId}-tx-b`,
        transactionalIdPerPartition: perPartition,
        onBatch: async (batch: PartitionBatch, control: BatchControl) => {
          await control.commit((BigInt(batch.lastOffset) + 1n).toString(), outputsOf(batch, output));
          bCommitted += batch.messages.length;
        },
      });
      await waitFor(async () => bCommitted >= 10 && (await admin.committedOffsets(groupId, input)).get(0) === '10', 'B to take over and commit the 10 events', 90_000);
      release();
      await waitFor(() => zombieDone, 'A to wake up and try its commit', 60_000);
      await a.close();
      const ends = await admin.endOffsets(output);
      const outputs: string[] = [];
      await admin.readRange(output, [{ partition: 0, startOffset: '0', endOffset: ends.get(0)! }], async (messages) => {
        outputs.push(...messages.map((m) => m.value!.toString()));
      });
      return { outputs, zombieError, committed: (await admin.committedOffsets(groupId, input)).get(0) };
    } finally {
      release();
      await Promise.allSettled([a.close(), b.close()]);
      await admin.close();
    }
  }

  it('with transactional ids per partition: the zombie is fenced, every output is there once, the offset stays at the end', async () => {
    const run = await zombieRun(true);
    expect(run.zombieError).toBe('FENCED');
    expect(run.outputs).toEqual(Array.from({ length: 10 }, (_, i) => String(i + 1)));
    expect(run.committed).toBe('10');
  });

  it('with transactional ids per member (the trigger before): the zombie commits and every output is duplicated (the bug the first test guards)', async () => {
    const run = await zombieRun(false);
    expect(run.zombieError).toBeNull();
    expect(run.outputs).toHaveLength(20);
    expect([...new Set(run.outputs)]).toHaveLength(10);
  });
});
