/**
 * Real kustomize: v5.8.2, pinned by scripts/kustomize-v5/go.mod and built from
 * the Go module proxy into ~/.cache/roundhouse/tools by scripts/tools/go-tool.ts
 * (a minute or two cold, then cached under a hash of that module). The tests
 * render k8s/ with it, not with scripts/kustomize/render.ts, since the two
 * disagreed where it mattered (issue 14: kustomize kept the RoleBinding
 * subject's explicit namespace in the dev overlay, the in-repo renderer
 * rewrote it, and only the renderer was tested); real.test.ts holds the
 * renderer to this. Pinned rather than `kubectl kustomize`, whose kustomize is
 * whatever kubectl is installed (v5.5 in kubectl 1.32 still puts a namespace
 * on a ValidatingAdmissionPolicy, which is cluster-scoped).
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
import { buildGoTool } from '../tools/go-tool';
import type { KubeObject } from './render';

/** The Go module under scripts/ that pins kustomize. */
export const KUSTOMIZE_TOOL = 'kustomize-v5';

/** The pinned kustomize's path, built first if it is not cached (needs Go; fails saying so). */
export function kustomizeBinary(): Promise<string> {
  return buildGoTool(KUSTOMIZE_TOOL);
}

/** `kustomize build DIR` parsed, optionally under an overlay that sets `namespace`. */
export async function kustomizeBuild(dir: string, options: { readonly namespace?: string } = {}): Promise<KubeObject[]> {
  const kustomize = await kustomizeBinary();
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
    const result = spawnSync(kustomize, ['build', root], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (result.error || result.status !== 0) throw new Error(`kustomize build ${path.relative(process.cwd(), target)}: ${result.error?.message ?? result.stderr}`);
    return parseAllDocuments(result.stdout)
      .map((doc) => doc.toJSON() as KubeObject | null)
      .filter((obj): obj is KubeObject => obj !== null);
  } finally {
    if (overlay) rmSync(overlay, { recursive: true, force: true });
  }
}
