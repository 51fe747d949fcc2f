import { buildCategoricalReference, buildNumericReference } from './reference';
import { parseFeatureReference } from './reference-codec';
import { nextUp, quantileSorted } from './quantile';
import { OTHER_CATEGORY } from './types';

describe('buildNumericReference', () => {
  test('quantile edges give equal-mass bins with open outer bins', () => {
    const values = Array.from({ length: 100 }, (_, i) => i); // 0..99
    const ref = buildNumericReference(values, 4);
    expect(ref.edges).toEqual([24.75, 49.5, 74.25]);
    expect(ref.proportions).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(ref.binMeans).toEqual([12, 37, 62, 87]);
    expect([ref.count, ref.missingShare, ref.nanShare, ref.mean]).toEqual([100, 0, 0, 49.5]);
    expect(ref.std).toBeCloseTo(28.866, 3);
  });

  test('a constant feature gets a bin for itself and one on each side', () => {
    const ref = buildNumericReference([3, 3, 3, 3], 10);
    expect(ref.edges).toEqual([3, nextUp(3)]);
    expect(ref.proportions).toEqual([0, 1, 0]);
    expect(ref.std).toBe(0);
    expect(ref.binMeans).toEqual([3, 3, nextUp(3)]);
  });

  test('ties collapse edges; a point mass at the top gets its own bin above', () => {
    const values = [...Array<number>(70).fill(0), ...Array<number>(30).fill(1)];
    const ref = buildNumericReference(values, 10);
    // quantiles 0.1..0.6 are 0, 0.7 interpolates inside (0, 1), 0.8 and 0.9 are 1
    expect(ref.edges[0]).toBe(0);
    expect(ref.edges[ref.edges.length - 1]).toBe(nextUp(1));
    expect(new Set(ref.edges).size).toBe(ref.edges.length);
    expect(ref.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(ref.proportions[ref.proportions.length - 1]).toBe(0); // nothing above the reference max
  });

  test('missing and NaN are shares of all observations; moments use finite values only', () => {
    const ref = buildNumericReference([1, 2, null, NaN, Infinity, 3, undefined, 4], 2);
    expect([ref.count, ref.missingShare, ref.nanShare]).toEqual([8, 2 / 8, 2 / 8]);
    expect(ref.mean).toBe(2.5);
    expect(ref.proportions.reduce((a, b) => a + b, 0)).toBe(1);
  });

  test('no valid values: no edges, zero shares, zero moments, nothing NaN', () => {
    const ref = buildNumericReference([null, NaN], 5);
    expect(ref).toEqual({
      kind: 'numeric',
      edges: [],
      proportions: [0],
      binMeans: [0],
      count: 2,
      missingShare: 0.5,
      nanShare: 0.5,
      mean: 0,
      std: 0,
    });
    expect(buildNumericReference([], 5).count).toBe(0);
  });

  test('bins must be an integer >= 2', () => {
    expect(() => buildNumericReference([1, 2], 1)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => buildNumericReference([1, 2], 2.5)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});

describe('quantile helpers', () => {
  test.each([
    [[1, 2, 3, 4], 0, 1],
    [[1, 2, 3, 4], 1, 4],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.25, 1.75],
    [[7], 0.3, 7],
  ])('quantileSorted(%p, %p) = %p', (sorted, q, expected) => {
    expect(quantileSorted(sorted, q)).toBe(expected);
  });

  test('nextUp is the next double', () => {
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-1)).toBeGreaterThan(-1);
    expect(nextUp(-1)).toBe(-(1 - Number.EPSILON / 2));
  });
});

describe('buildCategoricalReference', () => {
  test('shares among non-missing values, in code-unit order', () => {
    const ref = buildCategoricalReference(['b', 'a', 'b', null, 'c', 'b', undefined, 'a']);
    expect(ref).toEqual({ kind: 'categorical', categories: { a: 2 / 6, b: 3 / 6, c: 1 / 6 }, count: 8, missingShare: 0.25 });
    expect(Object.keys(ref.categories)).toEqual(['a', 'b', 'c']);
  });

  test('past maxCategories the tail is pooled as __other__ (ties by name)', () => {
    const ref = buildCategoricalReference(['a', 'a', 'a', 'b', 'b', 'c', 'd', 'e'], 2);
    expect(ref.categories).toEqual({ [OTHER_CATEGORY]: 3 / 8, a: 3 / 8, b: 2 / 8 });
  });

  test('a category named __proto__ is an ordinary own key', () => {
    const ref = buildCategoricalReference(['__proto__', 'x']);
    expect(Object.keys(ref.categories)).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(ref.categories)).toBe(Object.prototype);
  });

  test('no values at all', () => {
    expect(buildCategoricalReference([])).toEqual({ kind: 'categorical', categories: {}, count: 0, missingShare: 0 });
  });
});

describe('parseFeatureReference', () => {
  test('accepts what the builders produce, after a JSON round trip', () => {
    const numeric = buildNumericReference([1, 2, 3, null, 5, 8, 13], 3);
    const categorical = buildCategoricalReference(['x', 'y', null]);
    expect(parseFeatureReference(JSON.parse(JSON.stringify(numeric)))).toEqual(numeric);
    expect(parseFeatureReference(JSON.parse(JSON.stringify(categorical)))).toEqual(categorical);
  });

  test('reports every problem with its path', () => {
    let message = '';
    try {
      parseFeatureReference({ kind: 'numeric', edges: [2, 1], proportions: [0.5], binMeans: [], count: -1, missingShare: 2, nanShare: 0, mean: 0, std: -1 }, 'models.m1.profile.amount');
    } catch (err) {
      message = (err as Error).message;
      expect(err).toEqual(expect.objectContaining({ code: 'VALIDATION' }));
    }
    for (const part of ['models.m1.profile.amount.count', '.missingShare', '.edges', '.proportions', '.binMeans', '.std']) {
      expect(message).toContain(part);
    }
  });

  test.each([
    ['unknown kind', { kind: 'text', count: 1, missingShare: 0 }],
    ['shares not summing to 1', { kind: 'categorical', categories: { a: 0.5, b: 0.1 }, count: 10, missingShare: 0 }],
    ['share out of range', { kind: 'categorical', categories: { a: 1.5 }, count: 10, missingShare: 0 }],
    ['not an object', 'numeric'],
  ])('rejects %s', (_name, value) => {
    expect(() => parseFeatureReference(value)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});
