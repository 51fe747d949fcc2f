import { MemoryEventBus } from './memory';
import { pinWindowOffsets } from './pin';

describe('pinWindowOffsets', () => {
  const T = Date.UTC(2026, 0, 1);
  it('per partition of both topics, in partition order: from the first record at or after start − slack to the end now', async () => {
    const bus = new MemoryEventBus({ defaultPartitions: 2 });
    await bus.ensureTopics([{ name: 'f', partitions: 2 }, { name: 'l', partitions: 3 }]);
    await bus.publish([
      ...[-3_600_000, -400_000, -200_000, 10_000].map((dt) => ({ topic: 'f', partition: 1, key: null, value: Buffer.from('x'), timestamp: T + dt })),
      { topic: 'l', partition: 2, key: null, value: Buffer.from('y'), timestamp: T + 5_000 },
    ]);
    expect(await pinWindowOffsets(bus, { featureTopic: 'f', labelTopic: 'l' }, T)).toEqual([
      { topic: 'f', partition: 0, startOffset: 0, endOffset: 0 },
      { topic: 'f', partition: 1, startOffset: 2, endOffset: 4 },
      { topic: 'l', partition: 0, startOffset: 0, endOffset: 0 },
      { topic: 'l', partition: 1, startOffset: 0, endOffset: 0 },
      { topic: 'l', partition: 2, startOffset: 0, endOffset: 1 },
    ]);
    // A larger slack reaches further back; the same topic for features and labels is pinned once.
    expect(await pinWindowOffsets(bus, { featureTopic: 'f', labelTopic: 'f' }, T, 500_000)).toEqual([
      { topic: 'f', partition: 0, startOffset: 0, endOffset: 0 },
      { topic: 'f', partition: 1, startOffset: 1, endOffset: 4 },
    ]);
  });
});
