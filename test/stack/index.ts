/**
 * startStack(): the real Kafka, schema registry, Kubernetes API server and S3
 * server (SeaweedFS) our integration tests talk to.
 *
 * - KAFKA_BROKERS / SCHEMA_REGISTRY_URL / KUBECONFIG already set: that component
 *   is used as is.
 * - ROUNDHOUSE_STACK=testcontainers: the missing Kafka and registry start in
 *   Docker; the Kubernetes control plane still runs as local processes.
 * - Otherwise (ROUNDHOUSE_STACK unset or `local`): fetched from Maven Central and
 *   built from the Go module proxy into ~/.cache/roundhouse and run as local
 *   processes on 127.0.0.1, each run in its own dir under run/ (removed on stop,
 *   kept with its logs if the start fails).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apicurioComponent } from './apicurio';
import type { RunningComponent, StackComponent, StackContext, StackEnvKey } from './component';
import { StackError, StackErrorCodes } from './errors';
import { kafkaComponent } from './kafka';
import { kubernetesComponent } from './kubernetes';
import { seaweedfsComponent } from './seaweedfs';
import { PortAllocator, stderrLog, type Log } from './util';

export type StackEnv = Readonly<Record<StackEnvKey, string>>;

export interface StackProcessInfo {
  readonly component: string;
  readonly pid: number;
  readonly ports: Readonly<Record<string, number>>;
}

export interface StackHandle {
  readonly env: StackEnv;
  /** Whether anything was started (false when the environment named every component). */
  readonly started: boolean;
  /** This run's dir (data and logs) when local processes were started. */
  readonly runDir?: string;
  readonly processes: readonly StackProcessInfo[];
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Where KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KUBECONFIG, ROUNDHOUSE_STACK and JAVA_HOME are read. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Let the processes outlive this node process (stack:up). Default false. */
  readonly detached?: boolean;
  readonly log?: Log;
  /** Default ~/.cache/roundhouse. */
  readonly cacheRoot?: string;
  /** Per component, after its process is spawned. Default 180 s (two cores, cold JIT). */
  readonly readyTimeoutMs?: number;
}

/** Every component; they start side by side. */
const COMPONENTS: readonly StackComponent[] = [kafkaComponent, apicurioComponent, kubernetesComponent, seaweedfsComponent];

/** Every variable a complete stack exports. */
export const STACK_ENV_KEYS: readonly StackEnvKey[] = COMPONENTS.flatMap((c) => c.provides);

/** Those testcontainers.ts can run in Docker; the others run locally in that mode too. */
const IN_DOCKER: readonly string[] = ['kafka', 'apicurio'];

export function defaultCacheRoot(): string {
  return path.join(os.homedir(), '.cache', 'roundhouse');
}

export async function startStack(opts: StackOptions = {}): Promise<StackHandle> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? stderrLog;
  const given: Partial<Record<StackEnvKey, string>> = {};
  for (const key of COMPONENTS.flatMap((c) => c.provides)) if (env[key]) given[key] = env[key];
  const missing = COMPONENTS.filter((c) => c.provides.some((key) => given[key] === undefined));
  if (missing.length === 0) {
    return { env: completeEnv(given), started: false, processes: [], stop: async () => undefined };
  }
  for (const c of COMPONENTS.filter((c) => !missing.includes(c))) log(`${c.name}: using ${c.provides.map((k) => `${k}=${given[k]}`).join(', ')}`);

  const mode = env.ROUNDHOUSE_STACK ?? 'local';
  if (mode === 'testcontainers') {
    const docker = missing.filter((c) => IN_DOCKER.includes(c.name));
    const local = missing.filter((c) => !IN_DOCKER.includes(c.name));
    // Loaded only when chosen: it talks to Docker as soon as it starts.
    const { startContainers } = await import('./testcontainers');
    const containers = await startContainers(
      docker.map((c) => c.name),
      log,
    );
    if (local.length === 0) return { env: completeEnv({ ...given, ...containers.env }), started: true, processes: [], stop: containers.stop };
    let processes: StackHandle;
    try {
      processes = await startLocal(local, { ...given, ...containers.env }, { ...opts, log, env });
    } catch (err) {
      await containers.stop();
      throw err;
    }
    return { ...processes, stop: () => Promise.all([processes.stop(), containers.stop()]).then(() => undefined) };
  }
  if (mode !== 'local') {
    throw new StackError(StackErrorCodes.CONFIG_INVALID, `ROUNDHOUSE_STACK=${mode}: expected "local" (default) or "testcontainers"`);
  }
  return startLocal(missing, given, { ...opts, log, env });
}

