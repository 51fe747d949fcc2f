/**
 * The test node agent on the stack's API server: Jobs placed on its node run
 * their command as a local process, and the Job controller sees what a kubelet
 * would report — success, an exit code its podFailurePolicy acts on, a process
 * killed when its Job is deleted. Needs only Kubernetes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { adminKubeConfig, apiStatus, createTestNamespace, k8s, waitForJobCondition, waitUntil, type TestNamespace } from '../helpers/kubernetes';
import { NodeAgent, type PodRun } from './node-agent';

const ROOT = path.join(__dirname, '..', '..');

describe('test node agent', () => {
  let admin: K8s.KubeConfig;
  let agent: NodeAgent | undefined;
  let ns: TestNamespace | undefined;
  let workDir: string;

  beforeAll(async () => {
    admin = adminKubeConfig();
    workDir = mkdtempSync(path.join(tmpdir(), 'roundhouse-agent-'));
    agent = await NodeAgent.start({ kubeConfig: admin, repoRoot: ROOT, workDir });
    ns = await createTestNamespace('rh-agent');
  });

  afterAll(async () => {
    await agent?.stop();
    await ns?.delete();
    rmSync(workDir, { recursive: true, force: true });
  });

  const batch = () => admin.makeApiClient(k8s().BatchV1Api);

  async function job(name: string, command: string[], extra: Partial<K8s.V1JobSpec> = {}, env: K8s.V1EnvVar[] = []): Promise<void> {
    await batch().createNamespacedJob({
      namespace: ns!.name,
      body: {
        metadata: { name },
        spec: {
          backoffLimit: 0,
          ...extra,
          template: {
            spec: {
              restartPolicy: 'Never',
              ...agent!.placement,
              containers: [{ name: 'main', image: 'registry.invalid/none:1', command, env, resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
            },
          },
        },
      },
    });
  }

  const runOf = (jobName: string): Promise<PodRun> =>
    waitUntil(`the agent to run ${jobName}'s pod`, () => agent!.runs().find((r) => r.namespace === ns!.name && r.labels['job-name'] === jobName), { timeoutMs: 60_000 });

  it("runs a Job's command with the pod's environment (not the runner's) and reports success", async () => {
    await job('ok', ['node', '-e', 'console.log(`greeting=${process.env.GREETING} pod=${process.env.POD} runner=${process.env.KUBECONFIG ?? "none"}`)'], {}, [
      { name: 'GREETING', value: 'hello' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    const done = await waitForJobCondition(admin, ns!.name, 'ok', 'Complete', 90_000);
    expect(done.status?.succeeded).toBe(1);
    const run = await runOf('ok');
    expect(run.exit).toMatchObject({ exitCode: 0, signal: null });
    expect(agent!.output(run)).toBe(`greeting=hello pod=${run.name} runner=none\n`);
    const pod = await admin.makeApiClient(k8s().CoreV1Api).readNamespacedPod({ name: run.name, namespace: ns!.name });
    expect(pod.spec?.nodeName).toBe(agent!.name);
    expect(pod.status?.phase).toBe('Succeeded');
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('an exit code the podFailurePolicy names fails the Job at once', async () => {
    await job('bad-input', ['node', '-e', 'process.exit(65)'], {
      backoffLimit: 3,
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [65] } }] },
    });
    const failed = await waitForJobCondition(admin, ns!.name, 'bad-input', 'Failed', 90_000);
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('PodFailurePolicy');
    expect(failed.status?.failed).toBe(1);
    expect((await runOf('bad-input')).exit).toMatchObject({ exitCode: 65 });
  });

  it("deleting a Job kills its pod's process and the pod goes away", async () => {
    await job('forever', ['node', '-e', 'setInterval(() => undefined, 1000)']);
    const run = await runOf('forever');
    await waitUntil('the pod to be Running', async () => (await admin.makeApiClient(k8s().CoreV1Api).readNamespacedPod({ name: run.name, namespace: ns!.name })).status?.phase === 'Running');
    await batch().deleteNamespacedJob({ name: 'forever', namespace: ns!.name, propagationPolicy: 'Foreground' });
    await waitUntil('the process to be stopped', () => run.exit !== null, { timeoutMs: 60_000 });
    expect(run.exit).toMatchObject({ signal: 'SIGTERM' });
    await waitUntil(
      'the pod to be deleted',
      () =>
        admin
          .makeApiClient(k8s().CoreV1Api)
          .readNamespacedPod({ name: run.name, namespace: ns!.name })
          .then(
            () => false,
            (error: unknown) => apiStatus(error) === 404,
          ),
      { timeoutMs: 60_000 },
    );
  });
});
