/**
 * The drift streams of bench/drift-vs-river.ts are what they say they are:
 * deterministic per (family, seed), and the change is where and as big as
 * stated. Not under jest.config.js's testMatch (lib/, services/, scripts/);
 * run it with the command in bench/README.md.
 */
import {
  CATEGORIES,
  CATEGORY_SHARES,
  CHANGED_3,
  COLUMNS,
  GROWING_CATEGORY,
  GROWN_SHARE,
  NUMERIC_NAMES,
  SMALL_SHIFT_FEATURE,
  column,
  generateStream,
  moments,
  numericFeatures,
  type Family,
  type Stream,
} from './drift-streams';

const EVENTS = 40_000;
const index = (name: string): number => COLUMNS.indexOf(name);
const cache = new Map<string, Stream>();
/** Generated once per (family, seed) for the whole file. */
function stream(family: Family, seed: number): Stream {
  const key = `${family}/${seed}`;
  let s = cache.get(key);
  if (!s) {
    s = generateStream(family, seed, EVENTS);
    cache.set(key, s);
  }
  return s;
}

/** Mean and σ of a feature before and after the change, in units of its true σ relative to its true mean. */
function beforeAfter(family: Family, name: string, seed = 1): { before: { mean: number; sd: number }; after: { mean: number; sd: number }; sd: number; mean: number } {
  const s = stream(family, seed);
  const f = numericFeatures(family).find((x) => x.name === name)!;
  const j = index(name);
  const before = moments(column(s, j, 0, s.changeAt));
  const after = moments(column(s, j, s.changeAt, s.events));
  return { before, after, sd: f.sd, mean: f.mean };
}

describe('drift streams', () => {
  test('the same family and seed give the same stream; another seed or family does not', () => {
    const a = generateStream('mean-shift-3', 7, 5_000);
    const b = generateStream('mean-shift-3', 7, 5_000);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(generateStream('mean-shift-3', 8, 5_000).data.buffer).equals(Buffer.from(a.data.buffer))).toBe(false);
    expect(Buffer.from(generateStream('stationary', 7, 5_000).data.buffer).equals(Buffer.from(a.data.buffer))).toBe(false);
    expect(a.data.length).toBe(5_000 * COLUMNS.length);
    expect(a.reference).toBe(1_250);
    expect(a.changeAt).toBe(2_500);
  });

  test('mean-shift-3 moves exactly the three features by 0.5σ, at the change', () => {
    for (const name of CHANGED_3) {
      const { before, after, sd } = beforeAfter('mean-shift-3', name);
      // Standard error of a mean of 20,000 values is σ/141; the lognormal amount's tail makes it wider.
      expect((after.mean - before.mean) / sd).toBeCloseTo(0.5, 1);
      expect(after.sd / before.sd).toBeGreaterThan(0.93);
      expect(after.sd / before.sd).toBeLessThan(1.07);
    }
    const unchanged = NUMERIC_NAMES.filter((n) => !CHANGED_3.includes(n));
    for (const name of unchanged) {
      const { before, after, sd } = beforeAfter('mean-shift-3', name);
      expect(Math.abs(after.mean - before.mean) / sd).toBeLessThan(0.05);
    }
    // Nothing moves before the change: the reference and the rows up to the change agree.
    const s = stream('mean-shift-3', 1);
    const j = index('f03');
    const reference = moments(column(s, j, 0, s.reference));
    const preChange = moments(column(s, j, s.reference, s.changeAt));
    expect(Math.abs(preChange.mean - reference.mean) / 2).toBeLessThan(0.05);
  });

  test('variance-3 scales σ by 1.5 and keeps the mean', () => {
    for (const name of CHANGED_3) {
      const { before, after, sd } = beforeAfter('variance-3', name);
      expect(after.sd / before.sd).toBeGreaterThan(name === 'amount' ? 1.35 : 1.45);
      expect(after.sd / before.sd).toBeLessThan(name === 'amount' ? 1.65 : 1.55);
      expect(Math.abs(after.mean - before.mean) / sd).toBeLessThan(0.06);
    }
  });

  test('gradual-3 ramps 0 → 1σ from the change to 3/4 of the stream, then holds', () => {
    const s = stream('gradual-3', 2);
    const j = index('f09');
    const sd = numericFeatures('gradual-3')[j]!.sd;
    const base = moments(column(s, j, 0, s.changeAt)).mean;
    const firstHalf = moments(column(s, j, s.changeAt, (s.changeAt + s.rampEnd) / 2)).mean;
    const secondHalf = moments(column(s, j, (s.changeAt + s.rampEnd) / 2, s.rampEnd)).mean;
    const held = moments(column(s, j, s.rampEnd, s.events)).mean;
    expect((firstHalf - base) / sd).toBeCloseTo(0.25, 1);
    expect((secondHalf - base) / sd).toBeCloseTo(0.75, 1);
    expect((held - base) / sd).toBeCloseTo(1, 1);
  });

  test('small-shift-1 moves one feature by 0.2σ', () => {
    const { before, after, sd } = beforeAfter('small-shift-1', SMALL_SHIFT_FEATURE);
    expect((after.mean - before.mean) / sd).toBeGreaterThan(0.15);
    expect((after.mean - before.mean) / sd).toBeLessThan(0.25);
  });

  test('categorical: c4 goes 10% → 25%, the others keep their proportions to each other', () => {
    const s = stream('categorical', 3);
    const cats = column(s, index('channel'));
    const share = (from: number, to: number): number[] => {
      const counts = new Array<number>(CATEGORIES.length).fill(0);
      for (let i = from; i < to; i++) counts[cats[i]!]!++;
      return counts.map((c) => c / (to - from));
    };
    const before = share(0, s.changeAt);
    const after = share(s.changeAt, s.events);
    // 20,000 draws: the standard error of a share near 0.25 is 0.003.
    expect(Math.abs(before[GROWING_CATEGORY]! - CATEGORY_SHARES[GROWING_CATEGORY]!)).toBeLessThan(0.012);
    expect(Math.abs(after[GROWING_CATEGORY]! - GROWN_SHARE)).toBeLessThan(0.015);
    expect(after[0]! / after[1]!).toBeCloseTo(CATEGORY_SHARES[0]! / CATEGORY_SHARES[1]!, 1);
    expect(before.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  test('the offset controls sit at mean 100 σ 1 and mean 1e6 σ 10, without change', () => {
    for (const [family, mean, sd] of [
      ['stationary-mean100', 100, 1],
      ['stationary-mean1e6', 1e6, 10],
    ] as const) {
      const s = stream(family, 1);
      for (const name of ['amount', 'f02', 'f19']) {
        const m = moments(column(s, index(name)));
        expect(Math.abs(m.mean - mean) / sd).toBeLessThan(0.03);
        expect(m.sd / sd).toBeCloseTo(1, 1);
      }
      expect(s.changed).toEqual([]);
    }
  });
});
