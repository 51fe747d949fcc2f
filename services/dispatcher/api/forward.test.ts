/**
 * Two dispatchers on one world: the leader (started) and a standby (never
 * started; its store is empty). Every API call to the standby is answered by
 * the leader (issue 14: a GET for the other replica's run was a 404).
 */
import { FixedLeadership } from '../../../lib/leader';
import { runIdFor } from '../core/names';
import { SCOPED_TOKENS, call, listen, startDispatcher, world, type Harness } from '../testing/harness';
import { FORWARDED_BY_HEADER, SERVED_BY_HEADER } from './forward';
import { ErrorBody, RunView } from './schemas';

let leader: Harness;
let standby: Harness;
let leaderUrl: string;
let standbyUrl: string;
let standbyLeadership: FixedLeadership;
let leaderRequests: string[];

beforeEach(async () => {
  const w = world();
  const leading = new FixedLeadership({ identity: 'dispatcher-a_1' });
  leading.acquire(3);
  leader = await startDispatcher(w, { leadership: leading });
  leaderRequests = [];
  leader.app.http.addHook('onRequest', async (request) => void leaderRequests.push(`${request.method} ${request.url} ${String(request.headers[FORWARDED_BY_HEADER])}`));
  leaderUrl = await listen(leader);
  standbyLeadership = new FixedLeadership({ identity: 'dispatcher-b_2', observedHolder: 'dispatcher-a_1', observedEpoch: 3, leaderUrl });
  standby = await startDispatcher(w, { leadership: standbyLeadership, start: false });
  standbyUrl = await listen(standby);
});
afterEach(async () => {
  await standby?.app.stop();
  await leader?.app.stop();
});

describe('the API on a standby', () => {
  it('forwards a submission to the leader and relays its answer; reads of that run on the standby see the leader’s state', async () => {
    const submitted = await call(standbyUrl, 'POST', '/v1/runs', { body: { modelId: 'queue-model', requestId: 'via-standby' } });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get(SERVED_BY_HEADER)).toBe('dispatcher-a_1');
    const runId = runIdFor('via-standby');
    expect(leader.app.engine.store.get(runId)?.state).toBeDefined();
    expect(standby.app.engine.store.get(runId)).toBeUndefined();
    const read = await call(standbyUrl, 'GET', `/v1/runs/${runId}`);
    expect(read.status).toBe(200);
    expect(RunView.parse(read.body).requestId).toBe('via-standby');
    expect((await call(standbyUrl, 'GET', '/v1/models/queue-model/runs')).status).toBe(200);
    expect(leaderRequests).toEqual([`POST /v1/runs dispatcher-b_2`, `GET /v1/runs/${runId} dispatcher-b_2`, 'GET /v1/models/queue-model/runs dispatcher-b_2']);
  });

  it('relays the leader’s errors as they are (404, 400 naming the field)', async () => {
    const missing = await call(standbyUrl, 'GET', `/v1/runs/${runIdFor('nope')}`);
    expect(missing.status).toBe(404);
    expect(ErrorBody.parse(missing.body).error).toMatchObject({ code: 'NOT_FOUND', field: 'runId' });
    const invalid = await call(standbyUrl, 'POST', '/v1/runs', { body: { modelId: 'queue-model', unknown: 1 } });
    expect(invalid.status).toBe(400);
    expect(ErrorBody.parse(invalid.body).error.field).toBe('unknown');
  });

  it('refuses a bad token or a missing scope itself, without bothering the leader', async () => {
    expect((await call(standbyUrl, 'GET', '/v1/models/queue-model/runs', { token: 'wrong-token-0123456789' })).status).toBe(401);
    expect((await call(standbyUrl, 'POST', '/v1/runs', { token: SCOPED_TOKENS.read, body: { modelId: 'queue-model' } })).status).toBe(403);
    expect(leaderRequests).toEqual([]);
  });

  it('serves /openapi.json itself', async () => {
    expect((await call(standbyUrl, 'GET', '/openapi.json', { token: null })).status).toBe(200);
    expect(leaderRequests).toEqual([]);
  });

  it.each([
    ['no leader address is known (a takeover in progress)', () => standbyLeadership.set({ leaderUrl: null }), /no leader's address is known \(the Lease names dispatcher-a_1\)/],
    ['the leader does not answer', () => standbyLeadership.set({ leaderUrl: 'http://127.0.0.1:9' }), /did not answer/],
    ['this replica lost the Lease', () => standbyLeadership.set({ role: 'lost', reason: 'renew deadline' }), /no leader's address is known/],
  ])('answers 503 NOT_LEADER with Retry-After when %s', async (_name, arrange, message) => {
    arrange();
    const response = await call(standbyUrl, 'GET', '/v1/models/queue-model/runs');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(ErrorBody.parse(response.body).error).toMatchObject({ code: 'NOT_LEADER', message: expect.stringMatching(message) });
  });

  it('never forwards a forwarded call again: a replica that is not the leader either answers 503 (no loops)', async () => {
    const response = await call(standbyUrl, 'GET', '/v1/models/queue-model/runs', { headers: { [FORWARDED_BY_HEADER]: 'dispatcher-c_3' } });
    expect(response.status).toBe(503);
    expect(ErrorBody.parse(response.body).error.message).toMatch(/forwarded by dispatcher-c_3/);
    expect(leaderRequests).toEqual([]);
  });

  it('documents 503 on every API operation', async () => {
    const doc = (await call(standbyUrl, 'GET', '/openapi.json', { token: null })).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (path === '/openapi.json') continue;
      for (const [method, operation] of Object.entries(operations)) expect({ path, method, has503: '503' in operation.responses }).toEqual({ path, method, has503: true });
    }
  });
});

describe('the API on a leader that is still starting', () => {
  it('holds calls until the state is rebuilt, then answers them', async () => {
    const w = world();
    const leading = new FixedLeadership({ identity: 'dispatcher-c_1' });
    leading.acquire(4);
    const starting = await startDispatcher(w, { leadership: leading, start: false });
    const url = await listen(starting);
    try {
      let answered = false;
      const pending = call(url, 'GET', '/v1/models/queue-model/runs').then((r) => {
        answered = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(answered).toBe(false);
      await starting.app.start();
      expect((await pending).status).toBe(200);
    } finally {
      await starting.app.stop();
    }
  });

  it('answers held calls 503 at once when it stops before it has started', async () => {
    const leading = new FixedLeadership({ identity: 'dispatcher-d_1' });
    leading.acquire(5);
    const starting = await startDispatcher(world(), { leadership: leading, start: false });
    const url = await listen(starting);
    const pending = call(url, 'GET', '/v1/models/queue-model/runs');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = starting.app.stop();
    const response = await pending;
    await stopping;
    expect(response.status).toBe(503);
    expect(ErrorBody.parse(response.body).error).toMatchObject({ code: 'NOT_LEADER', message: 'this replica is stopping; retry' });
  });
});
