/**
 * The cluster guard rails of k8s/policy on the test stack's real API server
 * (kube-apiserver 1.36: ValidatingAdmissionPolicy GA and on by default, as is
 * Pod Security admission). The dev overlay, rendered by real kustomize (the
 * pinned v5.8.2) into a namespace of the test's own, is applied for real — its
 * Namespace, RBAC, ConfigMaps, the policy and its binding — and the
 * dispatcher's ServiceAccount, with a token from the TokenRequest API:
 *   - creates the Job the dispatcher builds (services/dispatcher/core/job.ts,
 *     from the rendered catalog and the settings the rendered env gives,
 *     trainer credentials by Secret reference), whose pod Pod Security
 *     admission ("restricted", enforced by the namespace) lets the Job
 *     controller create;
 *   - is refused that Job with a Secret mounted, another ServiceAccount, a
 *     non-catalog image, the services' Secrets as variables, a projected token,
 *     privileges; an administrator is not (the policy limits the dispatcher);
 *   - is refused every Job once the policy's parameters are gone (fail closed).
 * Issue 14: `jobs: create` + `pods/log: get` let that identity run a Job that
 * mounts any Secret of the namespace and read it from the log.
 */
import path from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { parseCatalog } from '../../lib/catalog';
import { loadConfig } from '../../lib/config';
import { kustomizeBinary, kustomizeBuild } from '../../scripts/kustomize/real';
import type { KubeObject } from '../../scripts/kustomize/render';
import { desiredJob, TRAINER_CONTAINER } from '../../services/dispatcher/core/job';
import { buildRunSpec, newRun } from '../../services/dispatcher/core/run';
import { jobOptionsFrom, loadDispatcherSettings } from '../../services/dispatcher/settings';
import { NONCE, request, T0 } from '../../services/dispatcher/testing/fixtures';
import { adminKubeConfig, createTestNamespace, serviceAccountKubeConfig, waitUntil, type TestNamespace } from '../helpers/kubernetes';
import { containersOf, field, list, type Obj } from '../helpers/rendered';
import { api, resourcePaths, serverApply, type ApiResponse, type PathOf } from '../helpers/server-apply';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const FIELD_MANAGER = 'roundhouse-job-policy-test';
const POLICY = 'roundhouse-dispatcher-jobs';
/** What is applied for real: everything but the workloads, their Services and the monitoring objects. */
const APPLIED = new Set(['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
/** The trainers' own credentials, the Secret k8s/policy allows (docs/deployment.md). */
const TRAINER_SECRET = 'roundhouse-trainer-credentials';

type Job = K8s.V1Job;
const pod = (job: Job): K8s.V1PodSpec => job.spec!.template.spec!;
const trainer = (job: Job): K8s.V1Container => pod(job).containers[0]!;

describe("k8s/policy on the API server: the Jobs the dispatcher's ServiceAccount may create", () => {
  let admin: K8s.KubeConfig;
  let dispatcher: K8s.KubeConfig;
  let ns: TestNamespace;
  let pathOf: PathOf;
  let objects: KubeObject[];
  let jobNumber = 0;

  /** The Job the dispatcher would create for the catalog's first model, under a fresh name. */
  let dispatcherJob: () => Job;

  const create = (kc: K8s.KubeConfig, job: Job, dryRun = false): Promise<ApiResponse> =>
    api(kc, 'POST', `/apis/batch/v1/namespaces/${ns.name}/jobs${dryRun ? '?dryRun=All' : ''}`, job);
  const refusal = (response: ApiResponse): string => (response.status < 300 ? `accepted (HTTP ${response.status})` : String(response.body.message));

  beforeAll(async () => {
    await kustomizeBinary();
    admin = adminKubeConfig();
    pathOf = resourcePaths(admin);
    ns = await createTestNamespace('rh-policy');
    objects = await kustomizeBuild(path.join(ROOT, 'k8s/overlays/dev'), { namespace: ns.name });
    for (const obj of objects.filter((o) => APPLIED.has(o.kind))) {
      const response = await serverApply(admin, pathOf, obj, { fieldManager: FIELD_MANAGER, dryRun: false });
      expect({ object: `${obj.kind}/${obj.metadata.name}`, applied: response.status < 300, message: response.body.message }).toEqual({ object: `${obj.kind}/${obj.metadata.name}`, applied: true, message: undefined });
    }
    dispatcher = await serviceAccountKubeConfig(ns.name, 'roundhouse-dispatcher', { admin });

    // The dispatcher's settings as its pod would parse them: the rendered env ConfigMap, its
    // Deployment's literal variables, what the cluster adds, and trainer credentials by reference.
    const configMap = (prefix: string): Record<string, string> => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(prefix))!.data as Record<string, string>;
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'roundhouse-dispatcher')!;
    const literals = Object.fromEntries(list(containersOf(deployment)[0]!.env).filter((e) => typeof e.value === 'string').map((e) => [String(e.name), String(e.value)]));
    const env: Record<string, string> = {
      ...configMap('roundhouse-env-'),
      ...literals,
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_NAMESPACE: ns.name,
      DISPATCHER_TRAINER_ENV_SECRET: TRAINER_SECRET,
      DISPATCHER_TRAINER_SECRET_REFS: `SCHEMA_REGISTRY_PASSWORD=${TRAINER_SECRET}/registry-password`,
    };
    const settings = loadDispatcherSettings(env, loadConfig(env));
    const catalog = parseCatalog(configMap('roundhouse-catalog-')['catalog.yaml']!, 'the rendered catalog');
    const model = catalog.models[0]!;
    dispatcherJob = () => {
      jobNumber += 1;
      const run = newRun(request({ requestId: `rr-policy-${jobNumber}`, modelId: model.id }), model, 'kubernetes', T0, NONCE);
      const runSpec = buildRunSpec(run, model, { artifactRoot: settings.app.artifactRoot });
      // As services/dispatcher/main.ts wires the executor.
      return desiredJob(run, model.training, runSpec, { namespace: ns.name, ...jobOptionsFrom(settings) });
    };

    // RBAC and the policy's informers take a moment: until a foreign image is refused by the policy (dry run).
    await waitUntil(
      'the RoleBinding and the job policy to take effect',
      async () => {
        const probe = dispatcherJob();
        trainer(probe).image = 'registry.invalid/not-in-the-catalog:1';
        const response = await create(dispatcher, probe, true);
        return response.status >= 400 && refusal(response).includes(`ValidatingAdmissionPolicy '${POLICY}'`);
      },
      { timeoutMs: 60_000 },
    );
  }, 20 * 60_000);
  afterAll(async () => {
    await ns?.delete();
  });

  it('the Job the dispatcher builds uses what the policy allows: the catalog image, the trainer ServiceAccount, the trainer credentials, the artifact claim', () => {
    const job = dispatcherJob();
    expect(trainer(job).image).toBe('ghcr.io/roundhouse/trainer:0.1.0');
    expect(pod(job).serviceAccountName).toBe('roundhouse-trainer');
    expect(trainer(job).envFrom).toEqual([{ secretRef: { name: TRAINER_SECRET } }]);
    expect((trainer(job).env ?? []).filter((e) => e.valueFrom).map((e) => e.valueFrom!.secretKeyRef?.name)).toEqual([TRAINER_SECRET]);
    expect((pod(job).volumes ?? []).map((v) => Object.keys(v).filter((k) => k !== 'name'))).toEqual([['emptyDir'], ['downwardAPI'], ['persistentVolumeClaim']]);
    expect(pod(job).volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName).toBe('roundhouse-artifacts');
  });

  it('the namespace enforces the restricted Pod Security Standard and is bound by the policy', async () => {
    const namespace = await api(admin, 'GET', `/api/v1/namespaces/${ns.name}`);
    expect(field(namespace.body, 'metadata', 'labels')).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'roundhouse.dev/job-policy': 'enforce',
    });
    // Enforced, not only warned about: an unconfined pod is refused, even to an administrator.
    const unconfined = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unconfined' }, spec: { containers: [{ name: 'main', image: 'registry.invalid/x:1' }] } };
    const response = await api(admin, 'POST', `/api/v1/namespaces/${ns.name}/pods?dryRun=All`, unconfined);
    expect({ status: response.status, message: refusal(response) }).toEqual({ status: 403, message: expect.stringMatching(/violates PodSecurity "restricted:latest"/) });
  });

  it("the dispatcher's token creates the dispatcher's Job, and Pod Security admission lets the Job controller create its pod", async () => {
    const job = dispatcherJob();
    const response = await create(dispatcher, job);
    expect({ status: response.status, message: response.body.message }).toEqual({ status: 201, message: undefined });
    const name = job.metadata!.name!;
    const pods = await waitUntil(
      `a pod of Job ${name}`,
      async () => {
        const listed = await api(admin, 'GET', `/api/v1/namespaces/${ns.name}/pods?labelSelector=${encodeURIComponent(`job-name=${name}`)}`);
        const items = list(listed.body.items);
        return items.length > 0 ? items : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(field(pods[0], 'spec', 'serviceAccountName')).toBe('roundhouse-trainer');
  });

  const mountSecret = (job: Job, secretName: string): void => {
    pod(job).volumes!.push({ name: 'stolen', secret: { secretName } });
    trainer(job).volumeMounts!.push({ name: 'stolen', mountPath: '/stolen', readOnly: true });
  };
  const cases: [string, (job: Job) => void, RegExp][] = [
    ['a Secret volume (the services’ Kafka credentials)', (job) => mountSecret(job, 'roundhouse-credentials'), /volume\(s\) stolen: .*no Secret/],
    ['a Secret volume of the allowed trainer credentials (variables only, never files)', (job) => mountSecret(job, TRAINER_SECRET), /volume\(s\) stolen: .*no Secret/],
    [
      'a projected ServiceAccount token',
      (job) => {
        pod(job).volumes!.push({ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } });
        trainer(job).volumeMounts!.push({ name: 'token', mountPath: '/token' });
      },
      /volume\(s\) token: /,
    ],
    ['another ServiceAccount (the dispatcher’s own)', (job) => (pod(job).serviceAccountName = 'roundhouse-dispatcher'), /runs as ServiceAccount roundhouse-dispatcher, not a trainer ServiceAccount/],
    ['another ServiceAccount (the namespace default)', (job) => (pod(job).serviceAccountName = 'default'), /runs as ServiceAccount default, not a trainer ServiceAccount/],
    ['no ServiceAccount named', (job) => delete pod(job).serviceAccountName, /runs as ServiceAccount \(the namespace default\)/],
    ['an API token mounted', (job) => (pod(job).automountServiceAccountToken = true), /automountServiceAccountToken must be false/],
    ['a non-catalog image', (job) => (trainer(job).image = 'registry.invalid/miner:latest'), /container\(s\) trainer \(registry\.invalid\/miner:latest\): not a trainer image of the catalog/],
    [
      'a non-catalog image in an init container',
      (job) => (pod(job).initContainers = [{ ...structuredClone(trainer(job)), name: 'init', image: 'busybox:1' }]),
      /container\(s\) init \(busybox:1\): not a trainer image/,
    ],
    ['the services’ Secret as envFrom', (job) => trainer(job).envFrom!.push({ secretRef: { name: 'roundhouse-credentials' } }), new RegExp(`container\\(s\\) ${TRAINER_CONTAINER}: variables from a Secret other than the trainer credentials`)],
    [
      'the API tokens as a secretKeyRef',
      (job) => trainer(job).env!.push({ name: 'STOLEN', valueFrom: { secretKeyRef: { name: 'roundhouse-dispatcher-api', key: 'tokens' } } }),
      /variables from a Secret other than the trainer credentials \(ConfigMap roundhouse-job-policy, secrets: roundhouse-trainer-credentials\)/,
    ],
    // (privileged: true the API server refuses itself, without --allow-privileged.)
    ['privilege escalation', (job) => (trainer(job).securityContext!.allowPrivilegeEscalation = true), /container\(s\) trainer: the securityContext must/],
    ['a writable root filesystem', (job) => (trainer(job).securityContext!.readOnlyRootFilesystem = false), /container\(s\) trainer: the securityContext must/],
    ['an added capability', (job) => (trainer(job).securityContext!.capabilities = { drop: ['ALL'], add: ['NET_ADMIN'] }), /container\(s\) trainer: the securityContext must/],
    ['root', (job) => (pod(job).securityContext = { ...pod(job).securityContext, runAsNonRoot: false, runAsUser: 0 }), /runAsNonRoot: true/],
    ['the node’s network', (job) => (pod(job).hostNetwork = true), /node's network/],
    ['a hostPath volume', (job) => pod(job).volumes!.push({ name: 'host', hostPath: { path: '/' } }), /volume\(s\) host: /],
    ['another claim', (job) => pod(job).volumes!.push({ name: 'other', persistentVolumeClaim: { claimName: 'someone-elses-data' } }), /volume\(s\) other: /],
  ];

  it.each(cases)("the dispatcher's token is refused the Job with %s", async (_what, change, message) => {
    const job = dispatcherJob();
    change(job);
    const response = await create(dispatcher, job);
    // 422 Invalid: the policy's denial (RBAC's would be 403).
    expect({ status: response.status, message: refusal(response) }).toEqual({
      status: 422,
      message: expect.stringMatching(new RegExp(`ValidatingAdmissionPolicy '${POLICY}' with binding '${POLICY}' denied request: .*${message.source}`)),
    });
  });

  it('an administrator is not limited by the policy (it binds the dispatcher’s identity only)', async () => {
    const job = dispatcherJob();
    trainer(job).image = 'registry.invalid/an-operators-own:1';
    mountSecret(job, 'roundhouse-credentials');
    const response = await create(admin, job, true);
    expect({ status: response.status, message: response.body.message }).toEqual({ status: 201, message: undefined });
  });

  it("the policy's update check: the dispatcher may patch its Job's labels, not a Job made unlawful by someone else", async () => {
    const job = dispatcherJob();
    expect((await create(dispatcher, job)).status).toBe(201);
    const patch = { metadata: { labels: { 'roundhouse.dev/probe': 'patched' } } };
    const patched = await api(dispatcher, 'PATCH', `/apis/batch/v1/namespaces/${ns.name}/jobs/${job.metadata!.name!}`, patch, 'application/merge-patch+json');
    expect({ status: patched.status, message: patched.body.message }).toEqual({ status: 200, message: undefined });

    const foreign = dispatcherJob();
    trainer(foreign).image = 'registry.invalid/an-operators-own:1';
    expect((await create(admin, foreign)).status).toBe(201);
    const refused = await api(dispatcher, 'PATCH', `/apis/batch/v1/namespaces/${ns.name}/jobs/${foreign.metadata!.name!}`, patch, 'application/merge-patch+json');
    expect({ status: refused.status, message: refusal(refused) }).toEqual({ status: 422, message: expect.stringMatching(/not a trainer image of the catalog/) });
  });

  // Last: it removes the parameters.
  it('without its parameters (the ConfigMap roundhouse-job-policy gone) every Job of the dispatcher is refused, not allowed', async () => {
    const params = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'roundhouse-job-policy')!;
    expect(params.data as Obj).toEqual({
      images: expect.stringContaining('\nghcr.io/roundhouse/trainer:0.1.0\n'),
      serviceAccounts: 'roundhouse-trainer',
      secrets: TRAINER_SECRET,
      claims: 'roundhouse-artifacts',
    });
    const deleted = await api(admin, 'DELETE', `/api/v1/namespaces/${ns.name}/configmaps/roundhouse-job-policy`);
    expect(deleted.status).toBe(200);
    const response = await waitUntil(
      'the policy to miss its parameters',
      async () => {
        const attempt = await create(dispatcher, dispatcherJob(), true);
        return attempt.status >= 400 ? attempt : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect({ status: response.status, message: refusal(response) }).toEqual({ status: 422, message: expect.stringMatching(/no params found for policy binding with `Deny` parameterNotFoundAction/) });
  });
});
