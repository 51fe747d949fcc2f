/**
 * The Go toolchain as a build client: the machines reach the Kubernetes sources
 * only through the Go module proxy, so the control plane is compiled here.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { StackError, StackErrorCodes } from './errors';
import { commandWorks, runCommand, type Log } from './util';

/** Says what to install when `go` is missing or too old. */
export const HOW_TO_GET_GO =
  'Install Go (https://go.dev/dl/, or your package manager) and put `go` on PATH; ' +
  'or set KUBECONFIG to an existing cluster (kind, k3d, a test cluster) and nothing is built.';

export interface GoToolchain {
  readonly bin: string;
  /** e.g. "1.26.8" */
  readonly version: string;
}

/** "go version go1.26.8 linux/amd64" → "1.26.8"; also "go1.26rc1" → "1.26". */
export function parseGoVersion(text: string): string | undefined {
  return /\bgo(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

/** Numeric comparison of dotted versions: "1.26.0" vs "1.9" etc. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Throws PREREQUISITE_MISSING unless a `go` at least `minimum` is on PATH. */
export async function findGo(minimum: string, purpose: string): Promise<GoToolchain> {
  let output: string;
  try {
    const result = await runCommand('go', ['version'], { timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(result.output);
    output = result.output;
  } catch {
    throw new StackError(StackErrorCodes.PREREQUISITE_MISSING, `building ${purpose} needs Go ${minimum}+ (go on PATH). ${HOW_TO_GET_GO}`);
  }
  const version = parseGoVersion(output);
  if (version === undefined || compareVersions(version, minimum) < 0) {
    throw new StackError(
      StackErrorCodes.PREREQUISITE_MISSING,
      `building ${purpose} needs Go ${minimum}+ (its go.mod says so), found ${version ?? output.trim()}. ${HOW_TO_GET_GO}`,
    );
  }
  return { bin: 'go', version };
}

/** Throws PREREQUISITE_MISSING unless `openssl version` works (certificates for the API server). */
export async function requireOpenssl(purpose: string): Promise<void> {
  if (!(await commandWorks('openssl', ['version']))) {
    throw new StackError(
      StackErrorCodes.PREREQUISITE_MISSING,
      `${purpose} needs openssl on PATH to make its certificates (apt-get install openssl, brew install openssl); or set KUBECONFIG to an existing cluster.`,
    );
  }
}

/**
 * The environment every go command of the harness runs with. Module and build
 * caches live under the stack cache, so a rebuild after a version bump reuses
 * compiled packages and `rm -rf ~/.cache/roundhouse` removes everything.
 * GOTOOLCHAIN=local: a go.mod asking for a newer Go fails instead of
 * downloading a toolchain behind our back.
 */
export function goEnv(cacheRoot: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const goRoot = path.join(cacheRoot, 'go');
  return {
    ...process.env,
    GOPATH: goRoot,
    GOMODCACHE: path.join(goRoot, 'mod'),
    GOCACHE: path.join(goRoot, 'build'),
    GOFLAGS: '-mod=mod',
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
    CGO_ENABLED: '0',
    ...extra,
  };
}

/**
 * Runs `go <args>` to completion and returns its stdout; FETCH_FAILED with the
 * output's tail otherwise. Prints `what` with the elapsed time and the number of
 * packages compiled so far (from `-v`, one line per package) every `everyMs`,
 * because a cold Kubernetes build is silent for many minutes.
 */
export async function runGo(
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; log: Log; what: string; everyMs?: number },
): Promise<string> {
  const started = Date.now();
  let output = '';
  let stdout = '';
  let packages = 0;
  let downloads = 0;
  const elapsed = (): string => `${Math.round((Date.now() - started) / 1000)} s`;
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('go', args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-65536);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('go: downloading ')) downloads++;
        else if (/^[\w.-]+(\/[\w.~+-]+)+$/.test(line.trim())) packages++;
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      collect(chunk);
    });
    child.stderr.on('data', collect);
    const timer = setInterval(() => {
      opts.log(`still ${opts.what}: ${elapsed()}, ${packages} packages compiled, ${downloads} modules downloaded`);
    }, opts.everyMs ?? 20_000);
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (exit) => {
      clearInterval(timer);
      resolve(exit);
    });
  });
  if (code !== 0) {
    throw new StackError(StackErrorCodes.FETCH_FAILED, `${opts.what} failed (go ${args.join(' ')}, exit ${String(code)}):\n${output.slice(-4000)}`);
  }
  opts.log(`done ${opts.what} in ${elapsed()}`);
  return stdout;
}
