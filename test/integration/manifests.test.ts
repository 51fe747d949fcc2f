/**
 * k8s/ against the real API server of the test stack: the base and the dev
 * overlay are rendered by real kustomize (the pinned v5.8.2 of
 * scripts/kustomize-v5, through a temporary overlay that sets a random
 * namespace: scripts/kustomize/real.ts)
 * and every object is server-side applied with dryRun=All and
 * fieldValidation=Strict — what `kubectl apply --server-side --dry-run=server`
 * does — so schema errors, unknown or duplicate fields and invalid values are
 * refused by the server itself. The namespace enforces (and warns about) the
 * "restricted" Pod Security Standard, and the server's warnings must be empty.
 * The security, probe and wiring assertions then read the objects as the
 * server returned them.
 *
 * The requests go through test/helpers/server-apply.ts (raw HTTPS, so the
 * server sees every field as written). What the job policy (k8s/policy) lets
 * the dispatcher's identity create: test/integration/job-policy.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { kustomizeBinary, kustomizeBuild } from '../../scripts/kustomize/real';
import type { KubeObject } from '../../scripts/kustomize/render';
import { adminKubeConfig, apiStatus, createTestNamespace, k8s, serviceAccountKubeConfig, waitUntil, type TestNamespace } from '../helpers/kubernetes';
import { enforceRestricted, installMonitoringCrds, psaCanary, resourcePaths, serverApply, type ApiResponse, type Obj, type PathOf } from '../helpers/server-apply';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const FIELD_MANAGER = 'roundhouse-manifests-test';

const apply = (kc: K8s.KubeConfig, pathOf: PathOf, obj: KubeObject, dryRun = true): Promise<ApiResponse> => serverApply(kc, pathOf, obj, { fieldManager: FIELD_MANAGER, dryRun });

// Reading the server's answers: small typed accessors over plain JSON.
const field = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], value);
const list = (value: unknown): Obj[] => (Array.isArray(value) ? (value as Obj[]) : []);

interface Applied {
  readonly sent: KubeObject;
  readonly response: ApiResponse;
}

const SERVICES = ['trigger', 'dispatcher', 'evaluator'] as const;

describe('k8s/ manifests on the API server (server-side apply, dry run)', () => {
  let admin: K8s.KubeConfig;
  let ns: TestNamespace;
  let pathOf: PathOf;
  const rendered = new Map<string, Applied[]>();

  const applyAll = async (dir: string): Promise<Applied[]> => {
    const objects = await kustomizeBuild(path.join(ROOT, dir), { namespace: ns.name });
    const applied: Applied[] = [];
    for (const obj of objects) applied.push({ sent: obj, response: await apply(admin, pathOf, obj) });
    rendered.set(dir, applied);
    return applied;
  };
  const deployment = (dir: string, service: string): Obj => {
    const found = rendered.get(dir)?.find((a) => a.sent.kind === 'Deployment' && a.sent.metadata.name === `roundhouse-${service}`);
    if (!found) throw new Error(`${dir}: no Deployment roundhouse-${service} was applied`);
    return found.response.body;
  };
  const configMapData = (dir: string, name: string): Record<string, string> => {
    const found = rendered.get(dir)?.find((a) => a.sent.kind === 'ConfigMap' && a.sent.metadata.name === name);
    if (!found) throw new Error(`${dir}: no ConfigMap ${name}`);
    return found.response.body.data as Record<string, string>;
  };

  beforeAll(async () => {
    admin = adminKubeConfig();
    pathOf = resourcePaths(admin);
    ns = await createTestNamespace('rh-manifests');
    // Pod Security admission judges workload templates too and answers with warnings.
    await enforceRestricted(admin, ns.name);
    await installMonitoringCrds(admin, pathOf, FIELD_MANAGER);
    // Built from the Go module proxy on first use (.ci/run builds it before jest).
    await kustomizeBinary();
  }, 20 * 60_000);
  afterAll(async () => {
    await ns?.delete();
  });

  it('the namespace reports Pod Security violations (the warnings check below can fail)', async () => {
    const unconfined = psaCanary(ns.name);
    const response = await apply(admin, pathOf, unconfined);
    expect({ accepted: response.status < 300, message: response.body.message }).toEqual({ accepted: true, message: undefined });
    expect(response.warnings.join('\n')).toMatch(/would violate PodSecurity/);
  });

  it.each(['k8s/base', 'k8s/overlays/dev'])('%s: the server accepts every object, without warnings', async (dir) => {
    const applied = await applyAll(dir);
    const refused = applied.filter((a) => a.response.status >= 300).map((a) => `${a.sent.kind}/${a.sent.metadata.name}: HTTP ${a.response.status} ${String(a.response.body.message)}`);
    expect(refused).toEqual([]);
    const warned = applied.flatMap((a) => a.response.warnings.map((w) => `${a.sent.kind}/${a.sent.metadata.name}: ${w}`));
    expect(warned).toEqual([]);

    const kinds: Record<string, number> = {};
    for (const a of applied) kinds[a.sent.kind] = (kinds[a.sent.kind] ?? 0) + 1;
    expect(kinds).toEqual({
      Namespace: 1, // Pod Security "restricted", the job policy's label (k8s/policy)
      ValidatingAdmissionPolicy: 1, // what the dispatcher's Jobs may be, and its binding
      ValidatingAdmissionPolicyBinding: 1,
      ServiceAccount: 3, // dispatcher, evaluator, trainer (k8s/rbac)
      Role: 2, // dispatcher, evaluator (its Lease)
      RoleBinding: 2,
      Deployment: 3,
      Service: 3,
      PodDisruptionBudget: 3,
      PersistentVolumeClaim: 1,
      NetworkPolicy: 4,
      ServiceMonitor: 3,
      PrometheusRule: 1,
      ConfigMap: 4, // env, catalog, dashboard, the job policy's parameters
    });
    const CLUSTER_SCOPED = ['Namespace', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'];
    for (const a of applied) expect(`${a.sent.kind} ${String(field(a.response.body, 'metadata', 'namespace'))}`).toBe(`${a.sent.kind} ${CLUSTER_SCOPED.includes(a.sent.kind) ? 'undefined' : ns.name}`);
    // kustomize renamed the Namespace object to the namespace it installs into.
    expect(applied.find((a) => a.sent.kind === 'Namespace')?.response.body.metadata).toMatchObject({ name: ns.name });
  });

  it.each(['k8s/base', 'k8s/overlays/dev'])('%s: every container is locked down and probed', (dir) => {
    const env = configMapData(dir, String(rendered.get(dir)!.find((a) => a.sent.kind === 'ConfigMap' && a.sent.metadata.name.startsWith('roundhouse-env-'))!.sent.metadata.name));
    for (const service of SERVICES) {
      const pod = field(deployment(dir, service), 'spec', 'template', 'spec') as Obj;
      expect(field(pod, 'securityContext', 'runAsNonRoot')).toBe(true);
      expect(field(pod, 'securityContext', 'seccompProfile', 'type')).toBe('RuntimeDefault');
      const containers = [...list(pod.initContainers), ...list(pod.containers)];
      expect(containers.map((c) => c.name)).toEqual([service]);
      for (const container of containers) {
        const where = `${dir} ${service}/${String(container.name)}`;
        const security = container.securityContext as Obj;
        expect({ where, runAsNonRoot: security.runAsNonRoot, allowPrivilegeEscalation: security.allowPrivilegeEscalation, readOnlyRootFilesystem: security.readOnlyRootFilesystem }).toEqual({
          where,
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
        });
        expect(field(security, 'capabilities', 'drop')).toEqual(['ALL']);
        expect(field(security, 'capabilities', 'add')).toBeUndefined();
        expect(field(security, 'seccompProfile', 'type')).toBe('RuntimeDefault');
        expect(security.privileged).not.toBe(true);

        expect(container.command).toEqual(['node', `dist/services/${service}/main.js`]);
        for (const kind of ['requests', 'limits']) {
          expect(field(container, 'resources', kind, 'cpu')).toEqual(expect.any(String));
          expect(field(container, 'resources', kind, 'memory')).toEqual(expect.any(String));
        }
        // /tmp is the only writable path, an emptyDir.
        const tmp = list(container.volumeMounts).find((m) => m.mountPath === '/tmp');
        expect(list(pod.volumes).find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();

        // Probes hit the port the probe server really listens on (lib/config: METRICS_PORT), for the
        // dispatcher too: its API port (DISPATCHER_PORT) serves neither probes nor /metrics (issue 14).
        const listening = Number(env.METRICS_PORT);
        const portNamed = (name: unknown): number | undefined => list(container.ports).find((p) => p.name === name)?.containerPort as number | undefined;
        expect({ where, metrics: portNamed('metrics') }).toEqual({ where, metrics: listening });
        if (service === 'dispatcher') {
          expect(portNamed('http')).toBe(Number(env.DISPATCHER_PORT));
          expect(portNamed('http')).not.toBe(listening);
        }
        for (const [probe, probePath] of [['startupProbe', '/healthz'], ['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
          expect({ where, probe, path: field(container, probe, 'httpGet', 'path'), port: portNamed(field(container, probe, 'httpGet', 'port')) }).toEqual({ where, probe, path: probePath, port: listening });
        }
        // Configuration: the generated env ConfigMap and the catalog, by their hashed names.
        expect(list(container.envFrom).map((from) => field(from, 'configMapRef', 'name')).filter(Boolean)).toEqual([expect.stringMatching(/^roundhouse-env-[a-z0-9]{10}$/)]);
        const catalogMount = list(container.volumeMounts).find((m) => m.mountPath === '/etc/roundhouse');
        const catalogVolume = list(pod.volumes).find((v) => v.name === catalogMount?.name);
        expect(String(field(catalogVolume, 'configMap', 'name'))).toMatch(/^roundhouse-catalog-[a-z0-9]{10}$/);
        expect(env.ROUNDHOUSE_CATALOG).toBe('/etc/roundhouse/catalog.yaml');
        const instanceId = list(container.env).find((e) => e.name === 'ROUNDHOUSE_INSTANCE_ID');
        expect(field(instanceId, 'valueFrom', 'fieldRef', 'fieldPath')).toBe('metadata.name');
      }
    }
  });

  it('wires the dispatcher to its ServiceAccount, namespace, Lease and API token Secret, the evaluator to its ServiceAccount and Lease; the trigger gets no token', () => {
    const dispatcher = field(deployment('k8s/base', 'dispatcher'), 'spec', 'template', 'spec') as Obj;
    expect(dispatcher.serviceAccountName).toBe('roundhouse-dispatcher');
    const env = list(field(dispatcher, 'containers', '0', 'env'));
    const entry = (entries: Obj[], name: string): Obj | undefined => entries.find((e) => e.name === name);
    expect(field(entry(env, 'KUBERNETES_NAMESPACE'), 'valueFrom', 'fieldRef', 'fieldPath')).toBe('metadata.namespace');
    expect(field(entry(env, 'DISPATCHER_API_TOKENS'), 'valueFrom', 'secretKeyRef')).toEqual({ name: 'roundhouse-dispatcher-api', key: 'tokens', optional: true });
    // The standby forwards API calls to the URL the leader advertises: its pod IP, defined before the URL that expands it.
    const names = env.map((e) => e.name);
    expect(field(entry(env, 'POD_IP'), 'valueFrom', 'fieldRef', 'fieldPath')).toBe('status.podIP');
    expect(entry(env, 'DISPATCHER_ADVERTISE_URL')?.value).toBe('http://$(POD_IP):8080');
    expect(names.indexOf('POD_IP')).toBeLessThan(names.indexOf('DISPATCHER_ADVERTISE_URL'));
    expect(entry(env, 'DISPATCHER_LEASE_NAME')?.value).toBe('roundhouse-dispatcher');
    const evaluator = field(deployment('k8s/base', 'evaluator'), 'spec', 'template', 'spec') as Obj;
    expect([evaluator.serviceAccountName, evaluator.automountServiceAccountToken]).toEqual(['roundhouse-evaluator', true]);
    const evaluatorEnv = list(field(evaluator, 'containers', '0', 'env'));
    expect(entry(evaluatorEnv, 'EVALUATOR_LEASE_NAME')?.value).toBe('roundhouse-evaluator');
    expect(field(entry(evaluatorEnv, 'KUBERNETES_NAMESPACE'), 'valueFrom', 'fieldRef', 'fieldPath')).toBe('metadata.namespace');
    expect(field(deployment('k8s/base', 'trigger'), 'spec', 'template', 'spec', 'automountServiceAccountToken')).toBe(false);

    for (const dir of ['k8s/base', 'k8s/overlays/dev']) {
      for (const name of ['roundhouse-dispatcher', 'roundhouse-evaluator']) {
        const binding = rendered.get(dir)!.find((a) => a.sent.kind === 'RoleBinding' && a.sent.metadata.name === name)!.response.body;
        expect({ dir, subjects: binding.subjects }).toEqual({ dir, subjects: [{ kind: 'ServiceAccount', name, namespace: ns.name }] });
      }
      // Each Role may get and update its own Lease only, by the name its Deployment uses.
      for (const service of ['dispatcher', 'evaluator']) {
        const role = rendered.get(dir)!.find((a) => a.sent.kind === 'Role' && a.sent.metadata.name === `roundhouse-${service}`)!.response.body;
        const leaseRules = list(role.rules).filter((r) => (r.apiGroups as unknown[] | undefined)?.includes('coordination.k8s.io'));
        expect({ dir, service, leaseRules }).toEqual({
          dir,
          service,
          leaseRules: [
            { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
            { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [`roundhouse-${service}`], verbs: ['get', 'update'] },
          ],
        });
      }
    }
  });

  it.each([
    ['k8s/base', 'roundhouse'],
    ['k8s/overlays/dev', 'roundhouse-dev'],
    ['k8s/rbac', 'roundhouse'],
  ])("%s as it ships: the RoleBinding names the dispatcher's ServiceAccount in the namespace it installs into (issue 14: dev kept roundhouse)", async (dir, namespace) => {
    const objects = await kustomizeBuild(path.join(ROOT, dir));
    for (const name of ['roundhouse-dispatcher', 'roundhouse-evaluator']) {
      const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === name)!;
      const account = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === name)!;
      expect(account.metadata.namespace).toBe(namespace);
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name, namespace }]);
    }
    // The base and the overlay bring their namespace, enforcing the restricted Pod Security Standard and bound by the job policy.
    const namespaces = objects.filter((o) => o.kind === 'Namespace');
    if (dir === 'k8s/rbac') expect(namespaces).toEqual([]);
    else {
      expect(namespaces.map((o) => o.metadata.name)).toEqual([namespace]);
      expect(namespaces[0]!.metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
        'roundhouse.dev/job-policy': 'enforce',
      });
    }
  });

  it("with the dev overlay's real kustomize output applied, the dispatcher's ServiceAccount token may create a Job there, and may not read Secrets; the evaluator's may take its Lease only", async () => {
    const objects = await kustomizeBuild(path.join(ROOT, 'k8s/overlays/dev'), { namespace: ns.name });
    for (const obj of objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind))) {
      const response = await apply(admin, pathOf, obj, false);
      expect({ object: `${obj.kind}/${obj.metadata.name}`, status: response.status < 300 }).toEqual({ object: `${obj.kind}/${obj.metadata.name}`, status: true });
    }
    const dispatcher = await serviceAccountKubeConfig(ns.name, 'roundhouse-dispatcher', { admin });
    const job = {
      metadata: { name: 'rbac-probe' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.invalid/x:1', command: ['true'] }] } } },
    };
    // Authorization is checked on dry-run creates too; nothing runs.
    const created = await waitUntil(
      'the RoleBinding to take effect',
      () =>
        dispatcher
          .makeApiClient(k8s().BatchV1Api)
          .createNamespacedJob({ namespace: ns.name, body: job, dryRun: 'All' })
          .then(() => 'created')
          .catch((error: unknown) => (apiStatus(error) === 403 ? undefined : Promise.reject(error))),
      { timeoutMs: 30_000 },
    );
    expect(created).toBe('created');
    const secrets = await dispatcher
      .makeApiClient(k8s().CoreV1Api)
      .listNamespacedSecret({ namespace: ns.name })
      .then(
        () => 200,
        (error: unknown) => apiStatus(error),
      );
    expect(secrets).toBe(403);

    // The evaluator's token may take its own Lease, and nothing else: no Job, no Secret, not the dispatcher's Lease.
    const evaluator = await serviceAccountKubeConfig(ns.name, 'roundhouse-evaluator', { admin });
    const leases = evaluator.makeApiClient(k8s().CoordinationV1Api);
    const status = (call: Promise<unknown>): Promise<number | undefined> =>
      call.then(
        () => 200,
        (error: unknown) => apiStatus(error),
      );
    const lease = (name: string) => ({ metadata: { name }, spec: { holderIdentity: 'probe', leaseDurationSeconds: 15 } });
    expect(await status(leases.createNamespacedLease({ namespace: ns.name, body: lease('roundhouse-evaluator'), dryRun: 'All' }))).toBe(200);
    expect(await status(leases.readNamespacedLease({ name: 'roundhouse-evaluator', namespace: ns.name }))).toBe(404);
    expect(await status(leases.readNamespacedLease({ name: 'roundhouse-dispatcher', namespace: ns.name }))).toBe(403);
    expect(await status(evaluator.makeApiClient(k8s().BatchV1Api).createNamespacedJob({ namespace: ns.name, body: job, dryRun: 'All' }))).toBe(403);
    expect(await status(evaluator.makeApiClient(k8s().CoreV1Api).listNamespacedSecret({ namespace: ns.name }))).toBe(403);
    expect(await status(dispatcher.makeApiClient(k8s().CoordinationV1Api).readNamespacedLease({ name: 'roundhouse-dispatcher', namespace: ns.name }))).toBe(404);
  });

  it('the dev overlay: one trigger, smaller requests, the local image, dev Kafka; the base keeps two triggers; two dispatchers and two evaluators everywhere', () => {
    expect(field(deployment('k8s/base', 'trigger'), 'spec', 'replicas')).toBe(2);
    expect(field(deployment('k8s/overlays/dev', 'trigger'), 'spec', 'replicas')).toBe(1);
    // Two of each, one leading (lib/leader); rolling updates, since the Lease is the fence.
    for (const service of ['dispatcher', 'evaluator']) {
      for (const dir of ['k8s/base', 'k8s/overlays/dev']) {
        expect({ dir, service, replicas: field(deployment(dir, service), 'spec', 'replicas'), strategy: field(deployment(dir, service), 'spec', 'strategy') }).toEqual({
          dir,
          service,
          replicas: 2,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        });
      }
    }
    for (const service of SERVICES) {
      const base = field(deployment('k8s/base', service), 'spec', 'template', 'spec', 'containers', '0') as Obj;
      const dev = field(deployment('k8s/overlays/dev', service), 'spec', 'template', 'spec', 'containers', '0') as Obj;
      expect(base.image).toBe('ghcr.io/roundhouse/roundhouse:0.1.0');
      expect(dev.image).toBe('roundhouse:dev');
      // Strategic merge kept everything the patch did not name.
      expect(dev.securityContext).toEqual(base.securityContext);
      expect(field(dev, 'resources', 'requests', 'memory')).not.toEqual(field(base, 'resources', 'requests', 'memory'));
    }
    const devEnv = configMapData('k8s/overlays/dev', String(rendered.get('k8s/overlays/dev')!.find((a) => a.sent.metadata.name.startsWith('roundhouse-env-'))!.sent.metadata.name));
    expect(devEnv.KAFKA_BROKERS).toBe('dev-kafka-bootstrap.kafka.svc:9092');
    expect(devEnv.KAFKA_REPLICATION_FACTOR).toBe('1');
    // merged, not replaced: the base's other settings survive
    expect(devEnv.DISPATCHER_TRAINER_SERVICE_ACCOUNT).toBe('roundhouse-trainer');
  });

  it('ships the catalog, the dashboard and the alert rules from their sources', () => {
    const applied = rendered.get('k8s/base')!;
    const catalog = applied.find((a) => a.sent.metadata.name.startsWith('roundhouse-catalog-'))!.response.body.data as Record<string, string>;
    expect(catalog['catalog.yaml']).toBe(readFileSync(path.join(ROOT, 'config', 'catalog.yaml'), 'utf8'));
    const dashboard = applied.find((a) => a.sent.metadata.name === 'roundhouse-dashboard')!.response.body;
    expect(field(dashboard, 'metadata', 'labels', 'grafana_dashboard')).toBe('1');
    expect((dashboard.data as Record<string, string>)['roundhouse.json']).toBe(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'dashboards', 'roundhouse.json'), 'utf8'));
    const rule = applied.find((a) => a.sent.kind === 'PrometheusRule')!.response.body;
    const alerts = list(field(rule, 'spec', 'groups', '0', 'rules')).map((r) => r.alert);
    expect(alerts).toEqual(expect.arrayContaining(['RoundhouseDeadLettersGrowing', 'RoundhouseRunStuck', 'RoundhouseNoEvents', 'RoundhouseConsumerLagHigh', 'RoundhouseTriggerNotReady']));
    const monitors = applied.filter((a) => a.sent.kind === 'ServiceMonitor').map((a) => [field(a.response.body, 'spec', 'selector', 'matchLabels', 'app.kubernetes.io/name'), field(a.response.body, 'spec', 'endpoints', '0', 'port')]);
    // kustomize orders its output by kind and name.
    expect(monitors.sort()).toEqual([
      ['roundhouse-dispatcher', 'metrics'],
      ['roundhouse-evaluator', 'metrics'],
      ['roundhouse-trigger', 'metrics'],
    ]);
    // Each monitored Service has that port, and Prometheus may reach the metrics port only, not the API.
    for (const name of ['roundhouse-trigger', 'roundhouse-dispatcher', 'roundhouse-evaluator']) {
      const service = applied.find((a) => a.sent.kind === 'Service' && a.sent.metadata.name === name)!.response.body;
      expect({ name, metrics: list(field(service, 'spec', 'ports')).find((p) => p.name === 'metrics')?.port }).toEqual({ name, metrics: 9464 });
    }
    const prometheus = applied.find((a) => a.sent.kind === 'NetworkPolicy' && a.sent.metadata.name === 'roundhouse-allow-prometheus')!.response.body;
    expect(list(field(prometheus, 'spec', 'ingress', '0', 'ports')).map((p) => p.port)).toEqual([9464]);
  });
});
