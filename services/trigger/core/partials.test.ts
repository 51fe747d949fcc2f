import { NumericSketch } from './sketch';
import { encodePartial, splitFeaturePartial, type FeaturePartial, type SegmentSummary } from './partials';

function segment(key: string, values: number): SegmentSummary {
  const sketch = new NumericSketch();
  for (let i = 0; i < values; i++) sketch.add(Math.sin(i + key.length) * 3);
  return { key, count: values, minTime: 0, maxTime: 1, firstOffset: '0', lastOffset: '1', sketches: { 'n:f0': sketch.toJSON(), 'n:f1': sketch.toJSON() } };
}

function partial(segments: number, disabled: string[] = []): FeaturePartial {
  return {
    v: 2,
    kind: 'features',
    group: 'g-1',
    shard: 0,
    topic: `${'t'.repeat(249)}`,
    partition: 0,
    partitions: 3,
    closedThrough: 2,
    watermark: 1000,
    caughtUp: false,
    final: true,
    slices: [1, 2].map((index) => ({ index, total: segments, disabled, segments: Array.from({ length: segments }, (_, i) => segment(`m${index}-${i}`, 40)) })),
  };
}

describe('splitFeaturePartial', () => {
  it('returns a partial that fits as it is', () => {
    const small = partial(3);
    expect(splitFeaturePartial(small)).toEqual([small]);
  });

  it.each([
    ['thousands of segments', partial(2000), 64 * 1024],
    ['a long list of disabled models on every slice', partial(40, Array.from({ length: 400 }, (_, i) => `model-with-a-long-name-${i}`)), 32 * 1024],
  ])('splits %s under the budget, keeping every segment once and only the last record final', (_name, whole, budget) => {
    const parts = splitFeaturePartial(whole, budget);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(encodePartial(part).length).toBeLessThanOrEqual(budget);
    expect(parts.map((p) => p.final)).toEqual([...parts.slice(1).map(() => false), true]);
    const keys = parts.flatMap((p) => p.slices.flatMap((s) => s.segments.map((seg) => `${s.index}/${seg.key}`)));
    expect(keys).toEqual(whole.slices.flatMap((s) => s.segments.map((seg) => `${s.index}/${seg.key}`)));
  });
});
