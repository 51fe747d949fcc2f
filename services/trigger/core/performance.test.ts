import type { PerformancePolicy } from '../../../lib/catalog';
import { SAMPLE_EVENTS } from '../../../lib/events/samples';
import { testModel } from '../testing/catalog';
import {
  MAX_SAMPLES_PER_SUMMARY,
  addLabelProgress,
  addPositives,
  addSamples,
  addToSummarySample,
  trimSummarySample,
  judgePerformance,
  labelHorizon,
  newPerformanceState,
  prune,
  realised,
  sampleHash,
  type GroupPerformance,
  type ScoreSample,
} from './performance';

const SPEC: GroupPerformance = { sampleRate: 1, maxSampled: 1_000, scoreFields: ['model_score'], reachMs: 120_000 };
const POLICY: PerformancePolicy = { enabled: true, metric: 'prAuc', maxDrop: 0.1, minRows: 10, minPositives: 2, windowMs: 60_000, sampleRate: 1, maxSampled: 1_000 };
const METRICS = { ...SAMPLE_EVENTS.ModelReady.metrics, prAuc: 0.8, recallAt1PctFpr: 0.5, logLoss: 0.1 };
const sample = (id: string, t: number, score: number): ScoreSample => [id, t, sampleHash(id), score];

describe('performance: the event-id hash sample', () => {
  it('is a fraction in [0, 1), the same for the same id, and spreads similar ids evenly', () => {
    expect(sampleHash('e7-1')).toBe(sampleHash('e7-1'));
    const hashes = Array.from({ length: 20_000 }, (_, i) => sampleHash(`e7-${i}`));
    expect(Math.min(...hashes)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...hashes)).toBeLessThan(1);
    const below = (rate: number): number => hashes.filter((h) => h < rate).length / hashes.length;
    for (const rate of [0.01, 0.1, 0.5]) expect(Math.abs(below(rate) - rate)).toBeLessThan(0.01 + rate * 0.1);
  });

  it('a summary keeps at most MAX_SAMPLES_PER_SUMMARY scores, the smallest hashes, and is complete below its bound', () => {
    const samples: ScoreSample[] = [];
    let below = Infinity;
    for (let i = 0; i < 3 * MAX_SAMPLES_PER_SUMMARY; i++) below = addToSummarySample(samples, sample(`x${i}`, i, 0.5), below);
    below = trimSummarySample(samples, below);
    expect(samples.length).toBeLessThanOrEqual(MAX_SAMPLES_PER_SUMMARY);
    const all = Array.from({ length: 3 * MAX_SAMPLES_PER_SUMMARY }, (_, i) => sampleHash(`x${i}`));
    expect(samples.map((s) => s[2]).sort()).toEqual(all.filter((h) => h < below).sort());
  });
});

describe('performance: the judge shard store and its bounds', () => {
  it('past maxSampled the hash threshold halves (thinning counted); labels above it go too', () => {
    const state = newPerformanceState(SPEC);
    addPositives(state, SPEC, [['a0', 10]]);
    addSamples(state, { ...SPEC, maxSampled: 100 }, '', Array.from({ length: 300 }, (_, i) => sample(`a${i}`, i, 0.5)), Infinity);
    expect(state.threshold).toBeLessThan(1);
    const kept = state.samples['']!;
    expect(kept.length).toBeLessThanOrEqual(100);
    expect(kept.every((s) => s[2] < state.threshold)).toBe(true);
    expect(state.thinned).toBe(300 - kept.length);
    expect('a0' in state.positives).toBe(sampleHash('a0') < state.threshold);
  });

  it('a summary complete only below some hash lowers the threshold to it', () => {
    const state = newPerformanceState(SPEC);
    addSamples(state, SPEC, '', [sample('b1', 1, 0.2)], 0.25);
    expect(state.threshold).toBe(0.25);
  });

  it('keeps the earliest positive label per event; past maxSampled the oldest label times are evicted and counted', () => {
    const state = newPerformanceState(SPEC);
    addPositives(state, { ...SPEC, maxSampled: 2 }, [['p1', 30], ['p1', 20], ['p2', 10], ['p3', 40]]);
    expect(state.positives).toEqual({ p1: 20, p3: 40 });
    expect(state.labelsEvicted).toBe(1);
  });

  it('prunes scores and labels no window still to be judged can use', () => {
    const state = newPerformanceState(SPEC);
    addSamples(state, SPEC, '', [sample('c1', 10, 0.1), sample('c2', 20, 0.1)], Infinity);
    addPositives(state, SPEC, [['c1', 15], ['c2', 25]]);
    prune(state, 15);
    expect(state.samples['']!.map((s) => s[0])).toEqual(['c2']);
    expect(state.positives).toEqual({ c2: 25 });
  });
});

