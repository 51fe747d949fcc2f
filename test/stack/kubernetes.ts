/**
 * A real Kubernetes control plane with one fake node: etcd, kube-apiserver (RBAC
 * on), kube-controller-manager, kube-scheduler and kwok, built from the Go module
 * proxy (kubernetes-build.ts) and run as local processes on 127.0.0.1. Jobs whose
 * pods select the kwok node run to Complete without any container runtime.
 */
import { promises as fs } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import type { ComponentPlan, RunningComponent, StackComponent, StackContext } from './component';
import { StackError, StackErrorCodes } from './errors';
import { findGo, requireOpenssl } from './go';
import { KubeApi, nodeIsReady } from './kubernetes-api';
import { binPath, buildKubernetes, isBuilt, KUBERNETES_VERSION, kubernetesHome, kwokStagesPath, MIN_GO, type Binary } from './kubernetes-build';
import {
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  KWOK_NODE_NAME,
  kubeconfigYaml,
  kwokArgs,
  kwokNode,
  schedulerArgs,
  SERVICE_IP,
  type ControlPlaneFiles,
  type ControlPlanePorts,
} from './kubernetes-config';
import { createPki, type ClientIdentity } from './kubernetes-pki';
import { runStages } from './kubernetes-stages';
import { pollUntilReady, spawnService, type ServiceProcess } from './util';

const WHAT = `Kubernetes ${KUBERNETES_VERSION} control plane`;

/** Who talks to the API server. The harness and kwok are cluster admins; the controllers get their own RBAC. */
const IDENTITIES: readonly ClientIdentity[] = [
  { name: 'admin', user: 'roundhouse-admin', groups: ['system:masters'] },
  { name: 'controller-manager', user: 'system:kube-controller-manager', groups: [] },
  { name: 'scheduler', user: 'system:kube-scheduler', groups: [] },
  { name: 'kwok', user: 'kwok-controller', groups: ['system:masters'] },
];

export const kubernetesComponent: StackComponent = {
  name: 'kubernetes',
  provides: ['KUBECONFIG'],
  async plan(ctx) {
    await requireOpenssl(WHAT);
    const home = kubernetesHome(ctx.cacheRoot);
    if (!(await isBuilt(home))) await findGo(MIN_GO, WHAT);
    return kubernetesPlan(ctx, home);
  },
};

function kubernetesPlan(ctx: StackContext, home: string): ComponentPlan {
  return {
    async fetch() {
      await buildKubernetes(ctx.cacheRoot, ctx.log);
    },
    start: (runDir) => startControlPlane(ctx, home, runDir),
  };
}

async function startControlPlane(ctx: StackContext, home: string, runDir: string): Promise<RunningComponent> {
  const ports: ControlPlanePorts = {
    etcdClient: await ctx.ports.next(),
    etcdPeer: await ctx.ports.next(),
    apiserver: await ctx.ports.next(),
    controllerManager: await ctx.ports.next(),
    scheduler: await ctx.ports.next(),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const pki = await createPki(path.join(runDir, 'pki'), { serviceIp: SERVICE_IP, clients: IDENTITIES });
  const read = (file: string): Promise<string> => fs.readFile(file, 'utf8');
  const caPem = await read(pki.caCert);
  const kubeconfigs: Record<string, string> = {};
  for (const id of IDENTITIES) {
    const client = pki.clients[id.name];
    if (client === undefined) throw new Error(`no client cert for ${id.name}`);
    kubeconfigs[id.name] = path.join(runDir, `${id.name}.kubeconfig`);
    await fs.writeFile(kubeconfigs[id.name] as string, kubeconfigYaml({ server, caPem, certPem: await read(client.cert), keyPem: await read(client.key), user: id.user }), { mode: 0o600 });
  }
  const files: ControlPlaneFiles = {
    runDir,
    etcdData: path.join(runDir, 'etcd-data'),
    caCert: pki.caCert,
    serverCert: pki.serverCert,
    serverKey: pki.serverKey,
    serviceAccountKey: pki.serviceAccountKey,
    serviceAccountPub: pki.serviceAccountPub,
    controllerManagerKubeconfig: kubeconfigs['controller-manager'] as string,
    schedulerKubeconfig: kubeconfigs.scheduler as string,
    kwokKubeconfig: kubeconfigs.kwok as string,
    kwokStages: path.join(runDir, 'kwok-stages.yaml'),
    certDir: path.join(runDir, 'certs'),
  };
  await fs.writeFile(files.kwokStages, runStages(await read(kwokStagesPath(home))));
  const admin = pki.clients.admin as { cert: string; key: string };
  const api = new KubeApi(server, { ca: caPem, cert: await read(admin.cert), key: await read(admin.key) });

  const started: ServiceProcess[] = [];
  const spawn = (binary: Binary, args: readonly string[], env?: NodeJS.ProcessEnv): ServiceProcess => {
    const proc = spawnService({ name: binary, command: binPath(home, binary), args, cwd: runDir, stdoutFile: path.join(runDir, `${binary}.log`), logFiles: [], detached: ctx.detached, env });
    started.push(proc);
    return proc;
  };
  const stopAll = async (): Promise<void> => {
    // Clients first, storage last, so nothing logs a storm of connection errors.
    const [etcd, apiserver, ...rest] = started;
    await Promise.all(rest.map((p) => p.stop()));
    await apiserver?.stop();
    await etcd?.stop();
  };

  try {
    const t0 = Date.now();
    ctx.log(`starting ${WHAT} on ${server} (etcd 127.0.0.1:${ports.etcdClient})`);
    const etcd = spawn('etcd', etcdArgs(ports, files));
    await pollUntilReady('etcd', () => etcdHealthy(ports.etcdClient), { timeoutMs: ctx.readyTimeoutMs, process: etcd });

    const apiserver = spawn('kube-apiserver', apiserverArgs(ports, files));
    await pollUntilReady('kube-apiserver', async () => (await api.status('/readyz')) === 200, { timeoutMs: ctx.readyTimeoutMs, process: [etcd, apiserver] });
    ctx.log(`kube-apiserver ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    spawn('kube-controller-manager', controllerManagerArgs(ports, files));
    spawn('kube-scheduler', schedulerArgs(ports, files));
    // kwok reads ~/.kwok/kwok.yaml too when it exists: a HOME of its own keeps a developer's out.
    spawn('kwok', kwokArgs(files), { ...process.env, HOME: runDir });
    const created = await api.call('POST', '/api/v1/nodes', kwokNode());
    if (created.status !== 201) throw new StackError(StackErrorCodes.START_FAILED, `creating the kwok node failed: HTTP ${created.status} ${created.body}`);

    await pollUntilReady(
      WHAT,
      async () =>
        (await api.status('/api/v1/namespaces/default/serviceaccounts/default')) === 200 &&
        nodeIsReady(await api.getJson(`/api/v1/nodes/${KWOK_NODE_NAME}`).catch(() => undefined)) &&
        (await healthz(ports.scheduler)) &&
        (await healthz(ports.controllerManager)),
      { timeoutMs: ctx.readyTimeoutMs, process: started },
    );
    ctx.log(`${WHAT} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (node ${KWOK_NODE_NAME} Ready, default ServiceAccount present)`);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    name: 'kubernetes',
    env: { KUBECONFIG: kubeconfigs.admin as string },
    ports: { ...ports },
    processes: [...started],
    stop: stopAll,
  };
}

async function etcdHealthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) });
    return response.status === 200 && ((await response.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/** /healthz of kube-controller-manager or kube-scheduler: always allowed, served with a self-signed cert. */
function healthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
