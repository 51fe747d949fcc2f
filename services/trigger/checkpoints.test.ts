import { MemoryEventBus } from '../../lib/bus';
import { silentLogger } from '../../lib/log';
import { CheckpointStore } from './checkpoints';

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
});
