import { mulberry32 } from '../synthetic';
import { CategoricalHistogram } from './categorical-histogram';
import { NumericHistogram } from './numeric-histogram';
import { buildCategoricalReference, buildNumericReference } from './reference';
import { recentChangeScan, upperTail } from './scan';
import { logGamma } from './special';
import { normal } from './testing/random';

/** Exact P(Bin(n, p) ≥ s). */
function binomialUpper(n: number, p: number, s: number): number {
  let total = 0;
  for (let k = Math.max(0, s); k <= n; k++) total += Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log(1 - p));
  return Math.min(1, total);
}

/** Exact P(S ≥ s) for the sum of n draws of a small discrete distribution with integer values, by convolution. */
function convolvedUpper(values: number[], probs: number[], n: number, s: number): number {
  let dist = new Map<number, number>([[0, 1]]);
  for (let i = 0; i < n; i++) {
    const next = new Map<number, number>();
    for (const [sum, p] of dist) for (let j = 0; j < values.length; j++) next.set(sum + values[j]!, (next.get(sum + values[j]!) ?? 0) + p * probs[j]!);
    dist = next;
  }
  let total = 0;
  for (const [sum, p] of dist) if (sum >= s) total += p;
  return total;
}

const ratio = (a: number, b: number): number => Math.max(a / b, b / a);

describe('upperTail: the saddlepoint tail of a sum of discrete draws', () => {
  it('matches the exact binomial tail far out (a rare bucket: 10 % of the mass), where the normal approximation is off by orders of magnitude', () => {
    const d = { values: Float64Array.from([0, 1]), probs: Float64Array.from([0.9, 0.1]) };
    for (const [n, s] of [[100, 20], [100, 25], [100, 30], [200, 40], [200, 50], [1000, 140]] as const) {
      const exact = binomialUpper(n, 0.1, s);
      expect(ratio(upperTail(d, n, s, true), exact)).toBeLessThan(1.1);
    }
    // The normal approximation at n = 100, s = 30 (6.7σ): ~1e-11 against the exact ~2e-8.
    expect(binomialUpper(100, 0.1, 30)).toBeGreaterThan(1e-9);
  });

  it("matches an exact convolution of a skewed three-point score (Daniels's lattice form)", () => {
    const values = [0, 1, 5];
    const probs = [0.7, 0.25, 0.05];
    const d = { values: Float64Array.from(values), probs: Float64Array.from(probs) };
    for (const s of [60, 80, 100, 120]) {
      const exact = convolvedUpper(values, probs, 100, s);
      expect(ratio(upperTail(d, 100, s, true), exact)).toBeLessThan(1.25);
    }
  });

  it('is the normal tail for a symmetric score near the mean, 0 beyond the support and p^n at its edge', () => {
    const d = { values: Float64Array.from([-1, 0, 1]), probs: Float64Array.from([0.25, 0.5, 0.25]) };
    expect(upperTail(d, 100, 0)).toBeCloseTo(0.5, 10);
    expect(upperTail(d, 100, 101)).toBe(0);
    expect(upperTail(d, 10, 10)).toBeCloseTo(0.25 ** 10, 15);
    expect(upperTail(d, 10, -10)).toBe(1);
  });
});

function numericHistogram(edges: readonly number[], values: readonly number[]): NumericHistogram {
  const h = new NumericHistogram(edges);
  for (const v of values) h.add(v);
  return h;
}

