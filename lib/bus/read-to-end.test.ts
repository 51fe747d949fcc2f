import { ManualClock } from '../clock';
import { isRoundhouseError } from '../errors';
import { MemoryEventBus } from './memory';
import { readToEnd } from './read-to-end';
import type { InboundMessage } from './types';

/** lib/bus readToEnd on the memory bus (the Kafka adapter: test/integration/read-to-end.test.ts). */
describe('readToEnd', () => {
  const TIMEOUT = 10_000;

  /** Partitions 0..3 holding 7, 1, 0 and 12 records; fetches of 3. */
  async function uneven(): Promise<{ bus: MemoryEventBus; clock: ManualClock }> {
    const clock = new ManualClock(1_000);
    const bus = new MemoryEventBus({ clock, maxBatchSize: 3 });
    await bus.ensureTopics([{ name: 't', partitions: 4 }]);
    const counts = [7, 1, 0, 12];
    await bus.publish(counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ topic: 't', key: null, partition, value: Buffer.from(`${partition}.${i}`) }))));
    return { bus, clock };
  }

  const collect = () => {
    const seen: InboundMessage[] = [];
    const batches: number[] = [];
    return {
      seen,
      batches,
      onMessages: (messages: readonly InboundMessage[]) => {
        batches.push(messages.length);
        seen.push(...messages);
      },
    };
  };

  it('reads every partition, unevenly loaded or empty, once and in offset order, and resolves with the ends', async () => {
    const { bus, clock } = await uneven();
    const { seen, batches, onMessages } = collect();
    const ends = await readToEnd(bus, 't', { clock, timeoutMs: TIMEOUT, onMessages });
    expect(ends).toEqual(new Map([[0, '7'], [1, '1'], [2, '0'], [3, '12']]));
    for (const [partition, n] of [7, 1, 0, 12].entries()) {
      expect(seen.filter((m) => m.partition === partition).map((m) => m.value!.toString())).toEqual(Array.from({ length: n }, (_, i) => `${partition}.${i}`));
    }
    expect(seen).toHaveLength(20);
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
    expect(clock.pending()).toBe(0);
  });

  it('creates no consumer group and commits nothing', async () => {
    const { bus, clock } = await uneven();
    const subscribe = jest.spyOn(bus, 'subscribe');
    await readToEnd(bus, 't', { clock, timeoutMs: TIMEOUT, onMessages: () => undefined });
    expect(subscribe).not.toHaveBeenCalled();
    expect(bus.groupIds()).toEqual([]);
  });

  it('stops at the end offsets taken when it began', async () => {
    const { bus, clock } = await uneven();
    let published = false;
    const { seen } = collect();
    await readToEnd(bus, 't', {
      clock,
      timeoutMs: TIMEOUT,
      onMessages: async (messages) => {
        seen.push(...messages);
        if (!published) {
          published = true;
          await bus.publish([0, 1, 2, 3].map((partition) => ({ topic: 't', key: null, partition, value: Buffer.from('later') })));
        }
      },
    });
    expect(seen.map((m) => m.value!.toString())).not.toContain('later');
    expect(seen).toHaveLength(20);
  });

  it('resolves at once on a partition retention emptied (start = end > 0), and skips a truncated head', async () => {
    const { bus, clock } = await uneven();
    bus.truncate('t', 0, 7); // emptied: end 7, nothing to read
    bus.truncate('t', 3, 10); // head gone: offsets 10 and 11 remain
    expect(await bus.startOffsets('t')).toEqual(new Map([[0, '7'], [1, '0'], [2, '0'], [3, '10']]));
    const { seen, onMessages } = collect();
    // The clock never moves: resolving proves nothing waited for partition 0.
    const ends = await readToEnd(bus, 't', { clock, timeoutMs: TIMEOUT, onMessages });
    expect(ends.get(0)).toBe('7');
    expect(seen.map((m) => `${m.partition}:${m.offset}`).sort()).toEqual(['1:0', '3:10', '3:11']);
  });

  it('takes the log starts again when retention moves one between the snapshot and the read', async () => {
    const { bus, clock } = await uneven();
    const startOffsets = jest.spyOn(bus, 'startOffsets');
    // The first answer predates a deletion: readRange refuses it with OFFSET_OUT_OF_RANGE.
    startOffsets.mockImplementationOnce(async () => {
      const before = await MemoryEventBus.prototype.startOffsets.call(bus, 't');
      bus.truncate('t', 3, 5);
      return before;
    });
    const { seen, onMessages } = collect();
    await readToEnd(bus, 't', { clock, timeoutMs: TIMEOUT, onMessages });
    expect(startOffsets).toHaveBeenCalledTimes(2);
    expect(seen.filter((m) => m.partition === 3).map((m) => m.offset)).toEqual(['5', '6', '7', '8', '9', '10', '11']);
    expect(seen).toHaveLength(15);
  });

  it('reads only the partitions asked for, from where an earlier read stopped', async () => {
    const { bus, clock } = await uneven();
    const { seen, onMessages } = collect();
    const ends = await readToEnd(bus, 't', { clock, timeoutMs: TIMEOUT, partitions: [0, 3], from: new Map([[0, '5'], [3, '12']]), onMessages });
    expect(ends).toEqual(new Map([[0, '7'], [3, '12']]));
    expect(seen.map((m) => `${m.partition}:${m.offset}`)).toEqual(['0:5', '0:6']);
    await expect(readToEnd(bus, 't', { clock, timeoutMs: TIMEOUT, partitions: [9], onMessages })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('fails with a retriable TIMEOUT on the injected clock, naming the topic and what was left, and abandons the read', async () => {
    const { bus, clock } = await uneven();
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const { seen } = collect();
    let calls = 0;
    const reading = readToEnd(bus, 't', {
      clock,
      timeoutMs: TIMEOUT,
      onMessages: async (messages) => {
        calls++;
        seen.push(...messages);
        await blocked; // the first batch never finishes (a handler or a broker that hangs)
      },
    });
    let settled = false;
    reading.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (calls === 0) await new Promise((resolve) => setImmediate(resolve));
    clock.advance(TIMEOUT - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    clock.advance(1);
    const error = await reading.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRoundhouseError(error) && error.code).toBe('TIMEOUT');
    expect(isRoundhouseError(error) && error.retriable).toBe(true);
    expect(isRoundhouseError(error) && error.context).toMatchObject({ topic: 't', timeoutMs: TIMEOUT, partitionsLeft: '0,1,3' });
    expect((error as Error).message).toMatch(/reading t to its end took longer than 10000 ms; left: partition 0 at 3 of 7, partition 1 at 0 of 1, partition 3 at 0 of 12/);
    // Released after the timeout, the read stops at its next batch instead of going on.
    release();
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
  });

  it('resolves with the ends and arms no timer when there is nothing to read', async () => {
    const clock = new ManualClock(0);
    const bus = new MemoryEventBus({ clock });
    await bus.ensureTopics([{ name: 'empty', partitions: 2 }]);
    const onMessages = jest.fn();
    expect(await readToEnd(bus, 'empty', { clock, timeoutMs: TIMEOUT, onMessages })).toEqual(new Map([[0, '0'], [1, '0']]));
    expect(onMessages).not.toHaveBeenCalled();
    expect(clock.pending()).toBe(0);
  });
});
