import type { V1EnvVar, V1Job, V1PodFailurePolicyRule, V1Toleration, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { TrainingSpec, TolerationSpec } from '../../../lib/catalog';
import { ErrorCodes, RoundhouseError } from '../../../lib/errors';
import type { RetrainReason } from '../../../lib/events';
import { RUN_SPEC_FILE_ENV, RunSpec, TRAINER_EXIT, serializeRunSpec } from '../../../lib/runspec';
import { ANNOTATIONS, LABELS, MANAGED_BY, jobNameFor } from './names';

/** The run fields a Job is built from. */
export interface JobRun {
  readonly runId: string;
  readonly requestId: string;
  readonly modelId: string;
  readonly reason: RetrainReason;
  /** The attempt's nonce (core/names.ts); null for a run recorded before nonces. */
  readonly nonce: string | null;
}

export interface JobOptions {
  readonly namespace: string;
  /** Pod ServiceAccount when the catalog names none; null: the namespace's default. */
  readonly defaultServiceAccountName: string | null;
  /** Passed through from the dispatcher's configuration: Kafka, registry, topic prefix. */
  readonly env: Readonly<Record<string, string>>;
  /** A Secret whose keys become environment variables (credentials). Referenced, never read by the dispatcher. */
  readonly envFromSecret: string | null;
  /**
   * Single variables from Secret keys (env valueFrom secretKeyRef), e.g. S3
   * credentials or SCHEMA_REGISTRY_PASSWORD; they replace a variable of the same
   * name from the catalog or `env`.
   */
  readonly secretEnv?: readonly SecretEnvVar[];
  /** The non-root uid (and gid, fsGroup) the trainer runs as; default TRAINER_UID. */
  readonly runAsUser?: number;
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * A PersistentVolumeClaim (ReadWriteMany) holding the file:// artifact store,
   * mounted where ARTIFACT_ROOT points, so the evaluator reads what the Job wrote.
   */
  readonly artifactVolume?: { readonly claimName: string; readonly mountPath: string } | null;
}

export interface SecretEnvVar {
  /** The variable's name in the trainer. */
  readonly name: string;
  readonly secretName: string;
  readonly key: string;
  /** The pod starts even if the key is absent (e.g. AWS_SESSION_TOKEN with long-lived keys). */
  readonly optional: boolean;
}

export const TRAINER_CONTAINER = 'trainer';
export const ARTIFACT_VOLUME = 'artifacts';
export const TMP_VOLUME = 'tmp';
export const RUN_SPEC_VOLUME = 'run-spec';
/** The image's user (Dockerfile); any non-zero uid passes the restricted Pod Security Standard. */
export const TRAINER_UID = 10001;

/**
 * The run spec reaches the trainer as a file (ROUNDHOUSE_RUN_SPEC_FILE), not as an
 * environment variable: a 203 KB variable exceeded Linux's 128 KiB limit on one
 * string and the container could not start (issue 14). It travels as a pod
 * template annotation that a downwardAPI volume mounts read-only, so the Job
 * stays one object created atomically (no ConfigMap to create, own, leak or
 * grant RBAC for). The API server caps an object's annotations at 256 KiB in
 * total; the API caps request hyperparameters at 64 KiB; larger specs are
 * refused here, before the API server would.
 */
export const RUN_SPEC_DIR = '/etc/roundhouse/run';
export const RUN_SPEC_FILE = `${RUN_SPEC_DIR}/spec.json`;
export const RUN_SPEC_MAX_BYTES = 200 * 1024;

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** Label values: ≤ 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends. The annotation keeps the full value. */
export function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

function toleration(t: TolerationSpec): V1Toleration {
  return {
    operator: t.operator,
    ...(t.key !== null ? { key: t.key } : {}),
    ...(t.value !== null ? { value: t.value } : {}),
    ...(t.effect !== null ? { effect: t.effect } : {}),
    ...(t.tolerationSeconds !== null ? { tolerationSeconds: t.tolerationSeconds } : {}),
  };
}

/**
 * The trainer's exit codes drive the Job (lib/runspec TRAINER_EXIT): bad input
 * fails the Job at once, since retrying cannot help; an infrastructure fault
 * counts against backoffLimit; a pod disrupted by preemption, eviction or a node
 * drain is not the trainer's fault and does not count at all.
 */
export const POD_FAILURE_POLICY_RULES: readonly V1PodFailurePolicyRule[] = [
  { action: 'FailJob', onExitCodes: { containerName: TRAINER_CONTAINER, operator: 'In', values: [TRAINER_EXIT.BAD_INPUT] } },
  { action: 'Count', onExitCodes: { containerName: TRAINER_CONTAINER, operator: 'In', values: [TRAINER_EXIT.RETRIABLE] } },
  { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
];

function environment(spec: TrainingSpec, options: JobOptions): V1EnvVar[] {
  // Later entries win: the read-only root filesystem's writable defaults, then the
  // catalog's env, the dispatcher's settings (the catalog cannot use ROUNDHOUSE_*,
  // the loader refuses it), the run spec's path, and Secret references over all.
  const merged = new Map<string, string>([
    ['HOME', '/tmp'],
    ['TMPDIR', '/tmp'],
  ]);
  for (const [name, value] of Object.entries(spec.env)) merged.set(name, value);
  for (const [name, value] of Object.entries(options.env)) merged.set(name, value);
  merged.set(RUN_SPEC_FILE_ENV, RUN_SPEC_FILE);
  // A credential named by a Secret reference is never also given in clear.
  const secrets = options.secretEnv ?? [];
  for (const secret of secrets) merged.delete(secret.name);
  return [
    ...[...merged].map(([name, value]) => ({ name, value })),
    ...secrets.map((s) => ({ name: s.name, valueFrom: { secretKeyRef: { name: s.secretName, key: s.key, ...(s.optional ? { optional: true } : {}) } } })),
  ];
}

/** The run spec as the pod annotation carries it; refused (not retriable) when it cannot fit. */
function runSpecAnnotation(run: JobRun, runSpec: RunSpec): string {
  const text = serializeRunSpec(runSpec);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > RUN_SPEC_MAX_BYTES) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `the run spec is ${bytes} bytes, over the ${RUN_SPEC_MAX_BYTES} a pod annotation can carry (catalog or request hyperparameters too large?)`, {
      retriable: false,
      context: { runId: run.runId, modelId: run.modelId },
    });
  }
  return text;
}

