import { ManualClock } from '../clock';
import { MemoryEventBus } from './memory';
import type { InboundMessage } from './types';

/** offsetsForTime and readRange on the in-memory bus (the Kafka adapter: test/integration/trainer-bus.test.ts). */
describe('MemoryEventBus: offsetsForTime and readRange', () => {
  const T = 1_700_000_000_000;

  async function seeded(): Promise<MemoryEventBus> {
    const bus = new MemoryEventBus({ clock: new ManualClock(T + 1_000_000), maxBatchSize: 3 });
    await bus.ensureTopics([{ name: 't', partitions: 2 }]);
    // Partition 0: timestamps T, T+10, …, T+90; partition 1: the broker clock (no timestamp given).
    await bus.publish(Array.from({ length: 10 }, (_, i) => ({ topic: 't', key: null, partition: 0, value: Buffer.from(`a${i}`), timestamp: T + 10 * i })));
    await bus.publish([{ topic: 't', key: null, partition: 1, value: Buffer.from('b0') }]);
    return bus;
  }

  it('keeps a given record timestamp and defaults to the clock', async () => {
    const bus = await seeded();
    const all = bus.messages('t');
    expect(all.filter((m) => m.partition === 0).map((m) => m.timestamp)).toEqual(Array.from({ length: 10 }, (_, i) => T + 10 * i));
    expect(all.find((m) => m.partition === 1)?.timestamp).toBe(T + 1_000_000);
  });

  it.each([
    [T - 5, '0', '0'],
    [T, '0', '0'],
    [T + 1, '1', '0'],
    [T + 90, '9', '0'],
    [T + 91, '10', '0'],
    [T + 2_000_000, '10', '1'],
  ])('offsetsForTime(%d) is the first offset at or after it, else the end', async (t, p0, p1) => {
    const bus = await seeded();
    expect(await bus.offsetsForTime('t', t)).toEqual(new Map([[0, p0], [1, p1]]));
  });

  it('readRange delivers exactly [start, end) of each range, in batches, awaiting each', async () => {
    const bus = await seeded();
    const batches: string[][] = [];
    let inFlight = 0;
    await bus.readRange('t', [{ partition: 0, startOffset: '2', endOffset: '9' }, { partition: 1, startOffset: '0', endOffset: '1' }], async (messages: readonly InboundMessage[]) => {
      inFlight++;
      expect(inFlight).toBe(1);
      batches.push(messages.map((m) => m.value!.toString()));
      await Promise.resolve();
      inFlight--;
    });
    expect(batches).toEqual([['a2', 'a3', 'a4'], ['a5', 'a6', 'a7'], ['a8'], ['b0']]);
  });

  it('readRange treats an empty range as nothing and clips an end beyond the log', async () => {
    const bus = await seeded();
    const seen: string[] = [];
    await bus.readRange('t', [{ partition: 0, startOffset: '5', endOffset: '5' }, { partition: 1, startOffset: '0', endOffset: '99' }], async (messages) => {
      seen.push(...messages.map((m) => m.offset));
    });
    expect(seen).toEqual(['0']);
  });

  it('readRange propagates a failing handler', async () => {
    const bus = await seeded();
    await expect(
      bus.readRange('t', [{ partition: 0, startOffset: '0', endOffset: '10' }], async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
