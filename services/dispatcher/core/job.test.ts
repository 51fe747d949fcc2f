import type { V1Job } from '@kubernetes/client-node';
import { errorCode, isRetriable } from '../../../lib/errors';
import { RUN_SPEC_ENV, RUN_SPEC_FILE_ENV, parseRunSpec } from '../../../lib/runspec';
import { NONCE, model, request, testCatalog, T0 } from '../testing/fixtures';
import { JobOptions, POD_FAILURE_POLICY_RULES, RUN_SPEC_FILE, desiredJob, labelValue, ownershipProblem } from './job';
import { isDns1123Label, jobNameFor } from './names';
import { buildRunSpec, newRun } from './run';

const catalog = testCatalog();
const options: JobOptions = {
  namespace: 'training',
  defaultServiceAccountName: 'roundhouse-trainer',
  env: { KAFKA_BROKERS: 'kafka:9092', SCHEMA_REGISTRY_URL: 'http://registry:8080', MODE: 'from-dispatcher' },
  envFromSecret: null,
};

function jobFor(modelId: string, overrides: Partial<JobOptions> = {}, hyperparameters: string | null = null): { job: V1Job; runId: string } {
  const spec = model(catalog, modelId);
  const run = newRun(request({ requestId: `rr-${modelId}`, modelId, hyperparameters }), spec, 'kubernetes', T0, NONCE);
  const runSpec = buildRunSpec(run, spec, { artifactRoot: 's3://bucket/artifacts' });
  return { job: desiredJob(run, spec.training, runSpec, { ...options, ...overrides }), runId: run.runId };
}

const container = (job: V1Job) => job.spec!.template.spec!.containers[0]!;
const envOf = (job: V1Job) => Object.fromEntries((container(job).env ?? []).map((e) => [e.name, e.value]));

