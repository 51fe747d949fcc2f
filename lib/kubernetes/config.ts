import { readFileSync } from 'node:fs';
import { loadKubernetesClient, type KubernetesClientModule } from './client';

export type KubeConfigInstance = InstanceType<KubernetesClientModule['KubeConfig']>;

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export interface KubeConfigSource {
  /** A kubeconfig file; null: the in-cluster ServiceAccount. Ignored when `kubeConfig` is given. */
  readonly kubeconfigPath: string | null;
  /** A ready KubeConfig (tests: a ServiceAccount token from the TokenRequest API). */
  readonly kubeConfig?: KubeConfigInstance;
  /** Null: the kubeconfig context's namespace (or the in-cluster one), else "default". */
  readonly namespace: string | null;
}

/**
 * One way for every component (the dispatcher's executor, the leader elector)
 * to reach the API server: a KubeConfig from the file, the in-cluster
 * ServiceAccount or the caller, and the namespace it acts in.
 */
export function resolveKubeConfig(source: KubeConfigSource): { kubeConfig: KubeConfigInstance; namespace: string } {
  let kubeConfig = source.kubeConfig;
  if (!kubeConfig) {
    kubeConfig = new (loadKubernetesClient().KubeConfig)();
    if (source.kubeconfigPath !== null) kubeConfig.loadFromFile(source.kubeconfigPath);
    else kubeConfig.loadFromCluster();
  }
  const inCluster = !source.kubeConfig && source.kubeconfigPath === null;
  const fromConfig = inCluster ? inClusterNamespace() : kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return { kubeConfig, namespace: source.namespace ?? fromConfig ?? 'default' };
}

function inClusterNamespace(): string | null {
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim() || null;
  } catch {
    return null;
  }
}
