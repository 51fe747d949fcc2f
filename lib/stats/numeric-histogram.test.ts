import { isRoundhouseError } from '../errors';
import { NumericHistogram } from './numeric-histogram';

function filled(edges: number[], values: Array<number | null | undefined>): NumericHistogram {
  const h = new NumericHistogram(edges);
  for (const v of values) h.add(v);
  return h;
}

describe('NumericHistogram', () => {
  test.each([
    // value, bin with edges [0, 1, 2]: (-inf,0) [0,1) [1,2) [2,+inf)
    [-1e100, 0],
    [-0.5, 0],
    [0, 1], // a value on an edge belongs to the bin that starts there
    [0.999, 1],
    [1, 2],
    [1.5, 2],
    [2, 3],
    [1e100, 3],
  ])('value %p lands in bin %p (open-ended outer bins)', (value, bin) => {
    const h = filled([0, 1, 2], [value]);
    expect(Array.from(h.counts)).toEqual([0, 1, 2, 3].map((i) => (i === bin ? 1 : 0)));
    expect(h.sums[bin]).toBe(value);
  });

  test('missing and NaN/±Infinity/|x| > 1e100 are counted apart and stay out of the sums', () => {
    const h = filled([0, 1], [null, undefined, NaN, Infinity, -Infinity, 1.5e100, -1e101, 0.5, 3]);
    expect(Array.from(h.counts)).toEqual([0, 1, 1]);
    expect([h.missing, h.nan, h.validCount, h.count]).toEqual([2, 5, 2, 9]);
    expect([h.sum, h.sumSq, h.mean]).toEqual([3.5, 9.25, 1.75]);
  });

  test('no edges: one bin holds every finite value', () => {
    const h = filled([], [-5, 0, 5]);
    expect(Array.from(h.counts)).toEqual([3]);
    expect(h.binMean(0)).toBe(0);
  });

  test('empty histogram: mean and bin means are null, not NaN', () => {
    const h = new NumericHistogram([1]);
    expect(h.mean).toBeNull();
    expect(h.binMean(0)).toBeNull();
    expect(h.count).toBe(0);
  });

  test('rejects bad edges with VALIDATION', () => {
    for (const edges of [[1, 1], [2, 1], [0, NaN], [Infinity]]) {
      expect(() => new NumericHistogram(edges)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    }
  });

  test('merge is commutative and associative, and equals adding everything to one histogram', () => {
    // Integer values keep the float sums exact, so equality can be exact.
    const edges = [0, 10, 20];
    const parts = [
      [1, 5, null, 25, -3],
      [10, NaN, 11, 12],
      [30, 0, undefined, 19, 20],
    ];
    const [a, b, c] = parts.map((p) => filled(edges, p)) as [NumericHistogram, NumericHistogram, NumericHistogram];
    const all = filled(edges, parts.flat());
    const left = a.clone().merge(b).merge(c);
    const right = a.clone().merge(b.clone().merge(c));
    const swapped = c.clone().merge(a).merge(b);
    expect(left.toJSON()).toEqual(all.toJSON());
    expect(right.toJSON()).toEqual(all.toJSON());
    expect(swapped.toJSON()).toEqual(all.toJSON());
    // clone + merge leaves the operands alone
    expect(a.toJSON()).toEqual(filled(edges, parts[0] as number[]).toJSON());
  });

  test('merge with different edges throws VALIDATION', () => {
    const err = (() => {
      try {
        new NumericHistogram([0, 1]).merge(new NumericHistogram([0, 2]));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(isRoundhouseError(err) && err.code).toBe('VALIDATION');
    expect(() => new NumericHistogram([0, 1]).merge(new NumericHistogram([0]))).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  });

  test('round-trips through JSON (as a Kafka checkpoint would)', () => {
    const h = filled([-1.5, 0.1, 3.25], [0.3, -2, null, NaN, 7.125, 0.1, 1e-9]);
    const restored = NumericHistogram.fromJSON(JSON.parse(JSON.stringify(h)));
    expect(restored.toJSON()).toEqual(h.toJSON());
    restored.add(-2);
    expect(restored.counts[0]).toBe(2);
  });

  test.each([
    ['not an object', 42],
    ['wrong version', { v: 2, edges: [], counts: [0], sums: [0], missing: 0, nan: 0, sum: 0, sumSq: 0 }],
    ['counts length', { v: 1, edges: [0], counts: [0], sums: [0, 0], missing: 0, nan: 0, sum: 0, sumSq: 0 }],
    ['negative count', { v: 1, edges: [0], counts: [0, -1], sums: [0, 0], missing: 0, nan: 0, sum: 0, sumSq: 0 }],
    ['fractional missing', { v: 1, edges: [0], counts: [0, 1], sums: [0, 0], missing: 0.5, nan: 0, sum: 0, sumSq: 0 }],
    ['unsorted edges', { v: 1, edges: [1, 0], counts: [0, 0, 0], sums: [0, 0, 0], missing: 0, nan: 0, sum: 0, sumSq: 0 }],
    ['missing sum', { v: 1, edges: [], counts: [0], sums: [0], missing: 0, nan: 0, sumSq: 0 }],
  ])('fromJSON rejects %s with VALIDATION', (_name, state) => {
    expect(() => NumericHistogram.fromJSON(state)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  test('reset empties in place and keeps the edges', () => {
    const h = filled([0], [1, -1, null, NaN]);
    const counts = h.counts;
    h.reset();
    expect(h.counts).toBe(counts);
    expect(h.toJSON()).toEqual(new NumericHistogram([0]).toJSON());
  });
});
