/**
 * Renders k8s/ without a kustomize binary, and keeps k8s/'s generated copies
 * in step with their sources (scripts/kustomize/generated.ts).
 *
 *   npx tsx scripts/render-kustomize.ts build k8s/overlays/dev [--namespace NS]   YAML on stdout
 *   npx tsx scripts/render-kustomize.ts sync                                      rewrite stale copies
 *   npx tsx scripts/render-kustomize.ts check                                     exit 1 when a copy is stale
 *   npx tsx scripts/render-kustomize.ts images CATALOG                            a catalog's trainer images, for
 *                                                                                 an overlay's job policy (k8s/policy)
 *
 * With kubectl at hand, `kubectl apply -k k8s/overlays/dev` does the real thing;
 * scripts/kustomize/render.ts lists the kustomize features k8s/ may use.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { staleGeneratedFiles, writeGeneratedFiles } from './kustomize/generated';
import { imagesFile } from './kustomize/job-policy';
import { renderKustomization } from './kustomize/render';

const USAGE = 'usage: render-kustomize.ts build DIR [--namespace NS] | sync | check | images CATALOG';

function main(argv: readonly string[]): number {
  const { positionals, values } = parseArgs({ args: [...argv], allowPositionals: true, options: { namespace: { type: 'string' } } });
  const [command, dir] = positionals;
  switch (command) {
    case 'build': {
      if (!dir) break;
      const objects = renderKustomization(dir, values.namespace === undefined ? {} : { namespace: values.namespace });
      process.stdout.write(objects.map((obj) => stringify(obj, { lineWidth: 0 })).join('---\n'));
      return 0;
    }
    case 'sync': {
      const written = writeGeneratedFiles();
      for (const file of written) process.stdout.write(`wrote ${file.target} (from ${file.source})\n`);
      if (written.length === 0) process.stdout.write('generated files are up to date\n');
      return 0;
    }
    case 'images': {
      if (!dir) break;
      process.stdout.write(imagesFile(readFileSync(dir, 'utf8'), dir));
      return 0;
    }
    case 'check': {
      const stale = staleGeneratedFiles();
      for (const file of stale) process.stderr.write(`stale: ${file.target} differs from what ${file.source} gives; run \`npx tsx scripts/render-kustomize.ts sync\`\n`);
      return stale.length === 0 ? 0 : 1;
    }
  }
  process.stderr.write(`${USAGE}\n`);
  return 64;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`render-kustomize: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
