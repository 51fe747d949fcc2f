import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { imagesFile } from './job-policy';

/**
 * Files written from sources elsewhere in the repository, because kustomize
 * reads no data file outside a kustomization's directory and Helm's .Files no
 * file outside the chart:
 *   k8s/base/catalog.yaml                          ← config/catalog.yaml (verbatim)
 *   k8s/base/monitoring/prometheus-rule.yaml       ← deploy/prometheus/rules/roundhouse.rules.yml
 *                                                    (wrapped in a PrometheusRule)
 *   k8s/policy/catalog-images.txt                  ← config/catalog.yaml (its trainer images,
 *                                                    the job policy's `images` parameter)
 *   deploy/helm/roundhouse/files/catalog.yaml      ← config/catalog.yaml (verbatim)
 *   deploy/helm/roundhouse/files/roundhouse.rules.yml ← the rules file (verbatim; the chart wraps it)
 *   deploy/helm/roundhouse/files/roundhouse.json   ← deploy/grafana/dashboards/roundhouse.json (verbatim)
 * `npx tsx scripts/render-kustomize.ts sync` writes them; scripts/kustomize/generated.test.ts
 * (unit project, so it fails in seconds) fails when a committed copy differs from what its
 * source gives, and `render-kustomize.ts check` exits 1.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface GeneratedFile {
  /** Repository-relative paths. */
  readonly target: string;
  readonly source: string;
  readonly content: string;
}

const RULES_SOURCE = 'deploy/prometheus/rules/roundhouse.rules.yml';
const CATALOG_SOURCE = 'config/catalog.yaml';
const DASHBOARD_SOURCE = 'deploy/grafana/dashboards/roundhouse.json';
/** The Helm chart's files/ directory (read by its templates with .Files.Get). */
export const CHART_FILES = 'deploy/helm/roundhouse/files';

function prometheusRule(root: string): string {
  const rules = parseYaml(readFileSync(path.join(root, RULES_SOURCE), 'utf8')) as { groups?: unknown };
  if (!Array.isArray(rules.groups)) throw new Error(`${RULES_SOURCE}: no groups`);
  const header = [
    `# GENERATED from ${RULES_SOURCE} by \`npx tsx scripts/render-kustomize.ts sync\`.`,
    '# Do not edit: change the rules file and re-run the sync (a test compares them).',
  ].join('\n');
  const object = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'roundhouse', labels: { 'app.kubernetes.io/name': 'roundhouse-alerts', 'app.kubernetes.io/component': 'monitoring' } },
    spec: { groups: rules.groups },
  };
  return `${header}\n${stringify(object, { lineWidth: 0 })}`;
}

function verbatim(root: string, source: string, target: string): GeneratedFile {
  return { target, source, content: readFileSync(path.join(root, source), 'utf8') };
}

export function generatedFiles(root: string = REPO_ROOT): GeneratedFile[] {
  return [
    verbatim(root, CATALOG_SOURCE, 'k8s/base/catalog.yaml'),
    { target: 'k8s/base/monitoring/prometheus-rule.yaml', source: RULES_SOURCE, content: prometheusRule(root) },
    { target: 'k8s/policy/catalog-images.txt', source: CATALOG_SOURCE, content: imagesFile(readFileSync(path.join(root, CATALOG_SOURCE), 'utf8'), CATALOG_SOURCE) },
    verbatim(root, CATALOG_SOURCE, `${CHART_FILES}/catalog.yaml`),
    verbatim(root, RULES_SOURCE, `${CHART_FILES}/roundhouse.rules.yml`),
    verbatim(root, DASHBOARD_SOURCE, `${CHART_FILES}/roundhouse.json`),
  ];
}

/** Targets whose committed content differs from what their source gives now. */
export function staleGeneratedFiles(root: string = REPO_ROOT): GeneratedFile[] {
  return generatedFiles(root).filter((file) => {
    try {
      return readFileSync(path.join(root, file.target), 'utf8') !== file.content;
    } catch {
      return true;
    }
  });
}

export function writeGeneratedFiles(root: string = REPO_ROOT): GeneratedFile[] {
  const stale = staleGeneratedFiles(root);
  for (const file of stale) writeFileSync(path.join(root, file.target), file.content);
  return stale;
}