describe('desiredJob: a GPU model with every field set', () => {
  const { job, runId } = jobFor('gpu-model');
  const pod = job.spec!.template.spec!;

  it('is a batch/v1 Job with the deterministic name in the namespace', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.metadata!.name).toBe(jobNameFor('gpu-model', runId, NONCE));
    expect(isDns1123Label(job.metadata!.name!)).toBe(true);
    expect(job.metadata!.namespace).toBe('training');
  });

  it('labels and annotates model and run (and the attempt), and who manages it', () => {
    expect(job.metadata!.labels).toEqual({
      'roundhouse.dev/model': 'gpu-model',
      'roundhouse.dev/run-id': runId,
      'app.kubernetes.io/managed-by': 'roundhouse-dispatcher',
      'app.kubernetes.io/component': 'trainer',
      'kueue.x-k8s.io/queue-name': 'gpu-queue',
    });
    expect(job.metadata!.annotations).toEqual({
      'roundhouse.dev/model': 'gpu-model',
      'roundhouse.dev/run-id': runId,
      'roundhouse.dev/request-id': 'rr-gpu-model',
      'roundhouse.dev/reason': 'DRIFT',
      'roundhouse.dev/run-nonce': NONCE,
    });
    expect(job.spec!.template.metadata!.labels!['roundhouse.dev/run-id']).toBe(runId);
    expect(job.spec!.template.metadata!.labels!['kueue.x-k8s.io/queue-name']).toBeUndefined();
  });

  it('starts suspended for Kueue', () => {
    expect(job.spec!.suspend).toBe(true);
  });

  it('sets deadline, retries, TTL, one completion and restartPolicy Never', () => {
    expect(job.spec!.activeDeadlineSeconds).toBe(3 * 3600);
    expect(job.spec!.backoffLimit).toBe(4);
    expect(job.spec!.ttlSecondsAfterFinished).toBe(2 * 3600);
    expect(job.spec!.completions).toBe(1);
    expect(job.spec!.parallelism).toBe(1);
    expect(pod.restartPolicy).toBe('Never');
  });

  it('maps the trainer exit codes in the podFailurePolicy', () => {
    expect(job.spec!.podFailurePolicy!.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'trainer', operator: 'In', values: [65] } },
      { action: 'Count', onExitCodes: { containerName: 'trainer', operator: 'In', values: [75] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
    expect(job.spec!.podFailurePolicy!.rules).not.toBe(POD_FAILURE_POLICY_RULES);
  });

  it('requests CPU and memory and limits the GPUs', () => {
    expect(container(job).resources).toEqual({
      requests: { cpu: '4', memory: '16Gi' },
      limits: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '2' },
    });
  });

  it('places the pod: nodeSelector, tolerations, priority class, service account', () => {
    expect(pod.nodeSelector).toEqual({ 'cloud.example/accelerator': 'a100' });
    expect(pod.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'training', effect: 'NoExecute', tolerationSeconds: 60 },
    ]);
    expect(pod.priorityClassName).toBe('training-high');
    expect(pod.serviceAccountName).toBe('trainer-sa');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('runs the catalog image, command and args in the trainer container', () => {
    expect(container(job).name).toBe('trainer');
    expect(container(job).image).toBe('registry.example/trainer:2.0');
    expect(container(job).command).toEqual(['python', '-m', 'trainer']);
    expect(container(job).args).toEqual(['--verbose']);
  });

  it('meets the restricted Pod Security Standard: non-root, no escalation, no capabilities, seccomp, read-only root with a /tmp emptyDir (issue 14)', () => {
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(job).securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const tmp = container(job).volumeMounts!.find((m) => m.mountPath === '/tmp')!;
    expect(pod.volumes!.find((v) => v.name === tmp.name)).toEqual({ name: 'tmp', emptyDir: {} });
    expect(envOf(job)).toMatchObject({ HOME: '/tmp', TMPDIR: '/tmp' });
    expect(jobFor('gpu-model', { runAsUser: 4242 }).job.spec!.template.spec!.securityContext).toMatchObject({ runAsUser: 4242, runAsGroup: 4242, fsGroup: 4242 });
  });

  it('hands the run spec over as a file: a pod annotation mounted read-only by the downward API, not an environment variable (issue 14)', () => {
    const env = envOf(job);
    expect(env[RUN_SPEC_ENV]).toBeUndefined();
    expect(env[RUN_SPEC_FILE_ENV]).toBe(RUN_SPEC_FILE);
    const mount = container(job).volumeMounts!.find((m) => RUN_SPEC_FILE.startsWith(`${m.mountPath}/`))!;
    expect(mount).toMatchObject({ readOnly: true });
    const volume = pod.volumes!.find((v) => v.name === mount.name)!;
    expect(volume.downwardAPI!.items).toEqual([{ path: RUN_SPEC_FILE.slice(mount.mountPath.length + 1), fieldRef: { fieldPath: "metadata.annotations['roundhouse.dev/run-spec']" } }]);
    const spec = parseRunSpec(job.spec!.template.metadata!.annotations!['roundhouse.dev/run-spec']!);
    expect(spec.runId).toBe(runId);
    // Only the pod carries it: the Job's own annotations stay small.
    expect(job.metadata!.annotations!['roundhouse.dev/run-spec']).toBeUndefined();
  });

  it('passes the catalog env and the dispatcher settings (dispatcher over catalog)', () => {
    const env = envOf(job);
    expect(env).toMatchObject({ WORKERS: '4', MODE: 'from-dispatcher', KAFKA_BROKERS: 'kafka:9092', SCHEMA_REGISTRY_URL: 'http://registry:8080' });
    const spec = parseRunSpec(job.spec!.template.metadata!.annotations!['roundhouse.dev/run-spec']!);
    expect(spec.runId).toBe(runId);
    expect(spec.modelId).toBe('gpu-model');
    expect(spec.artifactUri).toBe(`s3://bucket/artifacts/gpu-model/${runId}-${NONCE}/`);
    expect(container(job).envFrom).toBeUndefined();
    expect(new Set((container(job).env ?? []).map((e) => e.name)).size).toBe(container(job).env!.length);
  });

  it('is the same object for the same inputs', () => {
    expect(jobFor('gpu-model').job).toEqual(job);
  });
});

describe('desiredJob: S3 credentials by Secret reference', () => {
  const secretEnv = [
    { name: 'AWS_ACCESS_KEY_ID', secretName: 's3-creds', key: 'AWS_ACCESS_KEY_ID', optional: false },
    { name: 'AWS_SECRET_ACCESS_KEY', secretName: 's3-creds', key: 'AWS_SECRET_ACCESS_KEY', optional: false },
    { name: 'AWS_SESSION_TOKEN', secretName: 's3-creds', key: 'AWS_SESSION_TOKEN', optional: true },
  ];
  const { job } = jobFor('gpu-model', { env: { ...options.env, ROUNDHOUSE_S3_ENDPOINT: 'http://s3:8333', AWS_SECRET_ACCESS_KEY: 'leaked' }, secretEnv });

  it('references each key with secretKeyRef and never carries a value for it', () => {
    const env = container(job).env!;
    expect(env.filter((e) => e.name.startsWith('AWS_'))).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 's3-creds', key: 'AWS_ACCESS_KEY_ID' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 's3-creds', key: 'AWS_SECRET_ACCESS_KEY' } } },
      { name: 'AWS_SESSION_TOKEN', valueFrom: { secretKeyRef: { name: 's3-creds', key: 'AWS_SESSION_TOKEN', optional: true } } },
    ]);
    expect(JSON.stringify(job)).not.toContain('leaked');
    expect(envOf(job)).toMatchObject({ ROUNDHOUSE_S3_ENDPOINT: 'http://s3:8333' });
    expect(new Set(env.map((e) => e.name)).size).toBe(env.length);
  });
});

