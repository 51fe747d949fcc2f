import type { V1Job } from '@kubernetes/client-node';
import { ErrorCodes, errorCode } from '../../../../lib/errors';
import type { KubernetesClientModule } from '../../../../lib/kubernetes';
import { kubernetesError } from '../../../../lib/kubernetes';
import type { TokenBucket } from './rate-limit';
import { RetryOptions, withRetries } from './retry';

/**
 * The four Job calls the executor makes, in our words. One implementation talks
 * to the API server through client-node; tests use an in-memory fake. Errors are
 * RoundhouseErrors (errors.ts): NOT_FOUND, CONFLICT, VALIDATION, KUBERNETES_UNAVAILABLE.
 */
export interface JobsApi {
  create(job: V1Job): Promise<V1Job>;
  /** null when there is no such Job. */
  read(name: string): Promise<V1Job | null>;
  /** Delete with propagation Background; `uid` guards against deleting a same-named successor. */
  delete(name: string, uid?: string): Promise<void>;
  list(labelSelector: string): Promise<readonly V1Job[]>;
}

export function clientJobsApi(k8s: KubernetesClientModule, kubeConfig: InstanceType<KubernetesClientModule['KubeConfig']>, namespace: string): JobsApi {
  const batch = kubeConfig.makeApiClient(k8s.BatchV1Api);
  const wrap = async <T>(operation: string, name: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw kubernetesError(error, operation, { namespace, name });
    }
  };
  return {
    create: (job) => wrap('create job', job.metadata?.name ?? '', () => batch.createNamespacedJob({ namespace, body: job, fieldManager: 'roundhouse-dispatcher' })),
    read: async (name) => {
      try {
        return await wrap('read job', name, () => batch.readNamespacedJob({ name, namespace }));
      } catch (error) {
        if (errorCode(error) === ErrorCodes.NOT_FOUND) return null;
        throw error;
      }
    },
    delete: async (name, uid) => {
      try {
        await wrap('delete job', name, () =>
          batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background', body: { propagationPolicy: 'Background', ...(uid ? { preconditions: { uid } } : {}) } }),
        );
      } catch (error) {
        if (errorCode(error) === ErrorCodes.NOT_FOUND) return;
        throw error;
      }
    },
    list: async (labelSelector) => (await wrap('list jobs', '', () => batch.listNamespacedJob({ namespace, labelSelector }))).items,
  };
}

/**
 * Cross-cutting concerns as a decorator (STYLE.md item 11): every call waits for
 * a token of the client-side rate limit, and retriable failures (429, 5xx,
 * network) are retried with backoff, each retry taking a token too.
 */
export function guardedJobsApi(api: JobsApi, limiter: TokenBucket, retry: RetryOptions): JobsApi {
  const guarded = <T>(call: () => Promise<T>): Promise<T> =>
    withRetries(async () => {
      await limiter.take();
      return call();
    }, retry);
  return {
    create: (job) => guarded(() => api.create(job)),
    read: (name) => guarded(() => api.read(name)),
    delete: (name, uid) => guarded(() => api.delete(name, uid)),
    list: (selector) => guarded(() => api.list(selector)),
  };
}

