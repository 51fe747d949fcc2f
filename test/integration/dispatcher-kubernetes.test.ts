/**
 * The dispatcher against the real API server of the test stack (and the real
 * broker and registry), acting with a real ServiceAccount token bound by
 * k8s/rbac: one request gives one Job, redelivery and a restart between create
 * and completion change nothing, kwok completes Jobs, exit code 65 fails a run
 * without retries, an expired deadline fails it with the reason — and the same
 * token may neither read Secrets nor create Pods.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type * as K8s from '@kubernetes/client-node';
import { parseCatalog } from '../../lib/catalog';
import type { Catalog } from '../../lib/catalog';
import { catalogText, minimalModel } from '../../lib/catalog/test-helpers';
import { systemClock } from '../../lib/clock';
import { AvroCodec, createPlatformCodec, topicNames, type PlatformCodec } from '../../lib/codec';
import type { RetrainRequested, TrainingRun } from '../../lib/events';
import type { KafkaEventBus } from '../../lib/kafka';
import { silentLogger } from '../../lib/log';
import { createServiceMetrics } from '../../lib/metrics';
import { loadConfig } from '../../lib/config';
import { createDispatcherApp, type DispatcherApp } from '../../services/dispatcher/app';
import { loadDispatcherSettings } from '../../services/dispatcher/settings';
import { runIdFor } from '../../services/dispatcher/core/names';
import { busRunLog } from '../../services/dispatcher/engine/run-log';
import { createKubernetesExecutor } from '../../services/dispatcher/executors/kubernetes';
import { kafkaBus, registryClient, uniqueName } from '../helpers';
import { adminKubeConfig, apiStatus, createTestNamespace, k8s, kwokPlacement, serviceAccountKubeConfig, waitUntil, type TestNamespace } from '../helpers/kubernetes';

const RBAC_DIR = join(__dirname, '..', '..', 'k8s', 'rbac');
const DISPATCHER_SA = 'roundhouse-dispatcher';
const NOWHERE = { 'roundhouse.dev/test-node': 'none' }; // no node has it: pods stay unscheduled

function catalog(): Catalog {
  const onKwok = { nodeSelector: kwokPlacement.nodeSelector, tolerations: kwokPlacement.tolerations.map((t) => ({ key: t.key, operator: t.operator, value: t.value, effect: t.effect })) };
  const training = (extra: Record<string, unknown>) => ({ image: 'registry.invalid/trainer:1', command: ['trainer'], retries: 2, deadline: '10m', ttlAfterFinished: null, ...extra });
  return parseCatalog(
    catalogText({
      version: 1,
      models: [
        { ...minimalModel('ok-model'), training: training(onKwok) },
        // Kueue is not installed: the test plays it by unsuspending the Job.
        { ...minimalModel('kueue-model'), training: training({ ...onKwok, queue: 'training' }) },
        { ...minimalModel('bad-input-model'), training: training({ nodeSelector: NOWHERE }) },
        { ...minimalModel('slow-model'), training: training({ nodeSelector: NOWHERE, deadline: '2s' }) },
      ],
    }),
    'integration-catalog.yaml',
  );
}

/** Apply k8s/rbac into the namespace, as an operator would with kustomize's namespace set to it. */
async function applyRbac(admin: K8s.KubeConfig, namespace: string): Promise<void> {
  const core = admin.makeApiClient(k8s().CoreV1Api);
  const rbac = admin.makeApiClient(k8s().RbacAuthorizationV1Api);
  const read = <T>(file: string): T => parseYaml(readFileSync(join(RBAC_DIR, file), 'utf8')) as T;
  await core.createNamespacedServiceAccount({ namespace, body: read<K8s.V1ServiceAccount>('serviceaccount.yaml') });
  await core.createNamespacedServiceAccount({ namespace, body: read<K8s.V1ServiceAccount>('trainer-serviceaccount.yaml') });
  await rbac.createNamespacedRole({ namespace, body: read<K8s.V1Role>('role.yaml') });
  const binding = read<K8s.V1RoleBinding>('rolebinding.yaml');
  await rbac.createNamespacedRoleBinding({ namespace, body: { ...binding, subjects: (binding.subjects ?? []).map((s) => ({ ...s, namespace })) } });
}

