/**
 * Real kustomize: `kubectl kustomize` (built into kubectl; v5.5 in kubectl 1.32),
 * what `kubectl apply -k` applies. The manifests test renders k8s/ with it, not
 * with scripts/kustomize/render.ts, since the two disagreed where it mattered
 * (issue 14: kustomize kept the RoleBinding subject's explicit namespace in the
 * dev overlay, the in-repo renderer rewrote it, and only the renderer was tested).
 *
 * A namespace of one's own (a test's random one) is set the way an operator's
 * overlay sets it: a temporary kustomization inside the tree (kustomize wants
 * relative resource paths) with `namespace:` and the directory as its resource.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './render';

export const HOW_TO_GET_KUBECTL = 'kubectl not found: install kubectl 1.27+ (its `kubectl kustomize` is kustomize v5), put it on PATH or set KUBECTL to its path.';

/** The kubectl to use, or null. */
export function findKubectl(env: NodeJS.ProcessEnv = process.env): string | null {
  const bin = env.KUBECTL ?? 'kubectl';
  const probe = spawnSync(bin, ['version', '--client'], { encoding: 'utf8', timeout: 60_000 });
  return probe.error || probe.status !== 0 ? null : bin;
}

/** `kubectl kustomize DIR` parsed, optionally under an overlay that sets `namespace`. */
export function kubectlKustomize(dir: string, options: { readonly namespace?: string; readonly kubectl?: string } = {}): KubeObject[] {
  const kubectl = options.kubectl ?? findKubectl();
  if (!kubectl) throw new Error(HOW_TO_GET_KUBECTL);
  const target = path.resolve(dir);
  let overlay: string | null = null;
  try {
    let root = target;
    if (options.namespace !== undefined) {
      overlay = path.join(path.dirname(target), `.render-${randomUUID().slice(0, 8)}`);
      mkdirSync(overlay);
      const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${options.namespace}\nresources:\n  - ${path.relative(overlay, target)}\n`;
      writeFileSync(path.join(overlay, 'kustomization.yaml'), kustomization);
      root = overlay;
    }
    const result = spawnSync(kubectl, ['kustomize', root], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (result.error || result.status !== 0) throw new Error(`kubectl kustomize ${path.relative(process.cwd(), target)}: ${result.error?.message ?? result.stderr}`);
    return parseAllDocuments(result.stdout)
      .map((doc) => doc.toJSON() as KubeObject | null)
      .filter((obj): obj is KubeObject => obj !== null);
  } finally {
    if (overlay) rmSync(overlay, { recursive: true, force: true });
  }
}
