/**
 * scripts/kustomize/render.ts against real kustomize (the pinned v5.8.2 of
 * scripts/kustomize-v5, built into ~/.cache/roundhouse/tools on first use;
 * .ci/run builds it before jest): for every kustomization under k8s/, as it
 * ships and under a namespace of the test's own, both render the same objects,
 * field for field (kustomize orders its output by kind, the renderer by
 * declaration: compared as sets). The renderer is what the Helm chart test
 * compares the chart with, and what people without the binary use; the two
 * disagreed on RoleBinding subjects (issue 14) and on every generated
 * ConfigMap's name suffix (scripts/kustomize/hash.ts) until this test.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { kustomizeBinary, kustomizeBuild } from './real';
import { renderKustomization, type KubeObject } from './render';

const ROOT = path.resolve(__dirname, '..', '..');

/** Every directory under k8s/ with a kustomization.yaml, repository-relative. */
function kustomizations(dir = path.join(ROOT, 'k8s')): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (entry === 'kustomization.yaml') found.push(path.relative(ROOT, dir));
    else if (!entry.startsWith('.') && statSync(full).isDirectory()) found.push(...kustomizations(full));
  }
  return found;
}

const id = (obj: KubeObject): string => `${obj.kind} ${String(obj.metadata.namespace ?? '-')}/${obj.metadata.name}`;
const byId = (objects: readonly KubeObject[]): [string, KubeObject][] => objects.map((obj): [string, KubeObject] => [id(obj), obj]).sort(([a], [b]) => a.localeCompare(b));

describe('the in-repo renderer agrees with real kustomize', () => {
  beforeAll(async () => {
    await kustomizeBinary();
  }, 20 * 60_000);

  it('finds the kustomizations under k8s/', () => {
    expect(kustomizations()).toEqual(['k8s/base', 'k8s/base/monitoring', 'k8s/overlays/dev', 'k8s/policy', 'k8s/rbac']);
  });

  it.each(kustomizations().flatMap((dir) => [[dir, 'as it ships'] as const, [dir, 'rh-render-test'] as const]))('%s (%s): the same objects, field for field', async (dir, namespace) => {
    const options = namespace === 'as it ships' ? {} : { namespace };
    const real = await kustomizeBuild(path.join(ROOT, dir), options);
    const ours = renderKustomization(path.join(ROOT, dir), options);
    expect(byId(ours).map(([key]) => key)).toEqual(byId(real).map(([key]) => key));
    // One object at a time: a diff of the whole build is too large for jest to print quickly.
    const theirs = new Map(byId(real));
    for (const [key, obj] of byId(ours)) expect({ key, obj }).toEqual({ key, obj: theirs.get(key) });
  });
});
