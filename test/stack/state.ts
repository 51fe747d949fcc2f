/**
 * The state file of a detached stack (`stack:up`): which pids to stop, which env
 * to print. A recorded pid counts as ours only while its command line still names
 * the run dir, so a pid reused by the OS after a reboot is never signalled.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { StackError, StackErrorCodes } from './errors';
import type { StackEnv, StackProcessInfo } from './index';
import { commandLineOf, isAlive, stopPid } from './util';

const stateSchema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  runDir: z.string().min(1),
  // KUBECONFIG optional: state files written before the Kubernetes component lack it (`up` then restarts).
  env: z.object({
    KAFKA_BROKERS: z.string(),
    SCHEMA_REGISTRY_URL: z.string(),
    KUBECONFIG: z.string().optional(),
    // Optional likewise: state files written before the S3 component lack them.
    ROUNDHOUSE_S3_ENDPOINT: z.string().optional(),
    ROUNDHOUSE_S3_BUCKET: z.string().optional(),
    ROUNDHOUSE_S3_ACCESS_KEY_ID: z.string().optional(),
    ROUNDHOUSE_S3_SECRET_ACCESS_KEY: z.string().optional(),
  }),
  processes: z.array(z.object({ component: z.string(), pid: z.number().int().positive(), ports: z.record(z.string(), z.number()) })),
});

export type StackState = z.infer<typeof stateSchema>;

export function statePath(cacheRoot: string): string {
  return path.join(cacheRoot, 'stack', 'state.json');
}

export async function readState(file: string): Promise<StackState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = stateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new StackError(StackErrorCodes.CONFIG_INVALID, `${file} is not a stack state file: ${parsed.error.message}`);
  return parsed.data;
}

export async function writeState(file: string, state: { runDir: string; env: StackEnv; processes: readonly StackProcessInfo[] }): Promise<void> {
  const full: StackState = { version: 1, createdAt: new Date().toISOString(), runDir: state.runDir, env: { ...state.env }, processes: state.processes.map((p) => ({ ...p, ports: { ...p.ports } })) };
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(full, null, 2)}\n`);
  await fs.rename(`${file}.tmp`, file);
}

/** The recorded processes that still run and are still ours. */
export async function liveProcesses(state: StackState): Promise<StackState['processes']> {
  const live: StackState['processes'] = [];
  for (const p of state.processes) {
    if (isAlive(p.pid) && (await commandLineOf(p.pid))?.includes(state.runDir)) live.push(p);
  }
  return live;
}

/**
 * Stops what the state names (SIGTERM, SIGKILL after a grace period), removes its
 * run dir and the file. Components stop side by side; within one, processes stop
 * in reverse start order, so kube-apiserver is not left waiting on a dead etcd.
 */
export async function stopState(file: string, state: StackState, graceMs = 15_000): Promise<number> {
  const live = await liveProcesses(state);
  const components = [...new Set(live.map((p) => p.component))];
  await Promise.all(
    components.map(async (component) => {
      for (const p of live.filter((q) => q.component === component).reverse()) await stopPid(p.pid, graceMs);
    }),
  );
  await fs.rm(state.runDir, { recursive: true, force: true });
  await fs.rm(file, { force: true });
  return live.length;
}

/** Whether the recorded env names every component's variable. */
export function isComplete(env: StackState['env']): env is StackEnv {
  return env.KUBECONFIG !== undefined && env.ROUNDHOUSE_S3_ENDPOINT !== undefined && env.ROUNDHOUSE_S3_BUCKET !== undefined && env.ROUNDHOUSE_S3_ACCESS_KEY_ID !== undefined && env.ROUNDHOUSE_S3_SECRET_ACCESS_KEY !== undefined;
}

/** `export K='v'` lines for `eval "$(npm run -s stack:up)"`. */
export function exportLines(env: Readonly<Record<string, string | undefined>>): string {
  const quote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;
  return Object.entries(env)
    .flatMap(([k, v]) => (v === undefined ? [] : [[k, v] as const]))
    .map(([k, v]) => `export ${k}=${quote(v)}\n`)
    .join('');
}
