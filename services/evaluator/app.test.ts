import { gzipSync as gzip } from 'node:zlib';
import type { OutboundMessage } from '../../lib/bus';
import { DLQ_HEADERS, dlqTopic } from '../../lib/bus';
import type { ModelReady, TrainingCompleted } from '../../lib/events';
import { serializeModel, type LogisticModel } from '../../lib/model';
import { MODEL_ID, T0, bucketBombModel, championReady, completed, gzipBomb, holdoutMetrics, retrainRequest, trainModels, writeArtifact, writeCrafted } from './testing/fixtures';
import { FlakyBus, evaluations, metricValue, readies, sendCommand, startEvaluator, world, type Running, type World } from './testing/harness';

let w: World;
let running: Running | undefined;

beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await running?.app.stop();
  running = undefined;
});

async function seedChampion(model: LogisticModel, version = 1): Promise<ModelReady> {
  const dir = `mem://artifacts/${MODEL_ID}/seed-${version}/`;
  const sha = await writeArtifact(w.store, dir, { runId: `seed-run-${version}`, model });
  const ready = championReady(version, dir, sha, holdoutMetrics(model, trainModels().holdout));
  await w.bus.publish([w.codec.message('ModelReady', ready)]);
  return ready;
}

/** Writes the candidate's artifact, publishes its RetrainRequested, returns its TrainingCompleted (not yet published). */
async function candidate(runId: string, model: LogisticModel): Promise<TrainingCompleted> {
  const dir = `mem://artifacts/${MODEL_ID}/${runId}/`;
  const sha = await writeArtifact(w.store, dir, { runId, model });
  // Decided on data 2 h behind (event time), published at T0 (wall clock): latency counts from T0.
  await w.bus.publish([w.codec.message('RetrainRequested', retrainRequest(`req-${runId}`, T0 - 2 * 3_600_000, T0))]);
  return completed({ runId, requestId: `req-${runId}`, artifactUri: dir, sha256: sha, metrics: holdoutMetrics(model, trainModels().holdout) });
}

async function deliver(event: TrainingCompleted): Promise<void> {
  await w.bus.publish([w.codec.message('TrainingCompleted', event)]);
  await w.bus.drained();
}

