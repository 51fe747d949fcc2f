/**
 * Builds the control plane's binaries from the Go module proxy (no GitHub, no
 * release tarballs are reachable from CI) into ~/.cache/roundhouse/k8s-…/bin.
 * The whole directory appears atomically once every binary is built; the Go
 * build cache under ~/.cache/roundhouse/go survives an interrupted build, so a
 * retry resumes where compilation stopped.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StackError, StackErrorCodes } from './errors';
import { goEnv, runGo } from './go';
import { dirSize, ensureCachedDir, megabytes, type Log } from './util';

/**
 * Newest Kubernetes release on the proxy whose go.mod (`go 1.26.0`) the Go on
 * CI (1.26) accepts; etcd is the 3.6 patch that release is tested with, kwok the
 * release built against client-go 0.36. Bump together, then bump MIN_GO to the
 * highest `go` line among the three go.mod files.
 */
export const KUBERNETES_VERSION = '1.36.3';
export const ETCD_VERSION = '3.6.16';
export const KWOK_VERSION = '0.8.0';
export const MIN_GO = '1.26.0';

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
export type Binary = (typeof BINARIES)[number];

/** The cache dir's name names every version in it, so bumping any one rebuilds. */
export function kubernetesHome(cacheRoot: string): string {
  return path.join(cacheRoot, `k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}`);
}

export const binPath = (home: string, binary: Binary): string => path.join(home, 'bin', binary);
/** kwok's own default stages (what kwokctl configures), concatenated: see kwokStages(). */
export const kwokStagesPath = (home: string): string => path.join(home, 'kwok-stages.yaml');

export async function isBuilt(home: string): Promise<boolean> {
  const present = await Promise.all([...BINARIES.map((b) => binPath(home, b)), kwokStagesPath(home)].map((p) => fs.stat(p).then(() => true, () => false)));
  return present.every(Boolean);
}

/**
 * A wrapper go.mod for k8s.io/kubernetes: its own go.mod requires every staging
 * module (k8s.io/api, k8s.io/client-go, …) at v0.0.0 and replaces it with a
 * directory of its repository, which does not exist in the module zip. Each of
 * those is published on its own as v0.<minor>.<patch>, so we point there.
 */
export function kubernetesWrapperGoMod(upstreamGoMod: string, version: string): string {
  const [major, minor, patch] = version.split('.');
  if (major !== '1' || minor === undefined || patch === undefined) throw new Error(`not a Kubernetes 1.x version: ${version}`);
  const goLine = /^go\s+(\S+)\s*$/m.exec(upstreamGoMod)?.[1];
  const godebug = upstreamGoMod.split('\n').filter((line) => /^godebug\s/.test(line));
  const staging = [...upstreamGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+v0\.0\.0\s*(?:\/\/.*)?$/gm)].map((m) => m[1] as string);
  if (staging.length === 0) throw new Error('k8s.io/kubernetes go.mod lists no k8s.io module at v0.0.0; has the layout changed?');
  return [
    'module roundhouse.local/kubernetes-build',
    '',
    `go ${goLine ?? MIN_GO}`,
    ...godebug,
    '',
    `require k8s.io/kubernetes v${version}`,
    '',
    'replace (',
    ...[...new Set(staging)].sort().map((mod) => `\t${mod} => ${mod} v0.${minor}.${patch}`),
    ')',
    '',
  ].join('\n');
}

/** -X flags as kubernetes/hack/lib/version.sh sets them, so /version reports the release. */
export function kubernetesVersionLdflags(version: string, buildDate: string): string {
  const [major, minor] = version.split('.');
  const vars: Record<string, string> = {
    gitVersion: `v${version}`,
    gitMajor: major ?? '',
    gitMinor: minor ?? '',
    // The module proxy does not tell the commit; say so rather than leave "$Format:%H$".
    gitCommit: 'unknown',
    gitTreeState: 'clean',
    buildDate,
  };
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    for (const [key, value] of Object.entries(vars)) flags.push(`-X '${pkg}.${key}=${value}'`);
  }
  return flags.join(' ');
}

/** kwokctl's default stage set: node init + heartbeat with lease, pod ready/complete/delete. */
export const KWOK_STAGE_FILES = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
] as const;

interface DownloadedModule {
  readonly Dir?: string;
  readonly GoMod?: string;
  readonly Info?: string;
}

