import { CategoricalHistogram } from './categorical-histogram';
import { chooseTest, runDriftTest } from './choose';
import { DEFAULT_THRESHOLDS } from './drift-tests';
import { NumericHistogram } from './numeric-histogram';
import { buildCategoricalReference, buildNumericReference } from './reference';
import { TESTS_BY_KIND, type DriftTestName, type FeatureKind } from './types';

describe('chooseTest (Evidently’s rule)', () => {
  test.each<[FeatureKind, number, number, DriftTestName, number]>([
    ['numeric', 0, 0, 'ks', 0.05],
    ['numeric', 1000, 0, 'ks', 0.05],
    ['numeric', 1001, 0, 'wasserstein', 0.1],
    ['categorical', 1000, 1, 'z', 0.05],
    ['categorical', 1000, 2, 'z', 0.05],
    ['categorical', 1000, 3, 'chisquare', 0.05],
    ['categorical', 1001, 2, 'jensenshannon', 0.1],
    ['categorical', 50_000, 40, 'jensenshannon', 0.1],
  ])('%s, reference %d, %d categories → %s at %d', (kind, n, k, test, threshold) => {
    expect(chooseTest(kind, n, k)).toEqual({ test, threshold });
  });
});

describe('runDriftTest', () => {
  const numRef = buildNumericReference(Array.from({ length: 2000 }, (_, i) => i % 100));
  const numHist = new NumericHistogram(numRef.edges);
  for (let i = 0; i < 500; i++) numHist.add((i * 7) % 100);
  const catRef = buildCategoricalReference(['a', 'b', 'b', null]);
  const catHist = new CategoricalHistogram(Object.keys(catRef.categories));
  ['a', 'b', 'c'].forEach((v) => catHist.add(v));

  test('per-feature override of test and threshold', () => {
    const r = runDriftTest(numRef, numHist, { test: 'psi', threshold: 0.5 });
    expect([r.test, r.threshold]).toEqual(['psi', 0.5]);
  });

  test('a threshold override alone applies to the automatic test', () => {
    const r = runDriftTest(numRef, numHist, { threshold: 0.01 });
    expect([r.test, r.threshold]).toEqual(['wasserstein', 0.01]);
  });

  test('defaults come from DEFAULT_THRESHOLDS', () => {
    for (const test of TESTS_BY_KIND.numeric) expect(runDriftTest(numRef, numHist, { test }).threshold).toBe(DEFAULT_THRESHOLDS[test]);
    for (const test of TESTS_BY_KIND.categorical) expect(runDriftTest(catRef, catHist, { test }).threshold).toBe(DEFAULT_THRESHOLDS[test]);
  });

  test('a test that does not suit the kind is a VALIDATION error', () => {
    expect(() => runDriftTest(numRef, numHist, { test: 'chisquare' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => runDriftTest(catRef, catHist, { test: 'ks' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  test('a negative or non-finite threshold is a VALIDATION error', () => {
    expect(() => runDriftTest(numRef, numHist, { threshold: -1 })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => runDriftTest(numRef, numHist, { threshold: NaN })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  test('a numeric reference with a categorical histogram is a VALIDATION error', () => {
    expect(() => runDriftTest(numRef, catHist)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => runDriftTest(catRef, numHist, { test: 'psi' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  test('a histogram built on other edges is a VALIDATION error, not a silent misread', () => {
    const other = new NumericHistogram([0, 1]);
    other.add(0.5);
    expect(() => runDriftTest(numRef, other)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });

  test('binary categorical: unseen category or missing bucket moves the choice from z to chi-square', () => {
    const ref = buildCategoricalReference(Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 'yes' : 'no')));
    const plain = new CategoricalHistogram(Object.keys(ref.categories));
    ['yes', 'no', 'no'].forEach((v) => plain.add(v));
    expect(runDriftTest(ref, plain).test).toBe('z');
    const withNull = plain.clone();
    withNull.add(null);
    expect(runDriftTest(ref, withNull).test).toBe('chisquare');
    const withNew = plain.clone();
    withNew.add('maybe');
    expect(runDriftTest(ref, withNew).test).toBe('chisquare');
  });

  test('every test on every degenerate input returns a number, never NaN', () => {
    const numRefs = [
      buildNumericReference([]),
      buildNumericReference([null, null]),
      buildNumericReference([NaN]),
      buildNumericReference([4, 4, 4]),
      buildNumericReference([1, 2, 3]),
    ];
    const numInputs: Array<Array<number | null>> = [[], [null], [NaN], [4], [4, 4, 4], [-1e308, 1e308], [5, 5, null, NaN]];
    for (const ref of numRefs) {
      for (const values of numInputs) {
        const h = new NumericHistogram(ref.edges);
        values.forEach((v) => h.add(v));
        for (const test of TESTS_BY_KIND.numeric) {
          const r = runDriftTest(ref, h, { test });
          expect({ test, values, statistic: Number.isNaN(r.statistic), p: r.pValue !== null && Number.isNaN(r.pValue) }).toEqual({
            test,
            values,
            statistic: false,
            p: false,
          });
        }
      }
    }
    const catRefs = [
      buildCategoricalReference([]),
      buildCategoricalReference([null]),
      buildCategoricalReference(['a']),
      buildCategoricalReference(['a', 'b']),
      buildCategoricalReference(['a', 'b', 'c', 'd'], 2),
    ];
    const catInputs: Array<Array<string | null>> = [[], [null], ['a'], ['z'], ['a', 'b', 'c', null]];
    for (const ref of catRefs) {
      for (const values of catInputs) {
        const h = new CategoricalHistogram(Object.keys(ref.categories), 1);
        values.forEach((v) => h.add(v));
        for (const test of TESTS_BY_KIND.categorical) {
          const r = runDriftTest(ref, h, { test });
          expect(Number.isNaN(r.statistic) || (r.pValue !== null && Number.isNaN(r.pValue))).toBe(false);
          if (r.status === 'not_enough_data') expect([r.statistic, r.pValue, r.drifted]).toEqual([0, null, false]);
        }
      }
    }
  });
});