function stackContext(opts: StackOptions & { log: Log; env: Readonly<Record<string, string | undefined>> }): StackContext {
  return {
    cacheRoot: opts.cacheRoot ?? defaultCacheRoot(),
    log: opts.log,
    ports: new PortAllocator(),
    detached: opts.detached ?? false,
    readyTimeoutMs: opts.readyTimeoutMs ?? 180_000,
    javaHome: opts.env.JAVA_HOME,
  };
}

/**
 * Fetches and builds what startStack() would start, without starting it: CI runs
 * this before `npm test` so the long first build prints its progress outside jest.
 * Components named in the environment are skipped, as startStack() skips them.
 */
export async function prepareStack(opts: StackOptions = {}): Promise<void> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? stderrLog;
  const wanted = COMPONENTS.filter((c) => c.provides.some((key) => !env[key]));
  const ctx = stackContext({ ...opts, log, env });
  const plans = await Promise.all(wanted.map((c) => c.plan(ctx)));
  await Promise.all(plans.map((p) => p.fetch()));
}

async function startLocal(
  components: readonly StackComponent[],
  given: Partial<Record<StackEnvKey, string>>,
  opts: StackOptions & { log: Log; env: Readonly<Record<string, string | undefined>> },
): Promise<StackHandle> {
  const ctx = stackContext(opts);
  const cacheRoot = ctx.cacheRoot;
  // Every prerequisite is checked before anything is downloaded.
  const plans = await Promise.all(components.map((c) => c.plan(ctx)));
  await Promise.all(plans.map((p) => p.fetch()));

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const runDir = path.join(cacheRoot, 'run', `${stamp}-${process.pid}`);
  const started = Date.now();
  const results = await Promise.allSettled(
    plans.map(async (plan, i) => {
      const dir = path.join(runDir, components[i]?.name ?? String(i));
      await fs.mkdir(dir, { recursive: true });
      return plan.start(dir);
    }),
  );
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await Promise.all(running.map((r) => r.stop()));
    opts.log(`start failed; logs kept in ${runDir}`);
    const first = failures[0];
    const message = failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n');
    throw new StackError(StackErrorCodes.START_FAILED, `${message}\nlogs kept in ${runDir}`, { cause: first });
  }
  opts.log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s (run dir ${runDir})`);
  return localHandle(running, given, runDir);
}

function localHandle(running: readonly RunningComponent[], given: Partial<Record<StackEnvKey, string>>, runDir: string): StackHandle {
  let stopped: Promise<void> | undefined;
  return {
    env: completeEnv(Object.assign({ ...given }, ...running.map((r) => r.env)) as Partial<Record<StackEnvKey, string>>),
    started: true,
    runDir,
    processes: running.flatMap((r) => r.processes.map((p) => ({ component: r.name, pid: p.pid, ports: r.ports }))),
    stop: () => {
      stopped ??= (async () => {
        await Promise.all(running.map((r) => r.stop()));
        await fs.rm(runDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function completeEnv(env: Partial<Record<StackEnvKey, string>>): StackEnv {
  const absent = STACK_ENV_KEYS.filter((k) => env[k] === undefined);
  if (absent.length > 0) throw new StackError(StackErrorCodes.START_FAILED, `stack is missing ${absent.join(', ')}`);
  return Object.fromEntries(STACK_ENV_KEYS.map((k) => [k, env[k]])) as Record<StackEnvKey, string>;
}

export { StackError, StackErrorCodes, isStackError } from './errors';
