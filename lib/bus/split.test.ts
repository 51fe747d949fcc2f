import { randomBytes } from 'node:crypto';
import { MemoryEventBus } from './memory';
import { packBySize, recordBytes, sendGroups } from './split';

describe('sends split under the broker limit', () => {
  it('packs greedily in order, an oversized item alone', () => {
    expect(packBySize([3, 3, 3, 9, 1, 1], (n) => n, 6)).toEqual([[3, 3], [3], [9], [1, 1]]);
    expect(packBySize([], (n: number) => n, 6)).toEqual([]);
  });

  it('keeps every produce request within its budget, counting key and headers', () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({ topic: 't', key: `k${i}`, value: Buffer.alloc(300 * 1024), headers: { h: 'v' } }));
    const groups = sendGroups(messages);
    expect(groups.flat()).toEqual(messages);
    for (const group of groups) expect(group.reduce((n, m) => n + recordBytes(m), 0)).toBeLessThanOrEqual(768 * 1024);
    expect(groups).toHaveLength(5);
  });

  it('the memory bus, like a broker, accepts records that together exceed 1 MiB on one partition, and refuses one that alone does', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 1 });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    await bus.publish(Array.from({ length: 4 }, (_, i) => ({ topic: 't', key: `k${i}`, value: randomBytes(400 * 1024) })));
    expect(bus.messages('t')).toHaveLength(4);
    await expect(bus.publish([{ topic: 't', key: 'big', value: randomBytes(1_100_000) }])).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE' });
    await bus.close();
  });
});
