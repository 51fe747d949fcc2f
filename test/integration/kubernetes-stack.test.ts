/**
 * Smoke test of the stack's Kubernetes control plane: the API server we built,
 * Jobs completing through the scheduler, the controllers and kwok, and RBAC
 * refusing a ServiceAccount what it was not granted.
 */
import type * as K8s from '@kubernetes/client-node';
import { KUBERNETES_VERSION } from '../stack/kubernetes-build';
import {
  adminKubeConfig,
  apiStatus,
  createTestNamespace,
  k8s,
  KWOK_NODE,
  kwokBehaviour,
  kwokPlacement,
  serviceAccountKubeConfig,
  waitForJobCondition,
  waitUntil,
  type TestNamespace,
} from '../helpers/kubernetes';

jest.setTimeout(120_000);

describe('Kubernetes control plane of the test stack', () => {
  let admin: K8s.KubeConfig;
  let ns: TestNamespace;

  beforeAll(async () => {
    admin = adminKubeConfig();
    ns = await createTestNamespace('rh-stack');
  });
  afterAll(async () => {
    await ns?.delete();
  });

  it('serves /version of the release we built', async () => {
    const info = await admin.makeApiClient(k8s().VersionApi).getCode();
    // Our kubeconfigs name their cluster "roundhouse"; another cluster (KUBECONFIG
    // given from outside) runs whatever version it runs.
    const ours = admin.getCurrentCluster()?.name === 'roundhouse';
    expect(info.gitVersion).toMatch(ours ? new RegExp(`^v${KUBERNETES_VERSION.replace(/\./g, '\\.')}$`) : /^v1\.\d+\.\d+/);
    expect(info.major).toBe('1');
  });

  it('runs a Job to Complete on the kwok node', async () => {
    const batch = admin.makeApiClient(k8s().BatchV1Api);
    const name = 'smoke';
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              ...kwokPlacement,
              containers: [{ name: 'main', image: 'registry.invalid/never-pulled:1', command: ['true'] }],
            },
          },
        },
      },
    });

    const job = await waitForJobCondition(admin, ns.name, name, 'Complete', 90_000);
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.failed ?? 0).toBe(0);

    const pods = await admin.makeApiClient(k8s().CoreV1Api).listNamespacedPod({ namespace: ns.name, labelSelector: `job-name=${name}` });
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]?.spec?.nodeName).toBe(KWOK_NODE);
    expect(pods.items[0]?.status?.phase).toBe('Succeeded');
  });

  /** A Job of one pod on the kwok node; never retried unless `backoffLimit` says so. */
  const kwokJob = (name: string, opts: { annotations?: Record<string, string>; activeDeadlineSeconds?: number; backoffLimit?: number; podFailurePolicy?: K8s.V1PodFailurePolicy } = {}): K8s.V1Job => ({
    metadata: { name },
    spec: {
      backoffLimit: opts.backoffLimit ?? 0,
      activeDeadlineSeconds: opts.activeDeadlineSeconds,
      podFailurePolicy: opts.podFailurePolicy,
      template: {
        metadata: { annotations: opts.annotations },
        spec: { restartPolicy: 'Never', ...kwokPlacement, containers: [{ name: 'main', image: 'registry.invalid/never-pulled:1' }] },
      },
    },
  });

  it("ends a pod with the annotated exit code, which a Job's podFailurePolicy sees", async () => {
    const batch = admin.makeApiClient(k8s().BatchV1Api);
    // Retries allowed, but exit code 3 means "do not retry": one pod, then Failed.
    const podFailurePolicy = { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [3] } }] };
    await batch.createNamespacedJob({ namespace: ns.name, body: kwokJob('exits-3', { annotations: kwokBehaviour.exitCode(3), backoffLimit: 4, podFailurePolicy }) });

    const job = await waitForJobCondition(admin, ns.name, 'exits-3', 'Failed', 90_000);
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('PodFailurePolicy');
    const pods = await admin.makeApiClient(k8s().CoreV1Api).listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=exits-3' });
    expect(pods.items.map((p) => p.status?.phase)).toEqual(['Failed']);
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
  });

  it('keeps a held pod Running until the Job deadline fails it', async () => {
    const batch = admin.makeApiClient(k8s().BatchV1Api);
    await batch.createNamespacedJob({ namespace: ns.name, body: kwokJob('held', { annotations: kwokBehaviour.hold(), activeDeadlineSeconds: 3 }) });

    const core = admin.makeApiClient(k8s().CoreV1Api);
    await waitUntil('the held pod to run', async () => (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=held' })).items.some((p) => p.status?.phase === 'Running'));
    const job = await waitForJobCondition(admin, ns.name, 'held', 'Failed', 90_000);
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(job.status?.succeeded ?? 0).toBe(0);
  });

  it('authorizes with RBAC: a fresh ServiceAccount may not list Secrets until a Role grants it', async () => {
    const sa = await serviceAccountKubeConfig(ns.name, 'nobody', { admin });

    // The token does authenticate (a 401 would make the 403 below meaningless).
    const review = await sa.makeApiClient(k8s().AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns.name}:nobody`);

    const saCore = sa.makeApiClient(k8s().CoreV1Api);
    const refused = await saCore.listNamespacedSecret({ namespace: ns.name }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(apiStatus(refused)).toBe(403);

    const rbac = admin.makeApiClient(k8s().RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: ns.name, body: { metadata: { name: 'read-secrets' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'nobody-reads-secrets' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-secrets' },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: ns.name }],
      },
    });
    // The authorizer's informer sees the binding shortly after it is written.
    const secrets = await waitUntil('the RoleBinding to take effect', () => saCore.listNamespacedSecret({ namespace: ns.name }), { timeoutMs: 30_000 });
    expect(Array.isArray(secrets.items)).toBe(true);
    // Still nothing beyond the grant.
    const pods = await saCore.listNamespacedPod({ namespace: ns.name }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(apiStatus(pods)).toBe(403);
  });
});