function request(modelId: string, requestId = uniqueName('rr')): RetrainRequested {
  const now = Date.now();
  return {
    requestId,
    modelId,
    segment: null,
    reason: 'DRIFT',
    requestedAt: now,
    window: { startTime: now - 3_600_000, endTime: now, partitions: [] },
    drift: null,
    volume: null,
    age: null,
    performance: null,
    championVersion: null,
    hyperparameters: null,
    requestedBy: null,
    emittedAt: now,
  };
}

/**
 * The trainer settings as main.ts derives them, from a registry URL with embedded
 * credentials and the registry credentials by Secret reference (issue 14: the
 * URL went into the Job env in clear), and an s3:// root whose keys come from
 * DISPATCHER_S3_CREDENTIALS_SECRET: both kinds of reference in one Job.
 */
const REGISTRY_PASSWORD = 'registry-s3cret-in-url';
const TRAINER_ENV = {
  KUBECONFIG: process.env.KUBECONFIG ?? '/unused',
  KAFKA_BROKERS: 'kafka.invalid:9092',
  SCHEMA_REGISTRY_URL: `https://dispatcher:${REGISTRY_PASSWORD}@registry.invalid/apis/ccompat/v7`,
  ARTIFACT_ROOT: 's3://artifacts',
  ROUNDHOUSE_S3_ENDPOINT: 'http://s3.invalid:8333',
  DISPATCHER_S3_CREDENTIALS_SECRET: 'trainer-s3',
  DISPATCHER_TRAINER_SECRET_REFS: 'SCHEMA_REGISTRY_USERNAME=trainer-registry/username,SCHEMA_REGISTRY_PASSWORD=trainer-registry/password',
};
const trainerSettings = loadDispatcherSettings(TRAINER_ENV, loadConfig(TRAINER_ENV));

