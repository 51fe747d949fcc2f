import type { EvaluationSpec, GateLimit, GateSpec, MetricName } from '../../../lib/catalog';
import { GATE_LIMITS, METRIC_DIRECTIONS } from '../../../lib/catalog';
import type { GateResult, ModelMetrics } from '../../../lib/events';
import { decidePromotion, gateName, judgeGate } from './gates';

const METRICS: ModelMetrics = {
  rocAuc: 0.9,
  prAuc: 0.5,
  logLoss: 0.2,
  brier: 0.05,
  recallAt1PctFpr: 0.4,
  precisionAtK: 0.6,
  k: 10,
  expectedCalibrationError: 0.02,
  rows: 5000,
  positives: 200,
  extra: {},
};

const m = (overrides: Partial<ModelMetrics>): ModelMetrics => ({ ...METRICS, ...overrides });

function gate(metric: MetricName, limit: GateLimit, value: number): GateSpec {
  return { metric, direction: METRIC_DIRECTIONS[metric], limit, value, relativeToChampion: GATE_LIMITS[limit].relativeToChampion };
}

function spec(overrides: Partial<EvaluationSpec> = {}): EvaluationSpec {
  return { gates: [], minHoldoutRows: 1000, minHoldoutPositives: 50, maxCalibrationError: null, firstModel: 'gates-only', ...overrides };
}

describe('gate names', () => {
  it.each<[MetricName, GateLimit, string]>([
    ['rocAuc', 'min', 'min-roc-auc'],
    ['prAuc', 'maxDrop', 'max-drop-pr-auc'],
    ['recallAt1PctFpr', 'maxRelativeDrop', 'max-relative-drop-recall-at1-pct-fpr'],
    ['logLoss', 'max', 'max-log-loss'],
    ['brier', 'maxIncrease', 'max-increase-brier'],
    ['expectedCalibrationError', 'maxRelativeIncrease', 'max-relative-increase-expected-calibration-error'],
  ])('%s %s → %s', (metric, limit, name) => {
    expect(gateName({ metric, limit })).toBe(name);
  });
});

