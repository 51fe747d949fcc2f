/**
 * Pure builders of what a kubelet would write: the pod status while its process
 * runs and once it has ended, and the Node object the agent registers. The Job
 * controller reads `phase` and `containerStatuses[].state.terminated.exitCode`
 * (podFailurePolicy onExitCodes), the dispatcher reads the Job it derives.
 */
import { constants } from 'node:os';
import type { V1ContainerStatus, V1Node, V1NodeCondition, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

export interface Started {
  readonly startedAt: Date;
  readonly pid: number;
  readonly hostIP: string;
}

export interface Ended {
  readonly finishedAt: Date;
  /** null when a signal ended the process. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** How a process end reads in a container status: a signal becomes 128 + its number, as a shell reports it. */
export function exitOf(ended: Pick<Ended, 'exitCode' | 'signal'>): { exitCode: number; reason: string; signal?: number } {
  if (ended.signal !== null) {
    const number = constants.signals[ended.signal] ?? 0;
    return { exitCode: 128 + number, reason: 'Error', signal: number };
  }
  const exitCode = ended.exitCode ?? 1;
  return { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' };
}

function conditions(ready: boolean, at: Date): V1PodCondition[] {
  const status = ready ? 'True' : 'False';
  return [
    { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: at },
    { type: 'Initialized', status: 'True', lastTransitionTime: at },
    { type: 'ContainersReady', status, lastTransitionTime: at },
    { type: 'Ready', status, lastTransitionTime: at },
  ];
}

/** Keep the scheduler's PodScheduled condition; replace the ones a kubelet owns. */
function withConditions(pod: V1Pod, own: V1PodCondition[]): V1PodCondition[] {
  const owned = new Set(own.map((c) => c.type));
  return [...(pod.status?.conditions ?? []).filter((c) => !owned.has(c.type)), ...own];
}

function containerName(pod: V1Pod): string {
  return pod.spec?.containers[0]?.name ?? 'main';
}

function image(pod: V1Pod): string {
  return pod.spec?.containers[0]?.image ?? '';
}

export function runningStatus(pod: V1Pod, started: Started): V1PodStatus {
  const container: V1ContainerStatus = {
    name: containerName(pod),
    image: image(pod),
    imageID: '',
    containerID: `roundhouse-agent://${started.pid}`,
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: started.startedAt } },
  };
  return {
    ...pod.status,
    phase: 'Running',
    startTime: pod.status?.startTime ?? started.startedAt,
    hostIP: started.hostIP,
    hostIPs: [{ ip: started.hostIP }],
    podIP: started.hostIP,
    podIPs: [{ ip: started.hostIP }],
    conditions: withConditions(pod, conditions(true, started.startedAt)),
    containerStatuses: [container],
  };
}

export function terminatedStatus(pod: V1Pod, started: Started, ended: Ended, message?: string): V1PodStatus {
  const exit = exitOf(ended);
  const container: V1ContainerStatus = {
    name: containerName(pod),
    image: image(pod),
    imageID: '',
    containerID: `roundhouse-agent://${started.pid}`,
    ready: false,
    started: false,
    restartCount: 0,
    state: { terminated: { exitCode: exit.exitCode, reason: exit.reason, startedAt: started.startedAt, finishedAt: ended.finishedAt, ...(exit.signal !== undefined ? { signal: exit.signal } : {}), ...(message ? { message } : {}) } },
  };
  return {
    ...pod.status,
    phase: exit.exitCode === 0 ? 'Succeeded' : 'Failed',
    startTime: pod.status?.startTime ?? started.startedAt,
    hostIP: started.hostIP,
    hostIPs: [{ ip: started.hostIP }],
    conditions: withConditions(pod, conditions(false, ended.finishedAt)),
    containerStatuses: [container],
  };
}

/** A pod the agent refused to start (unsupported spec): Failed, its container terminated with exit code 128 and the reason. */
export function refusedStatus(pod: V1Pod, at: Date, reason: string, message: string, hostIP: string): V1PodStatus {
  const container: V1ContainerStatus = {
    name: containerName(pod),
    image: image(pod),
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: { terminated: { exitCode: 128, reason, message, startedAt: at, finishedAt: at } },
  };
  return {
    ...pod.status,
    phase: 'Failed',
    reason,
    message,
    startTime: pod.status?.startTime ?? at,
    hostIP,
    hostIPs: [{ ip: hostIP }],
    conditions: withConditions(pod, conditions(false, at)),
    containerStatuses: [container],
  };
}

export interface NodeShape {
  readonly name: string;
  /** Label (and taint) key that names the node: pods select and tolerate `<key>=<name>`. */
  readonly labelKey: string;
  readonly hostIP: string;
  readonly capacity: Readonly<Record<string, string>>;
}

export const DEFAULT_CAPACITY: Readonly<Record<string, string>> = { cpu: '4', memory: '8Gi', pods: '20', 'nvidia.com/gpu': '1', 'ephemeral-storage': '20Gi' };

export function nodeConditions(at: Date, since: Date): V1NodeCondition[] {
  const condition = (type: string, status: string, reason: string, message: string): V1NodeCondition => ({ type, status, reason, message, lastHeartbeatTime: at, lastTransitionTime: since });
  return [
    condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'test node agent'),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'test node agent'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'test node agent'),
    condition('Ready', 'True', 'KubeletReady', 'roundhouse test node agent is running pods as local processes'),
  ];
}

/** The Node: labelled and tainted `<labelKey>=<name>`, so only pods that ask for it land on it. */
export function nodeObject(shape: NodeShape, now: Date): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: shape.name,
      labels: { [shape.labelKey]: shape.name, 'kubernetes.io/hostname': shape.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
    },
    spec: { taints: [{ key: shape.labelKey, value: shape.name, effect: 'NoSchedule' }] },
    status: {
      capacity: { ...shape.capacity },
      allocatable: { ...shape.capacity },
      conditions: nodeConditions(now, now),
      addresses: [
        { type: 'InternalIP', address: shape.hostIP },
        { type: 'Hostname', address: shape.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'roundhouse-test-agent',
        kubeProxyVersion: '',
        containerRuntimeVersion: 'local-process://0',
        bootID: '',
        kernelVersion: '',
        machineID: '',
        osImage: 'local processes',
        systemUUID: '',
      },
    },
  };
}
