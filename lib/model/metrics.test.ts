/**
 * Holdout metrics against scikit-learn (lib/model/fixtures/make-fixtures.py):
 * informative scores, heavy ties (including scores on calibration bin edges),
 * certain predictions (log-loss clipping), all-tied, perfect, inverted, and the
 * single-class holdouts where AUC is undefined (null).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoundhouseError } from '../errors';
import { computeMetrics, toModelMetrics, type HoldoutMetrics } from './metrics';

interface MetricsCase {
  name: string;
  labels: number[];
  scores: number[];
  rocAuc: number | null;
  prAuc: number | null;
  logLoss: number;
  brier: number;
  recallAt1PctFpr: number | null;
  precisionAtK: number;
  k: number;
  expectedCalibrationError: number;
  rows: number;
  positives: number;
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'metrics.json'), 'utf8')) as { cases: MetricsCase[] };
const KEYS = ['rocAuc', 'prAuc', 'logLoss', 'brier', 'recallAt1PctFpr', 'precisionAtK', 'expectedCalibrationError'] as const;

describe('computeMetrics matches scikit-learn', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const m = computeMetrics(c.labels, c.scores);
    expect(m.rows).toBe(c.rows);
    expect(m.positives).toBe(c.positives);
    expect(m.k).toBe(c.k);
    for (const key of KEYS) {
      const expected = c[key];
      const actual = m[key];
      if (expected === null) {
        expect({ key, actual }).toEqual({ key, actual: null });
      } else {
        expect(actual).not.toBeNull();
        expect({ key, diff: Math.abs((actual as number) - expected) <= 1e-12 + 1e-9 * Math.abs(expected) }).toEqual({ key, diff: true });
      }
    }
  });

  it('covers the cases that matter', () => {
    expect(fixture.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining(['ties-2dp', 'ties-1dp-on-bin-edges', 'all-negative', 'all-positive', 'extremes', 'large-3dp']),
    );
  });
});

describe('computeMetrics semantics', () => {
  it('does not depend on row order, even with ties at the k-th score', () => {
    const labels = [1, 0, 0, 1, 0, 0, 1, 0];
    const scores = [0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.2, 0.3];
    const a = computeMetrics(labels, scores, { k: 3 });
    const rev = computeMetrics([...labels].reverse(), [...scores].reverse(), { k: 3 });
    expect(rev).toEqual(a);
    // top 3: the 0.9 positive, then 2 of the four 0.5s (one positive among them): 1 + 2 · 1/4.
    expect(a.precisionAtK).toBeCloseTo((1 + 0.5) / 3, 12);
  });

  it('k defaults to 1% of rows (at least 1) and can be set', () => {
    const labels = Array.from({ length: 250 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const scores = labels.map((_, i) => i / 250);
    expect(computeMetrics(labels, scores).k).toBe(3);
    expect(computeMetrics(labels.slice(0, 20), scores.slice(0, 20)).k).toBe(1);
    expect(computeMetrics(labels, scores, { topFraction: 0.1 }).k).toBe(25);
    expect(computeMetrics(labels, scores, { k: 7 }).k).toBe(7);
  });

  it('gives nulls, not NaN, on an empty holdout', () => {
    const m = computeMetrics([], []);
    expect(m).toMatchObject({ rows: 0, positives: 0, rocAuc: null, logLoss: null, precisionAtK: null });
  });

  it('rejects mismatched lengths, non-binary labels and scores outside [0, 1]', () => {
    expect(() => computeMetrics([0, 1], [0.5])).toThrow(/2 labels but 1 scores/);
    expect(() => computeMetrics([0, 2], [0.5, 0.5])).toThrow(/label 1 is 2/);
    expect(() => computeMetrics([0, 1], [0.5, NaN])).toThrow(/score 1 is NaN/);
    expect(() => computeMetrics([0, 1], [0.5, 1.5])).toThrow(/score 1 is 1.5/);
  });
});

describe('toModelMetrics', () => {
  it('passes complete metrics through as the event record', () => {
    const m = computeMetrics([0, 1, 0, 1], [0.1, 0.8, 0.3, 0.6]);
    const record = toModelMetrics(m);
    expect(record.rocAuc).toBe(1);
    expect(record.extra).toEqual({});
  });

  it('refuses a single-class holdout with NO_DATA naming the undefined metrics', () => {
    const m: HoldoutMetrics = computeMetrics([0, 0, 0], [0.1, 0.2, 0.3]);
    let thrown: unknown;
    try {
      toModelMetrics(m);
    } catch (error) {
      thrown = error;
    }
    expect(isRoundhouseError(thrown) && thrown.code).toBe('NO_DATA');
    expect(isRoundhouseError(thrown) && thrown.retriable).toBe(false);
    expect((thrown as Error).message).toMatch(/rocAuc, prAuc, recallAt1PctFpr undefined/);
  });
});
