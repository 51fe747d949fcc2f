/**
 * The agent's Node object and its heartbeats, as a kubelet keeps them: a Lease
 * in kube-node-lease renewed every few seconds, and the Ready condition's
 * lastHeartbeatTime refreshed now and then. Without them the node lifecycle
 * controller marks the node NotReady (Unknown) after its grace period, taints it
 * and evicts its pods.
 */
import type * as K8s from '@kubernetes/client-node';
import { apiStatus, k8s, waitUntil } from '../helpers/kubernetes';
import { nodeConditions, nodeObject, type NodeShape } from './pod-status';

const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_SECONDS = 40;
/** Taints the control plane puts on a node until it has seen it Ready; scheduling waits for them to go. */
const STARTUP_TAINTS = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'node.cloudprovider.kubernetes.io/uninitialized']);

export interface Registration {
  /** Renew the Lease; every `statusEvery`-th call also refreshes the node's conditions. */
  heartbeat(): Promise<void>;
  /** Deletes the Lease and the Node (pods bound to it are then garbage-collected by the control plane). */
  remove(): Promise<void>;
}

const micro = (): Date => new (k8s().V1MicroTime)();

export async function registerNode(kc: K8s.KubeConfig, shape: NodeShape, opts: { statusEvery: number; readyTimeoutMs: number }): Promise<Registration> {
  const core = kc.makeApiClient(k8s().CoreV1Api);
  const coordination = kc.makeApiClient(k8s().CoordinationV1Api);
  const since = new Date();
  const created = await core.createNode({ body: nodeObject(shape, since) });
  let beats = 0;

  // Read-modify-write races with the controllers (the node lifecycle controller
  // taints and untaints new nodes): on 409 Conflict, read again and retry, as a kubelet does.
  const onConflictRetry = async (write: () => Promise<unknown>): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await write();
        return;
      } catch (error) {
        if (apiStatus(error) !== 409 || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
      }
    }
  };
  const refreshStatus = (): Promise<void> =>
    onConflictRetry(async () => {
      const node = await core.readNodeStatus({ name: shape.name });
      const transitions = new Map((node.status?.conditions ?? []).map((c) => [c.type, c.lastTransitionTime ?? since]));
      const fresh = nodeConditions(new Date(), since).map((c) => ({ ...c, lastTransitionTime: transitions.get(c.type) ?? since }));
      await core.replaceNodeStatus({ name: shape.name, body: { ...node, status: { ...node.status, conditions: fresh } } });
    });
  const renewLease = (): Promise<void> =>
    onConflictRetry(async () => {
      const lease = await coordination.readNamespacedLease({ name: shape.name, namespace: LEASE_NAMESPACE });
      await coordination.replaceNamespacedLease({ name: shape.name, namespace: LEASE_NAMESPACE, body: { ...lease, spec: { ...lease.spec, renewTime: micro() } } });
    });

  const removeAll = async (): Promise<void> => {
    const ignoreMissing = (error: unknown): void => {
      if (apiStatus(error) !== 404) throw error;
    };
    await coordination.deleteNamespacedLease({ name: shape.name, namespace: LEASE_NAMESPACE }).catch(ignoreMissing);
    await core.deleteNode({ name: shape.name }).catch(ignoreMissing);
  };

  try {
    // Some API servers drop status on create; write it through the status subresource too.
    await refreshStatus();
    await coordination.createNamespacedLease({
      namespace: LEASE_NAMESPACE,
      body: {
        metadata: { name: shape.name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: shape.name, uid: created.metadata!.uid! }] },
        spec: { holderIdentity: shape.name, leaseDurationSeconds: LEASE_SECONDS, renewTime: micro() },
      },
    });
    await waitUntil(
      `node ${shape.name} Ready without start-up taints`,
      async () => {
        const node = await core.readNode({ name: shape.name });
        const ready = node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
        return ready && !(node.spec?.taints ?? []).some((t) => STARTUP_TAINTS.has(t.key));
      },
      { timeoutMs: opts.readyTimeoutMs, intervalMs: 250 },
    );
  } catch (error) {
    await removeAll().catch(() => undefined);
    throw error;
  }

  return {
    async heartbeat() {
      beats++;
      await renewLease();
      if (beats % opts.statusEvery === 0) await refreshStatus();
    },
    remove: removeAll,
  };
}