/**
 * The batch/v1 Job for a run (STYLE.md item 1: a pure builder, like
 * sample-controller's newDeployment). Same inputs, same object: create-if-absent
 * and the ownership check rely on it.
 */
export function desiredJob(run: JobRun, spec: TrainingSpec, runSpec: RunSpec, options: JobOptions): V1Job {
  const name = jobNameFor(run.modelId, run.runId, run.nonce);
  const labels: Record<string, string> = {
    [LABELS.model]: labelValue(run.modelId),
    [LABELS.runId]: run.runId,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: 'trainer',
  };
  if (spec.queue !== null) labels[LABELS.kueueQueue] = spec.queue;
  const annotations: Record<string, string> = {
    [ANNOTATIONS.model]: run.modelId,
    [ANNOTATIONS.runId]: run.runId,
    [ANNOTATIONS.requestId]: run.requestId,
    [ANNOTATIONS.reason]: run.reason,
    ...(run.nonce !== null ? { [ANNOTATIONS.runNonce]: run.nonce } : {}),
  };
  const { resources } = spec;
  const limits: Record<string, string> = { cpu: resources.cpu, memory: resources.memory };
  if (resources.gpu > 0) limits[resources.gpuResource] = String(resources.gpu);
  const serviceAccountName = spec.serviceAccountName ?? options.defaultServiceAccountName;
  const uid = options.runAsUser ?? TRAINER_UID;
  const volumes: V1Volume[] = [
    { name: TMP_VOLUME, emptyDir: {} },
    { name: RUN_SPEC_VOLUME, downwardAPI: { items: [{ path: 'spec.json', fieldRef: { fieldPath: `metadata.annotations['${ANNOTATIONS.runSpec}']` } }] } },
  ];
  const volumeMounts: V1VolumeMount[] = [
    { name: TMP_VOLUME, mountPath: '/tmp' },
    { name: RUN_SPEC_VOLUME, mountPath: RUN_SPEC_DIR, readOnly: true },
  ];
  if (options.artifactVolume) {
    volumes.push({ name: ARTIFACT_VOLUME, persistentVolumeClaim: { claimName: options.artifactVolume.claimName } });
    volumeMounts.push({ name: ARTIFACT_VOLUME, mountPath: options.artifactVolume.mountPath });
  }
  // Pod labels: the Kueue label belongs on the Job only.
  const podLabels = Object.fromEntries(Object.entries(labels).filter(([key]) => key !== LABELS.kueueQueue));

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: options.namespace, labels, annotations },
    spec: {
      // Kueue admits a suspended Job by unsuspending it; without Kueue it starts at once.
      ...(spec.queue !== null ? { suspend: true } : {}),
      completions: 1,
      parallelism: 1,
      backoffLimit: spec.retries,
      activeDeadlineSeconds: seconds(spec.deadlineMs),
      ...(spec.ttlAfterFinishedMs !== null ? { ttlSecondsAfterFinished: Math.ceil(spec.ttlAfterFinishedMs / 1000) } : {}),
      podFailurePolicy: { rules: POD_FAILURE_POLICY_RULES.map((rule) => structuredClone(rule)) },
      template: {
        metadata: { labels: podLabels, annotations: { ...annotations, [ANNOTATIONS.runSpec]: runSpecAnnotation(run, runSpec) } },
        spec: {
          restartPolicy: 'Never',
          // The restricted Pod Security Standard (issue 14): a compromised or buggy
          // image runs as a non-root user with no capabilities and a read-only root.
          securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
          ...(serviceAccountName !== null ? { serviceAccountName } : {}),
          // The trainer talks to Kafka and the artifact store, never to the API server.
          automountServiceAccountToken: false,
          ...(spec.priorityClassName !== null ? { priorityClassName: spec.priorityClassName } : {}),
          ...(Object.keys(spec.nodeSelector).length > 0 ? { nodeSelector: { ...spec.nodeSelector } } : {}),
          ...(spec.tolerations.length > 0 ? { tolerations: spec.tolerations.map(toleration) } : {}),
          volumes,
          containers: [
            {
              name: TRAINER_CONTAINER,
              image: spec.image,
              imagePullPolicy: options.imagePullPolicy ?? 'IfNotPresent',
              command: [...spec.command],
              ...(spec.args.length > 0 ? { args: [...spec.args] } : {}),
              env: environment(spec, options),
              ...(options.envFromSecret !== null ? { envFrom: [{ secretRef: { name: options.envFromSecret } }] } : {}),
              // Requests = limits: a training run gets what it asked for (Guaranteed QoS without GPUs).
              resources: { requests: { cpu: resources.cpu, memory: resources.memory }, limits },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              // /tmp is the only writable path (HOME and TMPDIR point there).
              volumeMounts,
            },
          ],
        },
      },
    },
  };
}

/** The labels a Job must carry to be ours for this run (create-if-absent's ownership check). */
export function ownershipProblem(job: V1Job, run: { readonly runId: string; readonly nonce: string | null }): string | null {
  const labels = job.metadata?.labels ?? {};
  if (labels[LABELS.managedBy] !== MANAGED_BY) return `label ${LABELS.managedBy} is ${JSON.stringify(labels[LABELS.managedBy] ?? null)}, not ${MANAGED_BY}`;
  if (labels[LABELS.runId] !== run.runId) return `label ${LABELS.runId} is ${JSON.stringify(labels[LABELS.runId] ?? null)}, not ${run.runId}`;
  // Another attempt of the same run id (a request id reused after retention) is not this run.
  const nonce = job.metadata?.annotations?.[ANNOTATIONS.runNonce] ?? null;
  if (nonce !== run.nonce) return `annotation ${ANNOTATIONS.runNonce} is ${JSON.stringify(nonce)}, not ${JSON.stringify(run.nonce)}`;
  return null;
}
