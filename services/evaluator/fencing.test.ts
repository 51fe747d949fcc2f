/**
 * The fencing epoch (lib/leader) in what the evaluator publishes and follows:
 * ModelEvaluated and ModelReady carry the leader's epoch; a deposed
 * evaluator's late promotion (a lower epoch) neither replaces nor renumbers its
 * successor's versions; an evaluator refuses to lead below an epoch already
 * followed.
 */
import { ErrorCodes, errorCode } from '../../lib/errors';
import type { ModelReady } from '../../lib/events';
import { MODEL_ID, championReady, completed, holdoutMetrics, retrainRequest, T0, trainModels, writeArtifact } from './testing/fixtures';
import { evaluations, readies, startEvaluator, world, type Running, type World } from './testing/harness';
import { EvaluatorState } from './state';

let w: World;
const running: Running[] = [];
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.app.stop();
});

const ready = (version: number, leaderEpoch: number | null, over: Partial<ModelReady> = {}): ModelReady => ({
  ...championReady(version, `mem://artifacts/${MODEL_ID}/v${version}-e${leaderEpoch}/`, 'sha', holdoutMetrics(trainModels().good, trainModels().holdout)),
  leaderEpoch,
  ...over,
});

describe('EvaluatorState: promotions by epoch', () => {
  it("ignores a deposed leader's late promotion: the successor's version stays, and the next version number is not taken", () => {
    const state = new EvaluatorState();
    expect(state.applyReady(ready(4, 1))).toBe('applied');
    expect(state.applyReady(ready(5, 2))).toBe('applied');
    // The old leader numbered from what it knew: v5 again, then v6.
    expect(state.applyReady(ready(5, 1, { artifactUri: 'mem://zombie/' }))).toBe('stale');
    expect(state.applyReady(ready(6, 1))).toBe('stale');
    expect(state.champion(MODEL_ID)).toMatchObject({ version: 5, leaderEpoch: 2 });
    expect(state.highestVersion(MODEL_ID)).toBe(5);
    expect(state.highestLeaderEpoch()).toBe(2);
  });

  it('events from before leader election (no epoch) rank below every epoch; between them, as before', () => {
    const state = new EvaluatorState();
    expect(state.applyReady(ready(1, null))).toBe('applied');
    expect(state.applyReady(ready(2, null))).toBe('applied');
    expect(state.applyReady(ready(3, 0))).toBe('applied');
    expect(state.applyReady(ready(4, null))).toBe('stale');
    expect(state.highestVersion(MODEL_ID)).toBe(3);
  });
});

describe('the evaluator app', () => {
  it('stamps its epoch on the evaluation and the promotion it publishes', async () => {
    running.push(await startEvaluator(w, w.bus, 4));
    const { good } = trainModels();
    const dir = `mem://artifacts/${MODEL_ID}/run-e4/`;
    const sha = await writeArtifact(w.store, dir, { runId: 'run-e4', model: good });
    await w.bus.publish([w.codec.message('RetrainRequested', retrainRequest('req-run-e4', T0))]);
    await w.bus.publish([w.codec.message('TrainingCompleted', completed({ runId: 'run-e4', requestId: 'req-run-e4', artifactUri: dir, sha256: sha, metrics: holdoutMetrics(good, trainModels().holdout) }))]);
    await w.bus.drained();
    expect(evaluations(w).map((e) => e.leaderEpoch)).toEqual([4]);
    expect(readies(w).map((r) => [r.version, r.leaderEpoch])).toEqual([[1, 4]]);
  });

  it('a promotion followed after a late, lower-epoch one keeps the successor’s champion on restart', async () => {
    await w.bus.publish([w.codec.message('ModelReady', ready(2, 3)), w.codec.message('ModelReady', ready(3, 2))]);
    const r = await startEvaluator(w, w.bus, 3);
    running.push(r);
    expect(r.app.state.champion(MODEL_ID)).toMatchObject({ version: 2, leaderEpoch: 3 });
  });

  it('refuses to lead below an epoch already followed, saying what to do', async () => {
    await w.bus.publish([w.codec.message('ModelReady', ready(1, 6))]);
    const error = await startEvaluator(w, w.bus, 2).then(
      (r) => {
        running.push(r);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(errorCode(error)).toBe(ErrorCodes.CONFLICT);
    expect((error as Error).message).toMatch(/leader epoch 6, above this evaluator's 2: .*Raise the Lease's spec.leaseTransitions above it/);
  });
});
