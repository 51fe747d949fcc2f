import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode } from '../../../../lib/errors';
import { buildRunSpec, newRun } from '../../core/run';
import { jobNameFor } from '../../core/names';
import { NONCE, model, request, testCatalog, T0 } from '../../testing/fixtures';
import { waitFor } from '../../testing/wait';
import { createKubernetesExecutor, loadKubernetesClient } from './index';
import type { KubernetesExecutor } from './executor';
import { FakeApiServer } from './testing/fake-apiserver';

/**
 * The real adapters (client-node loaded from CommonJS under Jest, BatchV1Api,
 * makeInformer, our error mapping, rate limit and retries) against a fake API
 * server over HTTP. The real API server is exercised by test/integration.
 */
const catalog = testCatalog();
const spec = model(catalog, 'queue-model');

let dir: string;
let server: FakeApiServer;
let executor: KubernetesExecutor;
let errors: string[];
let counter = 0;

function newRunAndSpec() {
  const run = newRun(request({ requestId: `rr-client-${++counter}` }), spec, 'kubernetes', T0, NONCE);
  return { run, runSpec: buildRunSpec(run, spec, { artifactRoot: 's3://b' }), name: jobNameFor(run.modelId, run.runId, run.nonce) };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rh-kube-'));
  server = new FakeApiServer('training');
  const url = await server.start();
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: "${url}", insecure-skip-tls-verify: true } }]
users: [{ name: tester, user: { token: test-token } }]
contexts: [{ name: fake, context: { cluster: fake, user: tester, namespace: training } }]
current-context: fake
`,
  );
  errors = [];
  ({ executor } = createKubernetesExecutor({
    kubeconfigPath: kubeconfig,
    namespace: null,
    jobOptions: { defaultServiceAccountName: null, env: {}, envFromSecret: null },
    qps: 1000,
    burst: 1000,
    onError: (operation, error) => errors.push(`${operation}:${errorCode(error)}`),
  }));
});

afterEach(async () => {
  await executor.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('client-node under Jest', () => {
  it('loads the ESM-only package from CommonJS, once', () => {
    const k8s = loadKubernetesClient();
    expect(typeof k8s.makeInformer).toBe('function');
    expect(typeof k8s.BatchV1Api).toBe('function');
    expect(loadKubernetesClient()).toBe(k8s);
  });
});

describe('Kubernetes executor over HTTP (fake API server)', () => {
  it('creates a Job in the kubeconfig namespace, sees it through the informer, follows its status, deletes it', async () => {
    await executor.start();
    expect(server.requests.some((r) => r.startsWith('GET /apis/batch/v1/namespaces/training/jobs?labelSelector=app.kubernetes.io%2Fmanaged-by%3Droundhouse-dispatcher'))).toBe(true);
    const { run, runSpec, name } = newRunAndSpec();
    const changes: string[] = [];
    executor.watch((runId) => changes.push(runId));

    expect(await executor.submit(run, runSpec)).toEqual({ jobName: name });
    const created = server.jobs.get(name)!;
    expect(created.spec!.podFailurePolicy!.rules).toHaveLength(3);
    // What client-node's serializer sent (it drops fields its models do not know): the run spec file's parts and the restricted securityContext.
    expect(created.spec!.template.metadata!.annotations!['roundhouse.dev/run-spec']).toContain(run.runId);
    expect(created.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === 'ROUNDHOUSE_RUN_SPEC_FILE')?.value).toBe('/etc/roundhouse/run/spec.json');
    expect(created.spec!.template.spec!.volumes!.find((v) => v.name === 'run-spec')?.downwardAPI?.items).toEqual([{ path: 'spec.json', fieldRef: { fieldPath: "metadata.annotations['roundhouse.dev/run-spec']" } }]);
    expect(created.spec!.template.spec!.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(created.spec!.template.spec!.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    await waitFor(() => changes.includes(run.runId), 'the informer to report the new Job');
    expect(await executor.observe(run)).toMatchObject({ jobName: name, phase: 'PENDING' });

    server.setStatus(name, { active: 1, ready: 1 });
    await waitFor(async () => (await executor.observe(run))?.phase === 'RUNNING', 'RUNNING through the watch');
    server.setStatus(name, { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline', lastTransitionTime: new Date() }] });
    const failed = await waitFor(async () => {
      const o = await executor.observe(run);
      return o?.phase === 'FAILED' ? o : null;
    }, 'FAILED through the watch');
    expect(failed.failure).toMatchObject({ code: 'DEADLINE_EXCEEDED' });

    await executor.cancel(run);
    expect(server.deletes).toEqual([{ name, body: expect.objectContaining({ propagationPolicy: 'Background', preconditions: { uid: created.metadata!.uid } }) }]);
    await waitFor(async () => (await executor.observe(run)) === null, 'the Job to disappear');
    expect(errors).toEqual([]);
  });

  it('adopts its own Job on 409 AlreadyExists and refuses a foreign one', async () => {
    const { run, runSpec, name } = newRunAndSpec();
    await executor.submit(run, runSpec);
    expect(await executor.submit(run, runSpec)).toEqual({ jobName: name });
    expect(server.jobs.size).toBe(1);

    const other = newRunAndSpec();
    server.jobs.set(other.name, { metadata: { name: other.name, labels: { app: 'not-roundhouse' } }, spec: { template: {} } });
    await expect(executor.submit(other.run, other.runSpec)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('retries 503 and 429 transparently', async () => {
    const { run, runSpec, name } = newRunAndSpec();
    server.failNext(503);
    server.failNext(429);
    expect(await executor.submit(run, runSpec)).toEqual({ jobName: name });
    expect(server.requests.filter((r) => r.startsWith('POST'))).toHaveLength(3);
  });

  it('reports a refused Job as VALIDATION, and a missing Job as absent', async () => {
    const { run, runSpec } = newRunAndSpec();
    server.failNext(422);
    await expect(executor.submit(run, runSpec)).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await executor.observe(run)).toBeNull();
    await expect(executor.cancel(run)).resolves.toBeUndefined();
  });

  it('restarts the informer after a watch error and catches up with what changed meanwhile', async () => {
    await executor.start();
    await waitFor(() => server.watcherCount() === 1, 'the watch to open');
    const { run, runSpec, name } = newRunAndSpec();
    server.failNextWatch(500);
    server.dropWatches(); // the informer re-watches, gets a 500, and restarts after a backoff
    await executor.submit(run, runSpec);
    server.setStatus(name, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] });
    await waitFor(() => errors.includes('watch:KUBERNETES_UNAVAILABLE'), 'the watch error to be reported');
    await waitFor(() => server.watcherCount() === 1, 'the watch to reopen', 15_000);
    expect(await executor.list()).toEqual([{ runId: run.runId, observation: expect.objectContaining({ phase: 'SUCCEEDED' }) }]);
  });
});
