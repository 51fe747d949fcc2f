import { errorCode } from '../../../lib/errors';
import { parseRunSpec, serializeRunSpec } from '../../../lib/runspec';
import { NONCE, model, request, testCatalog, T0 } from '../testing/fixtures';
import { runIdFor } from './names';
import { buildRunSpec, effectiveHyperparameters, fromEvent, newRun, toEvent, transition } from './run';

const catalog = testCatalog();
const spec = model(catalog, 'queue-model');

describe('newRun', () => {
  it('creates a QUEUED run at sequence 0 with a run id from the request id', () => {
    const run = newRun(request({ requestId: 'rr-1' }, 'MANUAL'), spec, 'local', T0, NONCE);
    expect(run).toMatchObject({
      runId: runIdFor('rr-1'),
      requestId: 'rr-1',
      modelId: 'queue-model',
      state: 'QUEUED',
      previousState: null,
      reason: 'MANUAL',
      priority: 50,
      executor: 'local',
      jobName: null,
      attempt: 1,
      sequence: 0,
      createdAt: T0,
      updatedAt: T0,
      nonce: NONCE,
    });
  });

  it('merges hyperparameters: the request wins key by key', () => {
    expect(effectiveHyperparameters(spec, { requestId: 'r', hyperparameters: '{"l2":0.5,"extra":true}' })).toEqual({ l2: 0.5, epochs: 5, extra: true });
    expect(effectiveHyperparameters(spec, { requestId: 'r', hyperparameters: null })).toEqual({ l2: 0.01, epochs: 5 });
  });

  it.each(['not json', '[1,2]', '3', 'null'])('refuses hyperparameters %j with VALIDATION', (text) => {
    expect(() => newRun(request({ requestId: 'rr', hyperparameters: text }), spec, 'local', T0, NONCE)).toThrow();
    try {
      newRun(request({ requestId: 'rr', hyperparameters: text }), spec, 'local', T0, NONCE);
    } catch (error) {
      expect(errorCode(error)).toBe('VALIDATION');
    }
  });
});

describe('transition', () => {
  const queued = newRun(request({ requestId: 'rr-1' }), spec, 'kubernetes', T0, NONCE);

  it('moves along the table, bumping sequence and recording history', () => {
    const submitted = transition(queued, 'SUBMITTED', { jobName: 'rh-x' }, T0 + 10);
    expect(submitted.ok).toBe(true);
    if (!submitted.ok) return;
    expect(submitted.run).toMatchObject({ state: 'SUBMITTED', previousState: 'QUEUED', jobName: 'rh-x', sequence: 1, updatedAt: T0 + 10 });
    expect(submitted.run.history.map((h) => h.state)).toEqual(['QUEUED', 'SUBMITTED']);
  });

  it('refuses an illegal transition and says why', () => {
    const result = transition(queued, 'SUCCEEDED', {}, T0);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('QUEUED → SUCCEEDED') });
  });

  it('never moves updatedAt backwards (a clock that steps back)', () => {
    const result = transition(queued, 'SUBMITTED', {}, T0 - 5000);
    expect(result.ok && result.run.updatedAt).toBe(T0);
  });
});

describe('events', () => {
  it('round-trips a record through its event (history reduced to the latest state)', () => {
    const run = newRun(request({ requestId: 'rr-1', segment: 'mrc-1', requestedBy: 'alice' }), spec, 'local', T0, NONCE);
    const back = fromEvent(toEvent(run), { segment: 'mrc-1', requestedBy: 'alice', nonce: NONCE });
    expect(back).toEqual(run);
    expect(Object.keys(toEvent(run))).not.toContain('segment');
  });
});

describe('buildRunSpec', () => {
  it('builds a spec the trainer accepts', () => {
    const run = newRun(request({ requestId: 'rr-1', hyperparameters: '{"epochs":9}' }), spec, 'local', T0, NONCE);
    const runSpec = buildRunSpec(run, spec, { artifactRoot: 'file:///var/artifacts/' });
    const parsed = parseRunSpec(serializeRunSpec(runSpec));
    expect(parsed).toMatchObject({ runId: run.runId, modelId: 'queue-model', artifactUri: `file:///var/artifacts/queue-model/${run.runId}-${NONCE}/`, hyperparameters: { l2: 0.01, epochs: 9 } });
    expect(buildRunSpec(run, spec, { artifactRoot: 'file:///var/artifacts' })).toEqual(runSpec);
  });

  it('gives a family member its own id', () => {
    const run = newRun(request({ requestId: 'rr-2', modelId: 'queue-model-mrc-1', segment: 'mrc-1' }), spec, 'local', T0, NONCE);
    const runSpec = buildRunSpec(run, spec, { artifactRoot: 's3://b' });
    expect(runSpec.model.id).toBe('queue-model-mrc-1');
    expect(runSpec.segment).toBe('mrc-1');
    expect(() => parseRunSpec(serializeRunSpec(runSpec))).not.toThrow();
  });

  it.each([
    ['queue-model.shop/../../x', 'queue-model.shop~2F..~2F..~2Fx'],
    ['queue-model.shop#1', 'queue-model.shop~231'],
    ['queue-model.shop#2', 'queue-model.shop~232'],
    ['queue-model.shop?x', 'queue-model.shop~3Fx'],
  ])('puts member %j in a directory of its own, one level below the root (%s)', (modelId, segment) => {
    const run = newRun(request({ requestId: 'rr-3', modelId }), spec, 'local', T0, NONCE);
    expect(buildRunSpec(run, spec, { artifactRoot: 'file:///var/artifacts' }).artifactUri).toBe(`file:///var/artifacts/${segment}/${run.runId}-${NONCE}/`);
  });

  it('gives another attempt of the same run id another directory; a run without a nonce keeps <runId>/', () => {
    const first = newRun(request({ requestId: 'rr-4' }), spec, 'local', T0, 'aaaaaaaa');
    const again = newRun(request({ requestId: 'rr-4' }), spec, 'local', T0, 'bbbbbbbb');
    expect(again.runId).toBe(first.runId);
    expect(buildRunSpec(again, spec, { artifactRoot: 's3://b' }).artifactUri).not.toBe(buildRunSpec(first, spec, { artifactRoot: 's3://b' }).artifactUri);
    expect(buildRunSpec({ ...first, nonce: null }, spec, { artifactRoot: 's3://b' }).artifactUri).toBe(`s3://b/queue-model/${first.runId}/`);
  });
});
