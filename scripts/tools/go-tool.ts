/**
 * Small Go programs the tests run (scripts/<name>/: main.go, go.mod, go.sum),
 * built once into ~/.cache/roundhouse/tools/<name>-<hash>/<name>, the hash over
 * those files: a change to any of them builds a new copy, an unchanged tree
 * reuses the old one. Modules and build cache live under ~/.cache/roundhouse/go
 * (test/stack/go.ts goEnv), shared with the test stack's builds.
 *
 *   npx tsx scripts/tools/go-tool.ts dashboard-validate    build if missing, print the path
 *   npx tsx scripts/tools/go-tool.ts kustomize-v5          real kustomize, the version its go.mod pins
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findGo, goEnv, runGo } from '../../test/stack/go';
import { ensureCachedDir, stderrLog, type Log } from '../../test/stack/util';

const SCRIPTS = path.resolve(__dirname, '..');
const CACHE_ROOT = path.join(os.homedir(), '.cache', 'roundhouse');

/** The Go sources of scripts/<name>, in a stable order (go.mod, go.sum, then *.go). */
function sources(name: string): string[] {
  const dir = path.join(SCRIPTS, name);
  const goFiles = readdirSync(dir)
    .filter((f) => f.endsWith('.go'))
    .sort();
  return ['go.mod', 'go.sum', ...goFiles].map((f) => path.join(dir, f));
}

/** Twelve hex digits over the names and contents of the tool's sources. */
export function sourceHash(name: string): string {
  const hash = createHash('sha256');
  for (const file of sources(name)) hash.update(`${path.basename(file)}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 12);
}

export function goToolPath(name: string): string {
  return path.join(CACHE_ROOT, 'tools', `${name}-${sourceHash(name)}`, name);
}

/**
 * The path of the built tool, building it first if needed. -mod=readonly: the
 * committed go.sum must already cover every module (no silent re-resolution).
 * Throws PREREQUISITE_MISSING (no Go) or FETCH_FAILED (the build's output).
 */
export async function buildGoTool(name: string, log: Log = stderrLog): Promise<string> {
  const bin = goToolPath(name);
  if (existsSync(bin)) return bin;
  const minimum = /^go (\d+\.\d+)/m.exec(readFileSync(path.join(SCRIPTS, name, 'go.mod'), 'utf8'))?.[1] ?? '1.21';
  await findGo(minimum, `scripts/${name}`).catch((err: unknown) => {
    // findGo's advice is the test stack's (a KUBECONFIG avoids its builds); nothing replaces this one.
    throw new Error(`scripts/${name} is a Go program the tests build and run: install Go ${minimum}+ (https://go.dev/dl/ or your package manager) and put \`go\` on PATH`, { cause: err });
  });
  const started = Date.now();
  await ensureCachedDir(path.dirname(bin), async (tmp) => {
    await runGo(['build', '-v', '-trimpath', '-o', path.join(tmp, name), '.'], {
      cwd: path.join(SCRIPTS, name),
      // -buildvcs=false: no git stamp (a worktree or an unpacked tarball would fail it), and none is wanted.
      env: goEnv(CACHE_ROOT, { GOFLAGS: '-mod=readonly -buildvcs=false' }),
      log,
      what: `building scripts/${name}`,
    });
  });
  log(`scripts/${name} is ${bin} (${Math.round((Date.now() - started) / 1000)} s)`);
  return bin;
}

if (require.main === module) {
  const name = process.argv[2];
  if (!name || !existsSync(path.join(SCRIPTS, name, 'go.mod'))) {
    stderrLog('usage: tsx scripts/tools/go-tool.ts NAME   (a directory scripts/NAME with a go.mod)');
    process.exitCode = 2;
  } else {
    buildGoTool(name).then(
      (bin) => process.stdout.write(`${bin}\n`),
      (err: unknown) => {
        stderrLog(err instanceof Error ? err.message : String(err));
        process.exitCode = 1;
      },
    );
  }
}
