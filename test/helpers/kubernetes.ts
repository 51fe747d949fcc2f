/**
 * Integration helpers for the Kubernetes API server of the test stack: the admin
 * KubeConfig (from KUBECONFIG, exported by the jest global setup), a random
 * namespace per test, a KubeConfig for a real ServiceAccount (TokenRequest API)
 * for least-privilege tests, and polling waits with a deadline.
 *
 * @kubernetes/client-node 1.x is ESM only. Jest 30 on Node < 24.9 refuses to
 * require() ESM through its own module registry, so the package is loaded with
 * Node's own loader (`Module._load`, which supports require(esm) from Node
 * 20.19), exactly as lib/kubernetes/client.ts does:
 * both land in Node's module cache, so tests and the code under test share one
 * instance. Its objects come from the host realm: match errors on `code`, never
 * with `instanceof`.
 */
import { randomUUID } from 'node:crypto';
import * as nodeModule from 'node:module';
import type * as K8s from '@kubernetes/client-node';
import { KWOK_NODE_NAME, KWOK_NODE_SELECTOR, KWOK_TOLERATION } from '../stack/kubernetes-config';
import { EXIT_CODE_ANNOTATION, HOLD_ANNOTATION } from '../stack/kubernetes-stages';

export type KubernetesClientModule = typeof K8s;
type NodeLoader = (request: string, parent: unknown, isMain: boolean) => unknown;

let loaded: KubernetesClientModule | undefined;

/** The @kubernetes/client-node module (loaded once per process). */
export function k8s(): KubernetesClientModule {
  if (loaded) return loaded;
  const load = (nodeModule as unknown as { _load?: NodeLoader })._load;
  if (typeof load !== 'function') throw new Error('node:module has no _load: cannot load @kubernetes/client-node (ESM) from CommonJS');
  loaded = load(require.resolve('@kubernetes/client-node'), null, false) as KubernetesClientModule;
  return loaded;
}

/**
 * Spread into a pod spec to land on the stack's kwok node (through the
 * scheduler), where kwok plays the pod Running, then Succeeded if a Job owns it.
 */
export const kwokPlacement = {
  nodeSelector: { ...KWOK_NODE_SELECTOR } as Record<string, string>,
  tolerations: [{ ...KWOK_TOLERATION }] as K8s.V1Toleration[],
};

/**
 * Pod-template annotations that change how kwok plays a pod on the stack's node
 * (test/stack/kubernetes-stages.ts); without them a Job's pod succeeds at once.
 */
export const kwokBehaviour = {
  /** The pod fails, every container terminated with this exit code. */
  exitCode: (code: number): Record<string, string> => ({ [EXIT_CODE_ANNOTATION]: String(code) }),
  /** The pod stays Running until deleted (deadlines, cancellation). */
  hold: (): Record<string, string> => ({ [HOLD_ANNOTATION]: 'true' }),
};

/** The fake node's name, for asserting where a pod ran. */
export const KWOK_NODE = KWOK_NODE_NAME;

export const uniqueNamespace = (prefix = 'rh-test'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** The stack's admin identity (system:masters), from KUBECONFIG. */
export function adminKubeConfig(): K8s.KubeConfig {
  const file = process.env.KUBECONFIG;
  if (!file) throw new Error('KUBECONFIG is not set: run through `npm test` (the jest global setup starts the stack) or `eval "$(npm run -s stack:up)"`');
  const kc = new (k8s().KubeConfig)();
  kc.loadFromDefault(); // reads KUBECONFIG, including a ':'-separated list
  return kc;
}

/** The HTTP status of a client-node ApiException (or of anything with a numeric `code`), else undefined. */
export function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Resolves to probe()'s first truthy value; polls every `intervalMs`, rejects at the deadline with the last error. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const reason = last === undefined ? '' : `: last error ${last instanceof Error ? last.message : JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 200));
  }
}

export interface TestNamespace {
  readonly name: string;
  /** Deletes it (and so everything in it) without waiting for finalization. */
  delete(): Promise<void>;
}

/** A namespace with a random name; pair with `afterAll(() => ns.delete())`. */
export async function createTestNamespace(prefix?: string, kc: K8s.KubeConfig = adminKubeConfig()): Promise<TestNamespace> {
  const core = kc.makeApiClient(k8s().CoreV1Api);
  const name = uniqueNamespace(prefix);
  await core.createNamespace({ body: { metadata: { name, labels: { 'roundhouse.dev/test': 'true' } } } });
  return {
    name,
    delete: async () => {
      await core.deleteNamespace({ name, propagationPolicy: 'Background' }).catch((err: unknown) => {
        if (apiStatus(err) !== 404) throw err;
      });
    },
  };
}

/**
 * A KubeConfig that authenticates as ServiceAccount `namespace/serviceAccountName`
 * with a token from the TokenRequest API (bound, short-lived: nothing stored in a
 * Secret). The ServiceAccount is created when absent. Same server and CA as `admin`.
 */
export async function serviceAccountKubeConfig(
  namespace: string,
  serviceAccountName: string,
  opts: { admin?: K8s.KubeConfig; expirationSeconds?: number } = {},
): Promise<K8s.KubeConfig> {
  const admin = opts.admin ?? adminKubeConfig();
  const core = admin.makeApiClient(k8s().CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: serviceAccountName } } }).catch((err: unknown) => {
    if (apiStatus(err) !== 409) throw err;
  });
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccountName,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: opts.expirationSeconds ?? 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccountName} returned no token`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin KubeConfig has no current cluster');
  const user = `system:serviceaccount:${namespace}:${serviceAccountName}`;
  const kc = new (k8s().KubeConfig)();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: cluster.name, user }],
    currentContext: user,
  });
  return kc;
}

/** The Job once it has condition `type` with status True (Complete, Failed, SuccessCriteriaMet, …). */
export async function waitForJobCondition(kc: K8s.KubeConfig, namespace: string, name: string, type: string, timeoutMs = 60_000): Promise<K8s.V1Job> {
  const batch = kc.makeApiClient(k8s().BatchV1Api);
  return waitUntil(
    `Job ${namespace}/${name} condition ${type}=True`,
    async () => {
      const job = await batch.readNamespacedJob({ name, namespace });
      return job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ? job : undefined;
    },
    { timeoutMs },
  );
}
