/**
 * The helm CLI for the chart tests (deploy/helm/roundhouse), built from the Go
 * module proxy like the control plane: no release binaries are reachable here.
 * helm.sh/helm/v3 has no replace directives, so `go install pkg@version` works.
 *
 *   const helm = await ensureHelm();   // ~/.cache/roundhouse/tools/helm-v3.22.0/helm
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StackError, StackErrorCodes } from './errors';
import { findGo, goEnv, runGo } from './go';
import { ensureCachedDir, runCommand, stderrLog, type Log } from './util';

export const HELM_VERSION = '3.22.0';
/** helm v3.22.0's go.mod says `go 1.26.0`. */
export const HELM_MIN_GO = '1.26.0';
const HELM_MODULE = 'helm.sh/helm/v3';

export function helmHome(cacheRoot: string): string {
  return path.join(cacheRoot, 'tools', `helm-v${HELM_VERSION}`);
}

export const helmBinary = (cacheRoot: string): string => path.join(helmHome(cacheRoot), 'helm');

/**
 * helm's Makefile stamps the version and the Kubernetes version its client
 * libraries speak: without the latter, `helm template` assumes Kubernetes 1.20
 * (`.Capabilities.KubeVersion`) and `helm lint`'s deprecation check judges
 * APIs against 1.20. Its rule: client-go v0.X.Y is Kubernetes 1.X.
 */
export function helmLdflags(version: string, clientGoVersion: string): string {
  const match = /^v0\.(\d+)\.\d+/.exec(clientGoVersion);
  if (!match) throw new StackError(StackErrorCodes.FETCH_FAILED, `helm ${version}: cannot read the Kubernetes version from k8s.io/client-go ${clientGoVersion}`);
  const minor = match[1];
  return [
    '-s',
    '-w',
    `-X ${HELM_MODULE}/internal/version.version=v${version}`,
    `-X ${HELM_MODULE}/internal/version.gitTreeState=clean`,
    `-X ${HELM_MODULE}/pkg/lint/rules.k8sVersionMajor=1`,
    `-X ${HELM_MODULE}/pkg/lint/rules.k8sVersionMinor=${minor}`,
    `-X ${HELM_MODULE}/pkg/chartutil.k8sVersionMajor=1`,
    `-X ${HELM_MODULE}/pkg/chartutil.k8sVersionMinor=${minor}`,
  ].join(' ');
}

/** "k8s.io/client-go v0.37.0" in a go.mod's require block → "v0.37.0". */
export function requiredVersion(goMod: string, module: string): string | undefined {
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod)?.[1];
}

/**
 * The path of a working helm v3.22.0, building it into the cache on first use
 * (minutes on two cores; progress on `log`). Throws PREREQUISITE_MISSING without
 * Go 1.26+, FETCH_FAILED when the build fails.
 */
export async function ensureHelm(opts: { cacheRoot: string; log?: Log }): Promise<string> {
  const log = opts.log ?? stderrLog;
  const binary = helmBinary(opts.cacheRoot);
  const started = Date.now();
  const built = await ensureCachedDir(helmHome(opts.cacheRoot), async (tmp) => {
    await findGo(HELM_MIN_GO, `helm ${HELM_VERSION} (for the Helm chart tests)`);
    log(`building helm ${HELM_VERSION} from the Go module proxy into ${helmHome(opts.cacheRoot)} (first run only)`);
    const env = goEnv(opts.cacheRoot);
    const work = path.join(tmp, 'src');
    await fs.mkdir(work);
    const downloaded = JSON.parse(
      await runGo(['mod', 'download', '-json', `${HELM_MODULE}@v${HELM_VERSION}`], { cwd: work, env, log, what: `downloading ${HELM_MODULE}@v${HELM_VERSION}` }),
    ) as { GoMod?: string };
    if (downloaded.GoMod === undefined) throw new StackError(StackErrorCodes.FETCH_FAILED, `go mod download did not return ${HELM_MODULE}@v${HELM_VERSION}'s go.mod`);
    const clientGo = requiredVersion(await fs.readFile(downloaded.GoMod, 'utf8'), 'k8s.io/client-go');
    if (clientGo === undefined) throw new StackError(StackErrorCodes.FETCH_FAILED, `${HELM_MODULE}@v${HELM_VERSION}'s go.mod requires no k8s.io/client-go`);
    await runGo(['install', '-v', '-trimpath', `-ldflags=${helmLdflags(HELM_VERSION, clientGo)}`, `${HELM_MODULE}/cmd/helm@v${HELM_VERSION}`], {
      cwd: work,
      env: { ...env, GOBIN: tmp },
      log,
      what: `building helm ${HELM_VERSION}`,
    });
    await fs.rm(work, { recursive: true, force: true });
    const version = await runCommand(path.join(tmp, 'helm'), ['version', '--short']);
    if (version.code !== 0 || !version.output.includes(`v${HELM_VERSION}`)) {
      throw new StackError(StackErrorCodes.FETCH_FAILED, `the helm just built does not report v${HELM_VERSION}: ${version.output.trim()}`);
    }
  });
  if (built) log(`built helm ${HELM_VERSION} in ${Math.round((Date.now() - started) / 1000)} s (${binary})`);
  return binary;
}
