/**
 * The estimator: scikit-learn's coefficients on a small fixture (both solvers,
 * several C, class weights, with and without intercept), recovery of a known
 * ground truth, determinism, and its refusals.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoundhouseError } from '../errors';
import { generateTabular } from '../synthetic/tabular';
import type { DesignMatrix } from './features';
import { parseHyperparameters, type ClassWeight } from './hyperparameters';
import { classWeights, fitLogistic, predictProbabilities } from './logistic';

interface LogisticCase {
  C: number;
  classWeight: ClassWeight;
  fitIntercept: boolean;
  coefficients: number[];
  intercept: number;
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'logistic.json'), 'utf8')) as {
  rows: number;
  cols: number;
  x: number[];
  y: number[];
  cases: LogisticCase[];
};
const X: DesignMatrix = { data: Float64Array.from(fixture.x), rows: fixture.rows, cols: fixture.cols };

function standardise(data: Float64Array, n: number, d: number): Float64Array {
  const out = Float64Array.from(data);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += out[i * d + j] as number;
    const mean = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += ((out[i * d + j] as number) - mean) ** 2;
    const sd = Math.sqrt(ss / n) || 1;
    for (let i = 0; i < n; i++) out[i * d + j] = ((out[i * d + j] as number) - mean) / sd;
  }
  return out;
}

function columnStd(data: Float64Array, n: number, d: number): number[] {
  return Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * d + j] as number;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += ((data[i * d + j] as number) - s / n) ** 2;
    return Math.sqrt(ss / n);
  });
}

describe('fitLogistic matches scikit-learn LogisticRegression', () => {
  const table = fixture.cases.flatMap((c) =>
    (['newton', 'lbfgs'] as const).map((solver) => [`${solver} C=${c.C} classWeight=${JSON.stringify(c.classWeight)} intercept=${c.fitIntercept}`, solver, c] as const),
  );
  it.each(table)('%s', (_name, solver, c) => {
    const hp = parseHyperparameters({ C: c.C, classWeight: c.classWeight, fitIntercept: c.fitIntercept });
    const fit = fitLogistic(X, fixture.y, { ...hp, solver, tol: 1e-10, maxIter: 5000 });
    expect(fit.converged).toBe(true);
    const scale = Math.max(...c.coefficients.map(Math.abs), Math.abs(c.intercept));
    Array.from(fit.coefficients).forEach((w, j) => {
      expect({ j, ok: Math.abs(w - (c.coefficients[j] as number)) <= 1e-6 * scale }).toEqual({ j, ok: true });
    });
    expect(Math.abs(fit.intercept - c.intercept)).toBeLessThanOrEqual(1e-6 * scale);
  });
});

describe('fitLogistic', () => {
  it('recovers the ground truth of a logistic dataset', () => {
    const ds = generateTabular({ rows: 60_000, cols: 6, positiveRate: 0.3, seed: 11, logitNoise: 0, signal: 1 });
    // Raw columns span scales 1e-2 … 1e3: Newton copes without standardisation.
    const fit = fitLogistic({ data: ds.x, rows: ds.rows, cols: ds.cols }, ds.y, { C: 1e6, solver: 'newton', tol: 1e-10 });
    expect(fit.converged).toBe(true);
    // Compare effects per standard deviation of each column (raw coefficients span 10⁵).
    const sd = columnStd(ds.x, ds.rows, ds.cols);
    const effects = Array.from(ds.trueCoefficients, (beta, j) => beta * (sd[j] as number));
    const largest = Math.max(...effects.map(Math.abs));
    expect(largest).toBeGreaterThan(0.5);
    effects.forEach((effect, j) => {
      const got = (fit.coefficients[j] as number) * (sd[j] as number);
      // Sampling error with 60k rows is a few hundredths of a unit effect.
      expect({ j, effect, ok: Math.abs(got - effect) <= 0.05 }).toEqual({ j, effect, ok: true });
    });
    expect(fit.intercept).toBeCloseTo(ds.trueIntercept, 0);
  });

  it('gives the same optimum with Newton and L-BFGS on standardised columns', () => {
    const ds = generateTabular({ rows: 20_000, cols: 12, positiveRate: 0.05, seed: 3 });
    const x = { data: standardise(ds.x, ds.rows, ds.cols), rows: ds.rows, cols: ds.cols };
    const a = fitLogistic(x, ds.y, { solver: 'newton', tol: 1e-9 });
    const b = fitLogistic(x, ds.y, { solver: 'lbfgs', tol: 1e-9, maxIter: 2000 });
    expect(a.solver).toBe('newton');
    expect(b.solver).toBe('lbfgs');
    for (let j = 0; j < ds.cols; j++) expect(Math.abs((a.coefficients[j] as number) - (b.coefficients[j] as number))).toBeLessThan(1e-6);
    expect(a.objective).toBeCloseTo(b.objective, 12);
  });

  it('is deterministic: the same rows give bit-identical coefficients', () => {
    const ds = generateTabular({ rows: 5_000, cols: 8, positiveRate: 0.05, seed: 5 });
    const x = { data: standardise(ds.x, ds.rows, ds.cols), rows: ds.rows, cols: ds.cols };
    for (const solver of ['newton', 'lbfgs'] as const) {
      const a = fitLogistic(x, ds.y, { solver });
      const b = fitLogistic(x, Array.from(ds.y), { solver });
      expect(Array.from(b.coefficients)).toEqual(Array.from(a.coefficients));
      expect(b.intercept).toBe(a.intercept);
    }
  });

  it("stops at maxIter and says it did not converge", () => {
    const fit = fitLogistic(X, fixture.y, { solver: 'lbfgs', maxIter: 2, tol: 1e-12 });
    expect(fit).toMatchObject({ converged: false, stopReason: 'maxIter', iterations: 2 });
  });

  it("'balanced' weights are n / (2 · n_class), as scikit-learn's", () => {
    expect(classWeights('balanced', 100, 4)).toEqual([100 / 192, 100 / 8]);
    expect(classWeights(null, 100, 4)).toEqual([1, 1]);
    expect(classWeights({ 0: 1, 1: 9 }, 100, 4)).toEqual([1, 9]);
    const fit = fitLogistic(X, fixture.y, { classWeight: 'balanced' });
    const positives = fixture.y.filter((v) => v === 1).length;
    expect(fit.classWeights.positive).toBeCloseTo(fixture.rows / (2 * positives), 12);
  });

  it('refuses a training set with one class (NO_DATA, not retriable)', () => {
    let thrown: unknown;
    try {
      fitLogistic({ data: new Float64Array(3), rows: 3, cols: 1 }, [0, 0, 0]);
    } catch (error) {
      thrown = error;
    }
    expect(isRoundhouseError(thrown) && { code: thrown.code, retriable: thrown.retriable }).toEqual({ code: 'NO_DATA', retriable: false });
    expect((thrown as Error).message).toMatch(/no positive labels/);
  });

  it('refuses labels that are not 0/1, shapes that do not agree and non-finite values', () => {
    expect(() => fitLogistic({ data: new Float64Array(2), rows: 2, cols: 1 }, [0, 0.5])).toThrow(/label 1 is 0.5/);
    expect(() => fitLogistic({ data: new Float64Array(2), rows: 2, cols: 1 }, [0, 1, 1])).toThrow(/3 labels for 2 rows/);
    expect(() => fitLogistic({ data: new Float64Array(3), rows: 2, cols: 1 }, [0, 1])).toThrow(/3 values, not 2×1/);
    expect(() => fitLogistic({ data: Float64Array.from([0, Infinity]), rows: 2, cols: 1 }, [0, 1])).toThrow(/entry \(1, 0\) is Infinity/);
  });

  it('predictProbabilities applies σ(b + x·w)', () => {
    const p = predictProbabilities({ data: Float64Array.from([0, 1, 2, -1]), rows: 2, cols: 2 }, [1, 0.5], -1);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-(-1 + 0.5))), 15);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-(-1 + 2 - 0.5))), 15);
  });
});
