import { RunAccepted, RunList, RunView, ErrorBody } from './schemas';
import { runIdFor } from '../core/names';
import { MODEL_REF_PATTERN, parseCatalog } from '../../../lib/catalog';
import { catalogText, minimalModel } from '../../../lib/catalog/test-helpers';
import { T0 } from '../testing/fixtures';
import { Harness, SCOPED_TOKENS, call, listen, startDispatcher, world } from '../testing/harness';
import { waitFor } from '../testing/wait';

let h: Harness;
let base: string;

beforeEach(async () => {
  h = await startDispatcher(world());
  base = await listen(h);
});
afterEach(async () => {
  await h.app.stop();
});

const submit = (body: unknown, token?: string | null) => call(base, 'POST', '/v1/runs', { body, ...(token !== undefined ? { token } : {}) });

describe('API authentication', () => {
  it.each<[string, string | null, Record<string, string>]>([
    ['no token', null, {}],
    ['an unknown token', 'not-the-token', {}],
    ['a token of another scheme', null, { authorization: 'Basic dGVzdDp0ZXN0' }],
    ['a bearer header without a token', null, { authorization: 'Bearer' }],
  ])('answers 401 to %s, before looking at the request', async (_name, token, headers) => {
    const response = await call(base, 'POST', '/v1/runs', { token, headers, body: { nonsense: true } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(ErrorBody.parse(response.body).error.code).toBe('UNAUTHORIZED');
  });

  it.each([
    ['GET', `/v1/runs/${runIdFor('x')}`],
    ['GET', '/v1/models/queue-model/runs'],
    ['POST', `/v1/runs/${runIdFor('x')}/cancel`],
  ])('protects %s %s', async (method, path) => {
    expect((await call(base, method, path, { token: null })).status).toBe(401);
  });

  it('answers 401 before parsing the body (an unauthenticated client learns nothing about it)', async () => {
    const response = await call(base, 'POST', '/v1/runs', { token: null, rawBody: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(401);
  });

  it('serves the OpenAPI document without a token', async () => {
    expect((await call(base, 'GET', '/openapi.json', { token: null })).status).toBe(200);
  });

  it.each(['/metrics', '/healthz', '/readyz'])('does not serve %s on the API port (issue 14: /metrics was readable there without a token)', async (path) => {
    expect((await call(base, 'GET', path, { token: null })).status).toBe(404);
    expect((await call(base, 'GET', path)).status).toBe(404);
  });

  it('is closed when no tokens are configured', async () => {
    const closed = await startDispatcher(world(), { config: { apiTokens: [] } });
    try {
      const url = await listen(closed);
      const response = await call(url, 'GET', '/v1/models/queue-model/runs', { token: '' });
      expect(response.status).toBe(401);
      expect(ErrorBody.parse(response.body).error.message).toContain('no tokens are configured');
    } finally {
      await closed.app.stop();
    }
  });
});

describe('API scopes (issue 14): read, submit, override', () => {
  const run = runIdFor('x');
  it.each<[string, string, string, unknown, keyof typeof SCOPED_TOKENS]>([
    ['a read token', 'POST', '/v1/runs', { modelId: 'queue-model' }, 'read'],
    ['a read token', 'POST', `/v1/runs/${run}/cancel`, undefined, 'read'],
    ['a submit token', 'GET', `/v1/runs/${run}`, undefined, 'submit'],
    ['a submit token', 'GET', '/v1/models/queue-model/runs', undefined, 'submit'],
    ['a submit token', 'POST', '/v1/models/queue-model/rollback', { version: 1, reason: 'r' }, 'submit'],
    ['an override token', 'POST', '/v1/runs', { modelId: 'queue-model' }, 'override'],
  ])('%s: %s %s → 403 naming the missing scope', async (_name, method, path, body, scope) => {
    const response = await call(base, method, path, { token: SCOPED_TOKENS[scope], ...(body === undefined ? {} : { body }) });
    expect(response.status).toBe(403);
    expect(ErrorBody.parse(response.body).error).toMatchObject({ code: 'FORBIDDEN', field: null });
    expect(h.app.engine.store.size).toBe(0);
  });

  it('answers 403 before parsing the body', async () => {
    const response = await call(base, 'POST', '/v1/runs', { token: SCOPED_TOKENS.read, rawBody: '{not json' });
    expect(response.status).toBe(403);
  });

  it('lets each scope do its part', async () => {
    const submitted = await call(base, 'POST', '/v1/runs', { token: SCOPED_TOKENS.submit, body: { modelId: 'queue-model', requestId: 'scoped' } });
    expect(submitted.status).toBe(202);
    const { runId } = RunAccepted.parse(submitted.body);
    expect(h.app.engine.store.get(runId)?.requestedBy).toBe('submitter');
    expect((await call(base, 'GET', `/v1/runs/${runId}`, { token: SCOPED_TOKENS.read })).status).toBe(200);
    expect((await call(base, 'POST', `/v1/runs/${runId}/cancel`, { token: SCOPED_TOKENS.submit })).status).toBe(202);
  });
});

describe('API methods', () => {
  it.each([
    ['PATCH', '/v1/runs', 'POST'],
    ['PUT', `/v1/runs/${runIdFor('x')}`, 'GET, HEAD'],
    ['QUERY', `/v1/runs/${runIdFor('x')}/cancel`, 'POST'],
    ['DELETE', '/v1/models/queue-model/runs', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const response = await call(base, method, path);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(ErrorBody.parse(response.body).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers 404 for a path it does not serve', async () => {
    expect((await call(base, 'GET', '/v2/runs')).status).toBe(404);
  });
});

describe('API validation: a 4xx naming the field', () => {
  it.each<[string, unknown, string]>([
    ['no modelId', { reason: 'MANUAL' }, 'modelId'],
    ['modelId of the wrong type', { modelId: 42 }, 'modelId'],
    ['modelId with bad characters', { modelId: 'Card_Fraud' }, 'modelId'],
    ['hyperparameters not an object', { modelId: 'queue-model', hyperparameters: [1, 2] }, 'hyperparameters'],
    ['an unknown reason', { modelId: 'queue-model', reason: 'BORED' }, 'reason'],
    ['an unknown field', { modelId: 'queue-model', priority: 99 }, 'priority'],
    ['a data window ending before it starts', { modelId: 'queue-model', dataWindow: { startTime: T0, endTime: T0 - 1 } }, 'dataWindow.endTime'],
    ['a data window without its end', { modelId: 'queue-model', dataWindow: { startTime: T0 } }, 'dataWindow.endTime'],
    ['a fractional time', { modelId: 'queue-model', dataWindow: { startTime: 1.5, endTime: T0 } }, 'dataWindow.startTime'],
    ['an unknown field in the data window', { modelId: 'queue-model', dataWindow: { startTime: T0 - 1000, endTime: T0, partitions: [] } }, 'dataWindow.partitions'],
    ['a requestId with spaces', { modelId: 'queue-model', requestId: 'a b' }, 'requestId'],
    ['a body that is not an object', [1, 2, 3], 'body'],
  ])('%s → 400 naming %s', async (_name, body, field) => {
    const response = await submit(body);
    expect(response.status).toBe(400);
    const { error } = ErrorBody.parse(response.body);
    expect(error).toMatchObject({ code: 'VALIDATION', field });
    expect(error.message.startsWith(`${field}:`)).toBe(true);
  });

  it('answers 400 naming the body for malformed JSON', async () => {
    const response = await call(base, 'POST', '/v1/runs', { rawBody: '{"modelId": "queue-model",' });
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(response.body).error.field).toBe('body');
  });

  it('answers 415 naming the body for a content type it does not read', async () => {
    const response = await call(base, 'POST', '/v1/runs', { rawBody: 'modelId=queue-model', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(415);
    expect(ErrorBody.parse(response.body).error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', field: 'body' });
  });

  it('answers 400 naming the body for a body that is not a JSON object', async () => {
    const response = await call(base, 'POST', '/v1/runs', { rawBody: 'modelId=queue-model', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(response.body).error.field).toBe('body');
  });

  it('answers 400 for no body at all', async () => {
    const response = await call(base, 'POST', '/v1/runs', {});
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(response.body).error.field).toBe('body');
  });

  it.each([
    ['GET', '/v1/runs/not-a-run-id', 'runId'],
    ['POST', '/v1/runs/RUN/cancel', 'runId'],
    ['GET', '/v1/models/Bad_Model/runs', 'modelId'],
    ['GET', '/v1/models/queue-model/runs?limit=0', 'limit'],
    ['GET', '/v1/models/queue-model/runs?limit=abc', 'limit'],
    ['GET', '/v1/models/queue-model/runs?state=DONE', 'state'],
    ['GET', '/v1/models/queue-model/runs?colour=red', 'colour'],
  ])('%s %s → 400 naming %s', async (method, path, field) => {
    const response = await call(base, method, path);
    expect(response.status).toBe(400);
    expect(ErrorBody.parse(response.body).error.field).toBe(field);
  });

  it('answers 404 naming an unknown model', async () => {
    const response = await submit({ modelId: 'no-such-model' });
    expect(response.status).toBe(404);
    expect(ErrorBody.parse(response.body).error).toMatchObject({ code: 'NOT_FOUND', field: 'modelId', message: expect.stringContaining('no-such-model') });
    const listed = await call(base, 'GET', '/v1/models/no-such-model/runs');
    expect(listed.status).toBe(404);
    expect(ErrorBody.parse(listed.body).error.message).toContain('no-such-model');
  });
});

describe('API bounds (issue 14): hyperparameters and data windows', () => {
  const DAY = 86_400_000;
  const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const expect400 = async (response: { status: number; body: unknown }, field: string): Promise<void> => {
    expect({ status: response.status, field: (response.body as { error?: { field?: string } }).error?.field }).toEqual({ status: 400, field });
    expect(ErrorBody.parse(response.body).error.code).toBe('VALIDATION');
  };

  it.each([
    ['4,200 levels of nesting (was a 500: JSON.stringify overflowed)', 4200],
    ['150,000 levels of nesting (near the 1 MiB body limit)', 150_000],
    ['33 levels of nesting', 32],
  ])('refuses %s → 400 naming hyperparameters', async (_name, depth) => {
    const response = await call(base, 'POST', '/v1/runs', { rawBody: `{"modelId":"queue-model","hyperparameters":{"x":${nested(depth)}}}` });
    await expect400(response, 'hyperparameters');
    expect(h.app.engine.store.size).toBe(0);
  });

  it('accepts 32 levels of nesting', async () => {
    const response = await call(base, 'POST', '/v1/runs', { rawBody: `{"modelId":"queue-model","hyperparameters":{"x":${nested(31)}}}` });
    expect(response.status).toBe(202);
  });

  it('refuses a 200 KB hyperparameters value (was accepted: a 203 KB env var the container could not start with)', async () => {
    await expect400(await submit({ modelId: 'queue-model', hyperparameters: { blob: 'a'.repeat(200_000) } }), 'hyperparameters');
    expect(h.world.bus.messages('roundhouse.retrain-requests')).toHaveLength(0);
  });

  it('counts bytes, not characters, and accepts up to 64 KiB', async () => {
    await expect400(await submit({ modelId: 'queue-model', hyperparameters: { blob: 'é'.repeat(33_000) } }), 'hyperparameters');
    expect((await submit({ modelId: 'queue-model', hyperparameters: { blob: 'a'.repeat(60_000) } })).status).toBe(202);
  });

  it('refuses more than 256 keys', async () => {
    await expect400(await submit({ modelId: 'queue-model', hyperparameters: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i])) }), 'hyperparameters');
  });

  it.each<[string, string, { startTime: number; endTime: number }]>([
    ['[0, 1) (epoch 0 is before any data)', 'dataWindow.startTime', { startTime: 0, endTime: 1 }],
    ['a window starting in 1999', 'dataWindow.startTime', { startTime: Date.UTC(1999, 11, 31), endTime: Date.UTC(2000, 0, 2) }],
    ['a window ending in year 275000', 'dataWindow.endTime', { startTime: T0 - DAY, endTime: 8_616_000_000_000_000 }],
    ['a window ending an hour from now', 'dataWindow.endTime', { startTime: T0 - DAY, endTime: T0 + 3_600_000 }],
    ["a window longer than the model's 90-day lookback", 'dataWindow.startTime', { startTime: T0 - 91 * DAY, endTime: T0 }],
  ])('refuses %s → 400 naming %s', async (_name, field, dataWindow) => {
    await expect400(await submit({ modelId: 'queue-model', dataWindow }), field);
  });

  it('accepts a window of exactly the lookback, ending within the clock skew', async () => {
    const response = await submit({ modelId: 'queue-model', dataWindow: { startTime: T0 + 60_000 - 90 * DAY, endTime: T0 + 60_000 } });
    expect(response.status).toBe(202);
  });
});

describe('API family members (<family>.<segment>), accepted the same way everywhere', () => {
  let fh: Harness;
  let fbase: string;
  beforeEach(async () => {
    const w = world();
    const catalog = parseCatalog(catalogText({ version: 1, models: [minimalModel('queue-model'), { ...minimalModel('shop-fraud'), family: { segmentField: 'merchant_id', minMaturedLabels: 10, maxSegments: 5 } }] }), 'family.yaml');
    fh = await startDispatcher({ ...w, catalog });
    fbase = await listen(fh);
  });
  afterEach(async () => {
    await fh.app.stop();
  });

  it('submits, lists and overrides a member (submit and listing refused the dot before)', async () => {
    const submitted = await call(fbase, 'POST', '/v1/runs', { body: { modelId: 'shop-fraud.acme.co.uk', requestId: 'member-1' } });
    expect(submitted.status).toBe(202);
    const { runId } = RunAccepted.parse(submitted.body);
    expect(fh.app.engine.store.get(runId)).toMatchObject({ modelId: 'shop-fraud.acme.co.uk', segment: 'acme.co.uk' });
    const listed = await call(fbase, 'GET', `/v1/models/${encodeURIComponent('shop-fraud.acme.co.uk')}/runs`);
    expect(listed.status).toBe(200);
    expect(RunList.parse(listed.body).runs.map((r) => r.runId)).toEqual([runId]);
    const promoted = await call(fbase, 'POST', '/v1/models/shop-fraud.acme.co.uk/promotions', { body: { action: 'force-reject', runId, reason: 'INC-1' } });
    expect(promoted.status).toBe(202);
  });

  it('accepts a segment that agrees with the id, refuses one that does not', async () => {
    expect((await call(fbase, 'POST', '/v1/runs', { body: { modelId: 'shop-fraud.m-1', segment: 'm-1' } })).status).toBe(202);
    const conflicting = await call(fbase, 'POST', '/v1/runs', { body: { modelId: 'shop-fraud.m-1', segment: 'm-2' } });
    expect(conflicting.status).toBe(400);
    expect(ErrorBody.parse(conflicting.body).error.field).toBe('segment');
    const notAMember = await call(fbase, 'POST', '/v1/runs', { body: { modelId: 'queue-model', segment: 'm-2' } });
    expect(ErrorBody.parse(notAMember.body).error.field).toBe('segment');
  });

  it('takes member ids of any valid length in paths (over 100 characters was a bare 414 from the router)', async () => {
    const long = `shop-fraud.${'m'.repeat(200)}`;
    expect((await call(fbase, 'POST', '/v1/runs', { body: { modelId: long } })).status).toBe(202);
    expect((await call(fbase, 'GET', `/v1/models/${long}/runs`)).status).toBe(200);
    expect((await call(fbase, 'POST', `/v1/models/${long}/rollback`, { body: { version: 1, reason: 'r' } })).status).toBe(202);
    const tooLong = await call(fbase, 'GET', `/v1/models/${long}m/runs`);
    expect(tooLong.status).toBe(400);
    expect(ErrorBody.parse(tooLong.body).error.field).toBe('modelId');
  });

  it.each([
    ['POST', '/v1/runs', { modelId: 'queue-model.m-1' }],
    ['GET', '/v1/models/queue-model.m-1/runs', undefined],
    ['POST', '/v1/models/queue-model.m-1/rollback', { version: 1, reason: 'r' }],
  ])('%s %s: a member of a model that is no family → 404 naming modelId', async (method, path, body) => {
    const response = await call(fbase, method, path, body === undefined ? {} : { body });
    expect(response.status).toBe(404);
    expect(ErrorBody.parse(response.body).error.field).toBe('modelId');
  });

  it.each([
    ['POST', '/v1/runs', (id: string) => ({ modelId: id })],
    ['GET', '/v1/models/{id}/runs', undefined],
    ['POST', '/v1/models/{id}/rollback', () => ({ version: 1, reason: 'r' })],
  ] as const)('%s %s refuses the same malformed ids with 400', async (method, path, body) => {
    for (const id of ['Shop-Fraud.m1', 'shop-fraud.', 'shop-fraud.a b', 'shop-fraud.a%2Fb']) {
      const url = path.replace('{id}', id.replace(' ', '%20'));
      const response = await call(fbase, method, url, body ? { body: body(decodeURIComponent(id)) } : {});
      expect({ id, status: response.status }).toEqual({ id, status: 400 });
    }
  });
});

describe('API runs', () => {
  it('accepts a run (202), shows it, lists it, and cancels it', async () => {
    const response = await submit({ modelId: 'queue-model', requestId: 'client-1', hyperparameters: { epochs: 3 }, dataWindow: { startTime: T0 - 1000, endTime: T0 }, requestedBy: 'alice' });
    expect(response.status).toBe(202);
    const accepted = RunAccepted.parse(response.body);
    expect(accepted).toEqual({ runId: runIdFor('client-1'), requestId: 'client-1', modelId: 'queue-model', state: 'QUEUED' });
    await waitFor(() => h.app.engine.store.get(accepted.runId)?.state === 'SUBMITTED', 'SUBMITTED');

    const shown = await call(base, 'GET', `/v1/runs/${accepted.runId}`);
    expect(shown.status).toBe(200);
    const view = RunView.parse(shown.body);
    expect(view).toMatchObject({ state: 'SUBMITTED', reason: 'MANUAL', priority: 50, requestedBy: 'alice', hyperparameters: { l2: 0.01, epochs: 3 }, dataWindow: { startTime: T0 - 1000, endTime: T0 } });
    expect(view.history.map((e) => e.state)).toEqual(['QUEUED', 'SUBMITTED']);

    const listed = RunList.parse((await call(base, 'GET', '/v1/models/queue-model/runs')).body);
    expect(listed.runs.map((r) => r.runId)).toEqual([accepted.runId]);
    expect(RunList.parse((await call(base, 'GET', '/v1/models/queue-model/runs?state=QUEUED')).body).runs).toEqual([]);

    const cancelled = await call(base, 'POST', `/v1/runs/${accepted.runId}/cancel`);
    expect(cancelled.status).toBe(202);
    expect(RunAccepted.parse(cancelled.body).state).toBe('CANCELLED');
    expect(h.world.executor.workloads.has(accepted.runId)).toBe(false);
    const again = await call(base, 'POST', `/v1/runs/${accepted.runId}/cancel`);
    expect(again.status).toBe(409);
    expect(ErrorBody.parse(again.body).error.code).toBe('CONFLICT');
  });

  it('publishes the request to roundhouse.retrain-requests for lineage', async () => {
    await submit({ modelId: 'queue-model', requestId: 'client-lineage' });
    const requests = h.world.bus.messages('roundhouse.retrain-requests').map((m) => h.codec.decode('RetrainRequested', m.value));
    // requestedBy defaults to the token's name.
    expect(requests).toEqual([expect.objectContaining({ requestId: 'client-lineage', modelId: 'queue-model', reason: 'MANUAL', requestedBy: 'tester' })]);
  });

  it('is idempotent by requestId, and refuses a requestId reused for another model', async () => {
    const first = RunAccepted.parse((await submit({ modelId: 'queue-model', requestId: 'same' })).body);
    const second = await submit({ modelId: 'queue-model', requestId: 'same' });
    expect(second.status).toBe(202);
    expect(RunAccepted.parse(second.body).runId).toBe(first.runId);
    expect(h.world.bus.messages('roundhouse.retrain-requests')).toHaveLength(1);
    const other = await submit({ modelId: 'gpu-model', requestId: 'same' });
    expect(other.status).toBe(409);
    expect(ErrorBody.parse(other.body).error.field).toBe('requestId');
  });

  it('answers 404 for an unknown run', async () => {
    const response = await call(base, 'GET', `/v1/runs/${runIdFor('never')}`);
    expect(response.status).toBe(404);
    expect(ErrorBody.parse(response.body).error.field).toBe('runId');
    expect((await call(base, 'POST', `/v1/runs/${runIdFor('never')}/cancel`)).status).toBe(404);
  });

  it('counts requests by route and status', async () => {
    await submit({ modelId: 'queue-model' });
    await submit({}, null);
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('roundhouse_dispatcher_api_requests_total{route="/v1/runs",method="POST",status="202"} 1');
    expect(text).toContain('roundhouse_dispatcher_api_requests_total{route="/v1/runs",method="POST",status="401"} 1');
  });

  it('1,000 concurrent submissions for one model: all accepted, never more than one in flight', async () => {
    const responses = await Promise.all(Array.from({ length: 1000 }, (_, i) => submit({ modelId: 'queue-model', requestId: `burst-${i}`, reason: i % 2 ? 'DRIFT' : 'MANUAL' })));
    expect(responses.every((r) => r.status === 202)).toBe(true);
    const runIds = new Set(responses.map((r) => RunAccepted.parse(r.body).runId));
    expect(runIds.size).toBe(1000);
    await waitFor(() => h.world.executor.submitted().length === 1, 'the first run to be submitted');
    await h.world.bus.drained();
    await h.app.engine.idle();

    const inFlight = () => [...h.app.engine.store.all()].filter((r) => r.state === 'SUBMITTED' || r.state === 'RUNNING');
    expect(inFlight()).toHaveLength(1);
    expect(h.app.engine.store.size).toBe(1000);
    // Finish runs one after the other: each time exactly one successor starts.
    for (let i = 0; i < 3; i++) {
      const current = inFlight()[0]!;
      h.world.executor.setPhase(current.runId, 'SUCCEEDED');
      await waitFor(() => inFlight().length === 1 && inFlight()[0]!.runId !== current.runId, 'the next run to start');
      expect(inFlight()[0]!.reason).toBe('MANUAL');
    }
    expect(h.world.executor.maxActivePerModel.get('queue-model')).toBe(1);
    expect(h.world.executor.submitted()).toHaveLength(4);
  });
});

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1, generated from the route schemas', async () => {
    interface Operation {
      requestBody: { content: Record<string, { schema: { required: string[]; additionalProperties: boolean; properties: Record<string, unknown> } }> };
      responses: Record<string, unknown>;
      parameters: { name: string; in: string }[];
      security?: unknown[];
    }
    interface Doc {
      openapi: string;
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, unknown> };
    }
    const doc = (await call(base, 'GET', '/openapi.json', { token: null })).body as Doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/openapi.json', '/v1/models/{modelId}/promotions', '/v1/models/{modelId}/rollback', '/v1/models/{modelId}/runs', '/v1/runs', '/v1/runs/{runId}', '/v1/runs/{runId}/cancel']);
    const submitOp = doc.paths['/v1/runs']!.post!;
    const body = submitOp.requestBody.content['application/json']!.schema;
    expect(body.required).toEqual(['modelId']);
    expect(body.additionalProperties).toBe(false);
    expect(Object.keys(body.properties)).toEqual(['modelId', 'requestId', 'reason', 'hyperparameters', 'dataWindow', 'segment', 'requestedBy']);
    expect(Object.keys(submitOp.responses).sort()).toEqual(['202', '400', '401', '403', '404', '409', '503']);
    expect(submitOp.security).toEqual([{ bearer: ['submit'] }]);
    expect(doc.paths['/v1/runs/{runId}']!.get!.security).toEqual([{ bearer: ['read'] }]);
    expect(doc.paths['/v1/models/{modelId}/rollback']!.post!.security).toEqual([{ bearer: ['override'] }]);
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (path === '/openapi.json') continue;
        expect({ path, method, responses: Object.keys(operation.responses) }).toEqual({ path, method, responses: expect.arrayContaining(['400', '401', '403']) });
      }
    }
    expect(doc.paths['/v1/runs/{runId}']!.get!.parameters).toEqual([expect.objectContaining({ name: 'runId', in: 'path', required: true })]);
    expect(doc.paths['/v1/models/{modelId}/runs']!.get!.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:modelId', 'query:state', 'query:limit']);
    expect(doc.paths['/openapi.json']!.get!.security).toEqual([]);
    // The limits are in the document, so clients and fuzzers see them.
    const props = body.properties as Record<string, Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> }>;
    expect(props.hyperparameters).toMatchObject({ type: 'object', maxProperties: 256, 'x-max-bytes': 65536, 'x-max-depth': 32, propertyNames: { maxLength: 200 } });
    expect(props.dataWindow!.properties!.startTime).toMatchObject({ minimum: Date.UTC(2000, 0, 1), maximum: Date.UTC(2100, 0, 1) });
    expect(props.modelId).toMatchObject({ pattern: MODEL_REF_PATTERN.source, maxLength: 241 });
    expect(props.requestId).toMatchObject({ maxLength: 200, pattern: expect.any(String) });
    const listParams = doc.paths['/v1/models/{modelId}/runs']!.get!.parameters as unknown as { name: string; schema: Record<string, unknown> }[];
    expect(listParams.find((p) => p.name === 'modelId')!.schema).toMatchObject({ pattern: MODEL_REF_PATTERN.source });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
