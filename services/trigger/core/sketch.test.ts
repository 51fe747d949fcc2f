import { buildNumericReference, runDriftTest, NumericHistogram } from '../../../lib/stats';
import { CategoricalCounts, DIGEST_COMPRESSION, NumericSketch, decodeBuckets, decodeCentroids, encodeBuckets, encodeCentroids, sketchFromJSON, type NumericSketchState } from './sketch';
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

describe('NumericSketch state (binary centroids)', () => {
  const values = [...normal(1, 5000), 0, -0, 1e-12, -3.5, 1e99, -1e99, 123456.789, null, NaN, Infinity];

  it('round-trips every bucket, count and sum exactly', () => {
    const sketch = sketchOf(values);
    const restored = NumericSketch.fromJSON(JSON.parse(JSON.stringify(sketch.toJSON())));
    expect(restored.buckets()).toEqual(sketch.buckets());
    expect([restored.count, restored.missing, restored.nan, restored.sumSq]).toEqual([sketch.count, sketch.missing, sketch.nan, sketch.sumSq]);
    expect(restored.toJSON()).toEqual(sketch.toJSON());
  });

  it('encodes the same values in the same order to the same bytes; another order changes centroids only within the error', () => {
    const xs = normal(2, 3000);
    expect(sketchOf(xs).toJSON()).toEqual(sketchOf([...xs]).toJSON());
    const reversed = sketchOf([...xs].reverse());
    const edges = buildNumericReference(normal(22, 20000)).edges;
    const a = sketchOf(xs).toHistogram(edges).counts;
    const b = reversed.toHistogram(edges).counts;
    // Each bin's count moves by at most a central centroid's mass (π/δ of the values).
    a.forEach((count, i) => expect(Math.abs(count - b[i]!)).toBeLessThanOrEqual(Math.ceil((Math.PI / DIGEST_COMPRESSION) * xs.length)));
  });

  it('a sketch saved and restored at any point goes on exactly as the one never saved (a restart or a takeover judges the same)', () => {
    const xs = normal(12, 5000, 100, 1);
    const straight = sketchOf(xs);
    for (const cut of [1, 999, 1000, 1001, 2500, 4999]) {
      const restored = NumericSketch.fromJSON(JSON.parse(JSON.stringify(sketchOf(xs.slice(0, cut)).toJSON())));
      for (const v of xs.slice(cut)) restored.add(v);
      expect(restored.toJSON()).toEqual(straight.toJSON());
      expect(restored.buckets()).toEqual(straight.buckets());
    }
    // Merged sketches too: a window restored mid-way merges the rest as the live one did.
    const parts = Array.from({ length: 12 }, (_, k) => sketchOf(normal(40 + k, 300)));
    const live = new NumericSketch();
    for (const p of parts) live.merge(p);
    const half = new NumericSketch();
    for (const p of parts.slice(0, 5)) half.merge(p);
    const resumed = NumericSketch.fromJSON(JSON.parse(JSON.stringify(half.toJSON())));
    for (const p of parts.slice(5)) resumed.merge(p);
    expect(resumed.toJSON()).toEqual(live.toJSON());
  });

  it('restores centroids whose means are an ulp out of order (sum / count rounding; the demo met it), and goes on from them', () => {
    // 3 × 0.1 sums to 0.30000000000000004: a mean of 0.10000000000000002, just above the next centroid's 0.1.
    const state = { k: 'n' as const, t: encodeCentroids([3, 1], [0.1 + 0.1 + 0.1, 0.1]), missing: 0, nan: 0, sumSq: 0.04 };
    const sketch = NumericSketch.fromJSON(state);
    expect(sketch.count).toBe(4);
    sketch.add(0.2);
    expect(sketch.buckets().reduce((n, b) => n + b.count, 0)).toBe(5);
  });

  it('saving does not change the sketch', () => {
    const sketch = sketchOf(normal(13, 1500));
    const before = JSON.stringify(sketch.toJSON());
    expect(JSON.stringify(sketch.toJSON())).toBe(before);
    expect((sketch.toJSON() as NumericSketchState).u).toBeDefined();
  });

  it('merges restored sketches as it merges live ones', () => {
    const a = sketchOf(normal(3, 2000));
    const b = sketchOf(normal(4, 2000, 0.5));
    const live = sketchOf([]).merge(a).merge(b);
    const restored = sketchOf([]).merge(NumericSketch.fromJSON(a.toJSON())).merge(NumericSketch.fromJSON(b.toJSON()));
    expect(restored.buckets()).toEqual(live.buckets());
  });

  it('is about half the size of the JSON arrays it replaces, and bounded however many values it holds', () => {
    const sketch = sketchOf(normal(5, 2000));
    const buckets = sketch.buckets();
    const legacy = JSON.stringify({ k: 'n', keys: buckets.map((_, i) => 4000 + i), counts: buckets.map((b) => b.count), sums: buckets.map((b) => b.sum) });
    expect(JSON.stringify(sketch.toJSON()).length).toBeLessThan(legacy.length * 0.6);
    const big = sketchOf(normal(6, 200_000, 1e6, 10));
    expect(big.buckets().length).toBeLessThanOrEqual(DIGEST_COMPRESSION);
    const bigState = big.toJSON() as NumericSketchState;
    expect(bigState.t.length + (bigState.u?.length ?? 0)).toBeLessThan(DIGEST_COMPRESSION * 18 + 1000 * 14);
  });

  it('writes a sketch of single values as its raw float64s, under half the digest form, and reads back the same sketch', () => {
    const live = sketchOf([1.5, -0.25, 3e-9, 42]);
    live.add(null);
    live.add(Number.NaN);
    const state = live.toJSON();
    expect(state).toEqual({ k: 'n', r: expect.any(String), missing: 1, nan: 1 });
    // One value, as most member sketches of a slice hold: under half the digest form.
    const one = sketchOf([0.123456789]);
    const digestForm = { k: 'n', t: encodeCentroids([], []), u: encodeCentroids([1], [0.123456789]), missing: 0, nan: 0, sumSq: one.sumSq };
    expect(JSON.stringify(one.toJSON()).length).toBeLessThan(JSON.stringify(digestForm).length * 0.5);
    expect(JSON.stringify(sketchOf([7]).toJSON())).toBe('{"k":"n","r":"AAAAAAAAHEA="}');
    const restored = NumericSketch.fromJSON(JSON.parse(JSON.stringify(state)));
    expect([restored.count, restored.missing, restored.nan, restored.sumSq]).toEqual([live.count, 1, 1, live.sumSq]);
    // Going on from the restored sketch is going on from the live one, through compression.
    for (const value of normal(21, 3000)) {
      live.add(value);
      restored.add(value);
    }
    expect(restored.toJSON()).toEqual(live.toJSON());
    expect(restored.buckets()).toEqual(live.buckets());
  });

  it('keeps the digest form when the sum of squares is not the raw values\' own (it came through a merge)', () => {
    const merged = sketchOf([0.1]).merge(sketchOf([0.2])).merge(sketchOf([0.3]));
    // 0.1² + 0.2² summed in order is 0.05000000000000001; a sum of squares of 0.05 (merged parts rounding otherwise) is not theirs.
    const state = NumericSketch.fromJSON({ k: 'n', t: '', u: encodeCentroids([1, 1], [0.1, 0.2]), missing: 0, nan: 0, sumSq: 0.05 }).toJSON();
    expect('r' in state).toBe(false);
    expect(NumericSketch.fromJSON(state).sumSq).toBe(0.05);
    expect(NumericSketch.fromJSON(merged.toJSON()).toJSON()).toEqual(merged.toJSON());
  });

  it('refuses a malformed raw sketch', () => {
    expect(() => NumericSketch.fromJSON({ k: 'n', r: Buffer.alloc(12).toString('base64') })).toThrow(/whole number of float64s/);
    const nan = Buffer.alloc(8);
    nan.writeDoubleLE(Number.NaN, 0);
    expect(() => NumericSketch.fromJSON({ k: 'n', r: nan.toString('base64') })).toThrow(/out of range/);
  });

  it('writes categorical counts without zero other and missing, and reads them back', () => {
    const counts = new CategoricalCounts();
    counts.add('a');
    counts.add('b');
    expect(counts.toJSON()).toEqual({ k: 'c', counts: [['a', 1], ['b', 1]] });
    const restored = CategoricalCounts.fromJSON(counts.toJSON());
    expect([restored.count, restored.other, restored.missing]).toEqual([2, 0, 0]);
    counts.add(null);
    expect(CategoricalCounts.fromJSON(JSON.parse(JSON.stringify(counts.toJSON()))).missing).toBe(1);
  });

  it('still reads the log-bucket form of the previous version', () => {
    const b = encodeBuckets([4097, 4099, 0], [2, 1, 3], [2.04, 1.1, 0]);
    const sketch = sketchFromJSON({ k: 'n', b, missing: 1, nan: 0, sumSq: 5 } as never) as NumericSketch;
    expect(sketch.count).toBe(7);
    expect(sketch.buckets().map((x) => [x.mean, x.count])).toEqual([
      [0, 3],
      [1.02, 2],
      [1.1, 1],
    ]);
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

  it('refuses truncated or empty centroids', () => {
    const encoded = encodeCentroids([1, 70000], [1.5, -2.25]);
    const seen: number[][] = [];
    decodeCentroids(encoded, (count, sum) => seen.push([count, sum]));
    expect(seen).toEqual([
      [1, 1.5],
      [70000, -2.25],
    ]);
    const bytes = Buffer.from(encoded, 'base64');
    expect(() => decodeCentroids(bytes.subarray(0, bytes.length - 3).toString('base64'), () => undefined)).toThrow('truncated sketch centroids');
    expect(() => decodeCentroids(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0]).toString('base64'), () => undefined)).toThrow('malformed sketch centroids');
  });

  it('leaves out empty buckets', () => {
    expect(encodeBuckets([5, 6], [0, 2], [0, 3])).toBe(encodeBuckets([6], [2], [3]));
    expect(encodeBuckets([5], [0], [0])).toBe('');
  });
});

