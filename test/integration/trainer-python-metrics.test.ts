import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { computeMetrics } from '../../lib/model';
import { mulberry32 } from '../../lib/synthetic';

/**
 * The example Python trainer reports metrics it computes itself; they must mean
 * what the built-in trainer's mean (lib/model/metrics.ts), or gates would judge
 * the two trainers differently. Same labels and scores (with ties) through both.
 */
const ROOT = path.join(__dirname, '..', '..');

function pythonMetrics(labels: number[], scores: number[]): Record<string, number> {
  const script = [
    'import json, sys',
    "sys.path.insert(0, 'examples/python-trainer')",
    'import numpy as np',
    'from train import holdout_metrics',
    'data = json.load(sys.stdin)',
    "print(json.dumps(holdout_metrics(np.array(data['y']), np.array(data['p']))))",
  ].join('\n');
  const run = spawnSync('python3', ['-c', script], { cwd: ROOT, input: JSON.stringify({ y: labels, p: scores }), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, number>;
}

describe('python example metrics = lib/model metrics', () => {
  it.each([
    ['continuous scores', 2000, 0.05, (r: () => number) => r()],
    ['heavily tied scores', 1500, 0.1, (r: () => number) => Math.round(r() * 20) / 20],
  ])('%s', (_what, n, rate, score) => {
    const random = mulberry32(42);
    const labels: number[] = [];
    const scores: number[] = [];
    for (let i = 0; i < n; i++) {
      const y = random() < rate ? 1 : 0;
      labels.push(y);
      // Informative but noisy: positives score higher on average.
      scores.push(Math.min(1, Math.max(0, score(() => 0.6 * random() + 0.35 * y * random()))));
    }
    const ts = computeMetrics(labels, scores);
    const py = pythonMetrics(labels, scores);
    for (const key of ['rocAuc', 'prAuc', 'logLoss', 'brier', 'recallAt1PctFpr', 'precisionAtK', 'expectedCalibrationError', 'k', 'rows', 'positives'] as const) {
      expect({ key, value: py[key] }).toEqual({ key, value: expect.closeTo(ts[key] as number, 9) });
    }
  });
});
