import { parseCatalog } from '../../lib/catalog';

/**
 * The `images` parameter of k8s/policy/job-policy.yaml (the ConfigMap
 * roundhouse-job-policy): every trainer image a catalog names, one a line,
 * sorted, after a comment the policy skips. The policy compares image
 * references as strings, so `trainer:1.2` and `trainer:1.2@sha256:…` differ:
 * the catalog's spelling is the one the dispatcher writes into the Job.
 */
export function catalogImages(catalogText: string, sourceName: string): string[] {
  const catalog = parseCatalog(catalogText, sourceName);
  return [...new Set(catalog.models.map((model) => model.training.image))].sort();
}

export function imagesFile(catalogText: string, sourceName: string): string {
  const header = [
    `# GENERATED from ${sourceName} by \`npx tsx scripts/render-kustomize.ts sync\` (or \`images CATALOG\`):`,
    '# the trainer images Jobs of the dispatcher may run (k8s/policy/job-policy.yaml).',
  ];
  return `${[...header, ...catalogImages(catalogText, sourceName)].join('\n')}\n`;
}
