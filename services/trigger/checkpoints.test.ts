import { MemoryEventBus } from '../../lib/bus';
import { ManualClock } from '../../lib/clock';
import { isRoundhouseError } from '../../lib/errors';
import { silentLogger } from '../../lib/log';
import { CheckpointStore, STATE_TOPIC_CONFIG } from './checkpoints';

/**
 * A memory bus whose last stable offset is held at `lso` (when set), as an open
 * transaction whose first record sits there holds it on the broker.
 */
function withOpenTransaction(bus: MemoryEventBus): { bus: MemoryEventBus; hold: (lso: number | undefined) => void } {
  let lso: number | undefined;
  const held = Object.assign(Object.create(bus) as MemoryEventBus, {
    endOffsets: async (topic: string) => new Map([...(await bus.endOffsets(topic))].map(([p, end]) => [p, lso === undefined ? end : String(Math.min(lso, Number(end)))])),
  });
  return { bus: held, hold: (at) => (lso = at) };
}

describe('CheckpointStore', () => {
  it('loads the latest checkpoint per key even when the topic spans many fetches', async () => {
    // Batches of 5: the sentinel sits far beyond the first fetch.
    const bus = new MemoryEventBus({ defaultPartitions: 1, maxBatchSize: 5 });
    const store = new CheckpointStore(bus, 'state', silentLogger());
    await bus.ensureTopics([{ name: 'state', partitions: 1, compacted: true }]);
    for (let i = 0; i < 40; i++) await bus.publish([store.message(`judge/m${i % 7}`, { version: i })]);
    await bus.publish([{ topic: 'state', key: 'judge/m6', value: null, partition: 0 }]);
    const states = await store.load(5_000);
    expect(states.size).toBe(6);
    expect(states.get('judge/m0')).toEqual({ version: 35 });
    expect(states.get('judge/m5')).toEqual({ version: 33 });
    expect(states.has('judge/m6')).toBe(false);
    await bus.close();
  });

  it('skips a corrupt checkpoint instead of failing the load', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 1 });
    const store = new CheckpointStore(bus, 'state', silentLogger());
    await bus.publish([store.message('ingest/a/0', { ok: true }), { topic: 'state', key: 'ingest/a/1', value: Buffer.from('not gzip'), partition: 0 }]);
    const states = await store.load(5_000);
    expect([...states.keys()]).toEqual(['ingest/a/0']);
    await bus.close();
  });

  it('reads without a consumer group, and ignores earlier loads’ sentinels', async () => {
    const clock = new ManualClock(0);
    const bus = new MemoryEventBus({ defaultPartitions: 1, clock });
    const store = new CheckpointStore(bus, 'state', silentLogger(), clock);
    await bus.publish([store.message('judge/m', { v: 1 })]);
    await store.load(5_000);
    await bus.publish([store.message('judge/m', { v: 2 })]);
    expect(await store.load(5_000)).toEqual(new Map([['judge/m', { v: 2 }]]));
    expect(bus.groupIds()).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('waits for an open transaction before its sentinel, then sees what was committed after it', async () => {
    const clock = new ManualClock(0);
    const memory = new MemoryEventBus({ defaultPartitions: 1, clock });
    const { bus, hold } = withOpenTransaction(memory);
    const store = new CheckpointStore(bus, 'state', silentLogger(), clock);
    await memory.publish([store.message('ingest/a/0', { v: 1 })]);
    // A crashed member's transaction opened at offset 1; another member then committed a checkpoint (offset 2).
    hold(1);
    await memory.publish([store.message('ingest/x/0', { open: true }), store.message('ingest/a/1', { v: 1 })]);
    const loading = store.load(60_000);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(200);
    }
    // The transaction is decided (here: as if committed); the LSO moves past the sentinel.
    hold(undefined);
    clock.advance(200);
    const states = await loading;
    expect(states.get('ingest/a/1')).toEqual({ v: 1 });
    expect(states.get('ingest/a/0')).toEqual({ v: 1 });
  });

  it('fails with TIMEOUT, on the injected clock, while an open transaction holds the sentinel back', async () => {
    const clock = new ManualClock(0);
    const memory = new MemoryEventBus({ defaultPartitions: 1, clock });
    const { bus, hold } = withOpenTransaction(memory);
    hold(0);
    const store = new CheckpointStore(bus, 'state', silentLogger(), clock);
    const loading = store.load(1_000).then(
      () => undefined,
      (error: unknown) => error,
    );
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(200);
    }
    const error = await loading;
    expect(isRoundhouseError(error) && error.code).toBe('TIMEOUT');
    expect((error as Error).message).toMatch(/checkpoints of state not loaded within 1000 ms \(an open transaction may be holding the topic back\)/);
  });

  it('STATE_TOPIC_CONFIG compacts, and sooner than Kafka’s defaults', () => {
    expect(STATE_TOPIC_CONFIG['cleanup.policy']).toBe('compact');
    expect(Number(STATE_TOPIC_CONFIG['min.cleanable.dirty.ratio'])).toBeLessThan(0.5);
    expect(Number(STATE_TOPIC_CONFIG['segment.ms'])).toBeLessThan(7 * 86_400_000);
    // Tombstones must outlive a load by far (load's default timeout is 120 s).
    expect(Number(STATE_TOPIC_CONFIG['delete.retention.ms'])).toBeGreaterThan(10 * 120_000);
  });
});
