/**
 * Server-side apply against the test stack's API server, for the manifest
 * tests (k8s/ through `kubectl kustomize`, the Helm chart through
 * helm template): dryRun=All and fieldValidation=Strict — what
 * `kubectl apply --server-side --dry-run=server` does — so schema errors,
 * unknown or duplicate fields and invalid values are refused by the server
 * itself, and its warnings (Pod Security among them) come back with the answer.
 *
 * Requests are raw HTTPS (the kubeconfig's credentials): client-node's object
 * serializer drops fields its models do not know before they reach the server,
 * which would hide exactly the typos these tests are for.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../scripts/kustomize/render';
import { waitUntil } from './kubernetes';
import type { Obj } from './rendered';

export type { Obj };

export interface ApiResponse {
  readonly status: number;
  readonly body: Obj;
  readonly warnings: readonly string[];
}

/** One request to the API server with the kubeconfig's identity; JSON in and out. */
export async function api(kc: K8s.KubeConfig, method: string, urlPath: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(urlPath, cluster.server);
  const options: https.RequestOptions = { method, headers: { accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  if (payload) options.headers = { ...options.headers, 'content-type': contentType, 'content-length': String(payload.length) };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const warning = response.headers.warning;
        const warnings = (Array.isArray(warning) ? warning : warning ? [warning] : []).flatMap((w) => w.split(/,(?=\s*\d{3} )/)).map((w) => w.trim());
        let parsed: Obj = {};
        try {
          parsed = text ? (JSON.parse(text) as Obj) : {};
        } catch {
          parsed = { message: text };
        }
        resolve({ status: response.statusCode ?? 0, body: parsed, warnings });
      });
    });
    request.on('error', reject);
    if (payload) request.write(payload);
    request.end();
  });
}

export type PathOf = (obj: KubeObject) => Promise<string>;

/** REST path of an object's kind, from the server's discovery documents (cached per group version). */
export function resourcePaths(kc: K8s.KubeConfig): PathOf {
  const cache = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();
  return async (obj) => {
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    let resources = cache.get(base);
    if (!resources?.some((r) => r.kind === obj.kind)) {
      const response = await api(kc, 'GET', base);
      if (response.status !== 200) throw new Error(`discovery ${base}: HTTP ${response.status}`);
      resources = (response.body.resources as { name: string; kind: string; namespaced: boolean }[]).filter((r) => !r.name.includes('/'));
      cache.set(base, resources);
    }
    const resource = resources.find((r) => r.kind === obj.kind);
    if (!resource) throw new Error(`the server does not serve ${obj.kind} in ${obj.apiVersion}`);
    const namespace = resource.namespaced ? `/namespaces/${String(obj.metadata.namespace)}` : '';
    return `${base}${namespace}/${resource.name}/${obj.metadata.name}`;
  };
}

/** Server-side apply as `fieldManager`; dry-run unless told otherwise; unknown and duplicate fields are errors. */
export async function serverApply(kc: K8s.KubeConfig, pathOf: PathOf, obj: KubeObject, opts: { fieldManager: string; dryRun?: boolean }): Promise<ApiResponse> {
  const query = new URLSearchParams({ fieldManager: opts.fieldManager, force: 'true', fieldValidation: 'Strict' });
  if (opts.dryRun ?? true) query.set('dryRun', 'All');
  return api(kc, 'PATCH', `${await pathOf(obj)}?${query}`, obj, 'application/apply-patch+yaml');
}

/** Makes `namespace` enforce, and warn about, the "restricted" Pod Security Standard (admission judges workload templates too). */
export async function enforceRestricted(kc: K8s.KubeConfig, namespace: string): Promise<void> {
  const labelled = await api(
    kc,
    'PATCH',
    `/api/v1/namespaces/${namespace}`,
    { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } } },
    'application/merge-patch+json',
  );
  if (labelled.status !== 200) throw new Error(`labelling namespace ${namespace}: HTTP ${labelled.status} ${String(labelled.body.message)}`);
}

/**
 * The minimal monitoring.coreos.com CRDs (test/integration/fixtures/monitoring-crds.yaml).
 * Cluster-wide and shared by every run: applied for real (idempotent), never deleted.
 */
export async function installMonitoringCrds(kc: K8s.KubeConfig, pathOf: PathOf, fieldManager: string): Promise<void> {
  const file = path.join(__dirname, '..', 'integration', 'fixtures', 'monitoring-crds.yaml');
  const crds = parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => doc.toJSON() as KubeObject);
  for (const crd of crds) {
    const response = await serverApply(kc, pathOf, crd, { fieldManager, dryRun: false });
    if (response.status >= 300) throw new Error(`installing ${crd.metadata.name}: HTTP ${response.status} ${JSON.stringify(response.body.message)}`);
  }
  for (const crd of crds) {
    await waitUntil(`CRD ${crd.metadata.name} Established`, async () => {
      const response = await api(kc, 'GET', await pathOf(crd));
      const conditions = ((response.body.status as Obj | undefined)?.conditions ?? []) as { type: string; status: string }[];
      return conditions.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
  await waitUntil('monitoring.coreos.com/v1 in discovery', async () => {
    const response = await api(kc, 'GET', '/apis/monitoring.coreos.com/v1');
    const kinds = ((response.body.resources ?? []) as { kind: string }[]).map((r) => r.kind);
    return response.status === 200 && kinds.includes('ServiceMonitor') && kinds.includes('PrometheusRule');
  });
}

/**
 * A Deployment with no securityContext at all, which the restricted profile
 * (runAsNonRoot, seccomp, no escalation, no capabilities) must warn about: it
 * shows a namespace's "no warnings" check can fail.
 */
export function psaCanary(namespace: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'psa-canary', namespace },
    spec: {
      selector: { matchLabels: { app: 'psa-canary' } },
      template: { metadata: { labels: { app: 'psa-canary' } }, spec: { containers: [{ name: 'main', image: 'registry.invalid/x:1' }] } },
    },
  };
}
