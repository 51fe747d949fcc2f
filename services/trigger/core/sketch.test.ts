import { NumericSketch, decodeBuckets, encodeBuckets, sketchFromJSON } from './sketch';
import { mulberry32 } from '../testing/stream';

function sketchOf(values: readonly (number | null)[]): NumericSketch {
  const sketch = new NumericSketch();
  for (const v of values) sketch.add(v);
  return sketch;
}

const normal = (seed: number, n: number, mean = 0, sd = 1): number[] => {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
};

describe('NumericSketch state (binary buckets)', () => {
  const values = [...normal(1, 5000), 0, -0, 1e-12, -3.5, 1e99, -1e99, 123456.789, null, NaN, Infinity];

  it('round-trips every bucket, count and sum exactly', () => {
    const sketch = sketchOf(values);
    const restored = NumericSketch.fromJSON(JSON.parse(JSON.stringify(sketch.toJSON())));
    expect(restored.buckets()).toEqual(sketch.buckets());
    expect([restored.count, restored.missing, restored.nan, restored.sumSq]).toEqual([sketch.count, sketch.missing, sketch.nan, sketch.sumSq]);
    expect(restored.toJSON()).toEqual(sketch.toJSON());
  });

  it('encodes the same buckets to the same bytes whatever the insertion order', () => {
    const sorted = [...values].sort((a, b) => (a ?? -Infinity) - (b ?? -Infinity));
    // Sums are added in a different order, so compare on values whose sums are exact (integers).
    const ints = normal(2, 3000).map((v) => Math.round(v * 100));
    expect(sketchOf(ints).toJSON()).toEqual(sketchOf([...ints].reverse()).toJSON());
    expect(sketchOf(sorted).toJSON().b.length).toBe(sketchOf(values).toJSON().b.length);
  });

  it('merges restored sketches as it merges live ones', () => {
    const a = sketchOf(normal(3, 2000));
    const b = sketchOf(normal(4, 2000, 0.5));
    const live = sketchOf([]).merge(a).merge(b);
    const restored = sketchOf([]).merge(NumericSketch.fromJSON(a.toJSON())).merge(NumericSketch.fromJSON(b.toJSON()));
    expect(restored.buckets()).toEqual(live.buckets());
  });

  it('is about half the size of the JSON arrays it replaces', () => {
    const sketch = sketchOf(normal(5, 2000));
    const buckets = sketch.buckets();
    const legacy = JSON.stringify({ k: 'n', keys: buckets.map((_, i) => 4000 + i), counts: buckets.map((b) => b.count), sums: buckets.map((b) => b.sum) });
    expect(JSON.stringify(sketch.toJSON()).length).toBeLessThan(legacy.length * 0.6);
  });

  it('still reads the JSON-array form of earlier checkpoints', () => {
    const legacy = { k: 'n' as const, keys: [4097, 4099, 0], counts: [2, 1, 3], sums: [2.04, 1.1, 0], missing: 1, nan: 0, sumSq: 5 };
    const sketch = sketchFromJSON(legacy) as NumericSketch;
    expect(sketch.count).toBe(7);
    expect(sketch.buckets().map((b) => [b.mean, b.count])).toEqual([
      [0, 3],
      [1.02, 2],
      [1.1, 1],
    ]);
  });

  it('refuses a truncated or malformed encoding', () => {
    const encoded = encodeBuckets([10, 300], [1, 70000], [1.5, -2.25]);
    const seen: number[][] = [];
    decodeBuckets(encoded, (key, count, sum) => seen.push([key, count, sum]));
    expect(seen).toEqual([
      [10, 1, 1.5],
      [300, 70000, -2.25],
    ]);
    const bytes = Buffer.from(encoded, 'base64');
    expect(() => decodeBuckets(bytes.subarray(0, bytes.length - 3).toString('base64'), () => undefined)).toThrow('truncated sketch buckets');
    expect(() => decodeBuckets(Buffer.alloc(9, 0xff).toString('base64'), () => undefined)).toThrow('varint too long');
  });

  it('leaves out empty buckets', () => {
    expect(encodeBuckets([5, 6], [0, 2], [0, 3])).toBe(encodeBuckets([6], [2], [3]));
    expect(encodeBuckets([5], [0], [0])).toBe('');
  });
});
