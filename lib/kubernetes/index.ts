export { loadKubernetesClient, type KubernetesClientModule } from './client';
export { kubernetesError } from './errors';
export { resolveKubeConfig, type KubeConfigInstance, type KubeConfigSource } from './config';
