/**
 * The override routes (services/dispatcher/api/overrides.ts) on a real
 * dispatcher HTTP server, and the command reaching a running evaluator on the
 * same memory bus.
 */
import { silentLogger } from '../../lib/log';
import { createServiceMetrics } from '../../lib/metrics';
import { ErrorBody } from '../dispatcher/api/schemas';
import { Harness, SCOPED_TOKENS, call, listen, startDispatcher, world as dispatcherWorld } from '../dispatcher/testing/harness';
import { createEvaluatorApp, type EvaluatorApp } from './app';
import { COMMANDS_TOPIC, decodeCommand } from './commands';
import { MODEL_ID, championReady, completed, evaluatorCatalog, holdoutMetrics, trainModels, writeArtifact } from './testing/fixtures';
import { MemoryArtifactStore } from '../../lib/artifacts';

let h: Harness;
let base: string;
let evaluator: EvaluatorApp | undefined;
const store = new MemoryArtifactStore();

beforeEach(async () => {
  h = await startDispatcher({ ...dispatcherWorld(), catalog: evaluatorCatalog() });
  base = await listen(h);
});
afterEach(async () => {
  await evaluator?.stop();
  evaluator = undefined;
  await h.app.stop();
});

const people = { reason: 'INC-42: misfires on one merchant' };
const commands = () => h.world.bus.messages(COMMANDS_TOPIC).map((m) => ({ key: m.key?.toString(), command: decodeCommand(m.value) }));

