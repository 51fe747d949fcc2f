/**
 * Every statistic against numpy/scipy (scripts/stats-fixtures.py): reference
 * profiles, histograms and each test's statistic, p-value and decision, on cases
 * with empty bins, zero counts, a single category, missing values and NaN,
 * unseen categories, and small and large samples. Statistics and p-values agree
 * to 1e-9 relative (1e-12 absolute near zero).
 */
import { CategoricalHistogram } from './categorical-histogram';
import { runDriftTest } from './choose';
import { chiSquareTest, jensenShannon, ksTest, psi, wassersteinNormed, zTestProportions } from './drift-tests';
import { categoricalBuckets } from './buckets';
import { NumericHistogram } from './numeric-histogram';
import { buildCategoricalReference, buildNumericReference } from './reference';
import { decodeNumber, expectClose, loadFixture } from './testing/fixtures';
import { type DriftTestName, type DriftTestResult } from './types';

interface ExpectedResult {
  status: 'ok' | 'not_enough_data';
  statistic: number;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  referenceCount: number;
  currentCount: number;
  exactPValue?: number;
}

interface NumericCase {
  name: string;
  bins: number;
  reference: Array<number | string | null>;
  current: Array<number | string | null>;
  expected: {
    reference: {
      edges: number[];
      proportions: number[];
      binMeans: number[];
      count: number;
      missingShare: number;
      nanShare: number;
      mean: number;
      std: number;
    };
    histogram: { counts: number[]; sums: number[]; missing: number; nan: number; sum: number; sumSq: number };
    tests: Record<string, ExpectedResult>;
    auto: DriftTestName;
  };
}

interface CategoricalCase {
  name: string;
  maxCategories: number;
  maxUnseen: number;
  reference: Array<string | null>;
  current: Array<string | null>;
  expected: {
    reference: { categories: Record<string, number>; count: number; missingShare: number };
    labels: string[];
    unseen: Array<[string, number]>;
    overflow: number;
    tests: Record<string, ExpectedResult>;
    auto: DriftTestName;
  };
}

const numericCases = loadFixture<NumericCase>('numeric.json');
const categoricalCases = loadFixture<CategoricalCase>('categorical.json');

function compareResult(actual: DriftTestResult, expected: ExpectedResult, what: string): void {
  expect({ what, status: actual.status }).toEqual({ what, status: expected.status });
  expectClose(actual.statistic, expected.statistic, `${what} statistic`);
  if (expected.pValue === null) expect(actual.pValue).toBeNull();
  else expectClose(actual.pValue as number, expected.pValue, `${what} p-value`, 1e-9, 1e-300);
  expect({ what, drifted: actual.drifted, n: actual.referenceCount, m: actual.currentCount }).toEqual({
    what,
    drifted: expected.drifted,
    n: expected.referenceCount,
    m: expected.currentCount,
  });
  expect(Number.isNaN(actual.statistic)).toBe(false);
}

const NUMERIC_RUNNERS = { psi, ks: ksTest, jensenshannon: jensenShannon, wasserstein: wassersteinNormed } as const;
const CATEGORICAL_RUNNERS = { psi, jensenshannon: jensenShannon, chisquare: chiSquareTest, z: zTestProportions } as const;