describe('evaluator on the memory bus', () => {
  it('promotes a better candidate over the champion, both rescored on the candidate holdout', async () => {
    const { good, shuffled } = trainModels();
    await seedChampion(shuffled);
    running = await startEvaluator(w);
    const result = await candidate('run-good', good);
    await deliver(result);

    const [evaluation, ...more] = evaluations(w);
    expect(more).toHaveLength(0);
    expect(evaluation).toMatchObject({ modelId: MODEL_ID, runId: 'run-good', requestId: 'req-run-good', decision: 'PROMOTE', mode: 'RESCORED', championVersion: 1, override: null });
    expect(evaluation!.gates.every((g) => g.passed)).toBe(true);
    expect(evaluation!.candidateMetrics.rocAuc).toBeGreaterThan(0.75);
    expect(evaluation!.championMetrics!.rocAuc).toBeLessThan(0.6);
    // Rescored, not copied: the champion's metrics come from this holdout.
    expect(evaluation!.championMetrics!.rows).toBe(result.holdoutRows);

    const ready = readies(w).find((r) => r.version === 2)!;
    expect(ready).toMatchObject({ cause: 'PROMOTION', restoredVersion: null, artifactUri: result.artifactUri, artifactSha256: result.artifactSha256, promotedAt: w.clock.now() });
    expect(ready.profile).toEqual(result.profile);
    expect(ready.metrics).toEqual(evaluation!.candidateMetrics);
    expect(ready.lineage).toEqual({
      requestId: 'req-run-good',
      runId: 'run-good',
      evaluationId: evaluation!.evaluationId,
      reason: 'DRIFT',
      driftEvidence: retrainRequest('x').drift,
      dataWindow: result.dataWindow,
      parentVersion: 1,
    });
    expect(running.app.state.champion(MODEL_ID)?.version).toBe(2);
    expect(await metricValue(running.metrics, 'decisions_total', { model: MODEL_ID, decision: 'PROMOTE', mode: 'RESCORED' })).toBe(1);
    expect(await metricValue(running.metrics, 'promotions_total', { model: MODEL_ID, cause: 'PROMOTION' })).toBe(1);
    expect(await metricValue(running.metrics, 'champion_version', { model: MODEL_ID })).toBe(2);
    const histogram = await running.metrics.registry.getSingleMetric('roundhouse_evaluator_request_to_promotion_seconds')!.get();
    expect(histogram.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value).toBe(3600);
  });

  it('rejects the candidate trained on shuffled labels and names the failing gates', async () => {
    const { good, shuffled } = trainModels();
    await seedChampion(good);
    running = await startEvaluator(w);
    await deliver(await candidate('run-shuffled', shuffled));

    const [evaluation] = evaluations(w);
    expect(evaluation).toMatchObject({ decision: 'REJECT', mode: 'RESCORED', championVersion: 1 });
    const failed = evaluation!.gates.filter((g) => !g.passed);
    expect(failed.map((g) => g.gate)).toEqual(['min-roc-auc', 'max-drop-roc-auc']);
    expect(failed[1]!.detail).toMatch(/^champion 0\.\d+, candidate 0\.\d+, drop 0\.\d+$/);
    expect(readies(w).map((r) => r.version)).toEqual([1]);
    expect(await metricValue(running.metrics, 'gate_failures_total', { model: MODEL_ID, gate: 'min-roc-auc' })).toBe(1);
  });

  it('promotes the first model under gates-only, and skips FAILED results', async () => {
    running = await startEvaluator(w);
    await deliver({ ...(await candidate('run-failed', trainModels().good)), status: 'FAILED', failure: { code: 'NO_DATA', message: 'no labels', retriable: false } });
    expect(evaluations(w)).toHaveLength(0);
    expect(await metricValue(running.metrics, 'results_skipped_total', { model: MODEL_ID, reason: 'failed' })).toBe(1);

    await deliver(await candidate('run-first', trainModels().good));
    expect(evaluations(w)[0]).toMatchObject({ decision: 'PROMOTE', championVersion: null, championMetrics: null });
    expect(readies(w)[0]).toMatchObject({ version: 1, lineage: { parentVersion: null } });
  });

  it('a redelivered TrainingCompleted changes nothing, also after a restart', async () => {
    const { good, shuffled } = trainModels();
    await seedChampion(shuffled);
    running = await startEvaluator(w);
    const result = await candidate('run-good', good);
    await deliver(result);
    await deliver(result);
    expect(evaluations(w)).toHaveLength(1);
    expect(readies(w)).toHaveLength(2);
    expect(await metricValue(running.metrics, 'results_skipped_total', { model: MODEL_ID, reason: 'duplicate' })).toBe(1);

    // A new instance rebuilds its state from the topics before consuming.
    await running.app.stop();
    running = await startEvaluator(w);
    await deliver(result);
    expect(evaluations(w)).toHaveLength(1);
    expect(readies(w)).toHaveLength(2);
  });

  it('finishes a promotion interrupted between ModelEvaluated and ModelReady', async () => {
    const { good, shuffled } = trainModels();
    await seedChampion(shuffled);
    const flaky = new FlakyBus(w.bus, w.codec.topics.modelReady);
    flaky.failures = 1;
    running = await startEvaluator(w, flaky);
    await deliver(await candidate('run-good', good));
    expect(flaky.failures).toBe(0);
    expect(evaluations(w)).toHaveLength(1);
    expect(readies(w).map((r) => [r.version, r.cause])).toEqual([
      [1, 'PROMOTION'],
      [2, 'PROMOTION'],
    ]);
  });

  it('dead-letters a result for a model the catalog does not know', async () => {
    running = await startEvaluator(w);
    const result = await candidate('run-x', trainModels().good);
    await deliver({ ...result, modelId: 'not-in-catalog' });
    const dead = w.bus.messages(dlqTopic(w.codec.topics.trainingResults));
    expect(dead).toHaveLength(1);
    expect(dead[0]!.headers[DLQ_HEADERS.errorCode]).toBe('NOT_FOUND');
  });
});