describe('dispatcher on a real API server, with the k8s/rbac ServiceAccount', () => {
  let admin: K8s.KubeConfig;
  let dispatcherKc: K8s.KubeConfig;
  let ns: TestNamespace;
  let codec: PlatformCodec;
  let prefix: string;
  const buses: KafkaEventBus[] = [];
  let app: DispatcherApp | undefined;

  async function startApp(): Promise<DispatcherApp> {
    const bus = kafkaBus(2);
    buses.push(bus);
    const { executor } = createKubernetesExecutor({
      kubeconfigPath: null,
      kubeConfig: dispatcherKc,
      namespace: ns.name,
      jobOptions: {
        defaultServiceAccountName: 'roundhouse-trainer',
        env: trainerSettings.trainerEnv,
        envFromSecret: null,
        secretEnv: trainerSettings.kubernetes.trainerSecretEnv,
        runAsUser: trainerSettings.kubernetes.trainerUid,
      },
    });
    const started = createDispatcherApp({
      bus,
      codec,
      catalog: catalog(),
      executor,
      runLog: busRunLog(bus, { clock: systemClock, logger: silentLogger() }),
      clock: systemClock,
      logger: silentLogger(),
      metrics: createServiceMetrics('dispatcher'),
      config: { groupId: `${prefix}dispatcher`, maxConcurrentRuns: 10, resyncIntervalMs: 1_000, lostJobGraceMs: 60_000, pinTimeoutMs: 5000, artifactRoot: 's3://artifacts', apiTokens: [] },
    });
    await started.start();
    return started;
  }

  const batch = () => admin.makeApiClient(k8s().BatchV1Api);
  const jobsOf = async (runId: string) => (await batch().listNamespacedJob({ namespace: ns.name, labelSelector: `roundhouse.dev/run-id=${runId}` })).items;
  const podsOf = async (runId: string) => (await admin.makeApiClient(k8s().CoreV1Api).listNamespacedPod({ namespace: ns.name, labelSelector: `roundhouse.dev/run-id=${runId}` })).items;
  const stateOf = (runId: string) => app?.engine.store.get(runId)?.state;
  const waitForState = (runId: string, state: string, timeoutMs = 90_000) => waitUntil(`run ${runId} to be ${state}`, () => stateOf(runId) === state, { timeoutMs });
  async function events(runId: string): Promise<TrainingRun[]> {
    const reader = busRunLog(buses[0]!, { clock: systemClock, logger: silentLogger() });
    return (await reader.readToEnd(codec.topicOf('TrainingRun'))).map((m) => codec.decode('TrainingRun', m.value)).filter((e) => e.runId === runId);
  }
  const publish = (value: RetrainRequested) => buses[0]!.publish([codec.message('RetrainRequested', value)]);

  beforeAll(async () => {
    admin = adminKubeConfig();
    ns = await createTestNamespace('rh-dispatcher');
    // Training pods must pass the restricted Pod Security Standard: an enforcing
    // namespace refuses any pod that does not, so kwok never sees it run (issue 14).
    await admin
      .makeApiClient(k8s().CoreV1Api)
      .patchNamespace(
        { name: ns.name, body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } } } },
        k8s().setHeaderOptions('Content-Type', k8s().PatchStrategy.MergePatch),
      );
    await admin
      .makeApiClient(k8s().CoreV1Api)
      .createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'trainer-registry' }, stringData: { username: 'trainer', password: 'trainer-registry-password' } } });
    await admin
      .makeApiClient(k8s().CoreV1Api)
      .createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'trainer-s3' }, stringData: { AWS_ACCESS_KEY_ID: 'trainer-key', AWS_SECRET_ACCESS_KEY: 'trainer-secret' } } });
    await applyRbac(admin, ns.name);
    dispatcherKc = await serviceAccountKubeConfig(ns.name, DISPATCHER_SA, { admin });
    const probe = dispatcherKc.makeApiClient(k8s().BatchV1Api);
    await waitUntil('the RoleBinding to take effect', () => probe.listNamespacedJob({ namespace: ns.name }), { timeoutMs: 30_000 });
    prefix = `${uniqueName('it')}.`;
    codec = await createPlatformCodec(new AvroCodec(registryClient()), topicNames(prefix));
    app = await startApp();
  });

  afterAll(async () => {
    await app?.stop();
    for (const bus of buses) await bus.close();
    await ns?.delete();
  });

  it('one RetrainRequested gives exactly one Job, completed through kwok, and QUEUED → SUBMITTED → RUNNING → SUCCEEDED', async () => {
    const value = request('ok-model');
    await publish(value);
    const runId = runIdFor(value.requestId);
    await waitForState(runId, 'SUCCEEDED');
    const jobs = await jobsOf(runId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.metadata!.labels).toMatchObject({ 'roundhouse.dev/model': 'ok-model', 'roundhouse.dev/run-id': runId, 'app.kubernetes.io/managed-by': 'roundhouse-dispatcher' });
    expect(jobs[0]!.spec!.podFailurePolicy!.rules).toHaveLength(3);
    expect((await events(runId)).map((e) => [e.state, e.sequence])).toEqual([
      ['QUEUED', 0],
      ['SUBMITTED', 1],
      ['RUNNING', 2],
      ['SUCCEEDED', 3],
    ]);
  });

  it('its pod passes the restricted Pod Security Standard, reads the run spec from a file, and gets credentials only by Secret reference, S3 keys included (issue 14)', async () => {
    const value = request('ok-model');
    await publish(value);
    const runId = runIdFor(value.requestId);
    await waitForState(runId, 'SUCCEEDED');
    // The enforcing namespace admitted the Job controller's pod, and kwok ran it.
    const [pod] = await podsOf(runId);
    expect(pod?.status?.phase).toBe('Succeeded');
    expect(pod!.spec!.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod!.spec!.containers[0]!;
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // The spec: a pod annotation the downward API mounts, not a (size-limited) environment variable.
    const env = container.env ?? [];
    expect(env.find((e) => e.name === 'ROUNDHOUSE_RUN_SPEC')).toBeUndefined();
    expect(env.find((e) => e.name === 'ROUNDHOUSE_RUN_SPEC_FILE')?.value).toBe('/etc/roundhouse/run/spec.json');
    expect(JSON.parse(pod!.metadata!.annotations!['roundhouse.dev/run-spec']!)).toMatchObject({ runId, modelId: 'ok-model' });
    // Credentials: the registry URL without its password, the password by secretKeyRef.
    const [job] = await jobsOf(runId);
    expect(JSON.stringify(job)).not.toContain(REGISTRY_PASSWORD);
    expect(env.find((e) => e.name === 'SCHEMA_REGISTRY_URL')?.value).toBe('https://registry.invalid/apis/ccompat/v7');
    expect(env.find((e) => e.name === 'SCHEMA_REGISTRY_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'trainer-registry', key: 'password' });
    // The S3 keys by reference too (the session token optional), next to the refs above; no name twice.
    expect(env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom!.secretKeyRef])).toEqual([
      ['AWS_ACCESS_KEY_ID', { name: 'trainer-s3', key: 'AWS_ACCESS_KEY_ID' }],
      ['AWS_SECRET_ACCESS_KEY', { name: 'trainer-s3', key: 'AWS_SECRET_ACCESS_KEY' }],
      ['AWS_SESSION_TOKEN', { name: 'trainer-s3', key: 'AWS_SESSION_TOKEN', optional: true }],
      ['SCHEMA_REGISTRY_USERNAME', { name: 'trainer-registry', key: 'username' }],
      ['SCHEMA_REGISTRY_PASSWORD', { name: 'trainer-registry', key: 'password' }],
    ]);
    expect(env.find((e) => e.name === 'ROUNDHOUSE_S3_ENDPOINT')?.value).toBe('http://s3.invalid:8333');
    expect(new Set(env.map((e) => e.name)).size).toBe(env.length);
  });

  it('the same request delivered twice gives one Job and one SUCCEEDED', async () => {
    const value = request('ok-model');
    await publish(value);
    await publish(value);
    const runId = runIdFor(value.requestId);
    await waitForState(runId, 'SUCCEEDED');
    await publish(value);
    await app!.engine.idle();
    expect(await jobsOf(runId)).toHaveLength(1);
    const seen = await events(runId);
    expect(seen.filter((e) => e.state === 'SUCCEEDED')).toHaveLength(1);
    expect(seen.filter((e) => e.state === 'QUEUED')).toHaveLength(1);
  });

  it('a dispatcher restarted between create and completion adopts the Job: still one Job and one SUCCEEDED', async () => {
    const value = request('kueue-model');
    await publish(value);
    const runId = runIdFor(value.requestId);
    await waitForState(runId, 'SUBMITTED');
    const [created] = await jobsOf(runId);
    expect(created!.spec!.suspend).toBe(true);
    expect(created!.metadata!.labels!['kueue.x-k8s.io/queue-name']).toBe('training');
    await app!.stop();
    app = undefined;

    // Kueue admits the Job while no dispatcher runs.
    const job = await batch().readNamespacedJob({ name: created!.metadata!.name!, namespace: ns.name });
    await batch().replaceNamespacedJob({ name: job.metadata!.name!, namespace: ns.name, body: { ...job, spec: { ...job.spec!, suspend: false } } });

    app = await startApp();
    await waitForState(runId, 'SUCCEEDED');
    const jobs = await jobsOf(runId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.metadata!.uid).toBe(created!.metadata!.uid);
    const seen = await events(runId);
    expect(seen.map((e) => e.state)).toEqual(['QUEUED', 'SUBMITTED', 'RUNNING', 'SUCCEEDED']);
    expect(seen.map((e) => e.sequence)).toEqual([0, 1, 2, 3]);
  });

  it('a non-retriable exit code (65) brings the run to FAILED without retries', async () => {
    const value = request('bad-input-model');
    await publish(value);
    const runId = runIdFor(value.requestId);
    const [pod] = await waitUntil('the trainer pod', async () => ((await podsOf(runId)).length > 0 ? podsOf(runId) : undefined), { timeoutMs: 60_000 });
    // Play the kubelet: the trainer container exited with BAD_INPUT.
    const core = admin.makeApiClient(k8s().CoreV1Api);
    const now = new Date();
    await core.replaceNamespacedPodStatus({
      name: pod!.metadata!.name!,
      namespace: ns.name,
      body: {
        ...pod!,
        status: {
          ...pod!.status,
          phase: 'Failed',
          containerStatuses: [
            { name: 'trainer', image: 'registry.invalid/trainer:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 65, reason: 'Error', startedAt: now, finishedAt: now } } },
          ],
        },
      },
    });
    await waitForState(runId, 'FAILED');
    const last = (await events(runId)).at(-1)!;
    expect(last.failure).toMatchObject({ code: 'BAD_INPUT', retriable: false });
    expect(last.message).toContain('PodFailurePolicy');
    const [job] = await jobsOf(runId);
    expect(job!.spec!.backoffLimit).toBe(2);
    expect(job!.status!.failed).toBe(1);
    expect(await podsOf(runId)).toHaveLength(1);
  });

  it('an expired deadline brings the run to FAILED with the reason', async () => {
    const value = request('slow-model');
    await publish(value);
    const runId = runIdFor(value.requestId);
    await waitForState(runId, 'FAILED');
    const last = (await events(runId)).at(-1)!;
    expect(last.previousState).toBe('SUBMITTED');
    expect(last.failure).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(last.message).toContain('DeadlineExceeded');
  });

  it('cancelling deletes the Job', async () => {
    const value = request('slow-model');
    await publish(value);
    const runId = runIdFor(value.requestId);
    await waitForState(runId, 'SUBMITTED');
    await app!.engine.cancel(runId);
    await waitUntil('the Job to be deleted', async () => (await jobsOf(runId)).length === 0, { timeoutMs: 30_000 });
    expect(stateOf(runId)).toBe('CANCELLED');
  });

  it("the dispatcher's token is refused Secrets and creating Pods", async () => {
    const core = dispatcherKc.makeApiClient(k8s().CoreV1Api);
    await admin.makeApiClient(k8s().CoreV1Api).createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'trainer-credentials' }, stringData: { KAFKA_SASL_PASSWORD: 'x' } } });
    const refused = async (call: Promise<unknown>) =>
      call.then(
        () => 'allowed',
        (error: unknown) => apiStatus(error),
      );
    expect(await refused(core.listNamespacedSecret({ namespace: ns.name }))).toBe(403);
    expect(await refused(core.readNamespacedSecret({ name: 'trainer-credentials', namespace: ns.name }))).toBe(403);
    expect(
      await refused(core.createNamespacedPod({ namespace: ns.name, body: { metadata: { name: 'sneaky' }, spec: { containers: [{ name: 'c', image: 'registry.invalid/x:1' }] } } })),
    ).toBe(403);
    // Nor Jobs anywhere else.
    expect(await refused(dispatcherKc.makeApiClient(k8s().BatchV1Api).listNamespacedJob({ namespace: 'default' }))).toBe(403);
    // What it was granted, it has.
    expect(Array.isArray((await core.listNamespacedPod({ namespace: ns.name })).items)).toBe(true);
  });
});
