import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generatedFiles, REPO_ROOT, staleGeneratedFiles, writeGeneratedFiles } from './generated';

// The one freshness check of the generated copies, in the unit project, so a
// source edited without `render-kustomize.ts sync` fails in seconds rather than
// after the integration suite has started its stack.
describe('generated copies (k8s/, the Helm chart files/)', () => {
  it('the committed copies match their sources', () => {
    expect(staleGeneratedFiles().map((file) => `${file.target} (from ${file.source}; run npx tsx scripts/render-kustomize.ts sync)`)).toEqual([]);
  });

  describe('in a scratch copy of the sources and targets', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'rh-generated-'));
      for (const file of generatedFiles()) {
        for (const rel of [file.source, file.target]) {
          mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
          cpSync(path.join(REPO_ROOT, rel), path.join(root, rel));
        }
      }
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('an edited source makes exactly its copies stale, and sync rewrites them', () => {
      const rules = path.join(root, 'deploy/prometheus/rules/roundhouse.rules.yml');
      writeFileSync(rules, readFileSync(rules, 'utf8').replace(/^groups:\n/m, 'groups:\n  - name: an-added-group\n    rules: []\n'));
      expect(staleGeneratedFiles(root).map((file) => file.target).sort()).toEqual(
        ['deploy/helm/roundhouse/files/roundhouse.rules.yml', 'k8s/base/monitoring/prometheus-rule.yaml'],
      );
      expect(writeGeneratedFiles(root)).toHaveLength(2);
      expect(staleGeneratedFiles(root)).toEqual([]);
    });

    it('a comment-only edit of the rules leaves the PrometheusRule fresh (it is rendered from the parsed rules)', () => {
      const rules = path.join(root, 'deploy/prometheus/rules/roundhouse.rules.yml');
      writeFileSync(rules, `# a comment\n${readFileSync(rules, 'utf8')}`);
      expect(staleGeneratedFiles(root).map((file) => file.target)).toEqual(['deploy/helm/roundhouse/files/roundhouse.rules.yml']);
    });

    it('a missing copy is stale', () => {
      rmSync(path.join(root, 'k8s/base/catalog.yaml'));
      expect(staleGeneratedFiles(root).map((file) => file.target)).toEqual(['k8s/base/catalog.yaml']);
    });
  });
});
