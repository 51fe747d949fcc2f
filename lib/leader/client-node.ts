import type { V1Lease } from '@kubernetes/client-node';
import { ErrorCodes, RoundhouseError, errorCode } from '../errors';
import { kubernetesError, type KubeConfigInstance, type KubernetesClientModule } from '../kubernetes';
import type { LeaseApi, LeaseRecord, LeaseWrite } from './types';

/** Labels on a Lease we create, so `kubectl get leases -l app.kubernetes.io/part-of=roundhouse` finds it. */
const CREATED_LABELS = { 'app.kubernetes.io/part-of': 'roundhouse', 'app.kubernetes.io/managed-by': 'roundhouse-leader-election' };

/** The LeaseApi of one Lease on a real API server, through client-node's CoordinationV1Api. */
export function clientLeaseApi(k8s: KubernetesClientModule, kubeConfig: KubeConfigInstance, namespace: string, name: string, fieldManager = 'roundhouse-leader-election'): LeaseApi {
  const api = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  const description = `${namespace}/${name}`;
  const wrap = async (operation: string, call: () => Promise<V1Lease>): Promise<LeaseRecord> => {
    try {
      return decodeLease(await call(), description);
    } catch (error) {
      throw kubernetesError(error, `${operation} lease`, { namespace, name });
    }
  };
  const body = (lease: LeaseWrite, resourceVersion?: string): V1Lease => encodeLease(k8s, { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) }, lease);
  return {
    description,
    get: async () => {
      try {
        return await wrap('get', () => api.readNamespacedLease({ name, namespace }));
      } catch (error) {
        if (errorCode(error) === ErrorCodes.NOT_FOUND) return null;
        throw error;
      }
    },
    create: (lease) => wrap('create', () => api.createNamespacedLease({ namespace, body: body({ ...lease, labels: { ...CREATED_LABELS, ...lease.labels } }), fieldManager })),
    update: (lease, resourceVersion) => wrap('update', () => api.replaceNamespacedLease({ name, namespace, body: body(lease, resourceVersion), fieldManager })),
  };
}

/**
 * A V1Lease (as client-node hands it over) into our record. client-node 1.x does
 * not revive MicroTime fields (its serializer does not know the type): they come
 * as RFC 3339 strings, or as Dates from objects built in code; both are read.
 */
export function decodeLease(raw: unknown, description = 'lease'): LeaseRecord {
  const lease = (raw ?? {}) as { metadata?: Record<string, unknown> | null; spec?: Record<string, unknown> | null };
  const metadata = lease.metadata ?? {};
  const spec = lease.spec ?? {};
  const resourceVersion = metadata.resourceVersion;
  if (typeof resourceVersion !== 'string' || resourceVersion.length === 0) {
    throw new RoundhouseError(ErrorCodes.VALIDATION, `${description}: the API server returned a Lease without metadata.resourceVersion`);
  }
  const holder = typeof spec.holderIdentity === 'string' && spec.holderIdentity.length > 0 ? spec.holderIdentity : null;
  const seconds = typeof spec.leaseDurationSeconds === 'number' && Number.isFinite(spec.leaseDurationSeconds) ? Math.max(0, spec.leaseDurationSeconds) : 0;
  const transitions = typeof spec.leaseTransitions === 'number' && Number.isInteger(spec.leaseTransitions) && spec.leaseTransitions >= 0 ? spec.leaseTransitions : 0;
  return Object.freeze({
    holder,
    leaseDurationMs: seconds * 1000,
    acquireTime: timeOf(spec.acquireTime),
    renewTime: timeOf(spec.renewTime),
    transitions,
    resourceVersion,
    labels: Object.freeze(stringMap(metadata.labels)),
    annotations: Object.freeze(stringMap(metadata.annotations)),
  });
}

/** Our record into a V1Lease body; times as V1MicroTime (RFC 3339 with microseconds, which the API server requires). */
export function encodeLease(k8s: Pick<KubernetesClientModule, 'V1MicroTime'>, meta: { name: string; namespace: string; resourceVersion?: string }, lease: LeaseWrite): V1Lease {
  const micro = (ms: number | null) => (ms === null ? undefined : new k8s.V1MicroTime(ms));
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...meta, labels: { ...lease.labels }, annotations: { ...lease.annotations } },
    spec: {
      // "" rather than absent: a PUT without it would keep nothing either way, and "" reads as released everywhere.
      holderIdentity: lease.holder ?? '',
      // Whole seconds, at least one: the API server refuses 0.
      leaseDurationSeconds: Math.max(1, Math.ceil(lease.leaseDurationMs / 1000)),
      acquireTime: micro(lease.acquireTime),
      renewTime: micro(lease.renewTime),
      leaseTransitions: lease.transitions,
    },
  };
}

function timeOf(value: unknown): number | null {
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : null;
  }
  // A Date, maybe from client-node's realm (no instanceof across realms).
  if (typeof value === 'object' && value !== null && typeof (value as Date).getTime === 'function') {
    const ms = (value as Date).getTime();
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
