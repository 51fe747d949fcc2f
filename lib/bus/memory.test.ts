import { randomBytes } from 'node:crypto';
import { isRoundhouseError } from '../errors';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, MemoryEventBus } from './memory';

/**
 * The in-memory bus refuses what a broker at its default max.message.bytes
 * refuses (issue 11: with no limit, no unit test could see a checkpoint or a
 * partial outgrow 1 MiB, which on a real broker fails the transaction for good).
 */
async function refusal(action: () => Promise<void>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the send to be refused');
}

describe('MemoryEventBus record size limit', () => {
  it('refuses a record above max.message.bytes after gzip, naming the partition, sizes and limit', async () => {
    const bus = new MemoryEventBus();
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    const error = await refusal(() => bus.publish([{ topic: 't', key: 'k', value: randomBytes(KAFKA_DEFAULT_MAX_MESSAGE_BYTES + 100) }]));
    expect(isRoundhouseError(error) && error.code).toBe('RECORD_TOO_LARGE');
    expect((error as Error).message).toMatch(/t\[0\]: \d+ bytes after gzip .* exceed max\.message\.bytes 1048588/);
    expect(isRoundhouseError(error) && error.retriable).toBe(false);
    expect(bus.messages('t')).toHaveLength(0);
  });

  it('accepts a large record that gzip brings under the limit, as the broker would', async () => {
    const bus = new MemoryEventBus();
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.alloc(5 * 1024 * 1024, 'a') }]);
    expect(bus.messages('t')).toHaveLength(1);
  });

  it('sums one partition’s records in a send (one batch per partition), and refuses the whole send', async () => {
    const bus = new MemoryEventBus({ maxMessageBytes: 10_000 });
    await bus.ensureTopics([{ name: 't', partitions: 2 }]);
    const small = (partition: number) => ({ topic: 't', key: null, partition, value: randomBytes(3_000) });
    await bus.publish([small(0), small(0), small(1), small(1), small(1)]); // 6 KB and 9 KB: fine
    const error = await refusal(() => bus.publish([small(0), small(1), small(1), small(1), small(1)])); // 12 KB on [1]
    expect(isRoundhouseError(error) && error.code).toBe('RECORD_TOO_LARGE');
    expect(bus.messages('t')).toHaveLength(5); // nothing of the refused send was appended
  });

  it('a commit whose outputs are too large fails and leaves the offset where it was', async () => {
    const bus = new MemoryEventBus({ maxMessageBytes: 10_000 });
    await bus.ensureTopics([{ name: 'in', partitions: 1 }, { name: 'out', partitions: 1 }]);
    await bus.publish([{ topic: 'in', key: null, value: Buffer.from('x') }]);
    const errors: unknown[] = [];
    const sub = await bus.subscribe({
      groupId: 'g',
      topics: ['in'],
      onBatch: async (batch, control) => {
        try {
          await control.commit(String(Number(batch.lastOffset) + 1), [{ topic: 'out', key: null, value: randomBytes(20_000) }]);
        } catch (error) {
          errors.push(error);
          control.backoff(60_000);
        }
      },
    });
    while (errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await sub.stop();
    expect(isRoundhouseError(errors[0]) && errors[0].code).toBe('RECORD_TOO_LARGE');
    expect(bus.committedOffset('g', 'in', 0)).toBeUndefined();
    expect(bus.messages('out')).toHaveLength(0);
  });
});