describe('judgeGate: absolute bounds, change versus champion, direction', () => {
  it.each<[string, GateSpec, Partial<ModelMetrics>, Partial<ModelMetrics> | null, boolean, number | null]>([
    // absolute bounds
    ['min passes at the bound', gate('rocAuc', 'min', 0.9), { rocAuc: 0.9 }, null, true, 0.9],
    ['min fails below', gate('rocAuc', 'min', 0.9), { rocAuc: 0.8999 }, null, false, 0.8999],
    ['max passes at the bound (lower is better)', gate('logLoss', 'max', 0.2), { logLoss: 0.2 }, null, true, 0.2],
    ['max fails above', gate('logLoss', 'max', 0.2), { logLoss: 0.21 }, null, false, 0.21],
    // absolute change, higher is better: observed = champion − candidate
    ['drop within the limit', gate('prAuc', 'maxDrop', 0.02), { prAuc: 0.49 }, { prAuc: 0.5 }, true, 0.01],
    ['drop beyond the limit', gate('prAuc', 'maxDrop', 0.02), { prAuc: 0.47 }, { prAuc: 0.5 }, false, 0.03],
    ['an improvement is a negative drop', gate('prAuc', 'maxDrop', 0), { prAuc: 0.6 }, { prAuc: 0.5 }, true, -0.1],
    // absolute change, lower is better: observed = candidate − champion
    ['increase within the limit', gate('brier', 'maxIncrease', 0.01), { brier: 0.055 }, { brier: 0.05 }, true, 0.005],
    ['increase beyond the limit', gate('brier', 'maxIncrease', 0.01), { brier: 0.07 }, { brier: 0.05 }, false, 0.02],
    ['a lower brier is a negative increase', gate('brier', 'maxIncrease', 0), { brier: 0.04 }, { brier: 0.05 }, true, -0.01],
    // relative change
    ['relative drop within', gate('recallAt1PctFpr', 'maxRelativeDrop', 0.1), { recallAt1PctFpr: 0.38 }, { recallAt1PctFpr: 0.4 }, true, 0.05],
    ['relative drop beyond', gate('recallAt1PctFpr', 'maxRelativeDrop', 0.1), { recallAt1PctFpr: 0.3 }, { recallAt1PctFpr: 0.4 }, false, 0.25],
    ['relative increase within', gate('logLoss', 'maxRelativeIncrease', 0.1), { logLoss: 0.21 }, { logLoss: 0.2 }, true, 0.05],
    ['relative increase beyond', gate('logLoss', 'maxRelativeIncrease', 0.1), { logLoss: 0.3 }, { logLoss: 0.2 }, false, 0.5],
    ['relative improvement (lower) is negative', gate('logLoss', 'maxRelativeIncrease', 0), { logLoss: 0.1 }, { logLoss: 0.2 }, true, -0.5],
    // relative change from a zero champion: undefined, judged by direction alone
    ['relative from zero, no worsening', gate('expectedCalibrationError', 'maxRelativeIncrease', 0.1), { expectedCalibrationError: 0 }, { expectedCalibrationError: 0 }, true, null],
    ['relative from zero, worse', gate('expectedCalibrationError', 'maxRelativeIncrease', 0.1), { expectedCalibrationError: 0.01 }, { expectedCalibrationError: 0 }, false, null],
    // no champion: relative gates are skipped
    ['drop without a champion is skipped', gate('rocAuc', 'maxDrop', 0.01), { rocAuc: 0.1 }, null, true, null],
    // unusable values never pass
    ['NaN fails a min gate', gate('rocAuc', 'min', 0.5), { rocAuc: Number.NaN }, null, false, null],
    ['NaN champion fails a drop gate', gate('rocAuc', 'maxDrop', 0.5), { rocAuc: 0.9 }, { rocAuc: Number.NaN }, false, null],
  ])('%s', (_name, g, candidate, champion, passed, observed) => {
    const result = judgeGate(g, m(candidate), champion === null ? null : m(champion));
    expect(result.passed).toBe(passed);
    if (observed === null) expect(result.observed).toBeNull();
    else expect(result.observed).toBeCloseTo(observed, 12);
    expect(result.gate).toBe(gateName(g));
    expect(result.metric).toBe(g.metric);
    expect(result.threshold).toBe(g.value);
    expect(result.comparator).toBe(g.limit === 'min' ? 'GTE' : 'LTE');
  });

  it('explains a drop gate with both values', () => {
    expect(judgeGate(gate('prAuc', 'maxDrop', 0.02), m({ prAuc: 0.39 }), m({ prAuc: 0.41 })).detail).toBe('champion 0.41, candidate 0.39, drop 0.02');
  });
});

const byName = (gates: readonly GateResult[]): Record<string, GateResult> => Object.fromEntries(gates.map((g) => [g.gate, g]));

