import { startStack, type StackHandle } from '../test/stack';

/**
 * Kafka and the schema registry for a benchmark: KAFKA_BROKERS /
 * SCHEMA_REGISTRY_URL when set, else the local stack's processes. The benches
 * never talk to Kubernetes, so the control plane is neither built nor started
 * (KUBECONFIG is marked as given); only KAFKA_BROKERS and SCHEMA_REGISTRY_URL
 * of the returned env are meaningful.
 */
export function startBenchStack(): Promise<StackHandle> {
  return startStack({ env: { ...process.env, KUBECONFIG: process.env.KUBECONFIG ?? 'not-used-by-benchmarks' } });
}