describe('desiredJob: a defaulted CPU model', () => {
  const { job } = jobFor('queue-model', { envFromSecret: 'trainer-credentials' });
  const pod = job.spec!.template.spec!;

  it('omits what the catalog leaves unset and is not suspended without Kueue', () => {
    expect(job.spec!.suspend).toBeUndefined();
    expect(job.metadata!.labels!['kueue.x-k8s.io/queue-name']).toBeUndefined();
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.tolerations).toBeUndefined();
    expect(pod.priorityClassName).toBeUndefined();
    expect(container(job).args).toBeUndefined();
    expect(Object.keys(container(job).resources!.limits!)).toEqual(['cpu', 'memory']);
  });

  it("falls back to the dispatcher's trainer service account", () => {
    expect(pod.serviceAccountName).toBe('roundhouse-trainer');
  });

  it('references the credentials Secret without reading it', () => {
    expect(container(job).envFrom).toEqual([{ secretRef: { name: 'trainer-credentials' } }]);
  });

  it('takes single credentials by secretKeyRef, over a plain value of the same name', () => {
    const { job: withRefs } = jobFor('queue-model', {
      env: { SCHEMA_REGISTRY_URL: 'https://registry.example', SCHEMA_REGISTRY_PASSWORD: 'must-not-appear' },
      secretEnv: [{ name: 'SCHEMA_REGISTRY_PASSWORD', secretName: 'trainer-registry', key: 'password', optional: false }],
    });
    const env = container(withRefs).env!;
    expect(env.filter((e) => e.name === 'SCHEMA_REGISTRY_PASSWORD')).toEqual([{ name: 'SCHEMA_REGISTRY_PASSWORD', valueFrom: { secretKeyRef: { name: 'trainer-registry', key: 'password' } } }]);
    expect(JSON.stringify(withRefs)).not.toContain('must-not-appear');
  });

  it('refuses, not retriable, a run spec too large for a pod annotation', () => {
    let thrown: unknown;
    try {
      jobFor('queue-model', {}, JSON.stringify({ blob: 'x'.repeat(210 * 1024) }));
    } catch (error) {
      thrown = error;
    }
    expect({ code: errorCode(thrown), retriable: isRetriable(thrown) }).toEqual({ code: 'VALIDATION', retriable: false });
    expect((thrown as Error).message).toMatch(/run spec is \d+ bytes/);
  });

  it('omits the service account when neither catalog nor dispatcher names one', () => {
    expect(jobFor('queue-model', { defaultServiceAccountName: null }).job.spec!.template.spec!.serviceAccountName).toBeUndefined();
  });
});

describe('labelValue', () => {
  it.each([
    ['card-fraud', 'card-fraud'],
    ['a'.repeat(70), 'a'.repeat(63)],
    ['-x y_', 'x-y'],
    ['merchant/48213', 'merchant-48213'],
  ])('%j → %j', (input, output) => expect(labelValue(input)).toBe(output));
});

describe('ownershipProblem', () => {
  const { job, runId } = jobFor('queue-model');

  it('accepts our Job for our run', () => expect(ownershipProblem(job, { runId, nonce: NONCE })).toBeNull());
  it('refuses a Job for another run', () => expect(ownershipProblem(job, { runId: 'run-other', nonce: NONCE })).toMatch(/run-id/));
  it('refuses the Job of another attempt of the run id (a request id reused after retention)', () => {
    expect(ownershipProblem(job, { runId, nonce: 'ffffffff' })).toMatch(/run-nonce/);
    expect(ownershipProblem(job, { runId, nonce: null })).toMatch(/run-nonce/);
  });
  it('refuses a Job someone else manages', () => {
    const foreign = { ...job, metadata: { ...job.metadata, labels: { 'roundhouse.dev/run-id': runId } } };
    expect(ownershipProblem(foreign, { runId, nonce: NONCE })).toMatch(/managed-by/);
  });
});

describe('desiredJob: the artifact volume', () => {
  it('mounts the artifact claim where ARTIFACT_ROOT points, so the evaluator can read what the Job wrote', () => {
    const { job } = jobFor('gpu-model', { artifactVolume: { claimName: 'roundhouse-artifacts', mountPath: '/var/lib/roundhouse/artifacts' } });
    expect(job.spec!.template.spec!.volumes).toContainEqual({ name: 'artifacts', persistentVolumeClaim: { claimName: 'roundhouse-artifacts' } });
    expect(container(job).volumeMounts).toContainEqual({ name: 'artifacts', mountPath: '/var/lib/roundhouse/artifacts' });
  });

  it('mounts no claim without one: only /tmp and the run spec', () => {
    const { job } = jobFor('gpu-model');
    expect(job.spec!.template.spec!.volumes!.map((v) => v.name)).toEqual(['tmp', 'run-spec']);
    expect(container(job).volumeMounts!.map((m) => m.mountPath)).toEqual(['/tmp', '/etc/roundhouse/run']);
  });
});