describe('recentChangeScan', () => {
  const random = mulberry32(7);
  const reference = buildNumericReference(Array.from({ length: 50_000 }, () => normal(random)));
  const hops = (count: number, size: number, shiftedNewest: number, shift: number, scale = 1): NumericHistogram[] =>
    Array.from({ length: count }, (_, k) => numericHistogram(reference.edges, Array.from({ length: size }, () => (k < shiftedNewest ? shift + scale * normal(random) : normal(random)))));

  it('finds a 0.5σ shift confined to the newest hop of 100 events among 20, naming location and the one hop', () => {
    const result = recentChangeScan(reference, hops(20, 100, 1, 0.7), 1e-3, 0.02)!;
    expect(result).toMatchObject({ drifted: true, score: 'location', hops: 1, count: 100 });
    expect(result.statistic).toBeGreaterThan(0);
    expect(result.threshold).toBeCloseTo(1e-3 / 40, 15);
  });

  it('finds a variance increase by the spread score, and a decrease of the mean by a negative location', () => {
    expect(recentChangeScan(reference, hops(20, 100, 3, 0, 2), 1e-3, 0.02)).toMatchObject({ drifted: true, score: 'spread' });
    const down = recentChangeScan(reference, hops(20, 100, 2, -0.8), 1e-3, 0.02)!;
    expect(down).toMatchObject({ drifted: true, score: 'location' });
    expect(down.statistic).toBeLessThan(0);
  });

  it('keeps its level on a stationary stream: at alpha 0.05, well under 5 % of 400 scans of 20 hops reject', () => {
    let rejections = 0;
    for (let i = 0; i < 400; i++) if (recentChangeScan(reference, hops(20, 100, 0, 0), 0.05, 0)!.drifted) rejections++;
    expect(rejections).toBeLessThanOrEqual(20);
  });

  it('keeps its level on a skewed, nearly constant feature (92 % of the mass on one value) where a normal approximation does not', () => {
    const skewed = (r: () => number): number => (r() < 0.92 ? 0 : Math.floor(r() * 5) + 1);
    const ref = buildNumericReference(Array.from({ length: 50_000 }, () => skewed(random)));
    let rejections = 0;
    for (let i = 0; i < 400; i++) {
      const pieces = Array.from({ length: 10 }, () => numericHistogram(ref.edges, Array.from({ length: 100 }, () => skewed(random))));
      if (recentChangeScan(ref, pieces, 0.05, 0)!.drifted) rejections++;
    }
    expect(rejections).toBeLessThanOrEqual(20);
  });

  it('a categorical feature: a category rising from 10 % to 30 % in the newest 2 hops is found, by that category', () => {
    const cats = ['a', 'b', 'c', 'd'];
    const draw = (p: number[]): string => {
      let u = random();
      for (let i = 0; i < p.length; i++) if ((u -= p[i]!) < 0) return cats[i]!;
      return cats[cats.length - 1]!;
    };
    const before = [0.4, 0.3, 0.2, 0.1];
    const after = [0.3, 0.25, 0.15, 0.3];
    const ref = buildCategoricalReference(Array.from({ length: 50_000 }, () => draw(before)));
    const pieces = Array.from({ length: 10 }, (_, k) => {
      const h = new CategoricalHistogram(Object.keys(ref.categories).sort());
      for (let i = 0; i < 100; i++) h.add(draw(k < 2 ? after : before));
      return h;
    });
    expect(recentChangeScan(ref, pieces, 1e-3, 0.02)).toMatchObject({ drifted: true, score: 'd' });
    let rejections = 0;
    for (let t = 0; t < 200; t++) {
      const quiet = Array.from({ length: 10 }, () => {
        const h = new CategoricalHistogram(Object.keys(ref.categories).sort());
        for (let i = 0; i < 100; i++) h.add(draw(before));
        return h;
      });
      if (recentChangeScan(ref, quiet, 0.05, 0)!.drifted) rejections++;
    }
    expect(rejections).toBeLessThanOrEqual(10);
  });

  it('needs minEffect over the deciding hops, and SCAN_MIN_EVENTS before a scale is tested', () => {
    expect(recentChangeScan(reference, hops(20, 100, 1, 0.7), 1e-3, 0.9)!.drifted).toBe(false);
    expect(recentChangeScan(reference, hops(1, 20, 1, 3), 1e-3, 0.02)).toBeNull();
    expect(recentChangeScan(reference, [], 1e-3, 0.02)).toBeNull();
  });
});
