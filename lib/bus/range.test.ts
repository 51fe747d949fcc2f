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

/** Retention on the in-memory bus: truncate() moves a partition's log start, as deleteRecords does on the broker. */
describe('MemoryEventBus: log-start offsets and truncation', () => {
  async function truncated(): Promise<MemoryEventBus> {
    const bus = new MemoryEventBus({ clock: new ManualClock(0), maxBatchSize: 2 });
    await bus.ensureTopics([{ name: 't', partitions: 2 }]);
    await bus.publish(Array.from({ length: 6 }, (_, i) => ({ topic: 't', key: null, partition: 0, value: Buffer.from(`a${i}`), timestamp: 10 * i })));
    bus.truncate('t', 0, 4);
    return bus;
  }

  it('startOffsets is 0 until truncate moves it; the end and later offsets stay', async () => {
    const bus = await truncated();
    expect(await bus.startOffsets('t')).toEqual(new Map([[0, '4'], [1, '0']]));
    expect(await bus.endOffsets('t')).toEqual(new Map([[0, '6'], [1, '0']]));
    expect(bus.messages('t').map((m) => `${m.offset}:${m.value!.toString()}`)).toEqual(['4:a4', '5:a5']);
    bus.truncate('t', 0, 2); // never moves back
    expect((await bus.startOffsets('t')).get(0)).toBe('4');
    expect(() => bus.truncate('t', 0, 7)).toThrow(/its end is 6/);
  });

  it('readRange refuses a range below the log start with OFFSET_OUT_OF_RANGE, before delivering anything, as the broker does', async () => {
    const bus = await truncated();
    const seen: string[] = [];
    const refused = await bus
      .readRange('t', [{ partition: 1, startOffset: '0', endOffset: '0' }, { partition: 0, startOffset: '3', endOffset: '6' }], async (messages) => {
        seen.push(...messages.map((m) => m.offset));
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', retriable: false, context: { topic: 't', partition: 0, startOffset: '3', logStart: '4' } });
    expect(seen).toEqual([]);
    await bus.readRange('t', [{ partition: 0, startOffset: '4', endOffset: '6' }, { partition: 0, startOffset: '1', endOffset: '1' }], async (messages) => {
      seen.push(...messages.map((m) => m.offset));
    });
    expect(seen).toEqual(['4', '5']);
  });

  it('offsetsForTime looks only at what is left', async () => {
    const bus = await truncated();
    expect((await bus.offsetsForTime('t', 0)).get(0)).toBe('4');
  });

  it('a subscription whose position is below the log start resumes at it (auto.offset.reset=earliest); initialOffsets start a group that never committed', async () => {
    const bus = await truncated();
    const read = async (groupId: string, initialOffsets?: ReadonlyMap<string, ReadonlyMap<number, string>>): Promise<string[]> => {
      const offsets: string[] = [];
      const subscription = await bus.subscribe({
        groupId,
        topics: ['t'],
        ...(initialOffsets ? { initialOffsets } : {}),
        onBatch: async (batch, control) => {
          offsets.push(...batch.messages.map((m) => m.offset));
          await control.commit(String(Number(batch.lastOffset) + 1), []);
        },
      });
      while (bus.committedOffset(groupId, 't', 0) !== '6') await new Promise((resolve) => setTimeout(resolve, 1));
      await subscription.stop();
      return offsets;
    };
    expect(await read('fresh')).toEqual(['4', '5']);
    expect(await read('from-5', new Map([['t', new Map([[0, '5']])]]))).toEqual(['5']);
    expect(await read('below-start', new Map([['t', new Map([[0, '1']])]]))).toEqual(['4', '5']);
  });
});
