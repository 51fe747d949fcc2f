import type { V1Job, V1JobCondition } from '@kubernetes/client-node';

/**
 * A Job's phase from its conditions and status, in the manner of kueue's
 * Finished(): terminal conditions decide; counters only say whether a pod is up.
 *
 * - Failed / Complete are final. Since Kubernetes 1.31 the controller first sets
 *   FailureTarget / SuccessCriteriaMet and adds Failed / Complete once the pods
 *   have terminated; the verdict is already final then, so we report it early.
 * - A suspended Job (Kueue has not admitted it yet) is PENDING.
 * - RUNNING means a pod is ready (status.ready, GA in 1.29), or pods have already
 *   finished (a retry is under way, or completion is being recorded). A pod that
 *   is merely Pending (unschedulable GPU, image pull) keeps the Job PENDING.
 */
export type JobPhase =
  | { readonly phase: 'PENDING'; readonly suspended: boolean; readonly attempt: number }
  | { readonly phase: 'RUNNING'; readonly attempt: number }
  | { readonly phase: 'SUCCEEDED'; readonly attempt: number; readonly message: string | null }
  | { readonly phase: 'FAILED'; readonly reason: string; readonly message: string | null; readonly attempt: number };

const isTrue = (conditions: readonly V1JobCondition[], type: string): V1JobCondition | undefined =>
  conditions.find((c) => c.type === type && c.status === 'True');

export function jobPhase(job: V1Job): JobPhase {
  const conditions = job.status?.conditions ?? [];
  const failedPods = job.status?.failed ?? 0;
  const attempt = failedPods + 1;

  const failed = isTrue(conditions, 'Failed') ?? isTrue(conditions, 'FailureTarget');
  if (failed) {
    return { phase: 'FAILED', reason: failed.reason || 'Failed', message: failed.message || null, attempt: Math.max(1, failedPods) };
  }
  const complete = isTrue(conditions, 'Complete') ?? isTrue(conditions, 'SuccessCriteriaMet');
  if (complete) return { phase: 'SUCCEEDED', attempt, message: complete.message || null };

  if (job.spec?.suspend === true || isTrue(conditions, 'Suspended')) return { phase: 'PENDING', suspended: true, attempt };

  const active = job.status?.active ?? 0;
  const ready = job.status?.ready;
  const succeeded = job.status?.succeeded ?? 0;
  // status.ready is absent only on API servers older than 1.24; then an active pod is the best we know.
  const podUp = ready === undefined || ready === null ? active > 0 : ready > 0;
  if (podUp || succeeded > 0 || failedPods > 0) return { phase: 'RUNNING', attempt };
  return { phase: 'PENDING', suspended: false, attempt };
}
