/**
 * The Helm chart (deploy/helm/roundhouse) against the real API server of the
 * test stack, as test/integration/manifests.test.ts does for k8s/: the output
 * of `helm template` (the default values, every toggle on, the s3 store) goes
 * into a random namespace that enforces the "restricted" Pod Security
 * Standard, each object server-side applied with dryRun=All and
 * fieldValidation=Strict, and the server must accept every object without a
 * warning. ServiceMonitor and PrometheusRule need the Prometheus Operator's
 * kinds: the minimal CRDs of test/integration/fixtures/monitoring-crds.yaml
 * are installed first, as for the kustomize test.
 * Then the life cycle docs/deployment.md describes, for real: helm install,
 * upgrade (a value and the catalog), rollback and uninstall.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import type { KubeObject } from '../../scripts/kustomize/render';
import { CHART_DIR, helm, helmBinary, renderChart, type HelmResult } from '../helpers/helm';
import { adminKubeConfig, createTestNamespace, waitUntil, type TestNamespace } from '../helpers/kubernetes';
import { containersOf, field, podSpec } from '../helpers/rendered';
import { api, enforceRestricted, installMonitoringCrds, psaCanary, resourcePaths, serverApply, type ApiResponse, type PathOf } from '../helpers/server-apply';

jest.setTimeout(180_000);

const FIELD_MANAGER = 'roundhouse-helm-test';

interface Applied {
  readonly sent: KubeObject;
  readonly response: ApiResponse;
}

const succeeded = (result: HelmResult): { code: number | null; stderr: string } => ({ code: result.code, stderr: result.stderr });

beforeAll(async () => {
  // A cold build takes minutes (`npx tsx test/stack/cli.ts prepare` does it before jest in CI).
  await helmBinary();
}, 30 * 60_000);

describe('the Helm chart on the API server (server-side apply, dry run)', () => {
  let admin: K8s.KubeConfig;
  let ns: TestNamespace;
  let pathOf: PathOf;
  let kubeVersion: string;

  beforeAll(async () => {
    admin = adminKubeConfig();
    pathOf = resourcePaths(admin);
    ns = await createTestNamespace('rh-helm');
    await enforceRestricted(admin, ns.name);
    await installMonitoringCrds(admin, pathOf, FIELD_MANAGER);
    // Rendered for the server it is applied to (.Capabilities.KubeVersion, the chart's kubeVersion check).
    const version = await api(admin, 'GET', '/version');
    kubeVersion = String(version.body.gitVersion);
    expect(kubeVersion).toMatch(/^v1\.\d+\.\d+/);
  });
  afterAll(async () => {
    await ns?.delete();
  });

  it('the namespace reports Pod Security violations (the warnings check below can fail)', async () => {
    const unconfined = psaCanary(ns.name);
    const response = await serverApply(admin, pathOf, unconfined, { fieldManager: FIELD_MANAGER });
    expect({ accepted: response.status < 300, message: response.body.message }).toEqual({ accepted: true, message: undefined });
    expect(response.warnings.join('\n')).toMatch(/would violate PodSecurity/);
  });

  it.each([
    // 3 of each: the evaluator's ServiceAccount, Role and RoleBinding (its Lease).
    ['the default values', [], 23],
    ['every toggle on (ci/all-on-values.yaml)', ['ci/all-on-values.yaml'], 28],
    ['the s3 store (ci/s3-values.yaml)', ['ci/s3-values.yaml'], 22],
  ])('%s: the server accepts every object helm template renders, without warnings', async (_name, valuesFiles, count) => {
    const objects = await renderChart({ namespace: ns.name, valuesFiles, kubeVersion });
    expect(objects).toHaveLength(count);
    const applied: Applied[] = [];
    for (const obj of objects) applied.push({ sent: obj, response: await serverApply(admin, pathOf, obj, { fieldManager: FIELD_MANAGER }) });

    const refused = applied.filter((a) => a.response.status >= 300).map((a) => `${a.sent.kind}/${a.sent.metadata.name}: HTTP ${a.response.status} ${String(a.response.body.message)}`);
    expect(refused).toEqual([]);
    const warned = applied.flatMap((a) => a.response.warnings.map((w) => `${a.sent.kind}/${a.sent.metadata.name}: ${w}`));
    expect(warned).toEqual([]);
    for (const a of applied) expect(`${a.sent.kind}/${a.sent.metadata.name} ${String(field(a.response.body, 'metadata', 'namespace'))}`).toBe(`${a.sent.kind}/${a.sent.metadata.name} ${ns.name}`);

    // The Deployments as the server returns them (defaulted, nothing pruned) still carry the lock-down.
    const deployments = applied.filter((a) => a.sent.kind === 'Deployment').map((a) => a.response.body);
    expect(deployments).toHaveLength(3);
    for (const d of deployments) {
      expect(field(podSpec(d), 'securityContext', 'runAsNonRoot')).toBe(true);
      expect(field(podSpec(d), 'securityContext', 'seccompProfile', 'type')).toBe('RuntimeDefault');
      for (const c of containersOf(d)) {
        expect(field(c, 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
        expect(field(c, 'securityContext', 'allowPrivilegeEscalation')).toBe(false);
        expect(field(c, 'securityContext', 'capabilities', 'drop')).toEqual(['ALL']);
      }
    }
  });
});

describe('helm install, upgrade, rollback and uninstall on the API server', () => {
  let admin: K8s.KubeConfig;
  let ns: TestNamespace;
  let dir: string;

  beforeAll(async () => {
    admin = adminKubeConfig();
    ns = await createTestNamespace('rh-helm-release');
    await enforceRestricted(admin, ns.name);
    dir = mkdtempSync(path.join(os.tmpdir(), 'rh-helm-release-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await ns?.delete();
  });

  const get = async (urlPath: string): Promise<ApiResponse> => api(admin, 'GET', urlPath);
  const trigger = (): Promise<ApiResponse> => get(`/apis/apps/v1/namespaces/${ns.name}/deployments/roundhouse-trigger`);
  const release = (args: string[]): Promise<HelmResult> => helm([...args, '--namespace', ns.name, '--kubeconfig', String(process.env.KUBECONFIG)]);

  it('installs (NOTES say how to reach the API), upgrades a value and the catalog (the pods roll), rolls back and uninstalls (keeping the artifact claim)', async () => {
    const installed = await release(['install', 'roundhouse', CHART_DIR]);
    expect(succeeded(installed)).toEqual({ code: 0, stderr: '' });
    expect(installed.stdout).toContain('STATUS: deployed');
    expect(installed.stdout).toContain(`kubectl -n ${ns.name} port-forward svc/roundhouse-dispatcher 8080:8080 9464:9464`);
    expect(installed.stdout).toContain('dispatcher  roundhouse-dispatcher  (API on 8080; /metrics and probes on 9464)');
    const first = await trigger();
    expect(first.status).toBe(200);
    expect(field(first.body, 'spec', 'replicas')).toBe(2);
    const listed = await get(`/api/v1/namespaces/${ns.name}/configmaps?labelSelector=app.kubernetes.io%2Finstance%3Droundhouse`);
    expect(((listed.body.items ?? []) as KubeObject[]).map((o) => o.metadata.name).sort()).toEqual(['roundhouse-catalog', 'roundhouse-env']);
    // The pods the ReplicaSets make are admitted by the restricted namespace (none runs: no node takes them).
    await waitUntil('the trigger pods to be created', async () => {
      const pods = await get(`/api/v1/namespaces/${ns.name}/pods?labelSelector=app.kubernetes.io%2Fname%3Droundhouse-trigger`);
      return ((pods.body.items ?? []) as unknown[]).length === 2;
    });

    const catalog = path.join(dir, 'catalog.yaml');
    writeFileSync(catalog, 'version: 1\nmodels: []\n');
    const upgraded = await release(['upgrade', 'roundhouse', CHART_DIR, '--set', 'trigger.replicas=3', '--set-file', `catalog.content=${catalog}`]);
    expect(succeeded(upgraded)).toEqual({ code: 0, stderr: '' });
    expect(upgraded.stdout).toContain('REVISION: 2');
    const second = await trigger();
    expect(field(second.body, 'spec', 'replicas')).toBe(3);
    const checksum = (d: ApiResponse): unknown => field(d.body, 'spec', 'template', 'metadata', 'annotations', 'checksum/catalog');
    expect(checksum(second)).not.toEqual(checksum(first));
    const catalogMap = await get(`/api/v1/namespaces/${ns.name}/configmaps/roundhouse-catalog`);
    expect(field(catalogMap.body, 'data', 'catalog.yaml')).toBe('version: 1\nmodels: []\n');

    const rolledBack = await release(['rollback', 'roundhouse', '1']);
    expect(succeeded(rolledBack)).toEqual({ code: 0, stderr: '' });
    const third = await trigger();
    expect([field(third.body, 'spec', 'replicas'), checksum(third)]).toEqual([2, checksum(first)]);

    const uninstalled = await release(['uninstall', 'roundhouse']);
    expect(succeeded(uninstalled)).toEqual({ code: 0, stderr: '' });
    await waitUntil('the trigger Deployment to be gone', async () => (await trigger()).status === 404);
    // The artifact claim holds every model: helm.sh/resource-policy keep.
    expect((await get(`/api/v1/namespaces/${ns.name}/persistentvolumeclaims/roundhouse-artifacts`)).status).toBe(200);
  });
});