describe('modes and integrity', () => {
  it('falls back to REPORTED metrics when the champion is in a format it cannot score', async () => {
    const { good, shuffled } = trainModels();
    const champion = await seedChampion(shuffled);
    await w.bus.publish([w.codec.message('ModelReady', { ...champion, version: 2, modelFormat: 'python.lightgbm/v4' })]);
    running = await startEvaluator(w);
    await deliver(await candidate('run-good', good));
    const [evaluation] = evaluations(w);
    expect(evaluation).toMatchObject({ mode: 'REPORTED', decision: 'PROMOTE', championVersion: 2, championMetrics: champion.metrics });
  });

  it('rejects a candidate whose files do not match its manifest, naming the integrity gate', async () => {
    running = await startEvaluator(w);
    const result = await candidate('run-tampered', trainModels().good);
    await w.store.writeFile(result.artifactUri!, 'model.json', Buffer.from(serializeModel(trainModels().shuffled)));
    await deliver(result);
    const [evaluation] = evaluations(w);
    expect(evaluation).toMatchObject({ decision: 'REJECT', mode: 'REPORTED' });
    expect(evaluation!.gates[0]).toMatchObject({ gate: 'artifact-integrity', passed: false });
    expect(evaluation!.gates[0]!.detail).toMatch(/run-tampered\/model\.json: \d+ bytes, more than the \d+ expected|run-tampered\/model\.json: sha256 [0-9a-f]{64}, the manifest says/);
    expect(await metricValue(running.metrics, 'evaluation_errors_total', { model: MODEL_ID, stage: 'candidate-artifact', code: 'ARTIFACT_INTEGRITY' })).toBe(1);
    expect(readies(w)).toHaveLength(0);
  });

  it('rejects crafted artifacts under valid manifests with their reason and carries on (they aborted the process, or were judged on their own word)', async () => {
    running = await startEvaluator(w);
    const { good } = trainModels();
    const model = { name: 'model.json', data: Buffer.from(serializeModel(good)) };
    const holdout = (data: Buffer) => ({ name: 'holdout.jsonl.gz', data });
    const crafted = async (runId: string, files: { name: string; data: Buffer }[], holdoutUri?: string): Promise<void> => {
      const dir = `mem://artifacts/${MODEL_ID}/${runId}/`;
      const sha = await writeCrafted(w.store, dir, runId, files);
      const result = completed({ runId, requestId: `req-${runId}`, artifactUri: dir, sha256: sha, metrics: holdoutMetrics(good, trainModels().holdout) });
      await deliver(holdoutUri === undefined ? result : { ...result, holdoutUri });
    };
    await crafted('run-buckets', [{ name: 'model.json', data: bucketBombModel() }]);
    await crafted('run-bomb', [model, holdout(gzipBomb(1024))]);
    await crafted('run-dev-zero', [model, holdout(gzip(''))], 'file:///dev/zero');
    const judged = evaluations(w);
    expect(judged.map((e) => [e.runId, e.decision])).toEqual([
      ['run-buckets', 'REJECT'],
      ['run-bomb', 'REJECT'],
      ['run-dev-zero', 'REJECT'],
    ]);
    const reasons = judged.map((e) => e.gates.find((g) => g.gate === 'artifact-integrity')!);
    expect(reasons.map((g) => g.passed)).toEqual([false, false, false]);
    expect(reasons[0]!.detail).toMatch(/buckets/);
    expect(reasons[1]!.detail).toMatch(/run-bomb\/holdout\.jsonl\.gz: expands past 268435456 bytes; not read further \(raise EVALUATOR_MAX_HOLDOUT_MB/);
    expect(reasons[2]!.detail).toMatch(/file:\/\/\/dev\/zero: the holdout is outside the verified artifact directory/);
    expect(readies(w)).toHaveLength(0);
    // Still consuming: the next genuine candidate is judged and promoted.
    await deliver(await candidate('run-good', good));
    expect(evaluations(w).at(-1)).toMatchObject({ runId: 'run-good', decision: 'PROMOTE', mode: 'RESCORED' });
    expect(await metricValue(running.metrics, 'evaluation_errors_total', { model: MODEL_ID, stage: 'holdout', code: 'ARTIFACT_INTEGRITY' })).toBe(2);
  });

  it('rescores a holdout written as flat rows (custom trainers)', async () => {
    running = await startEvaluator(w);
    const dir = `mem://artifacts/${MODEL_ID}/run-flat/`;
    const sha = await writeArtifact(w.store, dir, { runId: 'run-flat', model: trainModels().good, holdoutShape: 'flat' });
    await deliver(completed({ runId: 'run-flat', requestId: 'req-unknown', artifactUri: dir, sha256: sha, metrics: holdoutMetrics(trainModels().good, trainModels().holdout) }));
    const [evaluation] = evaluations(w);
    expect(evaluation).toMatchObject({ mode: 'RESCORED', decision: 'PROMOTE' });
    // No RetrainRequested seen for this run: lineage tolerates it.
    expect(readies(w)[0]!.lineage).toMatchObject({ requestId: 'req-unknown', reason: 'MANUAL', driftEvidence: null });
  });
});

describe('operator overrides', () => {
  const people = { actor: 'alice', reason: 'INC-42: new model misfires on a merchant' };

  it('rollback re-publishes the earlier version as a new ModelReady, once', async () => {
    const { good } = trainModels();
    const v1 = await seedChampion(good);
    running = await startEvaluator(w);
    await deliver(await candidate('run-2', good));
    expect(readies(w).map((r) => r.version)).toEqual([1, 2]);

    await sendCommand(w, running.app, { commandId: 'cmd-rollback-1', modelId: MODEL_ID, action: 'ROLLBACK', targetVersion: 1, ...people });
    await w.bus.drained();
    const v3 = readies(w).find((r) => r.version === 3)!;
    expect(v3).toMatchObject({ cause: 'ROLLBACK', restoredVersion: 1, artifactUri: v1.artifactUri, artifactSha256: v1.artifactSha256, metrics: v1.metrics, profile: v1.profile });
    expect(v3.lineage).toMatchObject({ runId: v1.lineage.runId, requestId: v1.lineage.requestId, parentVersion: 2 });
    const record = evaluations(w).find((e) => e.evaluationId === v3.lineage.evaluationId)!;
    expect(record).toMatchObject({ decision: 'PROMOTE', championVersion: 2, override: { action: 'ROLLBACK', ...people } });

    // The same command again (redelivery, or a client retry with the same id) changes nothing.
    await sendCommand(w, running.app, { commandId: 'cmd-rollback-1', modelId: MODEL_ID, action: 'ROLLBACK', targetVersion: 1, ...people });
    await w.bus.drained();
    expect(readies(w).map((r) => r.version)).toEqual([1, 2, 3]);
    expect(await metricValue(running.metrics, 'overrides_total', { model: MODEL_ID, action: 'ROLLBACK' })).toBe(1);
  });

  it('refuses a rollback to an unknown version into the dead-letter topic, with the reason', async () => {
    await seedChampion(trainModels().good);
    running = await startEvaluator(w);
    await sendCommand(w, running.app, { commandId: 'cmd-x', modelId: MODEL_ID, action: 'ROLLBACK', targetVersion: 9, ...people });
    await w.bus.drained();
    const [dead] = w.bus.messages(dlqTopic(running.app.commandsTopic));
    expect(dead!.headers[DLQ_HEADERS.errorCode]).toBe('NOT_FOUND');
    expect(dead!.headers[DLQ_HEADERS.errorMessage]).toContain('version 9');
    expect(readies(w)).toHaveLength(1);
  });

  it('force-promote overrides a rejection, recorded with actor and reason', async () => {
    const { good, shuffled } = trainModels();
    await seedChampion(good);
    running = await startEvaluator(w);
    await deliver(await candidate('run-shuffled', shuffled));
    expect(evaluations(w)[0]!.decision).toBe('REJECT');

    await sendCommand(w, running.app, { commandId: 'cmd-force', modelId: MODEL_ID, action: 'FORCE_PROMOTE', runId: 'run-shuffled', ...people });
    await w.bus.drained();
    const [rejected, forced] = evaluations(w);
    expect(forced).toMatchObject({ evaluationId: rejected!.evaluationId, decision: 'PROMOTE', override: { action: 'FORCE_PROMOTE', ...people } });
    // The gates are kept as judged: the record shows what the person overrode.
    expect(forced!.gates.filter((g) => !g.passed).map((g) => g.gate)).toEqual(['min-roc-auc', 'max-drop-roc-auc']);
    expect(readies(w).find((r) => r.version === 2)).toMatchObject({ cause: 'FORCED', lineage: { runId: 'run-shuffled', evaluationId: rejected!.evaluationId, parentVersion: 1 } });
  });

  it('force-reject given before the result arrives is applied when it does, recorded with actor and reason', async () => {
    const { good, shuffled } = trainModels();
    await seedChampion(shuffled);
    running = await startEvaluator(w);
    await sendCommand(w, running.app, { commandId: 'cmd-reject', modelId: MODEL_ID, action: 'FORCE_REJECT', runId: 'run-good', ...people });
    await w.bus.drained();
    expect(evaluations(w)).toHaveLength(0);

    // Even across a restart: the waiting decision is rebuilt from the commands topic.
    await running.app.stop();
    running = await startEvaluator(w);
    await deliver(await candidate('run-good', good));
    const [evaluation] = evaluations(w);
    expect(evaluation).toMatchObject({ decision: 'REJECT', override: { action: 'FORCE_REJECT', ...people } });
    expect(evaluation!.gates.every((g) => g.passed)).toBe(true);
    expect(readies(w)).toHaveLength(1);
  });

  it('refuses to force-reject the champion (roll back instead)', async () => {
    running = await startEvaluator(w);
    await deliver(await candidate('run-first', trainModels().good));
    await sendCommand(w, running.app, { commandId: 'cmd-r', modelId: MODEL_ID, action: 'FORCE_REJECT', runId: 'run-first', ...people });
    await w.bus.drained();
    const [dead] = w.bus.messages(dlqTopic(running.app.commandsTopic));
    expect(dead!.headers[DLQ_HEADERS.errorCode]).toBe('CONFLICT');
    expect(dead!.headers[DLQ_HEADERS.errorMessage]).toContain('roll back');
  });

  it('dead-letters a malformed command naming the field', async () => {
    running = await startEvaluator(w);
    const bad: OutboundMessage = { topic: running.app.commandsTopic, key: MODEL_ID, value: Buffer.from(JSON.stringify({ format: 'roundhouse.evaluator-command/v1', action: 'ROLLBACK', modelId: MODEL_ID })) };
    await w.bus.publish([bad]);
    await w.bus.drained();
    const [dead] = w.bus.messages(dlqTopic(running.app.commandsTopic));
    expect(dead!.headers[DLQ_HEADERS.errorCode]).toBe('VALIDATION');
    expect(dead!.headers[DLQ_HEADERS.errorMessage]).toMatch(/commandId/);
  });
});