describe.each(numericCases)('numeric fixture $name', (c) => {
  const reference = buildNumericReference(c.reference.map(decodeNumber), c.bins);
  const hist = new NumericHistogram(reference.edges);
  for (const v of c.current) hist.add(decodeNumber(v));

  test('reference profile matches numpy', () => {
    const e = c.expected.reference;
    expect(reference.edges).toEqual(e.edges); // bit for bit: numpy's quantile rule
    expect(reference.proportions.length).toBe(e.proportions.length);
    reference.proportions.forEach((p, i) => expectClose(p, e.proportions[i] as number, `proportions[${i}]`));
    reference.binMeans.forEach((m, i) => expectClose(m, e.binMeans[i] as number, `binMeans[${i}]`));
    expect([reference.count, reference.missingShare, reference.nanShare]).toEqual([e.count, e.missingShare, e.nanShare]);
    expectClose(reference.mean, e.mean, 'mean');
    expectClose(reference.std, e.std, 'std');
  });

  test('histogram matches numpy', () => {
    const e = c.expected.histogram;
    expect(Array.from(hist.counts)).toEqual(e.counts);
    expect([hist.missing, hist.nan]).toEqual([e.missing, e.nan]);
    Array.from(hist.sums).forEach((s, i) => expectClose(s, e.sums[i] as number, `sums[${i}]`));
    expectClose(hist.sum, e.sum, 'sum');
    expectClose(hist.sumSq, e.sumSq, 'sumSq');
  });

  test.each(Object.keys(NUMERIC_RUNNERS) as Array<keyof typeof NUMERIC_RUNNERS>)('%s matches scipy', (name) => {
    compareResult(NUMERIC_RUNNERS[name](reference, hist), c.expected.tests[name] as ExpectedResult, `${c.name} ${name}`);
  });

  test('automatic choice matches Evidently’s rule and runs that test', () => {
    const result = runDriftTest(reference, hist);
    expect(result.test).toBe(c.expected.auto);
    compareResult(result, c.expected.tests[c.expected.auto] as ExpectedResult, `${c.name} auto`);
  });
});

describe.each(categoricalCases)('categorical fixture $name', (c) => {
  const reference = buildCategoricalReference(c.reference, c.maxCategories);
  const hist = new CategoricalHistogram(Object.keys(reference.categories), c.maxUnseen);
  for (const v of c.current) hist.add(v);

  test('reference profile and buckets match', () => {
    const e = c.expected.reference;
    expect(Object.keys(reference.categories)).toEqual(Object.keys(e.categories));
    for (const [name, share] of Object.entries(e.categories)) {
      expectClose(reference.categories[name] as number, share, `share of ${name}`);
    }
    expect([reference.count, reference.missingShare]).toEqual([e.count, e.missingShare]);
    expect(hist.unseen().sort((a, b) => (a[0] < b[0] ? -1 : 1))).toEqual(c.expected.unseen);
    expect(hist.overflow).toBe(c.expected.overflow);
    expect(categoricalBuckets(reference, hist).labels).toEqual(c.expected.labels);
  });

  test.each(Object.keys(CATEGORICAL_RUNNERS) as Array<keyof typeof CATEGORICAL_RUNNERS>)('%s matches scipy', (name) => {
    compareResult(CATEGORICAL_RUNNERS[name](reference, hist), c.expected.tests[name] as ExpectedResult, `${c.name} ${name}`);
  });

  test('automatic choice matches Evidently’s rule and runs that test', () => {
    const result = runDriftTest(reference, hist);
    expect(result.test).toBe(c.expected.auto);
    compareResult(result, c.expected.tests[c.expected.auto] as ExpectedResult, `${c.name} auto`);
  });
});

test('the fixtures exercise what the issue asks for', () => {
  const names = [...numericCases, ...categoricalCases].map((c) => c.name);
  for (const needed of [
    'missing-and-nan',
    'constant-reference',
    'all-mass-one-bin',
    'empty-current',
    'empty-reference',
    'zero-counts-in-bins',
    'single-category-same',
    'single-category-changed',
    'unseen',
    'unseen-overflow',
    'zero-counts',
    'large-n-small-effect',
    'tiny',
  ]) {
    expect(names).toContain(needed);
  }
  // Drift and no drift both occur, and at least one case of each status.
  const all = [...numericCases, ...categoricalCases].flatMap((c) => Object.values(c.expected.tests));
  expect(all.some((r) => r.drifted)).toBe(true);
  expect(all.some((r) => r.status === 'ok' && !r.drifted)).toBe(true);
  expect(all.some((r) => r.status === 'not_enough_data')).toBe(true);
});
