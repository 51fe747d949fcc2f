import type { V1Job } from '@kubernetes/client-node';
import { errorCode, isRetriable } from '../../../../lib/errors';
import { buildRunSpec, newRun } from '../../core/run';
import { jobNameFor } from '../../core/names';
import { NONCE, model, request, testCatalog, T0 } from '../../testing/fixtures';
import { KubernetesExecutor, observationOf } from './executor';
import { FakeInformer, FakeJobsApi } from './fakes';

const catalog = testCatalog();
const spec = model(catalog, 'queue-model');
const run = newRun(request({ requestId: 'rr-k8s' }), spec, 'kubernetes', T0, NONCE);
const runSpec = buildRunSpec(run, spec, { artifactRoot: 's3://b' });
const name = jobNameFor(run.modelId, run.runId, run.nonce);

function setup() {
  const api = new FakeJobsApi();
  const informer = new FakeInformer();
  const errors: string[] = [];
  const executor = new KubernetesExecutor({
    api,
    informer,
    jobOptions: { namespace: 'ns', defaultServiceAccountName: null, env: {}, envFromSecret: null },
    onError: (operation, error) => errors.push(`${operation}:${errorCode(error)}`),
  });
  return { api, informer, executor, errors };
}

const withStatus = (job: V1Job, status: V1Job['status']): V1Job => ({ ...job, status });

describe('KubernetesExecutor', () => {
  it('creates the desired Job once', async () => {
    const { api, executor } = setup();
    expect(await executor.submit(run, runSpec)).toEqual({ jobName: name });
    expect(api.calls).toEqual([`create ${name}`]);
    expect(api.jobs.get(name)!.metadata!.labels!['roundhouse.dev/run-id']).toBe(run.runId);
  });

  it('does not create a Job the informer already has (and checks it is ours)', async () => {
    const { api, informer, executor } = setup();
    await executor.submit(run, runSpec);
    informer.emit(api.jobs.get(name)!);
    api.calls.length = 0;
    expect(await executor.submit(run, runSpec)).toEqual({ jobName: name });
    expect(api.calls).toEqual([]);
  });

  it('adopts an existing Job on AlreadyExists when its labels say it is this run', async () => {
    const { api, executor, errors } = setup();
    await executor.submit(run, runSpec);
    api.calls.length = 0;
    expect(await executor.submit(run, runSpec)).toEqual({ jobName: name });
    expect(api.calls).toEqual([`create ${name}`, `read ${name}`]);
    expect(errors).toEqual([]);
    expect(api.jobs.size).toBe(1);
  });

  it("another attempt of the run id (a request id reused after retention) gets a Job of its own, and never sees the old attempt's", async () => {
    const { api, executor } = setup();
    await executor.submit(run, runSpec);
    api.jobs.set(name, withStatus(api.jobs.get(name)!, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }));
    const again = { ...run, nonce: 'ffffffff' };
    expect(await executor.observe(again)).toBeNull();
    const { jobName } = await executor.submit(again, buildRunSpec(again, spec, { artifactRoot: 's3://b' }));
    expect(jobName).not.toBe(name);
    expect(api.jobs.get(jobName)!.metadata!.annotations!['roundhouse.dev/run-nonce']).toBe('ffffffff');
    expect(await executor.observe(again)).toMatchObject({ jobName, phase: 'PENDING' });
    await executor.cancel(again);
    expect(api.jobs.has(name)).toBe(true);
  });

  it('refuses with CONFLICT (not retriable) when the name is taken by a Job that is not ours', async () => {
    const { api, executor } = setup();
    api.jobs.set(name, { metadata: { name, labels: { app: 'someone-else' } }, spec: { template: {} } });
    const error = await executor.submit(run, runSpec).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('CONFLICT');
    expect(isRetriable(error)).toBe(false);
  });

  it('passes retriable API failures to the caller and counts them', async () => {
    const { api, executor, errors } = setup();
    api.failNext(503);
    const error = await executor.submit(run, runSpec).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('KUBERNETES_UNAVAILABLE');
    expect(isRetriable(error)).toBe(true);
    expect(errors).toEqual(['create:KUBERNETES_UNAVAILABLE']);
  });

  it('observes from the cache, falls back to a live read on a miss, and sees nothing for a missing Job', async () => {
    const { api, informer, executor } = setup();
    expect(await executor.observe(run)).toBeNull();
    expect(api.calls).toEqual([`read ${name}`]);
    await executor.submit(run, runSpec);
    expect(await executor.observe(run)).toMatchObject({ jobName: name, phase: 'PENDING' });
    informer.emit(withStatus(api.jobs.get(name)!, { active: 1, ready: 1 }));
    api.calls.length = 0;
    expect(await executor.observe(run)).toMatchObject({ phase: 'RUNNING' });
    expect(api.calls).toEqual([]);
  });

  it('ignores a Job being deleted and a Job that is not ours', async () => {
    const { informer, executor } = setup();
    informer.emit({ metadata: { name, deletionTimestamp: new Date(), labels: { 'app.kubernetes.io/managed-by': 'roundhouse-dispatcher', 'roundhouse.dev/run-id': run.runId } }, spec: { template: {} } });
    expect(await executor.observe(run)).toBeNull();
    informer.emit({ metadata: { name, labels: { 'roundhouse.dev/run-id': run.runId } }, spec: { template: {} } });
    expect(await executor.observe(run)).toBeNull();
  });

  it('cancels by deleting the Job, guarded by its uid; a missing Job is a no-op', async () => {
    const { api, executor } = setup();
    await executor.cancel(run);
    expect(api.calls).toEqual([`read ${name}`]);
    await executor.submit(run, runSpec);
    const uid = api.jobs.get(name)!.metadata!.uid!;
    api.calls.length = 0;
    await executor.cancel(run);
    expect(api.calls).toEqual([`read ${name}`, `delete ${name} uid=${uid}`]);
    expect(api.jobs.has(name)).toBe(false);
  });

  it('tells watchers which run changed, from the run-id label', async () => {
    const { api, informer, executor } = setup();
    const seen: string[] = [];
    const unwatch = executor.watch((runId) => seen.push(runId));
    await executor.submit(run, runSpec);
    informer.emit(api.jobs.get(name)!);
    informer.emit({ metadata: { name: 'unlabelled' } });
    informer.emit(api.jobs.get(name)!, true);
    unwatch();
    informer.emit(api.jobs.get(name) ?? { metadata: { name, labels: { 'roundhouse.dev/run-id': run.runId } } });
    expect(seen).toEqual([run.runId, run.runId]);
  });

  it('lists runs with Jobs from the synced cache, or from the API before sync', async () => {
    const { api, informer, executor } = setup();
    await executor.submit(run, runSpec);
    expect((await executor.list()).map((r) => r.runId)).toEqual([run.runId]);
    expect(api.calls).toContain('list');
    await informer.start();
    informer.emit(api.jobs.get(name)!);
    api.calls.length = 0;
    expect((await executor.list()).map((r) => r.runId)).toEqual([run.runId]);
    expect(api.calls).toEqual([]);
  });
});

