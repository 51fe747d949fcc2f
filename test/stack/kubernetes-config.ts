/**
 * Pure builders for the control plane: command lines, kubeconfigs and the fake
 * node. No I/O here, so the flags are reviewable (and unit-tested) in one place.
 */

export interface ControlPlanePorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
}

/** Paths of one run's files; every one lies under the run dir (state.ts recognises our pids by it). */
export interface ControlPlaneFiles {
  readonly runDir: string;
  readonly etcdData: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  readonly controllerManagerKubeconfig: string;
  readonly schedulerKubeconfig: string;
  readonly kwokKubeconfig: string;
  readonly kwokStages: string;
  readonly certDir: string;
}

export const SERVICE_CIDR = '10.96.0.0/16';
/** First address of SERVICE_CIDR: the `kubernetes` Service, named in the serving cert. */
export const SERVICE_IP = '10.96.0.1';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** The fake node kwok plays. Jobs reach it with this nodeSelector and toleration. */
export const KWOK_NODE_NAME = 'kwok-node-0';
export const KWOK_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_SELECTOR = { type: 'kwok' } as const;
export const KWOK_TOLERATION = { key: KWOK_ANNOTATION, operator: 'Equal', value: 'fake', effect: 'NoSchedule' } as const;

export function etcdArgs(ports: ControlPlanePorts, files: ControlPlaneFiles): string[] {
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  return [
    '--name=roundhouse',
    `--data-dir=${files.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=roundhouse=${peer}`,
    // Test data, thrown away with the run: fsync only costs time on slow CI disks.
    '--unsafe-no-fsync=true',
    '--quota-backend-bytes=2147483648',
    '--log-level=warn',
  ];
}

export function apiserverArgs(ports: ControlPlanePorts, files: ControlPlaneFiles): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    `--cert-dir=${files.certDir}`,
    `--tls-cert-file=${files.serverCert}`,
    `--tls-private-key-file=${files.serverKey}`,
    // Client certs signed by our CA authenticate: the harness is CN=roundhouse-admin, O=system:masters.
    `--client-ca-file=${files.caCert}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${files.serviceAccountPub}`,
    `--service-account-signing-key-file=${files.serviceAccountKey}`,
    // Node first as in every real cluster; RBAC is what least-privilege tests exercise.
    '--authorization-mode=Node,RBAC',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // The `kubernetes` Service's Endpoints may not hold a loopback address, and
    // nothing in-cluster dials it (kwok's pods never run): skip that reconciler.
    '--endpoint-reconciler-type=none',
    // One API server, one version: no peer proxy. Its shutdown hook (beta, on by
    // default since 1.36) waits on etcd, so an apiserver signalled together with
    // etcd (Ctrl-C reaches the whole process group) never exited.
    '--feature-gates=UnknownVersionInteroperabilityProxy=false',
    '--profiling=false',
  ];
}

export function controllerManagerArgs(ports: ControlPlanePorts, files: ControlPlaneFiles): string[] {
  return [
    // No --authentication/authorization-kubeconfig: delegated auth of its own
    // endpoints would want the aggregation layer's request-header CA; only
    // /healthz is ever asked for, and it is always allowed.
    `--kubeconfig=${files.controllerManagerKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.controllerManager}`,
    `--cert-dir=${files.certDir}`,
    // Every controller on by default (job, ttl-after-finished, serviceaccount,
    // serviceaccount-token, garbage-collector, namespace, node-lifecycle, …), each
    // with its own ServiceAccount, as kubeadm runs it.
    '--controllers=*',
    '--use-service-account-credentials=true',
    `--root-ca-file=${files.caCert}`,
    `--service-account-private-key-file=${files.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // One instance: taking a lease first only delays the start.
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export function schedulerArgs(ports: ControlPlanePorts, files: ControlPlaneFiles): string[] {
  return [
    `--kubeconfig=${files.schedulerKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.scheduler}`,
    `--cert-dir=${files.certDir}`,
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export function kwokArgs(files: ControlPlaneFiles): string[] {
  return [
    `--kubeconfig=${files.kwokKubeconfig}`,
    // kwok reads stages only from config files: its defaults plus ours (kubernetes-stages.ts).
    `--config=${files.kwokStages}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_ANNOTATION}=fake`,
    '--node-lease-duration-seconds=40',
    '--node-ip=10.244.0.1',
    '--cidr=10.244.0.0/24',
  ];
}

/** A kubeconfig with everything inline (base64), so it works from any directory. */
export function kubeconfigYaml(opts: { server: string; caPem: string; certPem: string; keyPem: string; user: string }): string {
  const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: roundhouse',
    '  cluster:',
    `    server: ${opts.server}`,
    `    certificate-authority-data: ${b64(opts.caPem)}`,
    'users:',
    `- name: ${opts.user}`,
    '  user:',
    `    client-certificate-data: ${b64(opts.certPem)}`,
    `    client-key-data: ${b64(opts.keyPem)}`,
    'contexts:',
    '- name: roundhouse',
    '  context:',
    '    cluster: roundhouse',
    `    user: ${opts.user}`,
    'current-context: roundhouse',
    '',
  ].join('\n');
}

/**
 * The fake node: kwok manages it (annotation) and keeps it Ready; the taint keeps
 * every pod that does not ask for it away. Capacity includes GPUs so training
 * Jobs that request nvidia.com/gpu schedule too.
 */
export function kwokNode(): Record<string, unknown> {
  const capacity = { cpu: '32', memory: '256Gi', pods: '110', 'nvidia.com/gpu': '8', 'ephemeral-storage': '1Ti' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: KWOK_NODE_NAME,
      annotations: { [KWOK_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        ...KWOK_NODE_SELECTOR,
        'kubernetes.io/hostname': KWOK_NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
      },
    },
    spec: { taints: [{ key: KWOK_TOLERATION.key, value: KWOK_TOLERATION.value, effect: KWOK_TOLERATION.effect }] },
    status: { allocatable: capacity, capacity, nodeInfo: { kubeletVersion: 'fake', operatingSystem: 'linux', architecture: 'amd64' } },
  };
}