describe('POST /v1/models/{modelId}/promotions and /rollback', () => {
  it("records a force-promote as a command keyed by model, with the token's name as actor, and the reason", async () => {
    const response = await call(base, 'POST', `/v1/models/${MODEL_ID}/promotions`, { body: { action: 'force-promote', runId: 'run-1', ...people } });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ modelId: MODEL_ID, action: 'FORCE_PROMOTE', actor: 'tester', topic: COMMANDS_TOPIC });
    expect(commands()).toEqual([
      {
        key: MODEL_ID,
        command: expect.objectContaining({ action: 'FORCE_PROMOTE', runId: 'run-1', modelId: MODEL_ID, source: 'api', issuedAt: h.world.clock.now(), commandId: (response.body as { commandId: string }).commandId, actor: 'tester', ...people }),
      },
    ]);
  });

  it('records a rollback, keeping a client-supplied command id', async () => {
    const response = await call(base, 'POST', `/v1/models/${MODEL_ID}/rollback`, { body: { version: 3, commandId: 'rb-1', ...people } });
    expect(response.status).toBe(202);
    expect(commands()[0]!.command).toMatchObject({ action: 'ROLLBACK', targetVersion: 3, commandId: 'rb-1' });
  });

  it.each<[string, string, unknown, string]>([
    ['an actor in the body (the token names the actor)', 'promotions', { action: 'force-reject', runId: 'r', actor: 'alice', reason: 'x' }, 'actor'],
    ['an actor in a rollback body', 'rollback', { version: 1, actor: 'alice', reason: 'x' }, 'actor'],
    ['no reason', 'promotions', { action: 'force-reject', runId: 'r' }, 'reason'],
    ['a blank reason', 'promotions', { action: 'force-reject', runId: 'r', reason: '   ' }, 'reason'],
    ['an unknown action', 'promotions', { action: 'promote-please', runId: 'r', ...people }, 'action'],
    ['no runId', 'promotions', { action: 'force-promote', ...people }, 'runId'],
    ['an unknown field', 'promotions', { action: 'force-promote', runId: 'r', priority: 1, ...people }, 'priority'],
    ['version 0', 'rollback', { version: 0, ...people }, 'version'],
    ['a fractional version', 'rollback', { version: 1.5, ...people }, 'version'],
    ['a command id with spaces', 'rollback', { version: 1, commandId: 'a b', ...people }, 'commandId'],
  ])('%s (%s) → 400 naming %s', async (_name, route, body, field) => {
    const response = await call(base, 'POST', `/v1/models/${MODEL_ID}/${route}`, { body });
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(response.body).error.field).toBe(field);
    expect(commands()).toHaveLength(0);
  });

  it('records each token\'s own name as the actor; a token without the override scope gets 403 and records nothing', async () => {
    const asAlice = await call(base, 'POST', `/v1/models/${MODEL_ID}/rollback`, { token: SCOPED_TOKENS.override, body: { version: 2, ...people } });
    expect(asAlice.status).toBe(202);
    expect(commands().map((c) => c.command.actor)).toEqual(['oncall-alice']);
    for (const token of [SCOPED_TOKENS.read, SCOPED_TOKENS.submit]) {
      const refused = await call(base, 'POST', `/v1/models/${MODEL_ID}/promotions`, { token, body: { action: 'force-promote', runId: 'r', ...people } });
      expect(refused.status).toBe(403);
      expect(ErrorBody.parse(refused.body).error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('override') });
    }
    expect(commands()).toHaveLength(1);
  });

  it('answers 400 for a malformed model id, 404 for an unknown model, 401 without a token', async () => {
    expect((await call(base, 'POST', '/v1/models/Bad_Id/rollback', { body: { version: 1, ...people } })).status).toBe(400);
    const unknown = await call(base, 'POST', '/v1/models/no-such-model/rollback', { body: { version: 1, ...people } });
    expect(unknown.status).toBe(404);
    expect(ErrorBody.parse(unknown.body).error.field).toBe('modelId');
    expect((await call(base, 'POST', `/v1/models/${MODEL_ID}/rollback`, { token: null, body: { version: 1, ...people } })).status).toBe(401);
    expect(commands()).toHaveLength(0);
  });

  it('describes both routes in the OpenAPI document', async () => {
    const doc = (await call(base, 'GET', '/openapi.json', { token: null })).body as { paths: Record<string, { post?: { operationId: string } }> };
    expect(doc.paths['/v1/models/{modelId}/promotions']?.post?.operationId).toBe('overridePromotion');
    expect(doc.paths['/v1/models/{modelId}/rollback']?.post?.operationId).toBe('rollbackModel');
  });

  it('reaches the evaluator: a rollback through the API re-publishes the earlier version', async () => {
    const { good } = trainModels();
    const { bus, clock } = h.world;
    const v1Dir = 'mem://artifacts/v1/';
    const v1 = championReady(1, v1Dir, await writeArtifact(store, v1Dir, { runId: 'seed-run-1', model: good }), holdoutMetrics(good, trainModels().holdout));
    await bus.publish([h.codec.message('ModelReady', v1)]);
    evaluator = createEvaluatorApp({ bus, codec: h.codec, catalog: evaluatorCatalog(), artifacts: store, logger: silentLogger(), metrics: createServiceMetrics('evaluator'), clock, catchUpTimeoutMs: 5_000 });
    await evaluator.start();
    const v2Dir = 'mem://artifacts/run-2/';
    const result = completed({ runId: 'run-2', requestId: 'req-2', artifactUri: v2Dir, sha256: await writeArtifact(store, v2Dir, { runId: 'run-2', model: good }), metrics: v1.metrics });
    await bus.publish([h.codec.message('TrainingCompleted', result)]);
    await bus.drained();
    expect(evaluator.state.champion(MODEL_ID)?.version).toBe(2);

    expect((await call(base, 'POST', `/v1/models/${MODEL_ID}/rollback`, { body: { version: 1, ...people } })).status).toBe(202);
    await bus.drained();
    const ready = h.world.bus
      .messages(h.codec.topics.modelReady)
      .map((m) => h.codec.decode('ModelReady', m.value))
      .find((r) => r.version === 3);
    expect(ready).toMatchObject({ cause: 'ROLLBACK', restoredVersion: 1, artifactUri: v1Dir });
  });
});
