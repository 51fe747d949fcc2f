import type { V1EnvVar, V1Job, V1PodFailurePolicyRule, V1Toleration } from '@kubernetes/client-node';
import type { TrainingSpec, TolerationSpec } from '../../../lib/catalog';
import type { RetrainReason } from '../../../lib/events';
import { RUN_SPEC_ENV, RunSpec, TRAINER_EXIT, serializeRunSpec } from '../../../lib/runspec';
import { ANNOTATIONS, LABELS, MANAGED_BY, jobNameFor } from './names';

/** The run fields a Job is built from. */
export interface JobRun {
  readonly runId: string;
  readonly requestId: string;
  readonly modelId: string;
  readonly reason: RetrainReason;
}

export interface JobOptions {
  readonly namespace: string;
  /** Pod ServiceAccount when the catalog names none; null: the namespace's default. */
  readonly defaultServiceAccountName: string | null;
  /** Passed through from the dispatcher's configuration: Kafka, registry, topic prefix. */
  readonly env: Readonly<Record<string, string>>;
  /** A Secret whose keys become environment variables (credentials). Referenced, never read by the dispatcher. */
  readonly envFromSecret: string | null;
  /** Single variables from Secret keys (secretKeyRef), e.g. S3 credentials; they replace a catalog variable of the same name. */
  readonly secretEnv?: readonly SecretEnvVar[];
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

function environment(spec: TrainingSpec, runSpec: RunSpec, options: JobOptions): V1EnvVar[] {
  // Later entries win: the dispatcher's settings over the catalog's (the catalog
  // cannot use ROUNDHOUSE_*, the loader refuses it), the run spec over everything.
  const merged = new Map<string, string>();
  for (const [name, value] of Object.entries(spec.env)) merged.set(name, value);
  for (const [name, value] of Object.entries(options.env)) merged.set(name, value);
  merged.set(RUN_SPEC_ENV, serializeRunSpec(runSpec));
  // A credential named by a Secret reference is never also given in clear.
  const secret = options.secretEnv ?? [];
  for (const s of secret) merged.delete(s.name);
  return [
    ...[...merged].map(([name, value]) => ({ name, value })),
    ...secret.map((s) => ({ name: s.name, valueFrom: { secretKeyRef: { name: s.secretName, key: s.key, ...(s.optional ? { optional: true } : {}) } } })),
  ];
}

/**
 * The batch/v1 Job for a run (STYLE.md item 1: a pure builder, like
 * sample-controller's newDeployment). Same inputs, same object: create-if-absent
 * and the ownership check rely on it.
 */
export function desiredJob(run: JobRun, spec: TrainingSpec, runSpec: RunSpec, options: JobOptions): V1Job {
  const name = jobNameFor(run.modelId, run.runId);
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
  };
  const { resources } = spec;
  const limits: Record<string, string> = { cpu: resources.cpu, memory: resources.memory };
  if (resources.gpu > 0) limits[resources.gpuResource] = String(resources.gpu);
  const serviceAccountName = spec.serviceAccountName ?? options.defaultServiceAccountName;
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
        metadata: { labels: podLabels, annotations: { ...annotations } },
        spec: {
          restartPolicy: 'Never',
          ...(serviceAccountName !== null ? { serviceAccountName } : {}),
          // The trainer talks to Kafka and the artifact store, never to the API server.
          automountServiceAccountToken: false,
          ...(spec.priorityClassName !== null ? { priorityClassName: spec.priorityClassName } : {}),
          ...(Object.keys(spec.nodeSelector).length > 0 ? { nodeSelector: { ...spec.nodeSelector } } : {}),
          ...(spec.tolerations.length > 0 ? { tolerations: spec.tolerations.map(toleration) } : {}),
          ...(options.artifactVolume ? { volumes: [{ name: ARTIFACT_VOLUME, persistentVolumeClaim: { claimName: options.artifactVolume.claimName } }] } : {}),
          containers: [
            {
              name: TRAINER_CONTAINER,
              image: spec.image,
              imagePullPolicy: options.imagePullPolicy ?? 'IfNotPresent',
              command: [...spec.command],
              ...(spec.args.length > 0 ? { args: [...spec.args] } : {}),
              env: environment(spec, runSpec, options),
              ...(options.envFromSecret !== null ? { envFrom: [{ secretRef: { name: options.envFromSecret } }] } : {}),
              // Requests = limits: a training run gets what it asked for (Guaranteed QoS without GPUs).
              resources: { requests: { cpu: resources.cpu, memory: resources.memory }, limits },
              securityContext: { allowPrivilegeEscalation: false },
              ...(options.artifactVolume ? { volumeMounts: [{ name: ARTIFACT_VOLUME, mountPath: options.artifactVolume.mountPath }] } : {}),
            },
          ],
        },
      },
    },
  };
}

/** The labels a Job must carry to be ours for this run (create-if-absent's ownership check). */
export function ownershipProblem(job: V1Job, run: { readonly runId: string }): string | null {
  const labels = job.metadata?.labels ?? {};
  if (labels[LABELS.managedBy] !== MANAGED_BY) return `label ${LABELS.managedBy} is ${JSON.stringify(labels[LABELS.managedBy] ?? null)}, not ${MANAGED_BY}`;
  if (labels[LABELS.runId] !== run.runId) return `label ${LABELS.runId} is ${JSON.stringify(labels[LABELS.runId] ?? null)}, not ${run.runId}`;
  return null;
}
