import { createHash } from 'node:crypto';

/**
 * Deterministic ids and names (STYLE.md item 5, after kueue's workload_names.go):
 * the same request always maps to the same run, and the same run to the same Job,
 * so a redelivered request or a restarted dispatcher finds what it already made.
 */

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Run id from the request id: same request → same run. */
export function runIdFor(requestId: string): string {
  return `run-${sha256(`roundhouse/run/${requestId}`).slice(0, 20)}`;
}

/**
 * A run attempt's nonce: drawn once when the run is recorded (newRun), kept in
 * the run record and on every TrainingRun it publishes, never drawn again for
 * the run (a redelivered request finds the record and its nonce). The Job name
 * and the artifact directory carry it, so a request id reused after retention,
 * which gives the same runId, does not adopt an old run's Job or read and
 * overwrite an old run's artifacts (issue 14). Runs recorded before nonces
 * existed have none (null) and keep their old names.
 */
export const RUN_NONCE_PATTERN = /^[0-9a-f]{8,32}$/;

export const JOB_NAME_MAX = 63;
const JOB_PREFIX = 'rh';
const HASH_CHARS = 10;

/**
 * Job name: readable prefix (the model id) + a short hash of the run id, at most
 * 63 characters (a Job's name becomes the value of its pods' job-name label) and a
 * DNS-1123 label: lower-case alphanumerics and '-', starting and ending with an
 * alphanumeric. Model ids are already [a-z0-9-], ≤ 40 characters; anything else is
 * folded to '-' and truncated, the hash (of the run id and the attempt's nonce)
 * keeps names unique.
 */
export function jobNameFor(modelId: string, runId: string, nonce: string | null): string {
  const hash = sha256(nonce === null ? `roundhouse/job/${runId}` : `roundhouse/job/${runId}/${nonce}`).slice(0, HASH_CHARS);
  const budget = JOB_NAME_MAX - JOB_PREFIX.length - HASH_CHARS - 2;
  const readable = modelId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, budget)
    .replace(/^-+|-+$/g, '');
  return readable.length > 0 ? `${JOB_PREFIX}-${readable}-${hash}` : `${JOB_PREFIX}-${hash}`;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

/** A 31-bit seed from the run id: the trainer's random choices repeat on a rerun of the same run. */
export function seedFor(runId: string): number {
  return parseInt(sha256(`roundhouse/seed/${runId}`).slice(0, 8), 16) & 0x7fffffff;
}

/** Labels and annotations the dispatcher puts on everything it creates. */
export const LABELS = {
  model: 'roundhouse.dev/model',
  runId: 'roundhouse.dev/run-id',
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  kueueQueue: 'kueue.x-k8s.io/queue-name',
} as const;

export const ANNOTATIONS = {
  model: 'roundhouse.dev/model',
  runId: 'roundhouse.dev/run-id',
  requestId: 'roundhouse.dev/request-id',
  /** The run attempt's nonce (names.ts), also in the artifact directory's name. */
  runNonce: 'roundhouse.dev/run-nonce',
  reason: 'roundhouse.dev/reason',
  /** On the pod template only: the run spec, mounted as a file by the downward API (core/job.ts). */
  runSpec: 'roundhouse.dev/run-spec',
} as const;

export const MANAGED_BY = 'roundhouse-dispatcher';

/** Selects every Job this dispatcher manages (the informer's label selector). */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;
