/**
 * Whether `.ci/run` builds and checks the image this time (scripts/build-image.sh,
 * then scripts/check-image.sh): a cold build takes ~17 minutes on 2 cores, so it
 * runs when the image's RECIPE changed since the last passing check on this
 * machine, not on every run.
 *
 *   npx tsx scripts/image-gate.ts decide   prints "run <why>" or "skip <why>"
 *   npx tsx scripts/image-gate.ts stamp IMAGE
 *                                          records a passing check of IMAGE for the
 *                                          current recipe (after check-image.sh passed)
 *   npx tsx scripts/image-gate.ts inputs   lists the recipe files and the hash
 *
 * The recipe: the Dockerfile, .dockerignore, package.json, package-lock.json, the
 * tsconfigs, and the two scripts (build-image.sh holds the base images' package
 * lists). Source files are not in it: a change to lib/ or services/ changes what
 * tsc compiles, and tsc and the test suite already run on every CI run; what only
 * the image build can break is the recipe (a base without the right Node, an npm
 * step that needs the network, a COPY that misses a directory, a dependency that
 * is a dev dependency in the lock file but imported at run time).
 *
 * The stamp is ~/.cache/roundhouse/image-check/<hash>.json (the image, its size,
 * when). ROUNDHOUSE_IMAGE_CHECK=1 always runs, =0 never runs; unset, it runs
 * when there is no stamp for the current hash. Without buildah it skips, saying so.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
export const STAMP_DIR = path.join(os.homedir(), '.cache', 'roundhouse', 'image-check');

/** The recipe files, relative to root, in a stable order. Missing optional files are left out. */
export function recipeInputs(root: string = ROOT): string[] {
  const tsconfigs = readdirSync(root).filter((f) => /^tsconfig.*\.json$/.test(f));
  const files = ['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', ...tsconfigs, 'scripts/build-image.sh', 'scripts/check-image.sh'];
  return [...new Set(files)].filter((f) => existsSync(path.join(root, f))).sort();
}

/** Sixteen hex digits over the recipe files' names and contents. */
export function recipeHash(root: string = ROOT): string {
  const hash = createHash('sha256');
  for (const file of recipeInputs(root)) hash.update(`${file}\0`).update(readFileSync(path.join(root, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

export const stampPath = (hash: string, dir: string = STAMP_DIR): string => path.join(dir, `${hash}.json`);

export interface GateInput {
  /** ROUNDHOUSE_IMAGE_CHECK: '1', '0' or undefined (auto). */
  readonly setting: string | undefined;
  readonly hash: string;
  readonly stampExists: boolean;
  readonly hasBuildah: boolean;
}

export type GateDecision = { readonly run: boolean; readonly why: string };

export function decide(input: GateInput): GateDecision {
  const { setting, hash } = input;
  if (setting !== undefined && setting !== '' && setting !== '0' && setting !== '1') {
    throw new Error(`ROUNDHOUSE_IMAGE_CHECK must be 1 (always build and check the image), 0 (never) or unset (when the recipe changed), not ${JSON.stringify(setting)}`);
  }
  if (setting === '0') return { run: false, why: 'ROUNDHOUSE_IMAGE_CHECK=0' };
  if (!input.hasBuildah) {
    return {
      run: false,
      why: `buildah not found, so the image (recipe ${hash}) is NOT built or checked here: apt-get install -y buildah mmdebstrap, then run scripts/build-image.sh and scripts/check-image.sh`,
    };
  }
  if (setting === '1') return { run: true, why: 'ROUNDHOUSE_IMAGE_CHECK=1' };
  if (input.stampExists) return { run: false, why: `the image recipe (${hash}) already passed the image check on this machine (${stampPath(hash)}); ROUNDHOUSE_IMAGE_CHECK=1 runs it anyway` };
  return { run: true, why: `the image recipe changed (${hash} has not passed the image check on this machine)` };
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, command)));
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const hash = recipeHash();
  if (command === 'decide') {
    const decision = decide({ setting: process.env.ROUNDHOUSE_IMAGE_CHECK, hash, stampExists: existsSync(stampPath(hash)), hasBuildah: onPath('buildah') });
    console.log(`${decision.run ? 'run' : 'skip'} ${decision.why}`);
    return 0;
  }
  if (command === 'stamp') {
    const [image, size] = rest;
    if (!image) throw new Error('usage: image-gate.ts stamp IMAGE [SIZE]');
    mkdirSync(STAMP_DIR, { recursive: true });
    writeFileSync(stampPath(hash), `${JSON.stringify({ hash, image, size: size ?? null, inputs: recipeInputs(), checkedAt: new Date().toISOString() }, null, 2)}\n`);
    console.log(stampPath(hash));
    return 0;
  }
  if (command === 'inputs') {
    for (const file of recipeInputs()) console.log(file);
    console.log(`hash ${hash}`);
    return 0;
  }
  console.error('usage: image-gate.ts decide | stamp IMAGE [SIZE] | inputs');
  return 2;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`image-gate: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
