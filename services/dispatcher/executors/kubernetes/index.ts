import { Clock, systemClock } from '../../../../lib/clock';
import type { Logger } from '../../../../lib/log';
import { silentLogger } from '../../../../lib/log';
import type { JobOptions } from '../../core/job';
import { MANAGED_SELECTOR } from '../../core/names';
import { kubernetesError, loadKubernetesClient, resolveKubeConfig, type KubeConfigInstance } from '../../../../lib/kubernetes';
import { KubernetesExecutor } from './executor';
import { clientJobInformer } from './informer';
import { clientJobsApi, guardedJobsApi } from './jobs-api';
import { TokenBucket } from './rate-limit';

export { KubernetesExecutor, observationOf } from './executor';
export { loadKubernetesClient, type KubeConfigInstance } from '../../../../lib/kubernetes';
export type { JobsApi } from './jobs-api';
export type { JobInformer } from './informer';

export interface KubernetesExecutorConfig {
  /** A kubeconfig file; null: the in-cluster ServiceAccount. Ignored when `kubeConfig` is given. */
  readonly kubeconfigPath: string | null;
  /** A ready KubeConfig (tests: a ServiceAccount token from the TokenRequest API). */
  readonly kubeConfig?: KubeConfigInstance;
  /** Null: the kubeconfig context's namespace (or the in-cluster one), else "default". */
  readonly namespace: string | null;
  readonly jobOptions: Omit<JobOptions, 'namespace'>;
  readonly qps?: number;
  readonly burst?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly onError?: (operation: string, error: unknown) => void;
}

/** The Kubernetes executor over a real API server: client-node, rate limit, retries, restarting informer. */
export function createKubernetesExecutor(config: KubernetesExecutorConfig): { executor: KubernetesExecutor; namespace: string } {
  const k8s = loadKubernetesClient();
  const { kubeConfig, namespace } = resolveKubeConfig(config);
  const clock = config.clock ?? systemClock;
  const logger = config.logger ?? silentLogger();
  const limiter = new TokenBucket(config.qps ?? 5, config.burst ?? 10, clock);
  const api = guardedJobsApi(clientJobsApi(k8s, kubeConfig, namespace), limiter, {
    attempts: 5,
    initialMs: 200,
    maxMs: 10_000,
    clock,
    onRetry: (error, attempt, delayMs) => logger.warn({ err: error, attempt, delayMs }, 'kubernetes call failed; retrying'),
  });
  const informer = clientJobInformer(k8s, kubeConfig, namespace, MANAGED_SELECTOR, {
    clock,
    logger: logger.child({ component: 'job-informer' }),
    beforeList: () => limiter.take(),
    onError: (error) => config.onError?.('watch', kubernetesError(error, 'watch jobs', { namespace })),
  });
  const executor = new KubernetesExecutor({ api, informer, jobOptions: { ...config.jobOptions, namespace }, logger, ...(config.onError ? { onError: config.onError } : {}) });
  return { executor, namespace };
}
