import { generateTabular } from './tabular';
import { mixSeed, mulberry32, normal, poisson } from './random';

describe('generateTabular', () => {
  const ds = generateTabular({ rows: 50_000, cols: 30, seed: 9 });

  it('has the requested shape and about 1% positives', () => {
    expect(ds.x).toHaveLength(50_000 * 30);
    expect(ds.y).toHaveLength(50_000);
    expect(ds.columns).toHaveLength(30);
    expect(ds.positives / ds.rows).toBeGreaterThan(0.008);
    expect(ds.positives / ds.rows).toBeLessThan(0.012);
  });

  it('is deterministic for a seed', () => {
    const again = generateTabular({ rows: 1000, cols: 30, seed: 9 });
    expect(Array.from(again.x)).toEqual(Array.from(ds.x.slice(0, 1000 * 30)));
    expect(generateTabular({ rows: 1000, cols: 30, seed: 10 }).x[0]).not.toBe(ds.x[0]);
  });

  it('gives a third of the columns a true effect and the rest none', () => {
    const informative = Array.from(ds.trueCoefficients).filter((b) => b !== 0).length;
    expect(informative).toBe(10);
    expect(ds.columns.filter((c) => c.startsWith('inf_'))).toHaveLength(10);
    expect(ds.columns.filter((c) => c.startsWith('cor_'))).toHaveLength(10);
  });

  it('spans raw scales of several orders of magnitude', () => {
    const sd = Array.from({ length: 30 }, (_, j) => {
      let s = 0;
      let ss = 0;
      for (let i = 0; i < 5000; i++) {
        const v = ds.x[i * 30 + j] as number;
        s += v;
        ss += v * v;
      }
      return Math.sqrt(ss / 5000 - (s / 5000) ** 2);
    });
    expect(Math.max(...sd) / Math.min(...sd)).toBeGreaterThan(1e3);
  });
});

describe('random', () => {
  it('mulberry32 is reproducible and uniform-ish', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual([b(), b(), b(), b(), b()]);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('normal and poisson have the right means', () => {
    const r = mulberry32(mixSeed(7, 1));
    const ns = Array.from({ length: 20_000 }, () => normal(r, 2, 3));
    expect(ns.reduce((s, x) => s + x, 0) / ns.length).toBeCloseTo(2, 1);
    const ps = Array.from({ length: 20_000 }, () => poisson(r, 2.5));
    expect(ps.reduce((s, x) => s + x, 0) / ps.length).toBeCloseTo(2.5, 1);
  });

  it('mixSeed separates nearby inputs', () => {
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 2 ** 33)).not.toBe(mixSeed(1, 0));
  });
});
