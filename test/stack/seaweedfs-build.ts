/**
 * Builds SeaweedFS's `weed` (Apache-2.0; an S3-compatible server) from the Go
 * module proxy into ~/.cache/roundhouse/seaweedfs-<version>/bin/weed. Like the
 * Kubernetes build: the directory appears atomically once the binary is built.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StackError, StackErrorCodes } from './errors';
import { goEnv, runGo } from './go';
import { dirSize, ensureCachedDir, megabytes, type Log } from './util';

/**
 * SeaweedFS tags its releases "3.97", "4.01", … which are not semver, so the
 * proxy serves only pseudo-versions: this is its `@latest` when pinned
 * (go.mod: `go 1.26.6`, which Go 1.26.8 accepts). Bump both together.
 */
export const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';
export const SEAWEEDFS_MIN_GO = '1.26.6';
const MODULE = 'github.com/seaweedfs/seaweedfs';

export function seaweedfsHome(cacheRoot: string): string {
  return path.join(cacheRoot, `seaweedfs-${SEAWEEDFS_VERSION}`);
}

export const weedPath = (home: string): string => path.join(home, 'bin', 'weed');

export async function isWeedBuilt(home: string): Promise<boolean> {
  return fs.stat(weedPath(home)).then(
    () => true,
    () => false,
  );
}

/**
 * The wrapper go.mod: SeaweedFS's own go.mod has `replace` lines, which
 * `go install pkg@version` refuses; a module requiring it must repeat the ones
 * that point at another module version (those pointing at a local directory are
 * commented out upstream and cannot apply anyway).
 */
export function seaweedfsWrapperGoMod(upstreamGoMod: string, version: string): string {
  const goLine = /^go\s+(\S+)\s*$/m.exec(upstreamGoMod)?.[1] ?? SEAWEEDFS_MIN_GO;
  const replaces: string[] = [];
  // Single-line `replace a => b vX` and the lines of a `replace ( … )` block.
  for (const m of upstreamGoMod.matchAll(/^replace\s+(\S+(?:\s+v\S+)?\s+=>\s+\S+\s+v\S+)\s*$/gm)) replaces.push(m[1] as string);
  for (const block of upstreamGoMod.matchAll(/^replace\s*\(\n([\s\S]*?)^\)/gm)) {
    for (const line of (block[1] as string).split('\n')) {
      const entry = line.replace(/\/\/.*$/, '').trim();
      if (/^\S+(\s+v\S+)?\s+=>\s+\S+\s+v\S+$/.test(entry)) replaces.push(entry);
    }
  }
  return [
    'module roundhouse.local/seaweedfs-build',
    '',
    `go ${goLine}`,
    '',
    `require ${MODULE} ${version}`,
    '',
    ...replaces.map((r) => `replace ${r}`),
    '',
  ].join('\n');
}

/** Builds weed into the cache unless already there. Returns whether it built. */
export async function buildSeaweedfs(cacheRoot: string, log: Log): Promise<boolean> {
  const home = seaweedfsHome(cacheRoot);
  const started = Date.now();
  // A build cache of its own: prepare builds Kubernetes side by side, and that
  // build ends with `go clean -cache`, which would pull the cache from under this one.
  const gocache = path.join(cacheRoot, 'go', 'build-seaweedfs');
  const env = goEnv(cacheRoot, { GOCACHE: gocache });
  const built = await ensureCachedDir(home, async (tmp) => {
    log(`building SeaweedFS (weed ${SEAWEEDFS_VERSION}) from the Go module proxy into ${home} (first run only)`);
    const work = path.join(tmp, 'src');
    await fs.mkdir(work, { recursive: true });
    const go = (args: readonly string[], what: string): Promise<string> => runGo(args, { cwd: work, env, log, what });
    const downloaded = JSON.parse(await go(['mod', 'download', '-json', `${MODULE}@${SEAWEEDFS_VERSION}`], `downloading ${MODULE}`)) as { GoMod?: string };
    if (downloaded.GoMod === undefined) throw new StackError(StackErrorCodes.FETCH_FAILED, `go mod download did not return ${MODULE}@${SEAWEEDFS_VERSION}'s go.mod`);
    await fs.writeFile(path.join(work, 'go.mod'), seaweedfsWrapperGoMod(await fs.readFile(downloaded.GoMod, 'utf8'), SEAWEEDFS_VERSION));
    await go(['build', '-v', '-trimpath', '-ldflags=-s -w', '-o', weedPath(tmp), `${MODULE}/weed`], `building SeaweedFS weed`);
    await fs.rm(work, { recursive: true, force: true });
    await fs.writeFile(path.join(tmp, 'versions.json'), `${JSON.stringify({ seaweedfs: SEAWEEDFS_VERSION, builtAt: new Date().toISOString() }, null, 2)}\n`);
  });
  if (built) {
    log(`built SeaweedFS: ${megabytes(await dirSize(home))} in ${Math.round((Date.now() - started) / 1000)} s`);
    // Only a rebuild after a version bump would use it; an interrupted build keeps it to resume.
    await fs.rm(gocache, { recursive: true, force: true }).catch(() => undefined);
  }
  return built;
}