/** Builds every binary into the cache unless already there. Returns whether it built. */
export async function buildKubernetes(cacheRoot: string, log: Log): Promise<boolean> {
  const home = kubernetesHome(cacheRoot);
  const started = Date.now();
  const built = await ensureCachedDir(home, async (tmp) => {
    log(`building the Kubernetes control plane from the Go module proxy into ${home} (first run only; 10-25 min on 2 cores)`);
    const bin = path.join(tmp, 'bin');
    const work = path.join(tmp, 'src');
    await fs.mkdir(bin, { recursive: true });
    const env = goEnv(cacheRoot);
    const go = (args: readonly string[], cwd: string, what: string, extraEnv: Record<string, string> = {}): Promise<string> =>
      runGo(args, { cwd, env: { ...env, ...extraEnv }, log, what });
    const download = async (mod: string): Promise<DownloadedModule> => {
      await fs.mkdir(work, { recursive: true });
      return JSON.parse(await go(['mod', 'download', '-json', mod], work, `downloading ${mod}`)) as DownloadedModule;
    };

    // etcd: its go.mod replaces its sibling modules with ../ paths, which
    // `go install pkg@version` refuses; a requiring module ignores them.
    const etcdDir = path.join(work, 'etcd');
    await fs.mkdir(etcdDir, { recursive: true });
    await fs.writeFile(path.join(etcdDir, 'go.mod'), `module roundhouse.local/etcd-build\n\ngo ${MIN_GO}\n\nrequire go.etcd.io/etcd/server/v3 v${ETCD_VERSION}\n`);
    await go(['build', '-v', '-trimpath', '-ldflags=-s -w', '-o', path.join(bin, 'etcd'), 'go.etcd.io/etcd/server/v3'], etcdDir, `building etcd ${ETCD_VERSION}`);

    await go(['install', '-v', '-trimpath', `-ldflags=-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v${KWOK_VERSION}`, `sigs.k8s.io/kwok/cmd/kwok@v${KWOK_VERSION}`], work, `building kwok ${KWOK_VERSION}`, {
      GOBIN: bin,
    });
    const kwokSource = (await download(`sigs.k8s.io/kwok@v${KWOK_VERSION}`)).Dir;
    if (kwokSource === undefined) throw new StackError(StackErrorCodes.FETCH_FAILED, `go mod download did not say where sigs.k8s.io/kwok@v${KWOK_VERSION} is`);
    const stages = await Promise.all(KWOK_STAGE_FILES.map((f) => fs.readFile(path.join(kwokSource, f), 'utf8')));
    await fs.writeFile(path.join(tmp, 'kwok-stages.yaml'), stages.map((s) => s.trim()).join('\n---\n') + '\n');

    const kube = await download(`k8s.io/kubernetes@v${KUBERNETES_VERSION}`);
    if (kube.GoMod === undefined || kube.Info === undefined) throw new StackError(StackErrorCodes.FETCH_FAILED, `go mod download did not return k8s.io/kubernetes@v${KUBERNETES_VERSION}'s go.mod`);
    const released = (JSON.parse(await fs.readFile(kube.Info, 'utf8')) as { Time?: string }).Time ?? '1970-01-01T00:00:00Z';
    const kubeDir = path.join(work, 'kubernetes');
    await fs.mkdir(kubeDir, { recursive: true });
    await fs.writeFile(path.join(kubeDir, 'go.mod'), kubernetesWrapperGoMod(await fs.readFile(kube.GoMod, 'utf8'), KUBERNETES_VERSION));
    await go(
      [
        'build',
        '-v',
        '-trimpath',
        `-ldflags=${kubernetesVersionLdflags(KUBERNETES_VERSION, released.replace(/\.\d+Z$/, 'Z'))}`,
        '-o',
        `${bin}/`,
        'k8s.io/kubernetes/cmd/kube-apiserver',
        'k8s.io/kubernetes/cmd/kube-controller-manager',
        'k8s.io/kubernetes/cmd/kube-scheduler',
      ],
      kubeDir,
      `building kube-apiserver, kube-controller-manager, kube-scheduler ${KUBERNETES_VERSION} (the long one)`,
    );

    await fs.rm(work, { recursive: true, force: true });
    for (const b of BINARIES) await fs.stat(path.join(bin, b)); // all there, or this populate fails
    await fs.writeFile(
      path.join(tmp, 'versions.json'),
      `${JSON.stringify({ kubernetes: KUBERNETES_VERSION, etcd: ETCD_VERSION, kwok: KWOK_VERSION, builtAt: new Date().toISOString() }, null, 2)}\n`,
    );
  });
  if (built) {
    log(`built the Kubernetes control plane: ${megabytes(await dirSize(home))} in ${Math.round((Date.now() - started) / 1000)} s`);
    // The compiled packages (~3.5 GB) only speed up a rebuild after a version bump;
    // not worth keeping in a CI cache. An interrupted build keeps them to resume.
    await runGo(['clean', '-cache'], { cwd: cacheRoot, env: goEnv(cacheRoot), log, what: 'removing the Go build cache' }).catch(() => undefined);
  }
  return built;
}
