import { budgetTest, budgetWeights, effectSize, windowAlpha, IMPORTANCE_FLOOR_SHARE } from './budget';
import { CategoricalHistogram } from './categorical-histogram';
import { evaluateDatasetDrift } from './dataset';
import { NumericHistogram } from './numeric-histogram';
import { buildCategoricalReference, buildNumericReference } from './reference';
import type { DriftTestResult } from './types';

describe('the false-alarm budget', () => {
  it('windowAlpha is 1/W and refuses W < 1', () => {
    expect(windowAlpha(1000)).toBe(0.001);
    expect(() => windowAlpha(0.5)).toThrow(/windowsPerFalseAlarm must be a number >= 1, got 0.5/);
    expect(() => windowAlpha(Number.NaN)).toThrow(/got NaN/);
  });

  it('budgetWeights: equal without importance, 0.9 by importance + 0.1 evenly with it, always summing to 1', () => {
    expect(budgetWeights(['a', 'b', 'c', 'd'], null)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(budgetWeights(['a', 'b'], { a: 0, b: -1 })).toEqual([0.5, 0.5]);
    const w = budgetWeights(['a', 'b', 'c'], { a: 3, b: 1, c: Number.NaN, unknown: 100 });
    const f = IMPORTANCE_FLOOR_SHARE;
    expect(w[0]).toBeCloseTo((1 - f) * 0.75 + f / 3, 15);
    expect(w[1]).toBeCloseTo((1 - f) * 0.25 + f / 3, 15);
    expect(w[2]).toBeCloseTo(f / 3, 15);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    expect(budgetWeights([], { a: 1 })).toEqual([]);
  });

  it('budgetTest: KS for numeric, z for a binary categorical, chi-square otherwise', () => {
    const numeric = buildNumericReference([1, 2, 3, 4, 5, 6]);
    expect(budgetTest(numeric, new NumericHistogram(numeric.edges))).toBe('ks');
    const binary = buildCategoricalReference(['y', 'n', 'y']);
    const window = new CategoricalHistogram(Object.keys(binary.categories));
    window.add('y');
    expect(budgetTest(binary, window)).toBe('z');
    const three = buildCategoricalReference(['a', 'b', 'c']);
    expect(budgetTest(three, new CategoricalHistogram(Object.keys(three.categories)))).toBe('chisquare');
  });

  it('effectSize: KS D for numeric, total variation for categorical, 0 for an empty window', () => {
    const reference = buildNumericReference(Array.from({ length: 1000 }, (_, i) => i));
    const same = new NumericHistogram(reference.edges);
    for (let i = 0; i < 1000; i += 2) same.add(i);
    expect(effectSize(reference, same)).toBeLessThan(0.01);
    const upper = new NumericHistogram(reference.edges);
    for (let i = 500; i < 1000; i++) upper.add(i);
    expect(effectSize(reference, upper)).toBeCloseTo(0.5, 2);
    expect(effectSize(reference, new NumericHistogram(reference.edges))).toBe(0);
    const cats = buildCategoricalReference(['a', 'a', 'b', 'b']);
    const moved = new CategoricalHistogram(Object.keys(cats.categories));
    for (const v of ['a', 'a', 'a', 'b']) moved.add(v);
    expect(effectSize(cats, moved)).toBeCloseTo(0.25, 12);
  });
});

describe('evaluateDatasetDrift with budgeted features', () => {
  const result = (drifted: boolean, pValue = drifted ? 1e-9 : 0.5): DriftTestResult => ({ test: 'ks', statistic: 0.1, pValue, threshold: 1e-4, drifted, referenceCount: 5000, currentCount: 2000, status: 'ok' });
  const policy = { driftShare: 0.3, minSamples: 100, falseDiscoveryRate: 0.05 };

  it('one budgeted feature drifting fires (reason budget); the share is the sum of the drifted weights; BH leaves them alone', () => {
    const out = evaluateDatasetDrift(
      [
        { feature: 'a', result: result(true), weight: 0.6 },
        { feature: 'b', result: result(false, 2e-5), weight: 0.2 },
        { feature: 'c', result: result(false), weight: 0.2 },
      ],
      policy,
    );
    expect([out.drifted, out.reasons, out.driftedShare]).toEqual([true, ['budget'], 0.6]);
    // b's p 2e-5 would be rejected by BH at 0.05; under the budget its own threshold decided.
    expect(out.features.map((f) => [f.feature, f.status, f.decidedBy, f.weight])).toEqual([
      ['a', 'drifted', 'threshold', 0.6],
      ['b', 'stable', 'threshold', 0.2],
      ['c', 'stable', 'threshold', 0.2],
    ]);
  });

  it('features with their own thresholds keep the share rule beside the budget', () => {
    const out = evaluateDatasetDrift(
      [
        { feature: 'a', result: result(false), weight: 1 },
        { feature: 'p', result: { ...result(true), test: 'psi', pValue: null } },
        { feature: 'q', result: { ...result(false), test: 'psi', pValue: null } },
      ],
      policy,
    );
    expect([out.drifted, out.reasons]).toEqual([true, ['share']]);
    expect(out.features.find((f) => f.feature === 'p')!.weight).toBeNull();
  });
});