/**
 * The digest's error is bounded in rank, not in value: the drift statistics of a
 * window read from the sketch stay within a small margin of the exact ones
 * (histogram of the raw values), whatever the feature's offset and scale.
 */
describe('NumericSketch accuracy across offsets and scales', () => {
  const random = mulberry32(77);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const shapes: [string, () => number][] = [
    ['N(0, 1)', () => gauss()],
    ['N(100, 1)', () => 100 + gauss()],
    ['N(1e6, 10)', () => 1e6 + 10 * gauss()],
    ['N(-5e4, 0.01)', () => -5e4 + 0.01 * gauss()],
    ['lognormal amount', () => Math.exp(3 + 1.5 * gauss())],
    ['hour of day', () => Math.floor(random() * 24)],
    ['near-constant', () => (random() < 0.98 ? 5 : 5 + gauss())],
  ];

  it.each(shapes)('%s: KS, Wasserstein and PSI from 10 merged slice sketches are within 0.01 of the exact statistics', (_name, draw) => {
    const reference = buildNumericReference(Array.from({ length: 20000 }, draw));
    let worst = 0;
    for (let w = 0; w < 20; w++) {
      const values = Array.from({ length: 2000 }, draw);
      const exact = new NumericHistogram(reference.edges);
      for (const v of values) exact.add(v);
      const merged = new NumericSketch();
      for (let k = 0; k < 10; k++) merged.merge(NumericSketch.fromJSON(sketchOf(values.slice(k * 200, k * 200 + 200)).toJSON()));
      for (const test of ['ks', 'wasserstein', 'psi'] as const) {
        const a = runDriftTest(reference, exact, { test }).statistic;
        const b = runDriftTest(reference, merged.toHistogram(reference.edges), { test }).statistic;
        worst = Math.max(worst, Math.abs(a - b));
      }
    }
    expect(worst).toBeLessThan(0.01);
  });

  it('summarises a discrete feature exactly (one centroid per value)', () => {
    const hours = Array.from({ length: 5000 }, () => Math.floor(random() * 24));
    const sketch = sketchOf(hours);
    expect(sketch.buckets().map((b) => b.mean)).toEqual(Array.from({ length: 24 }, (_, h) => h));
    expect(sketch.buckets().reduce((n, b) => n + b.count, 0)).toBe(5000);
  });

  it('keeps the extremes as their own centroids (the outer bins see the exact tail)', () => {
    const xs = normal(9, 10000, 100, 1);
    const buckets = sketchOf(xs).buckets();
    expect(buckets[0]).toEqual({ mean: Math.min(...xs), count: 1, sum: Math.min(...xs) });
    expect(buckets[buckets.length - 1]).toEqual({ mean: Math.max(...xs), count: 1, sum: Math.max(...xs) });
  });
});