describe('decidePromotion: holdout minimums and calibration', () => {
  it.each<[string, Partial<ModelMetrics>, Partial<EvaluationSpec>, string[]]>([
    ['everything fine', {}, {}, []],
    ['too few holdout rows', { rows: 999 }, {}, ['min-holdout-rows']],
    ['too few holdout positives', { positives: 49 }, {}, ['min-holdout-positives']],
    ['exactly at both minimums', { rows: 1000, positives: 50 }, {}, []],
    ['calibration within the bound', { expectedCalibrationError: 0.05 }, { maxCalibrationError: 0.05 }, []],
    ['calibration beyond the bound', { expectedCalibrationError: 0.051 }, { maxCalibrationError: 0.05 }, ['max-calibration-error']],
    ['calibration unchecked when null', { expectedCalibrationError: 0.9 }, { maxCalibrationError: null }, []],
  ])('%s', (_name, candidate, evaluation, failed) => {
    const result = decidePromotion(m(candidate), m({}), spec(evaluation));
    expect(result.failed).toEqual(failed);
    expect(result.decision).toBe(failed.length === 0 ? 'PROMOTE' : 'REJECT');
  });

  it('reports every gate in a fixed order: preconditions, holdout, calibration, catalog gates', () => {
    const pre: GateResult = { gate: 'artifact-integrity', metric: 'manifestVerified', comparator: 'GTE', threshold: 1, observed: 1, passed: true, detail: null };
    const result = decidePromotion(m({}), m({}), spec({ maxCalibrationError: 0.1, gates: [gate('logLoss', 'max', 1), gate('rocAuc', 'maxDrop', 0.01)] }), { preconditions: [pre] });
    expect(result.gates.map((g) => g.gate)).toEqual(['artifact-integrity', 'min-holdout-rows', 'min-holdout-positives', 'max-calibration-error', 'max-log-loss', 'max-drop-roc-auc']);
  });

  it('a failed precondition rejects a candidate whose metrics are fine', () => {
    const pre: GateResult = { gate: 'artifact-integrity', metric: 'manifestVerified', comparator: 'GTE', threshold: 1, observed: 0, passed: false, detail: 'sha256 mismatch' };
    const result = decidePromotion(m({}), null, spec({ firstModel: 'promote' }), { preconditions: [pre] });
    expect(result).toMatchObject({ decision: 'REJECT', failed: ['artifact-integrity'] });
  });

  it('names every failing gate, not just the first', () => {
    const result = decidePromotion(m({ rocAuc: 0.5, positives: 10 }), m({ rocAuc: 0.9 }), spec({ gates: [gate('rocAuc', 'min', 0.7), gate('rocAuc', 'maxDrop', 0.01), gate('prAuc', 'min', 0.1)] }));
    expect(result.failed).toEqual(['min-holdout-positives', 'min-roc-auc', 'max-drop-roc-auc']);
  });
});

describe('decidePromotion: first-model policies (no champion)', () => {
  const gates = [gate('rocAuc', 'min', 0.95), gate('rocAuc', 'maxDrop', 0.01)];

  it.each<[EvaluationSpec['firstModel'], Partial<ModelMetrics>, 'PROMOTE' | 'REJECT', string[]]>([
    // promote: only the holdout minimums apply (not even calibration)
    ['promote', { rocAuc: 0.5, expectedCalibrationError: 0.5 }, 'PROMOTE', []],
    ['promote', { rocAuc: 0.5, rows: 10 }, 'REJECT', ['min-holdout-rows']],
    // gates-only: absolute gates apply, relative ones are skipped
    ['gates-only', { rocAuc: 0.96 }, 'PROMOTE', []],
    ['gates-only', { rocAuc: 0.9 }, 'REJECT', ['min-roc-auc']],
    ['gates-only', { rocAuc: 0.96, expectedCalibrationError: 0.5 }, 'REJECT', ['max-calibration-error']],
    // reject: never automatically, whatever the metrics
    ['reject', { rocAuc: 0.99 }, 'REJECT', ['first-model-policy']],
  ])('%s with %j → %s', (firstModel, candidate, decision, failed) => {
    const result = decidePromotion(m({ expectedCalibrationError: 0, ...candidate }), null, spec({ firstModel, gates, maxCalibrationError: 0.001 }));
    expect(result.decision).toBe(decision);
    expect(result.failed).toEqual(failed);
  });

  it('lists skipped gates as passed with the reason', () => {
    const result = byName(decidePromotion(m({ rocAuc: 0.5 }), null, spec({ firstModel: 'promote', gates, maxCalibrationError: 0.001 })).gates);
    expect(result['min-roc-auc']).toMatchObject({ passed: true, observed: null });
    expect(result['min-roc-auc']!.detail).toMatch(/^skipped: first model/);
    expect(result['max-calibration-error']).toMatchObject({ passed: true, observed: null });
    const gatesOnly = byName(decidePromotion(m({ rocAuc: 0.96, expectedCalibrationError: 0 }), null, spec({ gates })).gates);
    expect(gatesOnly['max-drop-roc-auc']).toMatchObject({ passed: true, observed: null, detail: 'skipped: no champion to compare with' });
  });

  it('applies the policy only without a champion', () => {
    expect(decidePromotion(m({ rocAuc: 0.96 }), m({ rocAuc: 0.96 }), spec({ firstModel: 'reject', gates })).decision).toBe('PROMOTE');
  });
});
