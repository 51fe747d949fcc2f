import { evaluateDatasetDrift, type DatasetDriftPolicy, type FeatureDriftInput } from './dataset';
import { benjaminiHochberg } from './fdr';
import { expectClose, loadFixture } from './testing/fixtures';
import { type DriftTestName, type DriftTestResult } from './types';

interface BhCase {
  pValues: number[];
  q: number;
  adjusted: number[];
  rejected: boolean[];
}

describe('benjaminiHochberg against scipy.stats.false_discovery_control', () => {
  test.each(loadFixture<BhCase>('fdr.json'))('$pValues.length p-values at q=$q', ({ pValues, q, adjusted, rejected }) => {
    const r = benjaminiHochberg(pValues, q);
    r.adjusted.forEach((a, i) => expectClose(a, adjusted[i] as number, `adjusted[${i}]`));
    expect(r.rejected).toEqual(rejected);
  });

  test('empty input and bad arguments', () => {
    expect(benjaminiHochberg([], 0.05)).toEqual({ adjusted: [], rejected: [] });
    expect(() => benjaminiHochberg([0.5], 0)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => benjaminiHochberg([1.5], 0.05)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => benjaminiHochberg([NaN], 0.05)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});

function r(test: DriftTestName, statistic: number, pValue: number | null, opts: Partial<DriftTestResult> = {}): DriftTestResult {
  const threshold = opts.threshold ?? (pValue === null ? 0.1 : 0.05);
  return {
    test,
    statistic,
    pValue,
    threshold,
    drifted: pValue === null ? statistic >= threshold : pValue < threshold,
    referenceCount: 5000,
    currentCount: 2000,
    status: 'ok',
    ...opts,
  };
}

const policy: DatasetDriftPolicy = { driftShare: 0.5, minSamples: 100, falseDiscoveryRate: 0.05 };

describe('evaluateDatasetDrift', () => {
  test('share of drifted features at or above driftShare drifts the dataset', () => {
    const features: FeatureDriftInput[] = [
      { feature: 'a', result: r('wasserstein', 0.3, null) },
      { feature: 'b', result: r('wasserstein', 0.05, null) },
      { feature: 'c', result: r('jensenshannon', 0.2, null) },
      { feature: 'd', result: r('jensenshannon', 0.01, null) },
    ];
    const out = evaluateDatasetDrift(features, policy);
    expect([out.drifted, out.reasons, out.driftedCount, out.evaluatedCount, out.driftedShare]).toEqual([true, ['share'], 2, 4, 0.5]);
    const below = evaluateDatasetDrift(features, { ...policy, driftShare: 0.51 });
    expect([below.drifted, below.reasons]).toEqual([false, []]);
  });

  test('one drifted critical feature is enough', () => {
    const features: FeatureDriftInput[] = [
      { feature: 'amount', result: r('wasserstein', 0.3, null), critical: true },
      ...['b', 'c', 'd', 'e'].map((f) => ({ feature: f, result: r('wasserstein', 0.01, null) })),
    ];
    const out = evaluateDatasetDrift(features, policy);
    expect([out.drifted, out.reasons, out.criticalDrifted, out.driftedShare]).toEqual([true, ['critical'], ['amount'], 0.2]);
  });

  test('features under minSamples (or with not enough data) are insufficient and not counted, critical or not', () => {
    const features: FeatureDriftInput[] = [
      { feature: 'thin', result: r('wasserstein', 0.9, null, { currentCount: 99 }), critical: true },
      { feature: 'thinRef', result: r('wasserstein', 0.9, null, { referenceCount: 10 }) },
      { feature: 'empty', result: r('ks', 0, null, { status: 'not_enough_data', drifted: false }) },
      { feature: 'ok', result: r('wasserstein', 0.01, null) },
    ];
    const out = evaluateDatasetDrift(features, policy);
    expect(out.features.map((f) => [f.feature, f.status, f.decidedBy])).toEqual([
      ['thin', 'insufficient', 'insufficient'],
      ['thinRef', 'insufficient', 'insufficient'],
      ['empty', 'insufficient', 'insufficient'],
      ['ok', 'stable', 'threshold'],
    ]);
    expect([out.drifted, out.evaluatedCount, out.insufficientCount, out.criticalDrifted]).toEqual([false, 1, 3, []]);
  });

  test('nothing evaluated: not drifted, share 0, never NaN', () => {
    const out = evaluateDatasetDrift([{ feature: 'x', result: r('ks', 0, null, { status: 'not_enough_data' }) }], policy);
    expect([out.drifted, out.driftedShare, out.evaluatedCount]).toEqual([false, 0, 0]);
    expect(evaluateDatasetDrift([], policy).drifted).toBe(false);
  });

  test('Benjamini–Hochberg decides the p-value features together; raw p and BH decision are both kept', () => {
    // 20 KS features: at alpha 0.05 each, p = 0.03 and 0.04 would count as drifted;
    // BH at 0.05 keeps only the two tiny p-values.
    const ps = [1e-6, 0.002, 0.03, 0.04, ...Array.from({ length: 16 }, (_, i) => 0.1 + i * 0.05)];
    const features = ps.map((p, i) => ({ feature: `f${i}`, result: r('ks', 0.1, p) }));
    const out = evaluateDatasetDrift(features, { ...policy, driftShare: 0.15 });
    const byName = new Map(out.features.map((f) => [f.feature, f]));
    expect(out.features.filter((f) => f.status === 'drifted').map((f) => f.feature)).toEqual(['f0', 'f1']);
    expect(byName.get('f2')?.result).toEqual(expect.objectContaining({ pValue: 0.03, drifted: true }));
    expect(byName.get('f2')).toEqual(expect.objectContaining({ status: 'stable', decidedBy: 'benjamini-hochberg' }));
    expectClose(byName.get('f0')?.adjustedPValue as number, 2e-5, 'adjusted p of f0');
    expectClose(byName.get('f1')?.adjustedPValue as number, 0.02, 'adjusted p of f1');
    expect([out.drifted, out.driftedShare]).toEqual([false, 0.1]);

    const raw = evaluateDatasetDrift(features, { ...policy, driftShare: 0.15, falseDiscoveryRate: null });
    expect([raw.drifted, raw.driftedCount]).toEqual([true, 4]);
    expect(raw.features.every((f) => f.decidedBy === 'threshold' && f.adjustedPValue === null)).toBe(true);
  });

  test('BH needs two p-value features; distances keep their thresholds alongside', () => {
    const single = evaluateDatasetDrift(
      [
        { feature: 'p', result: r('chisquare', 9, 0.03) },
        { feature: 'd', result: r('psi', 0.3, null, { threshold: 0.2 }) },
      ],
      policy,
    );
    expect(single.features.map((f) => [f.status, f.decidedBy])).toEqual([
      ['drifted', 'threshold'],
      ['drifted', 'threshold'],
    ]);
    const mixed = evaluateDatasetDrift(
      [
        { feature: 'p1', result: r('z', 2, 0.03) },
        { feature: 'p2', result: r('ks', 0.1, 0.5) },
        { feature: 'p3', result: r('chisquare', 9, 0.2, { currentCount: 10 }) }, // insufficient: not in the BH family
        { feature: 'd', result: r('wasserstein', 0.3, null) },
      ],
      policy,
    );
    expect(mixed.features.map((f) => [f.feature, f.status, f.decidedBy, f.adjustedPValue])).toEqual([
      ['p1', 'stable', 'benjamini-hochberg', 0.06],
      ['p2', 'stable', 'benjamini-hochberg', 0.5],
      ['p3', 'insufficient', 'insufficient', null],
      ['d', 'drifted', 'threshold', null],
    ]);
  });

  test.each([
    ['driftShare 0', { ...policy, driftShare: 0 }],
    ['driftShare above 1', { ...policy, driftShare: 1.2 }],
    ['negative minSamples', { ...policy, minSamples: -1 }],
    ['falseDiscoveryRate 1', { ...policy, falseDiscoveryRate: 1 }],
  ])('rejects a policy with %s', (_name, bad) => {
    expect(() => evaluateDatasetDrift([], bad)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});