describe('performance: the label horizon (every label partition)', () => {
  it.each<[string, [number, number, boolean][], number, number | null]>([
    ['no partition reported', [], 3, null],
    ['a partition not reported yet', [[0, 100, false], [1, 200, false]], 3, null],
    ['the slowest partition', [[0, 100, false], [1, 200, false], [2, 150, true]], 3, 100],
    ['a caught-up partition far behind is idle', [[0, 10, true], [1, 200, false]], 2, 200],
    ['a far-behind partition still reading holds it', [[0, 10, false], [1, 200, false]], 2, 10],
  ])('%s', (_case, progress, partitions, horizon) => {
    const state = newPerformanceState(SPEC);
    for (const [p, watermark, caughtUp] of progress) addLabelProgress(state, p, partitions, watermark, caughtUp);
    expect(labelHorizon(state, 50)).toBe(horizon);
  });

  it('a watermark never moves back', () => {
    const state = newPerformanceState(SPEC);
    addLabelProgress(state, 0, 1, 100, false);
    addLabelProgress(state, 0, 1, 90, true);
    expect(labelHorizon(state, 50)).toBe(100);
  });
});

describe('performance: the realised metric and the rule', () => {
  // labelMaturity 1h (testModel); the window judged ends at W; events in (W − 1h − 1m, W − 1h] count.
  const model = testModel();
  const modelWith = (policy: Partial<PerformancePolicy>) => ({ ...model, data: { ...model.data, scoreField: 'model_score' }, triggers: { ...model.triggers, performance: { ...POLICY, ...policy } } });
  const W = 10 * 3_600_000;
  const end = W - 3_600_000;

  it('counts only matured events in the label window, positive when a positive label arrived by the window end', () => {
    const state = newPerformanceState(SPEC);
    addSamples(state, SPEC, '', [
      sample('old', end - 60_000, 0.9), // at the window's start: excluded (start is exclusive)
      sample('in-pos', end - 30_000, 0.9),
      sample('in-late-pos', end - 20_000, 0.8), // its positive label comes after W: negative at W
      sample('in-neg', end, 0.1),
      sample('young-pos', end + 1, 0.9), // younger than the maturity: excluded whatever its label
    ], Infinity);
    addPositives(state, SPEC, [['in-pos', end], ['in-late-pos', W + 1], ['young-pos', end + 2]]);
    const r = realised(modelWith({}), SPEC, state, '', W);
    expect(r).toMatchObject({ rows: 3, positives: 1, windowStart: end - 60_000, windowEnd: end, sampleRate: 1 });
    expect(r.observed).toBe(1); // the one positive has the highest score
  });

  it.each<[string, Partial<PerformancePolicy>, { rows: number; positives: number; observed: number | null }, boolean, string | null]>([
    ['prAuc dropped by more than maxDrop', {}, { rows: 100, positives: 5, observed: 0.6 }, true, null],
    ['prAuc dropped by less than maxDrop', {}, { rows: 100, positives: 5, observed: 0.75 }, false, null],
    ['prAuc improved', {}, { rows: 100, positives: 5, observed: 0.95 }, false, null],
    ['too few rows', {}, { rows: 9, positives: 5, observed: 0.1 }, false, '9 matured sampled rows < minRows 10'],
    ['too few positives', {}, { rows: 100, positives: 1, observed: 0.1 }, false, '1 matured positives < minPositives 2'],
    ['undefined metric', { metric: 'recallAt1PctFpr' }, { rows: 100, positives: 5, observed: null }, false, 'recallAt1PctFpr undefined on the window (one class only)'],
    ['logLoss: higher is worse', { metric: 'logLoss', maxDrop: 0.05 }, { rows: 100, positives: 5, observed: 0.2 }, true, null],
    ['logLoss: lower is better', { metric: 'logLoss', maxDrop: 0.05 }, { rows: 100, positives: 5, observed: 0.01 }, false, null],
  ])('%s', (_case, policy, r, breached, why) => {
    const verdict = judgePerformance({ ...POLICY, ...policy }, METRICS, { ...r, windowStart: 1, windowEnd: 2, sampleRate: 0.5 });
    expect(verdict.breached).toBe(breached);
    if (why) expect(verdict.why).toBe(why);
    if (!why) expect(verdict.evidence).toEqual({ metric: policy.metric ?? 'prAuc', observed: r.observed, baseline: METRICS[policy.metric ?? 'prAuc'], maxDrop: policy.maxDrop ?? 0.1, labelledRows: r.rows, positives: r.positives, windowStart: 1, windowEnd: 2, sampleRate: 0.5 });
  });

  it('without the champion holdout metric, nothing is judged', () => {
    expect(judgePerformance(POLICY, null, { rows: 100, positives: 5, observed: 0.1, windowStart: 1, windowEnd: 2, sampleRate: 1 })).toEqual({ breached: false, evidence: null, why: 'the champion has no holdout prAuc' });
  });
});