describe('observationOf', () => {
  const job = (status: V1Job['status'], suspend?: boolean): V1Job => ({ metadata: { name: 'j' }, spec: { template: {}, ...(suspend ? { suspend } : {}) }, status });

  it.each<[string, V1Job, object]>([
    ['suspended by Kueue', job({}, true), { phase: 'PENDING', message: 'suspended (waiting for Kueue admission)' }],
    ['running', job({ active: 1, ready: 1 }), { phase: 'RUNNING', failure: null }],
    ['complete', job({ succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }), { phase: 'SUCCEEDED' }],
    [
      'deadline',
      job({ conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] }),
      { phase: 'FAILED', message: 'DeadlineExceeded: Job was active longer than specified deadline', failure: { code: 'DEADLINE_EXCEEDED', retriable: true } },
    ],
    [
      'bad input',
      job({ failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'exit code 65' }] }),
      { phase: 'FAILED', failure: { code: 'BAD_INPUT', retriable: false } },
    ],
    [
      'backoff',
      job({ failed: 3, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }),
      { phase: 'FAILED', attempt: 3, failure: { code: 'BACKOFF_LIMIT_EXCEEDED', message: 'BackoffLimitExceeded' } },
    ],
    ['other reason', job({ conditions: [{ type: 'Failed', status: 'True', reason: 'MaxFailedIndexesExceeded' }] }), { phase: 'FAILED', failure: { code: 'JOB_FAILED' } }],
  ])('%s', (_name, input, expected) => expect(observationOf(input)).toMatchObject({ jobName: 'j', ...expected }));
});
